"""Text features for the suggester: hashed words, word pairs and character n-grams, as tf-idf.

``TextFeatures().fit(texts)`` learns which hashed features occur and their idf;
``transform(texts) -> csr_matrix`` gives l2-normalised sublinear tf-idf rows;
``word_weights(batch, weights)`` says how much each word pushes a linear score up.

Tokens are lower-cased words of two or more characters. Each word gives its own feature and its
character n-grams (3 to 5, padded with a space at each end, like scikit-learn's ``char_wb``), so
Dutch compounds such as "werkgeversgerichtheid" share features with "werkgever"; neighbouring
words give a pair feature. Words are hashed (CRC-32, deterministic across processes) and a
word's features are cached, so a text costs one dictionary look-up per word; the character
n-grams of a whole batch come from one sparse product (texts x words) @ (words x features).
"""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

TOKEN = re.compile(r"\w\w+")
TOKEN_OR_BREAK = re.compile(r"\w\w+|\x00")
CHAR_NGRAMS = (3, 5)
PAIR_MIX = np.uint64(0x9E3779B97F4A7C15)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def _tokenize(texts) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Distinct words of a batch, and per token occurrence its word id and text index."""
    import pandas as pd  # noqa: PLC0415 - heavy; factorize hashes a million tokens in C

    joined = "\x00".join(text.replace("\x00", " ") for text in texts).lower()
    found = TOKEN_OR_BREAK.findall(joined)
    codes, uniques = pd.factorize(np.array(found, dtype=object))
    words = list(uniques)
    is_break = np.zeros(len(codes), dtype=bool)
    if "\x00" in words:
        breaker = words.index("\x00")
        is_break = codes == breaker
        words.pop(breaker)
        codes = codes - (codes > breaker)
    doc_of = np.cumsum(is_break)[~is_break]
    return words, codes[~is_break].astype(np.int64), doc_of.astype(np.int64)


# CRC-32 states after the prefixes "w" (a word) and "c" (a character n-gram): continuing from
# them hashes prefix + text without building the joined string.
WORD_SEED, GRAM_SEED = zlib.crc32(b"w"), zlib.crc32(b"c")


@functools.lru_cache(maxsize=500_000)
def word_features(word: str, n_features: int) -> np.ndarray:
    """Hashed feature columns of one word: the word itself first, then its character n-grams."""
    padded = f" {word} "
    grams = [padded[i : i + n].encode() for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1) for i in range(len(padded) - n + 1)]
    return np.array([_word_hash(word), *(zlib.crc32(gram, GRAM_SEED) for gram in grams)], dtype=np.int64) % n_features


def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode(), WORD_SEED)


def _distinct(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values (all in [0, bound)) and each value's index among them; in linear
    time for large batches, where ``np.unique`` would sort millions of feature numbers."""
    if len(values) * 16 < bound:
        distinct, index = np.unique(values, return_inverse=True)
        return distinct, index.ravel()
    present = np.bincount(values, minlength=bound) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[values]


@dataclass
class Batch:
    """A batch of texts hashed: their words, which words each text has, and feature counts."""

    words: list[str]
    doc_words: sp.csr_matrix  # texts x words: how often each word occurs
    word_matrix: sp.csr_matrix  # words x features: each word's own feature and its n-grams
    counts: sp.csr_matrix  # texts x features: word, word-pair and n-gram counts


def hashed_counts(texts, n_features: int, column_of: np.ndarray | None = None) -> Batch:
    """Feature counts of ``texts``: words, word pairs and character n-grams, hashed into
    ``n_features`` columns, or into the fitted columns ``column_of`` maps them to (others dropped).

    Word pairs are treated as extra terms, so one sparse product (texts x terms) @ (terms x
    features) counts everything.
    """
    texts = list(texts)
    words, ids, doc_of = _tokenize(texts)
    n_docs, n_words = len(texts), len(words)
    same_doc = doc_of[:-1] == doc_of[1:]
    hashes = np.array([_word_hash(word) for word in words], dtype=np.uint64)
    pair_hash = ((hashes[ids[:-1][same_doc]] * PAIR_MIX) ^ hashes[ids[1:][same_doc]]) % np.uint64(n_features)
    pair_features, pair_ids = _distinct(pair_hash.astype(np.int64), n_features)
    doc_words = sp.csr_matrix((np.ones(len(ids)), (doc_of, ids)), shape=(n_docs, n_words))
    doc_terms = sp.csr_matrix(
        (np.ones(len(ids) + len(pair_ids)),
         (np.concatenate([doc_of, doc_of[:-1][same_doc]]), np.concatenate([ids, n_words + pair_ids]))),
        shape=(n_docs, n_words + len(pair_features)),
    )
    per_word = [word_features(word, n_features) for word in words]
    term_rows = np.concatenate([np.repeat(np.arange(n_words), [len(f) for f in per_word]),
                                np.arange(n_words, n_words + len(pair_features))])
    term_columns = np.concatenate([*per_word, pair_features]) if per_word else pair_features
    width = n_features
    if column_of is not None:
        term_columns = column_of[term_columns]
        kept = term_columns >= 0
        term_rows, term_columns, width = term_rows[kept], term_columns[kept], int(column_of.max(initial=-1)) + 1
    term_matrix = sp.csr_matrix((np.ones(len(term_rows)), (term_rows, term_columns)), shape=(doc_terms.shape[1], width))
    return Batch(words, doc_words, term_matrix[:n_words], sp.csr_matrix(doc_terms @ term_matrix))


class TextFeatures:
    """Hashed tf-idf limited to the features seen in fitting (unseen ones weigh nothing anyway)."""

    def __init__(self, n_features: int = 2**20):
        self.n_features = n_features

    def fit(self, texts) -> TextFeatures:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts) -> sp.csr_matrix:
        """Columns are numbered from the most to the least frequent feature: the weights a linear
        model reads most often then sit together in memory, which makes SGD over the rows faster
        (the numbers differ, the arithmetic and results do not)."""
        counts = hashed_counts(texts, self.n_features).counts
        features, kept_indices = _distinct(counts.indices, self.n_features)
        df = np.bincount(kept_indices, minlength=len(features))
        order = np.argsort(-df, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        self.columns_ = features[order]
        self.column_of_ = np.full(self.n_features, -1, dtype=np.int64)
        self.column_of_[self.columns_] = np.arange(len(self.columns_))
        kept = sp.csr_matrix((counts.data, rank[kept_indices], counts.indptr), shape=(counts.shape[0], len(self.columns_)))
        self.idf_ = np.log((1 + counts.shape[0]) / (1 + df[order])) + 1
        return self._tfidf(kept)

    def transform(self, texts) -> sp.csr_matrix:
        return self.transform_batch(texts)[0]

    def transform_batch(self, texts) -> tuple[sp.csr_matrix, Batch]:
        batch = hashed_counts(texts, self.n_features, self.column_of_)
        return self._tfidf(batch.counts), batch

    def _tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Sublinear tf x idf, rows scaled to unit length (empty rows stay empty).

        Counts are whole numbers, so 1 + log(count) comes from a table: ``take`` from small
        tables is several times faster than computing millions of logarithms or fancy indexing.
        """
        sublinear = 1 + np.log(np.arange(1, counts.data.max(initial=0) + 1))
        data = sublinear.take(counts.data.astype(np.intp) - 1) * self.idf_.take(counts.indices)
        matrix = sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)
        inplace_csr_row_normalize_l2(matrix)
        return matrix

    def word_weights(self, batch: Batch, weights) -> np.ndarray:
        """Per word of ``batch``, per column of ``weights`` (features x codes): the sum of
        idf x weight over the word's own feature and its character n-grams. Ranks the words of
        a text by how much they push a linear score up; word pairs are left out."""
        matrix = batch.word_matrix
        per_word = sp.csr_matrix((matrix.data * self.idf_[matrix.indices], matrix.indices, matrix.indptr), shape=matrix.shape) @ weights
        return per_word.toarray() if sp.issparse(per_word) else np.asarray(per_word)
