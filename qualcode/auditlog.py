"""The audit log read back: who changed what, when, filtered by coder, date and action.

``entries(conn, coder=, since=, action=) -> list[dict]`` with the columns of :data:`LOG_COLUMNS`,
oldest first; a segment as target is shown as ``DOC:N``, as every command names it. A coder matches an entry they made (the actor) or one made on their behalf
(``coder`` or ``author`` in the entry's detail), so work applied from a file counts too.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from qualcode.coding import segment_rows
from qualcode.errors import BadInput
from qualcode.store import audit

LOG_COLUMNS = ["id", "at", "actor", "action", "target", "detail"]
# Actions whose target is a segment id (a memo's is "segment:ID").
SEGMENT_TARGETS = ("coding.add", "coding.delete", "coding.merged", "review.add", "review.delete")


def parse_since(since: str) -> str:
    """A date or date-time (ISO 8601; UTC unless it says otherwise) as the store's time format."""
    try:
        moment = dt.datetime.fromisoformat(since.strip())
    except ValueError:
        raise BadInput(f"bad --since {since!r}: write a date such as 2026-11-27, or 2026-11-27T14:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat()


def _concerns(entry: dict, coder: str) -> bool:
    if entry["actor"] == coder:
        return True
    detail = json.loads(entry["detail"] or "{}")
    return coder in (detail.get("coder"), detail.get("author"))


def entries(conn: sa.Connection, *, coder: str | None = None, since: str | None = None,
            action: str | None = None) -> list[dict]:
    """Audit entries oldest first; ``action`` is a prefix ('coding' matches coding.add and coding.delete)."""
    query = sa.select(audit).order_by(audit.c.id)
    if since:
        query = query.where(audit.c.at >= parse_since(since))
    if action:
        query = query.where(audit.c.action.startswith(action, autoescape=True))
    rows = [dict(row) for row in conn.execute(query).mappings()]
    rows = [row for row in rows if coder is None or _concerns(row, coder)]
    return _with_segment_refs(conn, rows)


def _with_segment_refs(conn: sa.Connection, rows: list[dict]) -> list[dict]:
    """Segment targets as DOC:N; a segment that no longer exists keeps its id."""
    def segment_id(row) -> str | None:
        if row["action"] in SEGMENT_TARGETS:
            return row["target"]
        if row["action"] == "memo.add" and row["target"].startswith("segment:"):
            return row["target"].removeprefix("segment:")
        return None

    if not any(segment_id(row) for row in rows):
        return rows
    refs = {str(segment["segment_id"]): segment["ref"] for segment in segment_rows(conn)}
    for row in rows:
        found = segment_id(row)
        if found in refs:
            row["target"] = refs[found] if row["action"] in SEGMENT_TARGETS else f"segment:{refs[found]}"
    return rows
