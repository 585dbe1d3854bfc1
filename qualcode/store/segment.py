"""Segments and documents: lookups by name, the `DOC:N` reference (built and parsed here only),
and segment rows in document order with their text, for a :class:`qualcode.selection.Selection`."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.errors import BadInput
from qualcode.selection import Selection, check_attributes, matching_documents, parse_segment_ref, ref
from qualcode.store.reads import document_id
from qualcode.store.schema import document_attributes, documents, segments, turns


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


def attribute_rows(conn: sa.Connection) -> list[tuple[int, str, str]]:
    """(document id, key, value) of every document attribute."""
    query = sa.select(document_attributes.c.document_id, document_attributes.c.key, document_attributes.c.value)
    return [tuple(row) for row in conn.execute(query)]


def attribute_values(rows) -> dict[str, set[str]]:
    """Attribute key -> the values documents hold, from :func:`attribute_rows`."""
    values: dict[str, set[str]] = {}
    for _document_id, key, value in rows:
        values.setdefault(key, set()).add(value)
    return values


def selected_documents(conn: sa.Connection, selection: Selection) -> set[int] | None:
    """The ids of the documents ``selection`` keeps (None: all of them); names, attribute keys
    and attribute values that match nothing are refused here, the one place that checks them."""
    for name in selection.documents:
        document_id(conn, name)
    if not selection.attributes:
        return None
    rows = attribute_rows(conn)
    check_attributes(selection.attributes, attribute_values(rows))
    return matching_documents(selection.attributes, rows)


def segment_rows(conn: sa.Connection, selection: Selection = Selection()) -> list[dict]:
    """Segments in document order with their text, speaker, time and reference, as ``selection``
    keeps them (documents, attributes and speaker; codes and coder are the caller's)."""
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
    kept = selected_documents(conn, selection)
    if selection.documents:
        query = query.where(documents.c.name.in_(selection.documents))
    if kept is not None:
        query = query.where(segments.c.document_id.in_(sorted(kept)))
    if selection.speaker:
        query = query.where(sa.func.lower(segments.c.speaker) == selection.speaker.lower())
    result = conn.execute(query)
    keys = list(result.keys())
    rows = [dict(zip(keys, row)) for row in result]
    # Slicing each document's text once in Python is far faster than SQLite's substr per row.
    wanted = {row["document_id"] for row in rows}
    texts = dict(conn.execute(sa.select(documents.c.id, documents.c.text).where(documents.c.id.in_(wanted))).all())
    for row in rows:
        row["text"] = texts[row.pop("document_id")][row["start"]:row["end"]]
        row["ref"] = ref(row["document"], row["segment"])
    return rows


def attributes_by_document(conn: sa.Connection) -> tuple[dict[str, dict[str, str]], list[str]]:
    """document name -> {key: value}, and every attribute key in first-seen order."""
    query = (
        sa.select(documents.c.name, document_attributes.c.key, document_attributes.c.value)
        .join(documents, documents.c.id == document_attributes.c.document_id)
        .order_by(documents.c.name, document_attributes.c.key)
    )
    found: dict[str, dict[str, str]] = {}
    keys: dict[str, None] = {}
    for name, key, value in conn.execute(query):
        found.setdefault(name, {})[key] = value
        keys[key] = None
    return found, list(keys)


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
