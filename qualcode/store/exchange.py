"""What a REFI-QDA export writes, read in one go (:mod:`qualcode.interop.export` builds the XML)."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.store.schema import (
    coders, codes, codings, document_attributes, documents, memos, meta, reviews, segments, turns,
)


def ordered_codes(conn: sa.Connection) -> list[dict]:
    """Every code with its columns, in tree order among siblings (position, then id)."""
    return [dict(row) for row in conn.execute(sa.select(codes).order_by(codes.c.position, codes.c.id)).mappings()]


def project_rows(conn: sa.Connection) -> dict:
    """The whole project for an export: codes, created_at, coders (name -> guid), memos,
    documents (by name), attribute rows, codings with their span and code GUID, segment spans,
    and where each turn starts with its speaker."""
    selections = (
        sa.select(codings.c.guid, codings.c.code_id, codings.c.coder, codings.c.created_at,
                  sa.func.coalesce(codings.c.start, segments.c.start).label("start"),
                  sa.func.coalesce(codings.c.end, segments.c.end).label("end"),
                  segments.c.document_id, codes.c.guid.label("code_guid"))
        .join(segments, segments.c.id == codings.c.segment_id)
        .join(codes, codes.c.id == codings.c.code_id)
        .order_by(codings.c.id)
    )
    return {
        "codes": ordered_codes(conn),
        "created_at": conn.execute(sa.select(meta.c.value).where(meta.c.key == "created_at")).scalar(),
        "coders": dict(conn.execute(sa.select(coders.c.name, coders.c.guid)).all()),
        "memos": [dict(row) for row in conn.execute(sa.select(memos).order_by(memos.c.id)).mappings()],
        "documents": [dict(row) for row in conn.execute(sa.select(documents).order_by(documents.c.name)).mappings()],
        "attributes": [dict(row) for row in conn.execute(
            sa.select(document_attributes).order_by(document_attributes.c.document_id, document_attributes.c.key)
        ).mappings()],
        "codings": [dict(row) for row in conn.execute(selections).mappings()],
        "segments": [tuple(row) for row in conn.execute(
            sa.select(segments.c.id, segments.c.document_id, segments.c.start, segments.c.end))],
        "turns": [tuple(row) for row in conn.execute(
            sa.select(turns.c.document_id, turns.c.start, turns.c.speaker).order_by(turns.c.document_id, turns.c.number))],
    }


def qualcode_rows(conn: sa.Connection) -> dict:
    """Everything of the project but its texts and audit log, keyed by what survives a copy
    (document GUIDs, segment and turn numbers, code ids, coder names) instead of row ids: what
    a ``.qdpx`` carries in ``qualcode/project.json`` so that qualcode reads back the same project."""
    doc_guid = dict(conn.execute(sa.select(documents.c.id, documents.c.guid)).all())
    turn_at = {row.id: (row.document_id, row.number) for row in conn.execute(sa.select(turns.c.id, turns.c.document_id, turns.c.number))}
    segment_at = {row.id: (doc_guid[row.document_id], row.number)
                  for row in conn.execute(sa.select(segments.c.id, segments.c.document_id, segments.c.number))}

    def rows(table, *order):
        return [dict(row) for row in conn.execute(sa.select(table).order_by(*order)).mappings()]

    def memo_target(memo):
        if memo["target_type"] == "document":
            return doc_guid.get(int(memo["target_id"]))
        if memo["target_type"] == "segment":
            return list(segment_at.get(int(memo["target_id"]), ()))
        return memo["target_id"]

    return {
        "meta": {row["key"]: row["value"] for row in rows(meta, meta.c.key) if row["key"] != "schema_version"},
        "documents": [{k: v for k, v in row.items() if k not in ("id", "text")} for row in rows(documents, documents.c.id)],
        "attributes": [[doc_guid[row["document_id"]], row["key"], row["value"], row["type"]]
                       for row in rows(document_attributes, document_attributes.c.document_id, document_attributes.c.key)],
        "turns": [[doc_guid[row["document_id"]], row["number"], row["speaker"], row["role"], row["start"], row["end"],
                   row["time_start"], row["time_end"]] for row in rows(turns, turns.c.document_id, turns.c.number)],
        "segments": [[doc_guid[row["document_id"]], row["number"], row["unit"], row["start"], row["end"], row["speaker"],
                      turn_at[row["turn_id"]][1] if row["turn_id"] is not None else None]
                     for row in rows(segments, segments.c.document_id, segments.c.number)],
        "codes": rows(codes, codes.c.position, codes.c.id),
        "coders": rows(coders, coders.c.name),
        "codings": [[*segment_at[row["segment_id"]], row["code_id"], row["coder"], row["created_at"], row["origin"],
                     row["start"], row["end"], row["guid"]] for row in rows(codings, codings.c.id)],
        "reviews": [[*segment_at[row["segment_id"]], row["coder"], row["reviewed_at"]]
                    for row in rows(reviews, reviews.c.segment_id, reviews.c.coder)],
        "memos": [{**{k: v for k, v in row.items() if k not in ("id", "target_id")}, "target": memo_target(row)}
                  for row in rows(memos, memos.c.id)],
    }


def is_empty(conn: sa.Connection) -> bool:
    """Whether the project holds no documents, codes, coders or memos yet (a new project)."""
    return all(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
               for table in (documents, codes, coders, memos))
