"""Imported transcripts: what an import needs to know and keep (documents by name, the coders'
work on a document being replaced), and what was imported, as ``documents`` and ``show`` list it."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.store.core import Store
from qualcode.store.schema import coders, codings, document_attributes, documents, memos, meta, reviews, segments, turns


def known_documents(conn: sa.Connection) -> dict[str, tuple[int, str, str]]:
    """document name -> (id, sha256, guid)."""
    return {row.name: (row.id, row.sha256, row.guid) for row in conn.execute(
        sa.select(documents.c.name, documents.c.id, documents.c.sha256, documents.c.guid))}


def segment_spans(conn: sa.Connection, document: int) -> list[tuple[int, int, int]]:
    """(segment id, start, end) of a document's segments in order."""
    return [tuple(row) for row in conn.execute(
        sa.select(segments.c.id, segments.c.start, segments.c.end)
        .where(segments.c.document_id == document).order_by(segments.c.number)
    )]


def move_document_memos(conn: sa.Connection, old: int, new: int) -> None:
    conn.execute(memos.update().where(memos.c.target_type == "document", memos.c.target_id == str(old))
                 .values(target_id=str(new)))


def saved_work(conn: sa.Connection, document_id: int) -> dict:
    """The old version's segments with their codings, reviews and memos, before deletion."""
    text = conn.execute(sa.select(documents.c.text).where(documents.c.id == document_id)).scalar()
    rows = conn.execute(
        sa.select(segments.c.id, segments.c.number, segments.c.start, segments.c.end)
        .where(segments.c.document_id == document_id).order_by(segments.c.number)
    ).all()
    ids = [r.id for r in rows]
    return {
        "text": text,
        "segments": [{"id": r.id, "number": r.number, "text": text[r.start:r.end], "start": r.start} for r in rows],
        "codings": [dict(r) for r in conn.execute(sa.select(codings).where(codings.c.segment_id.in_(ids))).mappings()],
        "reviews": [dict(r) for r in conn.execute(sa.select(reviews).where(reviews.c.segment_id.in_(ids))).mappings()],
        "memos": [dict(r) for r in conn.execute(
            sa.select(memos).where(memos.c.target_type == "segment", memos.c.target_id.in_([str(i) for i in ids]))
        ).mappings()],
    }


def delete_document(conn: sa.Connection, document_id: int) -> None:
    """Delete a document with its segments' codings and review marks (memos stay, to be re-pointed)."""
    ids = sa.select(segments.c.id).where(segments.c.document_id == document_id)
    conn.execute(codings.delete().where(codings.c.segment_id.in_(ids)))
    conn.execute(reviews.delete().where(reviews.c.segment_id.in_(ids)))
    conn.execute(documents.delete().where(documents.c.id == document_id))


UNIT_KEY = "segmentation_unit"


def segmentation_unit(conn: sa.Connection) -> str | None:
    """The project's coding unit (turn, sentence or paragraph): recorded in the meta table at the
    first import; for a project from before that, the one unit its segments have."""
    recorded = conn.execute(sa.select(meta.c.value).where(meta.c.key == UNIT_KEY)).scalar()
    if recorded is not None:
        return recorded
    units = sorted(set(conn.execute(sa.select(segments.c.unit).distinct()).scalars()))
    return units[0] if len(units) == 1 else None


def units_held(conn: sa.Connection) -> set[str]:
    """The units of the segments the project holds."""
    return set(conn.execute(sa.select(segments.c.unit).distinct()).scalars())


def record_unit(store: Store, conn: sa.Connection, unit: str) -> None:
    if conn.execute(sa.select(meta.c.value).where(meta.c.key == UNIT_KEY)).scalar() != unit:
        store.set_meta(conn, UNIT_KEY, unit)


ATTRIBUTE_KEY_LENGTH = document_attributes.c.key.type.length


def guids(conn: sa.Connection) -> dict[str, list[str]]:
    """The GUIDs the project holds, by kind: documents, coders, codings, memos."""
    return {table.name: list(conn.execute(sa.select(table.c.guid)).scalars()) for table in (documents, coders, codings, memos)}


def source_rows(conn: sa.Connection) -> list[dict]:
    """Per document: name, source file, SHA-256, text and the first and last turn time (None
    without times), for the report's corpus fingerprint and interview lengths."""
    times = {row.document_id: (row.first, row.last) for row in conn.execute(
        sa.select(turns.c.document_id, sa.func.min(turns.c.time_start).label("first"),
                  sa.func.max(sa.func.coalesce(turns.c.time_end, turns.c.time_start)).label("last"))
        .group_by(turns.c.document_id))}
    return [
        {"name": row.name, "source_file": row.source_file, "sha256": row.sha256, "text": row.text,
         "time_first": times.get(row.id, (None, None))[0], "time_last": times.get(row.id, (None, None))[1]}
        for row in conn.execute(sa.select(documents.c.id, documents.c.name, documents.c.source_file, documents.c.sha256,
                                          documents.c.text).order_by(documents.c.name))
    ]
