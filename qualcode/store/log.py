"""The audit log read back (writing is :meth:`qualcode.store.core.Store.log`)."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.store.schema import audit


def audit_rows(conn: sa.Connection, *, since: str | None = None, action: str | None = None) -> list[dict]:
    """Audit entries oldest first, from ``since`` (the store's time format) on; ``action`` is a
    prefix ('coding' matches coding.add and coding.delete)."""
    query = sa.select(audit).order_by(audit.c.id)
    if since:
        query = query.where(audit.c.at >= since)
    if action:
        query = query.where(audit.c.action.startswith(action, autoescape=True))
    return [dict(row) for row in conn.execute(query).mappings()]


def actors(conn: sa.Connection) -> set[str]:
    """Everyone who ever made a change (the log's actors)."""
    return set(conn.execute(sa.select(audit.c.actor).distinct()).scalars())
