"""The audit log read back: who changed what, when, filtered by coder, date and action.

``entries(rows, coder=) -> list[dict]`` with the columns of :data:`LOG_COLUMNS`, oldest first;
``with_segment_refs`` names segment targets ``DOC:N``. A coder matches an entry they made (the actor) or one made on their behalf
(``coder`` or ``author`` in the entry's detail), so work applied from a file counts too.
"""

from __future__ import annotations

import datetime as dt
import json

from qualcode.errors import BadInput

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


def entries(rows: list[dict], *, coder: str | None = None) -> list[dict]:
    """The audit entries (from :func:`qualcode.store.log.audit_rows`) that concern ``coder``, or all."""
    return [row for row in rows if coder is None or _concerns(row, coder)]


def _segment_id(entry: dict) -> str | None:
    if entry["action"] in SEGMENT_TARGETS:
        return entry["target"]
    if entry["action"] == "memo.add" and entry["target"].startswith("segment:"):
        return entry["target"].removeprefix("segment:")
    return None


def names_segments(rows: list[dict]) -> bool:
    """Whether any entry's target is a segment (so its ``DOC:N`` is worth looking up)."""
    return any(_segment_id(row) for row in rows)


def with_segment_refs(rows: list[dict], refs: dict[int, str]) -> list[dict]:
    """Segment targets named ``DOC:N`` (``refs``: segment id -> reference); a segment that no
    longer exists keeps its id.

    >>> with_segment_refs([{"action": "coding.add", "target": "7"}, {"action": "memo.add", "target": "segment:7"}], {7: "km01:2"})
    [{'action': 'coding.add', 'target': 'km01:2'}, {'action': 'memo.add', 'target': 'segment:km01:2'}]
    """
    for row in rows:
        found = _segment_id(row)
        if found is not None and found.isdigit() and int(found) in refs:
            reference = refs[int(found)]
            row["target"] = reference if row["action"] in SEGMENT_TARGETS else f"segment:{reference}"
    return rows
