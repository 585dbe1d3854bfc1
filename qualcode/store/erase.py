"""Taking data out for good: one document with everything hanging on it, and the free pages
and the WAL a delete or a rewrite leaves behind.

``footprint(conn, name) -> Footprint`` finds what a document holds (``UnknownItem`` for a name
that is not there), ``delete_footprint(conn, found) -> dict`` deletes it and counts what went;
``scrub(store) -> bool`` runs after the commit: SQLite keeps deleted and overwritten rows in
free pages and in the write-ahead log until something overwrites them, so without it the text
is still in the file's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from qualcode.store.core import Store
from qualcode.store.reads import document_id
from qualcode.store.schema import codings, decisions, document_attributes, documents, memos, reviews, segments, turns


@dataclass(frozen=True)
class Footprint:
    """A document and the ids of what hangs on it (its segments, and memos on them or on it)."""

    document_id: int
    name: str
    guid: str
    segment_ids: frozenset[int]
    memo_ids: frozenset[int]


def footprint(conn: sa.Connection, name: str) -> Footprint:
    found = document_id(conn, name)
    guid = conn.execute(sa.select(documents.c.guid).where(documents.c.id == found)).scalar()
    segment_ids = frozenset(conn.execute(sa.select(segments.c.id).where(segments.c.document_id == found)).scalars())
    on_it = sa.or_(
        sa.and_(memos.c.target_type == "segment", memos.c.target_id.in_([str(i) for i in segment_ids])),
        sa.and_(memos.c.target_type == "document", memos.c.target_id == str(found)),
    )
    memo_ids = frozenset(conn.execute(sa.select(memos.c.id).where(on_it)).scalars())
    return Footprint(found, name, guid, segment_ids, memo_ids)


def delete_footprint(conn: sa.Connection, found: Footprint) -> dict[str, int]:
    """Delete the document, its turns, segments, attributes, and its segments' codings, reviews,
    decisions and memos (and its own); returns how many of each went."""
    on_segments = sa.select(segments.c.id).where(segments.c.document_id == found.document_id)
    removed = {}
    for name, table, where in (
        ("codings", codings, codings.c.segment_id.in_(on_segments)),
        ("reviews", reviews, reviews.c.segment_id.in_(on_segments)),
        ("decisions", decisions, decisions.c.segment_id.in_(on_segments)),
        ("memos", memos, memos.c.id.in_(sorted(found.memo_ids))),
        ("attributes", document_attributes, document_attributes.c.document_id == found.document_id),
        ("segments", segments, segments.c.document_id == found.document_id),
        ("turns", turns, turns.c.document_id == found.document_id),
        ("documents", documents, documents.c.id == found.document_id),
    ):
        removed[name] = conn.execute(table.delete().where(where)).rowcount
    return removed


def scrub(store: Store) -> bool:
    """VACUUM (rewrite the file without its free pages), then checkpoint the WAL into it and
    truncate the WAL to nothing. Returns False when another connection kept the WAL from being
    emptied (a reader open at the same time): run it again when that one has finished.

    Runs outside any transaction, on its own connection; SQLite only (a PostgreSQL server keeps
    its own files)."""
    if store.engine.dialect.name != "sqlite":
        return True
    connection = store.engine.raw_connection()
    try:
        raw = connection.dbapi_connection
        raw.execute("VACUUM")
        busy, _frames, _moved = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0
    finally:
        connection.close()
