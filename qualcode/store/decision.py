"""Adjudicated decisions: which consensus segments a person decided by hand, so that a later
consensus rule run keeps them (unless told to overwrite) and ``adjudicate`` can show them."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.store.core import Store
from qualcode.store.journal import now
from qualcode.store.schema import decisions


def record(store: Store, conn: sa.Connection, segment_id: int, coder: str) -> None:
    """Mark ``coder``'s codes on the segment as decided by hand (by the store's actor)."""
    conn.execute(decisions.delete().where(decisions.c.segment_id == segment_id, decisions.c.coder == coder))
    conn.execute(decisions.insert().values(segment_id=segment_id, coder=coder, decided_by=store.acting(), decided_at=now()))


def adjudicated(conn: sa.Connection, coder: str) -> set[int]:
    """Ids of the segments whose codes for ``coder`` were decided by hand."""
    return set(conn.execute(sa.select(decisions.c.segment_id).where(decisions.c.coder == coder)).scalars())


def forget(store: Store, conn: sa.Connection, coder: str) -> int:
    """Drop the hand decisions of ``coder`` (``consensus --overwrite``); returns how many."""
    dropped = conn.execute(decisions.delete().where(decisions.c.coder == coder)).rowcount
    if dropped:
        store.log(conn, "decision.forget", coder, {"segments": dropped})
    return dropped
