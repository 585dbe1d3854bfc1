"""Text features for the suggester: hashed words, word pairs and character n-grams, as tf-idf.

``TextFeatures().fit(texts)`` learns which hashed features occur and their idf;
``transform(texts) -> csr_matrix`` gives l2-normalised sublinear tf-idf rows;
``word_contributions(text, row, weights)`` says which words of a text drove a linear score.

Tokens are lower-cased words of two or more characters. Each word gives its own feature and its
character n-grams (3 to 5, padded with a space at each end, like scikit-learn's ``char_wb``), so
Dutch compounds such as "werkgeversgerichtheid" share features with "werkgever"; neighbouring
words give a pair feature. Words are hashed (CRC-32, deterministic across processes) and a
word's features are cached, so a text costs one dictionary look-up per word; the character
n-grams of a whole batch come from one sparse product (documents x words) @ (words x features).
"""

from __future__ import annotations

import functools
import re
import zlib

import numpy as np
import scipy.sparse as sp

TOKEN = re.compile(r"\w\w+")
CHAR_NGRAMS = (3, 5)
PAIR_MIX = np.uint64(0x9E3779B97F4A7C15)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


@functools.lru_cache(maxsize=500_000)
def word_features(word: str, n_features: int) -> np.ndarray:
    """Hashed feature columns of one word: the word itself first, then its character n-grams."""
    padded = f" {word} "
    grams = [padded[i : i + n] for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1) for i in range(len(padded) - n + 1)]
    return np.array([_crc("w" + word), *(_crc("c" + gram) for gram in grams)], dtype=np.int64) % n_features


def _word_hash(word: str) -> int:
    return _crc("w" + word)


def hashed_counts(texts, n_features: int) -> sp.csr_matrix:
    """Raw feature counts (texts x ``n_features``): words, word pairs and character n-grams."""
    vocabulary: dict[str, int] = {}
    ids: list[int] = []
    indptr = [0]
    for text in texts:
        ids.extend([vocabulary.setdefault(token, len(vocabulary)) for token in tokens(text)])
        indptr.append(len(ids))
    words = list(vocabulary)
    n_docs = len(indptr) - 1
    ids_arr = np.asarray(ids, dtype=np.int64)
    indptr_arr = np.asarray(indptr, dtype=np.int64)
    per_word = [word_features(word, n_features) for word in words]
    word_ptr = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum([len(f) for f in per_word], out=word_ptr[1:])
    word_matrix = sp.csr_matrix(
        (np.ones(int(word_ptr[-1])), np.concatenate(per_word) if per_word else np.zeros(0, np.int64), word_ptr),
        shape=(len(words), n_features),
    )
    doc_words = sp.csr_matrix((np.ones(len(ids_arr)), ids_arr, indptr_arr), shape=(n_docs, len(words)))
    counts = doc_words @ word_matrix
    if len(ids_arr) > 1:
        doc_of = np.repeat(np.arange(n_docs), np.diff(indptr_arr))
        same_doc = doc_of[:-1] == doc_of[1:]
        hashes = np.array([_word_hash(word) for word in words], dtype=np.uint64)
        left, right = hashes[ids_arr[:-1][same_doc]], hashes[ids_arr[1:][same_doc]]
        pairs = ((left * PAIR_MIX) ^ right) % np.uint64(n_features)
        counts = counts + sp.csr_matrix(
            (np.ones(len(pairs)), (doc_of[:-1][same_doc], pairs.astype(np.int64))), shape=(n_docs, n_features)
        )
    counts = sp.csr_matrix(counts)
    counts.sum_duplicates()
    return counts


class TextFeatures:
    """Hashed tf-idf limited to the features seen in fitting (unseen ones weigh nothing anyway)."""

    def __init__(self, n_features: int = 2**20):
        self.n_features = n_features

    def fit(self, texts) -> TextFeatures:
        counts = hashed_counts(texts, self.n_features)
        self.columns_ = np.unique(counts.indices)
        self.column_of_ = np.full(self.n_features, -1, dtype=np.int64)
        self.column_of_[self.columns_] = np.arange(len(self.columns_))
        df = np.bincount(self.column_of_[counts.indices], minlength=len(self.columns_))
        self.idf_ = np.log((1 + counts.shape[0]) / (1 + df)) + 1
        return self

    def transform(self, texts) -> sp.csr_matrix:
        counts = hashed_counts(texts, self.n_features)
        columns = self.column_of_[counts.indices]
        keep = columns >= 0
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))[keep]
        values = (1 + np.log(counts.data[keep])) * self.idf_[columns[keep]]
        matrix = sp.csr_matrix((values, (rows, columns[keep])), shape=(counts.shape[0], len(self.columns_)))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        matrix = sp.csr_matrix(sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ matrix)
        matrix.sort_indices()
        return matrix

    def word_contributions(self, text: str, row: sp.csr_matrix, weights: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Per distinct word of ``text``: the sum of feature value x weight over the word and its
        character n-grams (word pairs are left out), one column per column of ``weights``.

        ``row`` is the text's row from :meth:`transform`; an n-gram shared by two words counts
        for both, so these are explanations, not an exact split of the score.
        """
        words = list(dict.fromkeys(tokens(text)))
        if not words or row.nnz == 0:
            return words, np.zeros((len(words), weights.shape[1]))
        per_word = [self.column_of_[word_features(word, self.n_features)] for word in words]
        starts = np.zeros(len(words), dtype=np.int64)
        np.cumsum([len(f) for f in per_word[:-1]], out=starts[1:])
        columns = np.concatenate(per_word)
        position = np.searchsorted(row.indices, columns).clip(max=row.nnz - 1)
        found = (columns >= 0) & (row.indices[position] == columns)
        values = np.where(found, row.data[position], 0.0)
        products = values[:, None] * weights[np.where(found, columns, 0)]
        return words, np.add.reduceat(products, starts, axis=0)
