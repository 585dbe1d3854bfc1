"""The one write path for memos (``add_memo``), re-anchoring, and the memo reads of matrices and
the keyboard coder (``memo list`` and ``memo show`` read through :mod:`qualcode.store.reads`)."""

from __future__ import annotations

from qualcode.errors import BadInput
from qualcode.store.journal import new_guid, now
from qualcode.store.reads import memo_texts
from qualcode.store.sqltext import execute, rows, value


MEMO_TARGETS = ("project", "document", "segment", "code")


MEMO_COLUMNS = ("target_type", "target_id", "author", "text", "created_at", "updated_at", "guid")


def insert_memos(db, memos: list[dict]) -> list[int]:
    """The one INSERT of memos; returns their ids. Each row holds target_type, target_id, author
    and text; created_at, updated_at and guid default to now and a new GUID, and are kept when
    given (a merge and a REFI-QDA import carry them over). Callers log."""
    stamp = now()
    insert = f"INSERT INTO memos ({', '.join(MEMO_COLUMNS)}) VALUES ({', '.join('?' for _ in MEMO_COLUMNS)}) RETURNING id"
    return [
        value(db, insert, (row["target_type"], row.get("target_id"), row["author"], row["text"],
                           row.get("created_at", stamp), row.get("updated_at", stamp),
                           row.get("guid") or new_guid()))
        for row in memos
    ]


def add_memo(store, conn, target_type: str, target_id: str | None, author: str, text: str,
             guid: str | None = None) -> int:
    """Attach a memo to the project, a document id, a segment id or a code id; returns its id."""
    if target_type not in MEMO_TARGETS:
        raise BadInput(f"unknown memo target {target_type!r}: use one of {', '.join(MEMO_TARGETS)}")
    if not text.strip():
        raise BadInput("empty memo: write some text")
    [memo_id] = insert_memos(conn, [{"target_type": target_type, "target_id": target_id, "author": author, "text": text, "guid": guid}])
    store.log(conn, "memo.add", f"{target_type}:{target_id or ''}", {"memo": memo_id, "author": author, "text": text})
    return memo_id


def memos_by_target(conn, target_type: str, author: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """target id -> (author, text) of its memos, oldest first, for one author or all."""
    found: dict[str, list[tuple[str, str]]] = {}
    for target, name, text in memo_texts(conn, target_type, author):
        found.setdefault(target, []).append((name, text))
    return found


def memos_on_segment(db, segment_id: int) -> list[tuple[str, str]]:
    """(author, text) of a segment's memos, oldest first."""
    return [tuple(note) for note in rows(
        db, "SELECT author, text FROM memos WHERE target_type = 'segment' AND target_id = ? ORDER BY id", (str(segment_id),))]


def retarget_memo(db, memo_id: int, values: dict) -> None:
    """Point a memo elsewhere (``target_type``/``target_id``), as a re-import re-anchors it."""
    assignments = ", ".join(f"{name} = ?" for name in values)  # column names from the caller, never user text
    execute(db, f"UPDATE memos SET {assignments} WHERE id = ?", (*values.values(), memo_id))
