"""What a REFI-QDA export writes, read in one go (:mod:`qualcode.interop.export` builds the XML)."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.store.schema import coders, codes, codings, document_attributes, documents, memos, meta, segments


def ordered_codes(conn: sa.Connection) -> list[dict]:
    """Every code with its columns, in tree order among siblings (position, then id)."""
    return [dict(row) for row in conn.execute(sa.select(codes).order_by(codes.c.position, codes.c.id)).mappings()]


def project_rows(conn: sa.Connection) -> dict:
    """The whole project for an export: codes, created_at, coders (name -> guid), memos,
    documents (by name), attribute rows, codings with their span and code GUID, segment spans."""
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
    }
