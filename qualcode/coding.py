"""Coding: applying codes to segments, marking segments reviewed, and finding segments again.

Takes segment references (``DOC:N``, N being the 1-based number ``qualcode show DOC`` prints)
and code ids; writes ``codings`` and ``reviews`` rows inside the caller's transaction, with an
audit entry for each change. A coding always implies a review mark: "reviewed" means the coder
looked at the segment, whether or not any code applied.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from qualcode.errors import BadInput, UnknownItem
from qualcode.store import (
    Store,
    codes,
    codings,
    document_attributes,
    memos,
    documents,
    new_guid,
    now,
    reviews,
    segments,
    turns,
)

ORIGINS = ("manual", "suggestion", "import")
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


def check_codes(conn: sa.Connection, code_ids) -> list[str]:
    """Return ``code_ids`` if they all exist; otherwise name the first unknown one."""
    known = set(conn.execute(sa.select(codes.c.id)).scalars())
    for code_id in code_ids:
        if code_id not in known:
            raise UnknownItem("code", code_id, known, "see 'qualcode codebook show'")
    return list(code_ids)


def mark_reviewed(store: Store, conn: sa.Connection, segment_id: int, coder: str) -> bool:
    """Record that ``coder`` looked at the segment; False if already recorded."""
    exists = conn.execute(
        sa.select(reviews.c.segment_id).where(reviews.c.segment_id == segment_id, reviews.c.coder == coder)
    ).first()
    if exists:
        return False
    store.ensure_coder(conn, coder)
    conn.execute(reviews.insert().values(segment_id=segment_id, coder=coder, reviewed_at=now()))
    store.log(conn, "review.add", str(segment_id), {"coder": coder})
    return True


def unmark_reviewed(store: Store, conn: sa.Connection, segment_id: int, coder: str) -> bool:
    """Withdraw a review mark (and so the coder's codes on that segment); used by undo."""
    removed = conn.execute(
        codings.delete().where(codings.c.segment_id == segment_id, codings.c.coder == coder).returning(codings.c.code_id)
    ).scalars().all()
    for code_id in removed:
        store.log(conn, "coding.delete", str(segment_id), {"coder": coder, "code": code_id})
    gone = conn.execute(reviews.delete().where(reviews.c.segment_id == segment_id, reviews.c.coder == coder)).rowcount
    if gone:
        store.log(conn, "review.delete", str(segment_id), {"coder": coder})
    return bool(gone)


def tag(store: Store, conn: sa.Connection, segment_id: int, code_ids, coder: str, origin: str = "manual") -> list[str]:
    """Apply codes to a segment for a coder; returns the codes that were not there yet."""
    if origin not in ORIGINS:
        raise BadInput(f"unknown coding origin {origin!r}: use one of {', '.join(ORIGINS)}")
    check_codes(conn, code_ids)
    mark_reviewed(store, conn, segment_id, coder)
    present = set(
        conn.execute(
            sa.select(codings.c.code_id).where(codings.c.segment_id == segment_id, codings.c.coder == coder)
        ).scalars()
    )
    added = [code_id for code_id in dict.fromkeys(code_ids) if code_id not in present]
    for code_id in added:
        conn.execute(
            codings.insert().values(
                segment_id=segment_id, code_id=code_id, coder=coder, created_at=now(), origin=origin, guid=new_guid()
            )
        )
        store.log(conn, "coding.add", str(segment_id), {"coder": coder, "code": code_id, "origin": origin})
    return added


def untag(store: Store, conn: sa.Connection, segment_id: int, code_ids, coder: str) -> list[str]:
    """Remove codes from a segment for a coder (the review mark stays); returns those removed."""
    check_codes(conn, code_ids)
    removed = []
    for code_id in dict.fromkeys(code_ids):
        gone = conn.execute(
            codings.delete().where(
                codings.c.segment_id == segment_id, codings.c.code_id == code_id, codings.c.coder == coder
            )
        ).rowcount
        if gone:
            store.log(conn, "coding.delete", str(segment_id), {"coder": coder, "code": code_id})
            removed.append(code_id)
    return removed


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
            sa.func.substr(documents.c.text, segments.c.start + 1, segments.c.end - segments.c.start).label("text"),
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
    rows = [dict(row) for row in conn.execute(query).mappings()]
    for row in rows:
        row["ref"] = f"{row['document']}:{row['segment']}"
    return rows


MEMO_TARGETS = ("project", "document", "segment", "code")


def add_memo(store: Store, conn: sa.Connection, target_type: str, target_id: str | None, author: str, text: str) -> int:
    """Attach a memo to the project, a document id, a segment id or a code id; returns its id."""
    if target_type not in MEMO_TARGETS:
        raise BadInput(f"unknown memo target {target_type!r}: use one of {', '.join(MEMO_TARGETS)}")
    if not text.strip():
        raise BadInput("empty memo: write some text")
    stamp = now()
    memo_id = conn.execute(
        memos.insert().values(
            target_type=target_type, target_id=target_id, author=author, text=text,
            created_at=stamp, updated_at=stamp, guid=new_guid(),
        )
    ).inserted_primary_key[0]
    store.log(conn, "memo.add", f"{target_type}:{target_id or ''}", {"memo": memo_id, "author": author})
    return memo_id
