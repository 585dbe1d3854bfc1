"""What the theme matrices count, read as DataFrames (:mod:`qualcode.matrices` computes on them).

Rows come as the driver's plain tuples and are converted column by column: building a frame
from 200,000 SQLAlchemy Rows, or letting pandas infer types, costs seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from qualcode.codebook import Codebook
from qualcode.store.memo import memos_by_target
from qualcode.store.reads import coder_kinds, read_codebook
from qualcode.store.schema import codings, document_attributes, documents, reviews, segments
from qualcode.store.transcript import segmentation_unit


@dataclass
class MatrixSources:
    """Everything a matrix is computed from.

    ``codings``: segment_id, code_id (category) and, when read ``by_coder``, coder (category);
    ``segments``: segment_id, document_id, turn_id, number, start, end; ``reviews``: segment_id,
    coder (category), one row per review mark (tagging a segment marks it); ``documents``: index
    document_id, column document; ``attributes``: document_id, key, value, type; ``texts``
    (document id -> text) and ``memos`` (segment id -> [(author, text)]) only when asked for.
    """

    coders: dict[str, str]
    book: Codebook
    documents: pd.DataFrame
    attributes: pd.DataFrame
    codings: pd.DataFrame
    segments: pd.DataFrame
    reviews: pd.DataFrame
    unit: str | None = None
    texts: dict[int, str] = field(default_factory=dict)
    memos: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def fetch(conn: sa.Connection, query, columns: dict[str, str]) -> pd.DataFrame:
    """A Core query's rows as a DataFrame with the given column kinds (int, float, category, text)."""
    rows = conn.execute(query).cursor.fetchall()
    table = np.array(rows, dtype=object).reshape(len(rows), len(columns))
    data = {}
    for position, (name, kind) in enumerate(columns.items()):
        values = table[:, position]
        if kind == "category":
            codes, categories = pd.factorize(values)
            data[name] = pd.Categorical.from_codes(codes, categories=categories)
        elif kind == "text":
            data[name] = pd.array(values, dtype="string")
        else:
            data[name] = values.astype({"int": np.int64, "float": np.float64}[kind])
    return pd.DataFrame(data)


def read_sources(conn: sa.Connection, *, by_coder: bool, texts: bool = False, notes: bool = False) -> MatrixSources:
    """Read what a matrix needs; ``by_coder`` keeps the coder column of codings (leaving it out,
    when every coding counts, halves the fetch)."""
    # A segment counts once per code and coder, however many passages of it carry the code.
    if by_coder:
        found = fetch(conn, sa.select(codings.c.segment_id, codings.c.code_id, codings.c.coder).distinct(),
                      {"segment_id": "int", "code_id": "category", "coder": "category"})
    else:
        found = fetch(conn, sa.select(codings.c.segment_id, codings.c.code_id).group_by(codings.c.segment_id, codings.c.code_id, codings.c.coder),
                      {"segment_id": "int", "code_id": "category"})
    where = fetch(conn, sa.select(segments.c.id, segments.c.document_id, segments.c.turn_id, segments.c.number,
                                  segments.c.start, segments.c.end),
                  {"segment_id": "int", "document_id": "int", "turn_id": "float", "number": "int", "start": "int", "end": "int"})
    docs = fetch(conn, sa.select(documents.c.id, documents.c.name).order_by(documents.c.name),
                 {"document_id": "int", "document": "text"}).set_index("document_id")
    values = fetch(conn, sa.select(document_attributes.c.document_id, document_attributes.c.key,
                                   document_attributes.c.value, document_attributes.c.type),
                   {"document_id": "int", "key": "text", "value": "text", "type": "text"})
    marks = fetch(conn, sa.select(reviews.c.segment_id, reviews.c.coder), {"segment_id": "int", "coder": "category"})
    sources = MatrixSources(coder_kinds(conn), read_codebook(conn), docs, values, found, where, marks, segmentation_unit(conn))
    if texts:
        sources.texts = dict(conn.execute(sa.select(documents.c.id, documents.c.text)).all())
    if notes:
        sources.memos = {int(target): found for target, found in memos_by_target(conn, "segment").items()}
    return sources
