"""The one write path for memos, and memo reads."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.errors import BadInput
from qualcode.store.core import Store, new_guid, now
from qualcode.store.schema import memos


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


def segment_memo_keys(conn: sa.Connection, authors) -> set[tuple[str, str, str]]:
    """(segment id as text, author, text) of the segment memos by ``authors``."""
    return set(map(tuple, conn.execute(
        sa.select(memos.c.target_id, memos.c.author, memos.c.text)
        .where(memos.c.target_type == "segment", memos.c.author.in_(sorted(authors)))
    )))


def segment_memos(conn: sa.Connection, author: str | None = None) -> list[tuple[int, str, str]]:
    """(segment id, author, text) of every segment memo, oldest first, for one author or all."""
    query = sa.select(memos.c.target_id, memos.c.author, memos.c.text).where(memos.c.target_type == "segment").order_by(memos.c.id)
    if author:
        query = query.where(memos.c.author == author)
    return [(int(target), name, text) for target, name, text in conn.execute(query)]
