"""Another copy of a project, read for merging (:mod:`qualcode.merge` decides what to bring over)."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.store.reads import segment_refs
from qualcode.store.schema import codes, coders, codings, documents, memos, reviews, segments


def _segment_keys(conn: sa.Connection) -> dict[int, tuple[int, int, int]]:
    """segment id -> (document id, start, end): with the documents matched, a segment's identity across copies."""
    query = sa.select(segments.c.id, segments.c.document_id, segments.c.start, segments.c.end)
    return {row[0]: tuple(row[1:]) for row in conn.execute(query)}


def read_copy(conn: sa.Connection) -> dict:
    """Everything a merge compares and brings over, keyed so that copies need not share ids."""
    return {
        "documents": [tuple(row) for row in conn.execute(
            sa.select(documents.c.id, documents.c.name, documents.c.sha256).order_by(documents.c.name))],
        "segments": _segment_keys(conn),
        "refs": segment_refs(conn),
        "codes": set(conn.execute(sa.select(codes.c.id)).scalars()),
        "coders": [dict(row) for row in conn.execute(sa.select(coders)).mappings()],
        "reviews": [dict(row) for row in conn.execute(sa.select(reviews)).mappings()],
        "codings": [dict(row) for row in conn.execute(sa.select(codings)).mappings()],
        "memos": [dict(row) for row in conn.execute(sa.select(memos)).mappings()],
    }
