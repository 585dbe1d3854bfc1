"""How good the suggestions are: cross-validation grouped by document, on the project's own coding.

Takes a :class:`~qualcode.suggest.TrainingSet` and an unfitted estimator with the
``SegmentSuggester`` interface; gives an :class:`Evaluation` (per-code precision, recall, F1 and
support; micro and macro averages; hit@1 and hit@3; a learning curve). Every fold keeps whole
documents on one side (``GroupKFold``): a test document's segments are never seen in training,
as with a new interview. :func:`compare_baselines` runs the suggester beside three baselines
(:class:`PlainPipeline`, :class:`KeywordsOnly`, :class:`Prior`) on the same folds and gives
hit@3 and micro F1 as mean and standard deviation over folds. Measuring never writes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import astuple, dataclass, field, fields, replace

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from qualcode.errors import BadInput, NotEnoughData
from qualcode.progress import Progress, silent
from qualcode.suggest import KEYWORD_WEIGHT, KeywordMatcher, TrainingSet, learnable, phrase_matcher, split_inputs

CURVE_SHARES = (0.2, 0.4, 0.6, 0.8, 1.0)
PER_CODE_COLUMNS = ["code", "precision", "recall", "f1", "support", "model_folds"]
CURVE_COLUMNS = ["share_of_documents", "training_segments", "micro_f1"]


@dataclass
class Evaluation:
    folds: int
    documents: int
    segments: int
    coded_segments: int
    per_code: object  # DataFrame: code, precision, recall, f1, support, model_folds
    micro: dict
    macro: dict
    hit_at_1: float
    hit_at_3: float
    learning_curve: object  # DataFrame: share_of_documents, training_segments, micro_f1
    threshold: float = 0.5
    notes: list[str] = field(default_factory=list)
    # hit@3 and micro F1 of each fold's test segments (for compare_baselines, which then need
    # not fit the suggester again)
    per_fold: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {
            "folds": self.folds, "documents": self.documents, "segments": self.segments,
            "coded_segments": self.coded_segments, "threshold": self.threshold,
            "micro": self.micro, "macro": self.macro, "hit_at_1": self.hit_at_1, "hit_at_3": self.hit_at_3,
            "per_code": self.per_code.to_dict(orient="records"),
            "learning_curve": self.learning_curve.to_dict(orient="records"),
        }

    def saved(self) -> dict:
        """Everything, as JSON-ready values: :meth:`restored` gives it back."""
        return self.to_dict() | {"notes": self.notes, "per_fold": self.per_fold}

    @classmethod
    def restored(cls, saved: dict) -> Evaluation:
        import pandas as pd  # noqa: PLC0415 - heavy; only the result tables need it

        tables = {"per_code": PER_CODE_COLUMNS, "learning_curve": CURVE_COLUMNS}
        return cls(**{name: pd.DataFrame(saved[name], columns=tables[name]) if name in tables else saved[name]
                      for name in (item.name for item in fields(cls))})

    def without_curve(self) -> Evaluation:
        """This evaluation as one without a learning curve gives it: the curve's last point only."""
        return replace(self, learning_curve=self.learning_curve[self.learning_curve["share_of_documents"] == 1.0]
                       .reset_index(drop=True))


def fingerprint(data: TrainingSet, codes, folds: int, min_positives: int) -> str:
    """Names all that an evaluation's figures follow from: the segments, their questions,
    documents and codes, the codebook's cues, the folds, and the versions of the code that
    computes them. Every fit has a fixed seed, so one fingerprint always gives the same figures."""
    from importlib.metadata import version  # noqa: PLC0415

    from qualcode import __version__  # noqa: PLC0415 - the package imports this module lazily

    content = [__version__, *(version(name) for name in ("scikit-learn", "numpy", "scipy", "spacy")),
               folds, min_positives, data.texts, data.questions, data.groups, [sorted(codes) for codes in data.labels],
               [astuple(cue) for cue in codes]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def check_enough(data: TrainingSet, code_ids, folds: int, min_positives: int) -> None:
    """Refuse to measure on too little: say how much more coding is needed."""
    if folds < 2:
        raise BadInput(f"--folds {folds}: cross-validation needs at least 2 folds")
    n_documents = len(set(data.groups))
    if n_documents < folds:
        alternative = f", or pass --folds {n_documents}" if n_documents >= 2 else ""
        raise NotEnoughData(
            f"evaluate needs reviewed segments in at least {folds} documents for {folds} folds by document; "
            f"the project has {n_documents}: review segments in {folds - n_documents} more document(s){alternative}"
        )
    positives = data.matrix(code_ids).sum(axis=0)
    if not len(positives) or positives.max() < min_positives:
        best = int(np.argmax(positives)) if len(positives) else 0
        most = f" (most: {code_ids[best]} with {int(positives[best])})" if len(positives) and positives.max() else ""
        raise NotEnoughData(
            f"no code has {min_positives} coded segments yet{most}: code at least "
            f"{min_positives - (int(positives.max()) if len(positives) else 0)} more segment(s) with one code before evaluating"
        )


def grouped_folds(groups, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, test rows) per fold; a document's segments all fall on one side."""
    groups = np.asarray(groups)
    return list(GroupKFold(n_splits=folds).split(np.zeros(len(groups)), groups=groups))


def out_of_fold_scores(estimator, data: TrainingSet, labels: np.ndarray, splits, share: float = 1.0, seed: int = 0,
                       fitted: Callable[[], None] = lambda: None):
    """Scores for every segment from a model that never saw its document; with ``share`` < 1,
    each fold trains on that share of its training documents (a fixed random choice).

    Returns the scores and the mean number of training segments per fold.
    """
    scores = np.zeros(labels.shape, dtype=float)
    sizes = []
    groups = np.asarray(data.groups)
    rng = np.random.default_rng(seed)
    for train, test in splits:
        documents = rng.permutation(np.unique(groups[train]))
        kept = set(documents[: max(1, math.ceil(share * len(documents)))].tolist())
        train = np.array([i for i in train if groups[i] in kept])
        inputs = data.inputs
        model = clone(estimator).fit([inputs[i] for i in train], labels[train])
        scores[test] = model.predict_proba([inputs[i] for i in test])
        fitted()
        sizes.append(len(train))
    return scores, float(np.mean(sizes))


def hit_at(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of coded segments with at least one of their codes among the top ``k`` scores."""
    coded = labels.sum(axis=1) > 0
    top = np.argsort(-scores[coded], axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(labels[coded], top, axis=1) * (np.take_along_axis(scores[coded], top, axis=1) > 0)
    return round(float(hits.any(axis=1).mean()), 4) if coded.any() else 0.0


def _averages(labels: np.ndarray, predicted: np.ndarray, columns) -> dict:
    p, r, f, _ = precision_recall_fscore_support(labels[:, columns], predicted[:, columns], average=None, zero_division=0)
    micro = precision_recall_fscore_support(labels, predicted, average="micro", zero_division=0)[:3]
    return {
        "per_code": (p, r, f),
        "micro": dict(zip(("precision", "recall", "f1"), (round(float(v), 4) for v in micro))),
        "macro": {"precision": round(float(p.mean()), 4), "recall": round(float(r.mean()), 4), "f1": round(float(f.mean()), 4)},
    }


def evaluate(estimator, data: TrainingSet, *, folds: int = 5, shares=CURVE_SHARES,
             progress: Progress = silent) -> Evaluation:
    """Grouped cross-validation of ``estimator`` (unfitted; cloned per fold) on ``data``.

    Micro averages pool every (segment, code) decision, so frequent codes weigh most; macro
    averages give each code that occurs in the data the same weight. A score counts as a
    suggestion from ``estimator.threshold`` up. ``progress`` hears of every model fitted.
    """
    import pandas as pd  # noqa: PLC0415 - heavy; only the result tables need it

    code_ids = [cue.id for cue in estimator.codes]
    check_enough(data, code_ids, folds, estimator.min_positives)
    labels = data.matrix(code_ids)
    splits = grouped_folds(data.groups, folds)
    fits = itertools.count(1)
    total = folds * len(shares)
    what = f"fitting {total} models ({folds} folds x {len(shares)} training sizes)"
    progress(what, 0, total)

    def fitted() -> None:
        progress(what, next(fits), total)

    scores, size = out_of_fold_scores(estimator, data, labels, splits, fitted=fitted)
    predicted = (scores >= estimator.threshold).astype(np.int64)
    present = np.flatnonzero(labels.sum(axis=0) > 0)
    averages = _averages(labels, predicted, present)
    model_folds = _model_folds(estimator, data, labels, splits)
    p, r, f = averages["per_code"]
    per_code = pd.DataFrame({
        "code": [code_ids[k] for k in present],
        "precision": np.round(p, 4), "recall": np.round(r, 4), "f1": np.round(f, 4),
        "support": labels[:, present].sum(axis=0),
        "model_folds": [model_folds[k] for k in present],
    }).sort_values(["support", "code"], ascending=[False, True], ignore_index=True)
    curve = []
    for share in shares:
        curve_scores, curve_size = (scores, size) if share == 1.0 else out_of_fold_scores(estimator, data, labels, splits, share, fitted=fitted)
        curve_predicted = (curve_scores >= estimator.threshold).astype(np.int64)
        micro_f1 = _averages(labels, curve_predicted, present)["micro"]["f1"]
        curve.append({"share_of_documents": share, "training_segments": round(curve_size, 1), "micro_f1": micro_f1})
    return Evaluation(
        folds=folds, documents=len(set(data.groups)), segments=len(data.texts),
        coded_segments=int((labels.sum(axis=1) > 0).sum()), per_code=per_code,
        micro=averages["micro"], macro=averages["macro"],
        hit_at_1=hit_at(scores, labels, 1), hit_at_3=hit_at(scores, labels, 3),
        learning_curve=pd.DataFrame(curve, columns=CURVE_COLUMNS),
        threshold=estimator.threshold, per_fold=fold_scores(labels, scores, splits, estimator.threshold),
    )


def _model_folds(estimator, data, labels, splits) -> list[int]:
    """Per code, in how many folds it had enough positives to be learned (else: cold start)."""
    return np.sum([learnable(labels[train], estimator.min_positives) for train, _ in splits], axis=0).tolist()


class PlainPipeline(BaseEstimator):
    """The baseline any text classifier should beat: scikit-learn's tf-idf of word 1-2-grams and
    ``char_wb`` 3-5-grams, one class-balanced ``LogisticRegression`` per code (one-vs-rest), on
    the segments' texts alone (their questions are not read). A code without positives in the
    training data scores 0. Fitted with one BLAS thread: L-BFGS makes thousands of small
    vector operations (over the demo's 40,000 n-gram weights), and OpenBLAS's threads waking for
    each made ``evaluate --baselines`` 3x slower on an idle 2-core machine (37.5 s, not 12.5 s)."""

    def __init__(self, *, codes=(), threshold=0.5, min_positives=1):
        self.codes = codes
        self.threshold = threshold
        self.min_positives = min_positives

    def fit(self, X, y):
        from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
        from sklearn.multiclass import OneVsRestClassifier  # noqa: PLC0415
        from sklearn.pipeline import make_pipeline, make_union  # noqa: PLC0415

        texts = split_inputs(X)[0]
        labels = np.asarray(y, dtype=np.int64).reshape(len(texts), len(self.codes))
        self.columns_ = np.flatnonzero(learnable(labels, 1))
        self.pipeline_ = make_pipeline(
            make_union(TfidfVectorizer(ngram_range=(1, 2)),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5))),
            OneVsRestClassifier(LogisticRegression(class_weight="balanced", max_iter=1000)),
        )
        if len(self.columns_):
            with threadpool_limits(limits=1, user_api="blas"):
                self.pipeline_.fit(texts, labels[:, self.columns_])
        return self

    def predict_proba(self, X) -> np.ndarray:
        texts = split_inputs(X)[0]
        scores = np.zeros((len(texts), len(self.codes)))
        if len(self.columns_):
            scores[:, self.columns_] = self.pipeline_.predict_proba(texts)
        return scores


class KeywordsOnly(BaseEstimator):
    """The codebook's keywords alone, scored as the suggester's cold start scores them
    (``1 - (1 - KEYWORD_WEIGHT) ** keywords_found``); learns nothing from the coding."""

    def __init__(self, *, codes=(), threshold=0.5, min_positives=1):
        self.codes = codes
        self.threshold = threshold
        self.min_positives = min_positives

    def fit(self, X, y):
        self.keywords_ = KeywordMatcher(self.codes, phrase_matcher(self.codes))
        return self

    def predict_proba(self, X) -> np.ndarray:
        texts = split_inputs(X)[0]
        found = np.zeros((len(texts), len(self.codes)))
        for (i, k), words in self.keywords_.hits(texts).items():
            found[i, k] = len(words)
        return 1 - (1 - KEYWORD_WEIGHT) ** found


class Prior(BaseEstimator):
    """Every segment gets each code's share of the training segments: the top 3 are the three
    most frequent codes, and a code reaches the 0.5 threshold only if most segments have it."""

    def __init__(self, *, codes=(), threshold=0.5, min_positives=1):
        self.codes = codes
        self.threshold = threshold
        self.min_positives = min_positives

    def fit(self, X, y):
        self.prior_ = np.asarray(y, dtype=float).reshape(len(X), len(self.codes)).mean(axis=0)
        return self

    def predict_proba(self, X) -> np.ndarray:
        return np.tile(self.prior_, (len(list(X)), 1))


def fold_scores(labels: np.ndarray, scores: np.ndarray, splits, threshold: float) -> dict[str, list[float]]:
    """hit@3 and micro F1 of each fold's test segments."""
    found: dict[str, list[float]] = {"hit_at_3": [], "micro_f1": []}
    for _, test in splits:
        found["hit_at_3"].append(hit_at(scores[test], labels[test], 3))
        predicted = (scores[test] >= threshold).astype(np.int64)
        found["micro_f1"].append(float(precision_recall_fscore_support(
            labels[test], predicted, average="micro", zero_division=0)[2]))
    return found


def compare_baselines(estimator, data: TrainingSet, *, folds: int = 5, suggester_folds=None,
                      progress: Progress = silent):
    """The suggester and three baselines (the plain scikit-learn pipeline, the codebook keywords
    only, the prior) on the same document-grouped folds: mean and standard deviation over folds
    of hit@3 and micro F1, one row per method; and for each baseline the suggester's gain over
    it fold by fold (``*_gain_mean`` and ``*_gain_sd``, paired; None on the suggester's row).

    Folds differ more from each other than methods do on one fold, so the paired gain's spread,
    not the spread of either method, says whether a gain is real: a gain smaller than its sd is
    not a gain. ``suggester_folds`` (``Evaluation.per_fold`` of the same data and folds) are the
    suggester's figures per fold, then not fitted again. ``progress`` hears of every model fitted."""
    import pandas as pd  # noqa: PLC0415 - heavy; only the result table needs it

    code_ids = [cue.id for cue in estimator.codes]
    check_enough(data, code_ids, folds, estimator.min_positives)
    labels = data.matrix(code_ids)
    splits = grouped_folds(data.groups, folds)
    methods = {
        "suggester": estimator,
        "tf-idf + logistic regression": PlainPipeline(codes=estimator.codes, threshold=estimator.threshold),
        "keywords only": KeywordsOnly(codes=estimator.codes, threshold=estimator.threshold),
        "prior": Prior(codes=estimator.codes, threshold=estimator.threshold),
    }
    fitted_methods = [name for name in methods if not (name == "suggester" and suggester_folds)]
    fits, total = itertools.count(1), folds * len(fitted_methods)
    what = f"fitting {total} models for the comparison ({folds} folds x {len(fitted_methods)} methods)"
    progress(what, 0, total)
    rows, ours = [], {}
    for name, method in methods.items():
        if name in fitted_methods:
            scores = out_of_fold_scores(method, data, labels, splits, fitted=lambda: progress(what, next(fits), total))[0]
            found = fold_scores(labels, scores, splits, estimator.threshold)
        else:
            found = suggester_folds
        per_fold = {metric: np.array(values) for metric, values in found.items()}
        ours = ours or per_fold
        row = {"method": name}
        for metric, values in per_fold.items():
            row[f"{metric}_mean"] = round(float(np.mean(values)), 4)
            row[f"{metric}_sd"] = round(float(np.std(values, ddof=1)), 4)
        for metric, values in per_fold.items():
            gain = ours[metric] - values
            row[f"{metric}_gain_mean"] = None if name == "suggester" else round(float(np.mean(gain)), 4)
            row[f"{metric}_gain_sd"] = None if name == "suggester" else round(float(np.std(gain, ddof=1)), 4)
        rows.append(row)
    return pd.DataFrame(rows)
