"""Segments and documents: lookups by name, the `DOC:N` reference (built and parsed here only),
and segment rows in document order with their text, for a :class:`qualcode.selection.Selection`."""

from __future__ import annotations

import re

import sqlalchemy as sa

from qualcode.errors import BadInput, UnknownItem
from qualcode.store.schema import document_attributes, documents, segments, turns


SEGMENT_REF = re.compile(r"^(?P<doc>.+):(?P<number>\d+)$")


def parse_segment_ref(ref: str) -> tuple[str, int]:
    """Split ``DOC:N`` into the document name and N."""
    match = SEGMENT_REF.match(ref.strip())
    if not match:
        raise BadInput(f"bad segment reference {ref!r}: write DOC:N, e.g. km-maasdelta-01:12 (N as 'qualcode show DOC' prints it)")
    return match["doc"], int(match["number"])


def resolve_segment(conn: sa.Connection, ref: str) -> int:
    """The id of the segment ``DOC:N``; unknown documents and numbers are named in the error."""
    name, number = parse_segment_ref(ref)
    document_id = conn.execute(sa.select(documents.c.id).where(documents.c.name == name)).scalar()
    if document_id is None:
        known = conn.execute(sa.select(documents.c.name)).scalars().all()
        raise UnknownItem("document", name, known, "see 'qualcode documents'")
    segment_id = conn.execute(
        sa.select(segments.c.id).where(segments.c.document_id == document_id, segments.c.number == number)
    ).scalar()
    if segment_id is None:
        last = conn.execute(sa.select(sa.func.max(segments.c.number)).where(segments.c.document_id == document_id)).scalar()
        raise BadInput(f"{name} has no segment {number}: its segments are 1 to {last or 0}; see 'qualcode show {name}'")
    return segment_id


def segment_rows(conn: sa.Connection, *, documents_: list[str] | None = None, speaker: str | None = None,
                 attributes: dict[str, str] | None = None) -> list[dict]:
    """Segments in document order with their text, speaker, time and reference, filtered.

    ``attributes`` keeps documents whose attribute KEY equals VALUE (case-insensitive).
    """
    query = (
        sa.select(
            segments.c.id.label("segment_id"),
            documents.c.name.label("document"),
            segments.c.number.label("segment"),
            segments.c.unit,
            segments.c.speaker,
            segments.c.start,
            segments.c.end,
            turns.c.time_start,
            segments.c.document_id,
        )
        .join(documents, documents.c.id == segments.c.document_id)
        .outerjoin(turns, turns.c.id == segments.c.turn_id)
        .order_by(documents.c.name, segments.c.number)
    )
    if documents_:
        known = set(conn.execute(sa.select(documents.c.name)).scalars())
        for name in documents_:
            if name not in known:
                raise UnknownItem("document", name, known, "see 'qualcode documents'")
        query = query.where(documents.c.name.in_(documents_))
    if speaker:
        query = query.where(sa.func.lower(segments.c.speaker) == speaker.lower())
    for key, value in (attributes or {}).items():
        known_keys = set(conn.execute(sa.select(document_attributes.c.key).distinct()).scalars())
        if key not in known_keys:
            raise UnknownItem("attribute", key, known_keys, "see 'qualcode documents'")
        matching = sa.select(document_attributes.c.document_id).where(
            document_attributes.c.key == key, sa.func.lower(document_attributes.c.value) == value.lower()
        )
        query = query.where(segments.c.document_id.in_(matching))
    result = conn.execute(query)
    keys = list(result.keys())
    rows = [dict(zip(keys, row)) for row in result]
    # Slicing each document's text once in Python is far faster than SQLite's substr per row.
    wanted = {row["document_id"] for row in rows}
    texts = dict(conn.execute(sa.select(documents.c.id, documents.c.text).where(documents.c.id.in_(wanted))).all())
    for row in rows:
        row["text"] = texts[row.pop("document_id")][row["start"]:row["end"]]
        row["ref"] = f"{row['document']}:{row['segment']}"
    return rows


def ref(document: str, number: int) -> str:
    """The reference of a segment, ``DOC:N``: the one place it is written."""
    return f"{document}:{number}"


def document_names(conn: sa.Connection) -> list[str]:
    return list(conn.execute(sa.select(documents.c.name)).scalars())


def document_id(conn: sa.Connection, name: str) -> int:
    """The id of the document called ``name``; the one place an unknown name is refused."""
    found = conn.execute(sa.select(documents.c.id).where(documents.c.name == name)).scalar()
    if found is None:
        raise UnknownItem("document", name, document_names(conn), "see 'qualcode documents'")
    return found


def segment_numbers(conn: sa.Connection) -> dict[int, tuple[str, int]]:
    """segment id -> (document name, N) for every segment."""
    return {
        seg_id: (name, number)
        for seg_id, name, number in conn.execute(
            sa.select(segments.c.id, documents.c.name, segments.c.number).join(documents, documents.c.id == segments.c.document_id)
        )
    }


def segment_refs(conn: sa.Connection) -> dict[int, str]:
    """segment id -> ``DOC:N`` for every segment."""
    return {seg_id: ref(name, number) for seg_id, (name, number) in segment_numbers(conn).items()}
