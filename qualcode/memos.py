"""Memos: reading back the notes researchers attach to the project, documents, segments and codes.

Writing is :func:`qualcode.coding.add_memo`; here ``memo_rows(conn, document=, code=) -> list[dict]``
lists them with a readable target (document name, ``DOC:N``, code id) and ``memo(conn, id)``
returns one in full.
"""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.store.codebook import check_codes
from qualcode.errors import UnknownItem
from qualcode.store import documents, memos, segments

MEMO_COLUMNS = ["id", "target_type", "target", "author", "created_at", "text"]


def _target_names(conn: sa.Connection) -> dict[tuple[str, str], str]:
    names = {("document", str(doc_id)): name for doc_id, name in conn.execute(sa.select(documents.c.id, documents.c.name))}
    for seg_id, name, number in conn.execute(
        sa.select(segments.c.id, documents.c.name, segments.c.number).join(documents, documents.c.id == segments.c.document_id)
    ):
        names[("segment", str(seg_id))] = f"{name}:{number}"
    return names


def _document_id(conn: sa.Connection, name: str) -> int:
    found = conn.execute(sa.select(documents.c.id).where(documents.c.name == name)).scalar()
    if found is None:
        raise UnknownItem("document", name, conn.execute(sa.select(documents.c.name)).scalars().all(), "see 'qualcode documents'")
    return found


def memo_rows(conn: sa.Connection, *, document: str | None = None, code: str | None = None) -> list[dict]:
    """Memos oldest first; ``document`` keeps those on it and on its segments, ``code`` those on a code."""
    query = sa.select(memos).order_by(memos.c.id)
    if document:
        document_id = _document_id(conn, document)
        segment_ids = sa.select(sa.cast(segments.c.id, sa.String)).where(segments.c.document_id == document_id)
        query = query.where(sa.or_(
            sa.and_(memos.c.target_type == "document", memos.c.target_id == str(document_id)),
            sa.and_(memos.c.target_type == "segment", memos.c.target_id.in_(segment_ids)),
        ))
    if code:
        check_codes(conn, [code])
        query = query.where(memos.c.target_type == "code", memos.c.target_id == code)
    names = _target_names(conn)
    return [
        {
            "id": row["id"],
            "target_type": row["target_type"],
            "target": names.get((row["target_type"], row["target_id"]), row["target_id"] or ""),
            "author": row["author"],
            "created_at": row["created_at"],
            "text": row["text"],
        }
        for row in conn.execute(query).mappings()
    ]


def memo(conn: sa.Connection, memo_id: int) -> dict:
    """One memo in full (the columns of :data:`MEMO_COLUMNS` plus ``updated_at``)."""
    row = conn.execute(sa.select(memos).where(memos.c.id == memo_id)).mappings().first()
    if row is None:
        known = conn.execute(sa.select(memos.c.id)).scalars().all()
        raise UnknownItem("memo", str(memo_id), known, "see 'qualcode memo list'")
    target = _target_names(conn).get((row["target_type"], row["target_id"]), row["target_id"] or "")
    return {**{k: row[k] for k in ("id", "target_type", "author", "created_at", "updated_at", "text")}, "target": target}
