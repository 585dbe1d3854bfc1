"""Segments by their ``DOC:N`` reference, and a document's turns for the keyboard coder's
context (the look-only reads of segments are in :mod:`qualcode.store.reads`)."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.errors import BadInput
from qualcode.selection import parse_segment_ref
from qualcode.store.reads import document_id
from qualcode.store.schema import documents, segments, turns


def resolve_segment(conn: sa.Connection, ref: str) -> int:
    """The id of the segment ``DOC:N``; unknown documents and numbers are named in the error."""
    name, number = parse_segment_ref(ref)
    found = document_id(conn, name)
    segment_id = conn.execute(
        sa.select(segments.c.id).where(segments.c.document_id == found, segments.c.number == number)
    ).scalar()
    if segment_id is None:
        last = conn.execute(sa.select(sa.func.max(segments.c.number)).where(segments.c.document_id == found)).scalar()
        raise BadInput(f"{name} has no segment {number}: its segments are 1 to {last or 0}; see 'qualcode show {name}'")
    return segment_id


def turn_rows(conn: sa.Connection, document: str) -> list[dict]:
    """A document's turns in order (speaker, role, time_start, start, end) with their text, cut in
    Python (SQLite's substr walks the text from its start for every turn); none if no such document."""
    found = conn.execute(sa.select(documents.c.id, documents.c.text).where(documents.c.name == document)).first()
    if found is None:
        return []
    found_id, text = found
    query = (
        sa.select(turns.c.speaker, turns.c.role, turns.c.time_start, turns.c.start, turns.c.end)
        .where(turns.c.document_id == found_id)
        .order_by(turns.c.number)
    )
    return [{**row, "text": text[row["start"]:row["end"]]} for row in conn.execute(query).mappings()]
