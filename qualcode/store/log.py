"""The audit log and its hash chain read back (writing is :meth:`qualcode.store.core.Store.log`)."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.auditlog import LOG_COLUMNS
from qualcode.store import team
from qualcode.store.schema import HEAD_KEY, audit, meta, missing_audit_triggers


def audit_rows(conn: sa.Connection, *, since: str | None = None, action: str | None = None) -> list[dict]:
    """Audit entries oldest first, from ``since`` (the store's time format) on; ``action`` is a
    prefix ('coding' matches coding.add and coding.delete)."""
    query = sa.select(*(audit.c[name] for name in LOG_COLUMNS)).order_by(audit.c.id)
    if since:
        query = query.where(audit.c.at >= since)
    if action:
        query = query.where(audit.c.action.startswith(action, autoescape=True))
    return [dict(row) for row in conn.execute(query).mappings()]


def chain_head(conn: sa.Connection) -> str | None:
    """The hash of the last audit entry: names the project's state (status, exports); None for
    a login that may not read the chain (a coder on a project with roles)."""
    if not team.reads_chain(conn):
        return None
    return conn.execute(sa.select(audit.c.hash).order_by(audit.c.id.desc()).limit(1)).scalar()


def chain(conn: sa.Connection) -> tuple[list[dict], list[str], str | None]:
    """What verifying the chain reads: every entry oldest first, the missing append-only
    triggers, and the chain head the last write recorded."""
    rows = [dict(row) for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings()]
    recorded = conn.execute(sa.select(meta.c.value).where(meta.c.key == HEAD_KEY)).scalar()
    return rows, missing_audit_triggers(conn), recorded


def actors(conn: sa.Connection) -> set[str]:
    """Everyone who ever made a change (the log's actors)."""
    return set(conn.execute(sa.select(audit.c.actor).distinct()).scalars())
