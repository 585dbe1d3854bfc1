"""Suggestions: a local classifier trained on the project's own coding, with a codebook cold start.

Takes segments, each its text or a ``(text, question)`` pair (the interviewer turn it answers,
:func:`split_inputs`), and the codebook's cues (``code_cues(book) -> tuple[CodeCue]``); gives, per
segment, the likeliest codes with a score in [0, 1], the words that drove each score and its
source: ``model`` (a linear classifier trained on segments human coders reviewed) or
``codebook`` (keywords and examples, for a code with too few coded segments yet).
``training_set(rows, coded) -> TrainingSet`` holds what the human coders did (read by
:mod:`qualcode.store.suggest`; ``visible_to`` first leaves out what a coder coding blind may
not see); ``SegmentSuggester`` is a scikit-learn estimator (``clone`` and
``cross_validate`` work on it); ``ProjectSuggester`` keeps one trained in memory for the
terminal coder. Suggesting never writes; autocoding is written by the store. Nothing is ever pickled or
downloaded: the model is retrained from the project when needed, which takes seconds.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from qualcode import codebook as codebook_mod
from qualcode.textfeatures import TextFeatures

KEYWORD_WEIGHT = 0.4  # one matched keyword scores 0.4, two 0.64, three 0.78 (before similarity)
CALIBRATION_POSITIVES = 20  # coded positives a held-out half needs before scores are calibrated on it
CALIBRATION_ROWS = 1000  # at most this many segments train the calibration model, and as many are held out


@dataclass(frozen=True)
class CodeCue:
    """What the codebook says to look for: a code's keywords, example quotes and description
    (definition and include criteria)."""

    id: str
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Suggestion:
    code: str
    score: float
    reasons: tuple[str, ...]
    source: str  # model | codebook


def code_cues(book: codebook_mod.Codebook) -> tuple[CodeCue, ...]:
    """The cues of the codes a coder may apply; a code that only groups others is never suggested."""
    return tuple(
        CodeCue(code.id, tuple(code.keywords), tuple(code.examples), f"{code.definition} {code.include}".strip())
        for code, _, _ in book.walk() if code.codable
    )


def codebook_rows(cues) -> tuple[list[str], np.ndarray]:
    """The codebook as extra training rows: each code's description and each of its examples,
    labelled with that code only. On a few hundred coded segments they add what the coders
    agreed a code means before coding began (measured on the demo: hit@3 0.74 -> 0.81)."""
    texts, owners = [], []
    for k, cue in enumerate(cues):
        for text in (cue.description, *cue.examples):
            if text:
                texts.append(text)
                owners.append(k)
    labels = np.zeros((len(texts), len(cues)), dtype=np.int64)
    labels[np.arange(len(texts)), owners] = 1
    return texts, labels


def split_inputs(X) -> tuple[list[str], list[str]]:
    """The texts and questions of segments given as texts or ``(text, question)`` pairs (a bare
    text has no question).

    >>> split_inputs(["ik volg een cursus", ("dat klopt", "Hoe leer je bij?")])
    (['ik volg een cursus', 'dat klopt'], ['', 'Hoe leer je bij?'])
    """
    pairs = [(item, "") if isinstance(item, str) else item for item in X]
    return [text for text, _ in pairs], [question or "" for _, question in pairs]


@dataclass
class TrainingSet:
    """Segments human coders reviewed, with the union of the codes they gave each one.

    Union rather than majority: with one or two coders per segment a majority would drop every
    code the coders disagree on, and a code one careful coder saw is worth suggesting. A reviewed
    segment without a code is a negative for every code; unreviewed segments are left out.
    """

    segment_ids: list[int]
    texts: list[str]
    groups: list[int]  # document id of each segment, for folds that keep documents whole
    labels: list[frozenset[str]]
    questions: list[str]  # the interviewer turn each segment answers ("" for none)

    @property
    def inputs(self) -> list[tuple[str, str]]:
        """Each segment as the ``(text, question)`` pair the suggester takes."""
        return list(zip(self.texts, self.questions))

    def matrix(self, code_ids) -> np.ndarray:
        """Labels as a 0/1 matrix, one column per code in ``code_ids`` order."""
        column = {code_id: k for k, code_id in enumerate(code_ids)}
        matrix = np.zeros((len(self.labels), len(column)), dtype=np.int64)
        for row, labels in enumerate(self.labels):
            matrix[row, [column[code] for code in labels if code in column]] = 1
        return matrix

    def subset(self, rows) -> TrainingSet:
        return TrainingSet(*([values[i] for i in rows] for values in vars(self).values()))


def training_set(rows, coded) -> TrainingSet:
    """The training set from the reviewed segments' ``(segment id, document id, text, question)``
    rows and the human coders' ``(segment id, code id)`` codings
    (:func:`qualcode.store.suggest.training_rows`)."""
    labels: dict[int, set[str]] = {segment_id: set() for segment_id, *_ in rows}
    for segment_id, code_id in coded:
        if segment_id in labels:
            labels[segment_id].add(code_id)
    return TrainingSet(
        segment_ids=[segment_id for segment_id, *_ in rows],
        texts=[text for _, _, text, _ in rows],
        groups=[document_id for _, document_id, *_ in rows],
        labels=[frozenset(labels[segment_id]) for segment_id, *_ in rows],
        questions=[question for *_, question in rows],
    )


def visible_to(rows, marks, coded, *, coder: str | None = None, hidden=frozenset()):
    """What ``coder``, coding blind on the documents ``hidden`` (ids), may learn from: every
    human coder's work elsewhere, and in ``hidden`` only the coder's own reviews and codes, so
    nothing suggested there depends on another coder's work on that document.

    Takes :func:`qualcode.store.suggest.training_rows`' rows, marks and codings; gives the rows and
    ``(segment id, code id)`` codings :func:`training_set` takes. With ``coder`` None (not known
    yet) everyone's work on ``hidden`` is left out.

    >>> rows = [(1, 10, "a", ""), (2, 20, "b", "")]
    >>> visible_to(rows, [(1, "bram"), (2, "bram")], [(1, "KV", "bram"), (2, "KT", "bram")], coder="anna", hidden={10})
    ([(2, 20, 'b', '')], [(2, 'KT')])
    """
    if not hidden:
        return list(rows), [(segment_id, code_id) for segment_id, code_id, _ in coded]
    own = {segment_id for segment_id, who in marks if coder is not None and who == coder}
    document_of = {segment_id: document_id for segment_id, document_id, *_ in rows}
    seen = [row for row in rows if row[1] not in hidden or row[0] in own]
    labels = [(segment_id, code_id) for segment_id, code_id, who in coded
              if document_of.get(segment_id) not in hidden or (coder is not None and who == coder)]
    return seen, labels


PHRASE_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


@functools.lru_cache(maxsize=1)
def phrase_vocab():
    """One spaCy vocabulary per process for the keyword matcher, made on first need.

    Texts are tokenised by :data:`PHRASE_TOKEN` (words, kept whole across hyphens and
    apostrophes as in "hr-beleid" and "zo'n", and single punctuation marks), not by
    ``spacy.blank("nl")``, whose tokenizer takes about a second to build and finds the same
    keywords in the sample interviews.
    """
    from spacy.vocab import Vocab  # noqa: PLC0415 - heavy; only the cold start needs it

    return Vocab()


def phrase_doc(vocab, text: str):
    """``text`` lower-cased as a spaCy Doc of :data:`PHRASE_TOKEN` tokens, spaces kept between them."""
    from spacy.tokens import Doc  # noqa: PLC0415 - heavy; only the cold start needs it

    found = list(PHRASE_TOKEN.finditer(text.lower()))
    spaces = [this.end() < after.start() for this, after in zip(found, found[1:])] + [False] * bool(found)
    return Doc(vocab, words=[m.group() for m in found], spaces=spaces)


def phrase_matcher(cues):
    """A spaCy PhraseMatcher for the keywords of ``cues`` (a match's id is its cue's index), or
    None if they have none, so that spaCy is loaded only when the cold start needs it."""
    if not any(cue.keywords for cue in cues):
        return None
    from spacy.matcher import PhraseMatcher  # noqa: PLC0415 - heavy; only the cold start needs it

    matcher = PhraseMatcher(phrase_vocab())
    for k, cue in enumerate(cues):
        phrases = [doc for doc in (phrase_doc(matcher.vocab, keyword) for keyword in cue.keywords) if len(doc)]
        if phrases:
            matcher.add(str(k), phrases)
    return matcher


class KeywordMatcher:
    """Codebook keywords found in texts: a spaCy PhraseMatcher on lower-case tokens, behind a
    cheap regular expression that skips texts containing no keyword at all. ``matcher`` is
    :func:`phrase_matcher` of the same cues."""

    def __init__(self, cues: tuple[CodeCue, ...], matcher):
        keywords = sorted({k.lower() for cue in cues for k in cue.keywords}, key=len, reverse=True)
        self.prefilter = re.compile("|".join(map(re.escape, keywords))) if keywords else None
        self.matcher = matcher

    def hits(self, texts) -> dict[tuple[int, int], list[str]]:
        """(text index, cue index) -> the keywords found, lower-cased, in order of appearance."""
        hits: dict[tuple[int, int], list[str]] = {}
        if self.prefilter is None:
            return hits
        vocab = self.matcher.vocab
        for i, text in enumerate(texts):
            if not self.prefilter.search(text.lower()):
                continue
            doc = phrase_doc(vocab, text)
            for match_id, start, end in self.matcher(doc):
                found = hits.setdefault((i, int(vocab.strings[match_id])), [])
                if doc[start:end].text not in found:
                    found.append(doc[start:end].text)
        return hits


class CodebookMatcher:
    """The cold start: codebook keywords found in a segment (:class:`KeywordMatcher`) and tf-idf
    cosine similarity to the code's examples, combined as
    ``1 - (1 - KEYWORD_WEIGHT) ** keywords_found * (1 - best_similarity)``.

    Lemmas are not used: spaCy's Dutch lookup tables need the 98 MB ``spacy-lookups-data``
    package; the character n-grams of the similarity already match inflected forms. ``matcher``
    is :func:`phrase_matcher` of the same cues.
    """

    def __init__(self, cues: tuple[CodeCue, ...], features: TextFeatures, matcher):
        self.keywords = KeywordMatcher(cues, matcher)
        self.example_code = np.array([k for k, cue in enumerate(cues) for _ in cue.examples], dtype=np.int64)
        self.examples = features.transform([e for cue in cues for e in cue.examples])
        self.n_codes = len(cues)
        counts = np.bincount(self.example_code, minlength=self.n_codes).clip(min=1)
        owner = sp.csr_matrix(
            (1 / counts[self.example_code], (self.example_code, np.arange(len(self.example_code)))),
            shape=(self.n_codes, len(self.example_code)),
        )
        self.centroids = sp.csr_matrix(owner @ self.examples)  # codes x features: the mean example

    def similarity(self, matrix) -> np.ndarray:
        """Texts x examples cosine similarity (rows of ``matrix`` are l2-normalised tf-idf)."""
        return (matrix @ self.examples.T).toarray()

    def scores(self, texts, matrix) -> tuple[np.ndarray, dict[tuple[int, int], list[str]]]:
        hits = self.keywords.hits(texts)
        found = np.zeros((len(texts), self.n_codes))
        for (i, k), words in hits.items():
            found[i, k] = len(words)
        best = np.zeros((len(texts), self.n_codes))
        if len(self.example_code):
            similarity = self.similarity(matrix)
            for k in np.unique(self.example_code):
                best[:, k] = similarity[:, self.example_code == k].max(axis=1)
        return 1 - (1 - KEYWORD_WEIGHT) ** found * (1 - best.clip(0, 1)), hits


def learnable(labels: np.ndarray, min_positives: int) -> np.ndarray:
    """Per code (column of a 0/1 label matrix): enough positives, and at least one negative."""
    positives = labels.sum(axis=0)
    return (positives >= max(min_positives, 1)) & (positives < labels.shape[0])


class SegmentSuggester(ClassifierMixin, BaseEstimator):
    """One class-balanced logistic regression per code over word, word-pair and character
    n-gram tf-idf, fitted by SGD (``epochs`` passes, fixed seed: deterministic, and several
    times faster than liblinear on thousands of segments; codes are fitted in ``n_jobs``
    threads, as SGD releases the GIL). The codebook's descriptions and examples join the coded
    segments as training rows (:func:`codebook_rows`), and the scores are calibrated (Platt
    scaling on a held-out half, see ``_calibration``) so that 0.5 means "more likely than not".
    A code with no coded segment, or fewer than ``min_positives`` positives counting its
    codebook rows, is scored by the codebook cold start instead.

    A segment given with its question (a ``(text, question)`` pair, :func:`split_inputs`) also
    has the question's words as features of their own, weighed by ``question_weight``: the
    interviewer's question names the dimension asked about (measured on the demo, 5 folds by
    document: hit@3 0.894 -> 0.912, micro F1 0.513 -> 0.501; weight 0.25 gave 0.904, 0.75 0.902,
    1.0 0.864, as the question then outweighs the answer; the question in the answer's own
    features, or the previous answer beside it, did less).

    ``fit(segments, Y)`` takes a 0/1 matrix with one column per code in ``codes`` order;
    ``predict_proba`` gives scores in [0, 1] in the same order. Example::

        >>> cues = (CodeCue("KV-OPL", ("cursus",)), CodeCue("KG-REL"))
        >>> model = SegmentSuggester(codes=cues, min_positives=1).fit(
        ...     ["ik volg een cursus", "ik bouw een band op met de klant"], [[1, 0], [0, 1]])
        >>> [s.code for s in model.suggest(["die cursus was goed"], top=1)[0]]
        ['KV-OPL']
    """

    def __init__(self, *, codes=(), min_positives=5, alpha=1e-3, epochs=5, threshold=0.5, n_features=2**20,
                 question_weight=0.5, n_jobs=2, random_state=0):
        self.codes = codes
        self.min_positives = min_positives
        self.alpha = alpha
        self.epochs = epochs
        self.threshold = threshold
        self.n_features = n_features
        self.question_weight = question_weight
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y):
        texts, questions = split_inputs(X)
        labels = np.asarray(y, dtype=np.int64).reshape(len(texts), len(self.codes))
        book_texts, book_labels = codebook_rows(self.codes)
        self.classes_ = np.array([cue.id for cue in self.codes], dtype=object)
        trained = learnable(labels, 1) & learnable(np.vstack([labels, book_labels]), self.min_positives)
        self.source_ = np.where(trained, "model", "codebook")
        self.model_codes_ = np.flatnonzero(trained)
        self.cold_codes_ = np.flatnonzero(~trained)
        cold_cues = tuple(self.codes[k] for k in self.cold_codes_)
        # One BLAS thread: the codes are fitted in parallel already, and idle BLAS threads that
        # spin between SGD's vector scalings would take the cores from them.
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=max(self.n_jobs, 1)) as pool:
            # Loading spaCy for the cold start (once per process) overlaps with the fitting.
            matcher = pool.submit(phrase_matcher, cold_cues)
            self.features_ = TextFeatures(self.n_features)
            self.question_features_ = TextFeatures(self.n_features)
            matrix = self._with_questions(self.features_.fit_transform(texts + book_texts),
                                          questions + [""] * len(book_texts))
            rows = np.vstack([labels, book_labels])
            self.platt_ = self._calibration(pool, matrix, rows, len(texts))
            self.coef_, self.intercept_ = self._fit_linear(pool, matrix, rows, self.model_codes_)
        self.cold_ = CodebookMatcher(cold_cues, self.features_, matcher.result())
        return self

    def _with_questions(self, matrix, questions) -> sp.csr_matrix:
        """The texts' features with their questions' beside them (question features fitted
        here), times ``question_weight``: what the classifiers are fitted on."""
        asked = self.question_features_.fit_transform(questions)
        return sp.csr_matrix(sp.hstack([matrix, self.question_weight * asked], format="csr"))

    def _fit_linear(self, pool, matrix, labels, columns) -> tuple[np.ndarray, np.ndarray]:
        """One logistic regression per code in ``columns``: weights (features x codes), intercepts."""
        fitted = list(pool.map(lambda k: self._fit_code(matrix, labels[:, k]), columns))
        coef = np.zeros((matrix.shape[1], len(columns)))
        intercept = np.zeros(len(columns))
        for column, (weights, bias) in enumerate(fitted):
            coef[:, column] = weights
            intercept[column] = bias
        return coef, intercept

    def _calibration(self, pool, matrix, labels, n_segments: int) -> np.ndarray:
        """Platt scaling ``(slope, intercept)`` on the linear scores, shared by all trained codes.

        Class-balanced, regularised fits rank well but their probabilities are not
        probabilities: on the demo a score of 0.5 was reached by far fewer segments than had
        the code. A model fitted on the first half of the segments (in document order, so mostly
        whole documents; at most :data:`CALIBRATION_ROWS`) scores as many following ones, and one
        logistic regression maps those scores to the coders' decisions; then a score from 0.5 up
        means "more likely than not". Costs at most half a fit more. ``matrix`` and ``labels``
        hold the ``n_segments`` coded segments first, then the codebook rows; the idf weights
        come from all of them (no labels leak). With fewer than :data:`CALIBRATION_POSITIVES`
        coded positives held out it is the identity ``(1, 0)``: two numbers fitted on a handful
        of decisions would move every score by chance.
        """
        half = min(n_segments // 2, CALIBRATION_ROWS)
        train = np.r_[0:half, n_segments:len(labels)]
        columns = self.model_codes_[learnable(labels[:half][:, self.model_codes_], self.min_positives)]
        held = labels[half:2 * half][:, columns]
        if not len(columns) or held.sum() < CALIBRATION_POSITIVES or held.min() == held.max():
            return np.array([1.0, 0.0])
        coef, intercept = self._fit_linear(pool, matrix[train], labels[train], columns)
        scores = np.asarray(matrix[half:2 * half] @ coef + intercept)
        platt = LogisticRegression(C=100.0).fit(scores.reshape(-1, 1), held.ravel())
        return np.array([max(float(platt.coef_[0, 0]), 0.1), float(platt.intercept_[0])])

    def _fit_code(self, matrix, labels) -> tuple[np.ndarray, float]:
        model = SGDClassifier(
            loss="log_loss", alpha=self.alpha, max_iter=self.epochs, tol=None,
            class_weight="balanced", random_state=self.random_state,
        )
        model.fit(matrix, labels)
        return model.coef_[0], float(model.intercept_[0])

    def _scores(self, texts, questions, matrix):
        """Scores and keyword hits of texts, from their features ``matrix`` and their questions."""
        check_is_fitted(self, "source_")
        scores = np.zeros((len(texts), len(self.classes_)))
        if len(self.model_codes_):
            slope, shift = self.platt_
            n_text = matrix.shape[1]  # the product with _with_questions' matrix, without building it
            asked = self.question_features_.transform(questions)
            linear = matrix @ self.coef_[:n_text] + self.question_weight * (asked @ self.coef_[n_text:]) + self.intercept_
            scores[:, self.model_codes_] = 1 / (1 + np.exp(-(slope * linear + shift)))
        cold, hits = self.cold_.scores(texts, matrix)
        scores[:, self.cold_codes_] = cold
        return scores, hits

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "source_")
        texts, questions = split_inputs(X)
        return self._scores(texts, questions, self.features_.transform(texts))[0]

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X) >= self.threshold).astype(np.int64)

    def uncertainty(self, X) -> np.ndarray:
        """Per text, how close its most doubtful trained code is to 0.5 (1 = a coin toss).

        Only codes the classifier learned count; before any has, the cold-start scores do.
        """
        scores = self.predict_proba(X)
        if len(self.model_codes_):
            scores = scores[:, self.model_codes_]
        return (1 - np.abs(2 * scores - 1)).max(axis=1, initial=0.0)

    def suggest(self, X, *, top=3, min_score=0.0, n_reasons=3) -> list[list[Suggestion]]:
        """The ``top`` codes per text, best first, above ``min_score`` and above zero."""
        check_is_fitted(self, "source_")
        texts, questions = split_inputs(X)
        matrix, batch = self.features_.transform_batch(texts)
        scores, hits = self._scores(texts, questions, matrix)
        ranked = np.argsort(-scores, axis=1, kind="stable")[:, :top]
        reasons = np.array([*batch.words, ""], dtype=object)[self._reason_words(batch, ranked, n_reasons)].tolist()
        cold_codes = self.cold_codes_.tolist()
        keywords = {(i, cold_codes[cue]): found for (i, cue), found in hits.items()}
        codes, sources = self.classes_.tolist(), self.source_.tolist()
        top_scores = np.take_along_axis(scores, ranked, axis=1).round(4).tolist()
        return [
            [
                Suggestion(codes[k], score, _reasons(keywords.get((i, k)), words, n_reasons), sources[k])
                for k, score, words in zip(row, row_scores, row_reasons) if score > 0 and score >= min_score
            ]
            for i, (row, row_scores, row_reasons) in enumerate(zip(ranked.tolist(), top_scores, reasons))
        ]

    def _reason_words(self, batch, ranked, n_reasons) -> np.ndarray:
        """Texts x ranked codes x ``n_reasons``: the words (ids in ``batch.words``, -1 for none)
        of each text that push each of its ranked codes' scores up most, strongest first. A
        word's push is the code's weights (the classifier's, or for the cold start its mean
        example) summed over the word and its character n-grams, times 1 + log of its count."""
        per_word = np.zeros((len(batch.words), len(self.classes_)))
        if len(self.model_codes_):
            per_word[:, self.model_codes_] = self.features_.word_weights(batch, self.coef_[:len(self.features_.columns_)])
        if len(self.cold_codes_):
            per_word[:, self.cold_codes_] = self.features_.word_weights(batch, self.cold_.centroids.T)
        stop = _stop_words()
        shown = np.array([word not in stop and not word.isdigit() for word in batch.words], dtype=bool)
        doc_words = batch.doc_words
        pair_doc = np.repeat(np.arange(doc_words.shape[0]), np.diff(doc_words.indptr))
        pair_word, strength = doc_words.indices, 1 + np.log(doc_words.data)
        found = np.full((*ranked.shape, n_reasons), -1, dtype=np.int64)
        for slot in range(ranked.shape[1]):
            value = per_word[pair_word, ranked[pair_doc, slot]] * strength
            keep = (value > 0) & shown[pair_word]
            docs, words, value = pair_doc[keep], pair_word[keep], value[keep]
            order = np.lexsort((-value, docs))
            docs, words = docs[order], words[order]
            rank = np.arange(len(docs)) - np.searchsorted(docs, docs)
            first = rank < n_reasons
            found[docs[first], slot, rank[first]] = words[first]
        return found


def _reasons(keywords: list[str] | None, words: list[str], n_reasons: int) -> tuple[str, ...]:
    """Codebook keywords found (if any) first, then the strongest words ("" for none), each once."""
    words = filter(None, words)
    return tuple(words) if keywords is None else tuple(dict.fromkeys([*keywords, *words]))[:n_reasons]


@functools.lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """Dutch function words, never shown as a reason."""
    from spacy.lang.nl.stop_words import STOP_WORDS  # noqa: PLC0415 - spaCy is heavy; load on first use

    return frozenset(STOP_WORDS)


def fit_project(data: TrainingSet, book: codebook_mod.Codebook, *, exclude_groups=(), **params) -> SegmentSuggester:
    """A suggester trained on everything human coders reviewed, except in the documents
    ``exclude_groups`` (ids): a held-out interview is then as new to it as an unread one."""
    if exclude_groups:
        held = set(exclude_groups)
        data = data.subset([i for i, group in enumerate(data.groups) if group not in held])
    cues = code_cues(book)
    return SegmentSuggester(codes=cues, **params).fit(data.inputs, data.matrix([cue.id for cue in cues]))


class ProjectSuggester:
    """A suggester kept in memory for an interactive session (the terminal coder).

    ``read_training(hidden)`` gives the training set with other coders' work on the documents
    ``hidden`` (ids) left out, and ``read_texts(ids)`` each segment's (document id, text,
    question). When
    ``blind``, a segment gets suggestions from a model trained without other coders' work on
    its document: one model per document, trained when the coder first asks there (and after
    every change, for the document in hand); otherwise one model serves every document.

    ``suggest(segment_id)`` and ``order(segment_ids)`` train what they need and wait for it;
    ``suggest_when_ready`` answers None instead of waiting, and ``retrain()`` (safe in a worker
    thread while the old model keeps answering) trains the model last asked for.
    """

    def __init__(self, read_training: Callable[[frozenset[int]], tuple[TrainingSet, codebook_mod.Codebook]],
                 read_texts: Callable[[list[int]], dict[int, tuple[int, str, str]]], *, blind: bool = False, **params):
        self.read_training = read_training
        self.read_texts = read_texts
        self.blind = blind
        self.params = params
        self._models: dict[frozenset[int], SegmentSuggester] = {}
        self._wanted: frozenset[int] = frozenset()
        self._lock = threading.Lock()

    def _key(self, document_ids) -> frozenset[int]:
        return frozenset(document_ids) if self.blind else frozenset()

    def _train(self, key: frozenset[int]) -> SegmentSuggester:
        model = fit_project(*self.read_training(key), **self.params)
        with self._lock:
            self._models = {**self._models, key: model}
        return model

    def retrain(self) -> SegmentSuggester | None:
        """Train again the model last asked for; the others are dropped (they missed the change)."""
        with self._lock:
            key = self._wanted
        if self.blind and not key:
            return None  # nothing asked for yet: a blind model belongs to a document
        model = fit_project(*self.read_training(key), **self.params)
        with self._lock:
            self._models = {key: model}
        return model

    def _model(self, key: frozenset[int]) -> SegmentSuggester:
        with self._lock:
            model = self._models.get(key)
        return model if model is not None else self._train(key)

    @property
    def model(self) -> SegmentSuggester:
        """The model last asked for (trained now if it is not yet)."""
        with self._lock:
            key = self._wanted
        return self._model(key)

    def suggest_when_ready(self, segment_id: int) -> list[tuple[str, float, list[str]]] | None:
        """Like :meth:`suggest`, but None (instead of waiting) while its model is not trained;
        the next :meth:`retrain` then trains that one."""
        document_id, *segment = self.read_texts([segment_id]).get(segment_id, (None, "", ""))
        key = self._key([document_id])
        with self._lock:
            model = self._models.get(key)
            if model is None:
                self._wanted = key
        return None if model is None else self._suggestions(model, tuple(segment))

    def arrange(self, items, reviewed: set[int]) -> list:
        """A work-list ordering for active learning: segments not yet reviewed come first, the
        ones the model is least sure about first among them; then the reviewed ones."""
        rank = {segment_id: i for i, segment_id in enumerate(self.order([item.segment_id for item in items]))}
        return sorted(items, key=lambda item: (item.segment_id in reviewed, rank[item.segment_id]))

    @staticmethod
    def _suggestions(model: SegmentSuggester, segment: tuple[str, str], top: int = 3) -> list[tuple[str, float, list[str]]]:
        return [(s.code, s.score, list(s.reasons)) for s in model.suggest([segment], top=top)[0]]

    def suggest(self, segment_id: int, top: int = 3) -> list[tuple[str, float, list[str]]]:
        """(code id, score, reason words) for one segment, best first."""
        document_id, *segment = self.read_texts([segment_id]).get(segment_id, (None, "", ""))
        return self._suggestions(self._model(self._key([document_id])), tuple(segment), top)

    def order(self, segment_ids) -> list[int]:
        """``segment_ids`` with the ones the model is least sure about first (stable); blind, the
        model leaves out other coders' work on every document of ``segment_ids``."""
        ids = list(segment_ids)
        found = self.read_texts(ids)
        model = self._model(self._key(document_id for document_id, *_ in found.values()))
        doubt = model.uncertainty([found[i][1:] if i in found else "" for i in ids])
        return [ids[j] for j in np.argsort(-doubt, kind="stable")]
