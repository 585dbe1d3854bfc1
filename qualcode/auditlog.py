"""The audit log read back: who changed what, when, filtered by coder, date and action.

``entries(rows, coder=) -> list[dict]`` with the columns of :data:`LOG_COLUMNS`, oldest first. A coder matches an entry they made (the actor) or one made on their behalf
(``coder`` or ``author`` in the entry's detail), so work applied from a file counts too.
"""

from __future__ import annotations

import datetime as dt
import json

from qualcode.errors import BadInput

LOG_COLUMNS = ["id", "at", "actor", "action", "target", "detail"]


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


def entries(rows: list[dict], *, coder: str | None = None) -> list[dict]:
    """The audit entries (from :func:`qualcode.store.log.audit_rows`) that concern ``coder``, or all."""
    return [row for row in rows if coder is None or _concerns(row, coder)]
