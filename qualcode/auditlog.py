"""The audit log read back: who changed what, when, filtered by coder, date and action; and
its hash chain, made and checked.

``entries(rows, coder=)`` yields the entries (columns of :data:`LOG_COLUMNS`) oldest first, and
``with_segment_refs`` names their segment targets ``DOC:N``, one by one for a long log. A
coder matches an entry they made (the actor) or one made on their behalf (``coder`` or
``author`` in the entry's detail), so work applied from a file counts too.

Every entry carries ``prev_hash`` (the hash of the entry before it, :data:`GENESIS` for the
first) and ``hash``, the sha256 of :func:`canonical` (its fields and ``prev_hash``), as
transparency logs and git chain their records: a local file can always be edited by its owner,
but not without the chain showing where. ``verify(rows, ...) -> Verification`` walks the chain
on plain rows; ``tail_problem(last, ...)`` is the cheap check every write makes first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from qualcode.errors import BadInput

LOG_COLUMNS = ["id", "at", "actor", "action", "target", "detail"]
# Actions whose target is a segment id (a memo's is "segment:ID").
SEGMENT_TARGETS = ("coding.add", "coding.delete", "coding.merged", "review.add", "review.delete")

GENESIS = "0" * 64  # the prev_hash of the first entry

HASHED_FIELDS = ("prev_hash", "at", "actor", "action", "target", "detail")

BREAK_ACTION = "audit.break"  # the entry --accept-break writes; the chain goes on from it


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


def entries(rows, *, coder: str | None = None):
    """The audit entries (from :func:`qualcode.store.reads.audit_entries`) that concern
    ``coder``, or all, one by one."""
    return (row for row in rows if coder is None or _concerns(row, coder))


def _segment_id(entry: dict) -> str | None:
    if entry["action"] in SEGMENT_TARGETS:
        return entry["target"]
    if entry["action"] == "memo.add" and entry["target"].startswith("segment:"):
        return entry["target"].removeprefix("segment:")
    return None


def with_segment_refs(rows, refs: Callable[[], dict[int, str]]):
    """The entries one by one, segment targets named ``DOC:N`` (``refs()``: segment id ->
    reference, asked for at the first segment target); a segment that no longer exists keeps
    its id.

    >>> list(with_segment_refs([{"action": "coding.add", "target": "7"}, {"action": "memo.add", "target": "segment:7"}],
    ...                        lambda: {7: "km01:2"}))
    [{'action': 'coding.add', 'target': 'km01:2'}, {'action': 'memo.add', 'target': 'segment:km01:2'}]
    """
    known = None
    for row in rows:
        found = _segment_id(row)
        if found is not None and found.isdigit():
            known = refs() if known is None else known
            if int(found) in known:
                reference = known[int(found)]
                row["target"] = reference if row["action"] in SEGMENT_TARGETS else f"segment:{reference}"
        yield row


def canonical(entry: dict) -> bytes:
    """The bytes an entry's hash is taken over: its hashed fields as compact, key-sorted JSON."""
    return json.dumps({name: entry[name] for name in HASHED_FIELDS}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def encode_detail(detail: dict | None) -> str:
    """An entry's detail as the text the log stores (and hashes)."""
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)


def entry_hash(entry: dict) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def self_consistent(entry: dict) -> bool:
    """Whether an entry's stored hash is the hash of its fields (a link may still be wrong)."""
    return entry["hash"] is not None and entry["prev_hash"] is not None and entry_hash(entry) == entry["hash"]


@dataclass
class Break:
    """Where the chain first fails: the entry, what happened to it, and whether a later
    ``audit.break`` entry accepted it."""

    entry: int
    problem: str
    accepted_by: int | None = None

    def describe(self) -> str:
        note = f" (accepted by entry #{self.accepted_by})" if self.accepted_by else ""
        return f"entry #{self.entry}: {self.problem}{note}"


@dataclass
class Verification:
    """The result of walking the chain: ``ok`` when every break was accepted and the triggers
    are all there."""

    entries: int
    head: str | None
    breaks: list[Break] = field(default_factory=list)
    missing_triggers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing_triggers and all(b.accepted_by for b in self.breaks)

    @property
    def first_break(self) -> Break | None:
        return next((b for b in self.breaks if not b.accepted_by), None)


def _diagnose(rows: list[dict], i: int, expected: str, seen: dict[str, int]) -> tuple[int, str] | None:
    """The entry where the chain breaks at ``rows[i]`` and what happened to it, given the hash
    the chain expects before it and the verified hashes (-> their index); None if it holds."""
    row = rows[i]
    after = rows[i + 1] if i + 1 < len(rows) else None
    if not self_consistent(row):
        if after is not None and after["prev_hash"] == expected:
            return row["id"], "inserted: the entry after it links to the one before it"
        if row["hash"] is None:
            return row["id"], "changed or written outside qualcode: it carries no hash"
        return row["id"], "changed: its fields no longer match its hash"
    if row["prev_hash"] == expected:
        return None
    if seen.get(row["prev_hash"], i) < i - 1:
        return rows[seen[row["prev_hash"]] + 1]["id"], f"inserted: entry #{row['id']} links to the entry before it"
    previous = rows[i - 1]["id"] if i else 0
    if row["id"] > previous + 2:
        return row["id"], f"entries #{previous + 1} to #{row['id'] - 1} before it were removed"
    if row["id"] == previous + 2:
        return row["id"], f"entry #{previous + 1} before it was removed"
    return previous, f"changed and its hash recomputed: entry #{row['id']} links to another entry #{previous}"


def verify(rows: list[dict], *, missing_triggers: list[str], recorded_head: str | None = None) -> Verification:
    """Walk the chain over audit rows (oldest first, with the fields of :data:`HASHED_FIELDS` and
    id): each break, with the ``audit.break`` entry that accepted it (if one did), and the head.
    A head other than ``recorded_head`` (kept beside the log) means entries went from the end."""
    expected, seen, breaks = GENESIS, {GENESIS: -1}, []
    for i, row in enumerate(rows):
        accepting = row["action"] == BREAK_ACTION and self_consistent(row)
        if breaks and breaks[-1].accepted_by is None:  # past a break: only an acceptance counts
            if not accepting:
                continue
        else:
            found = _diagnose(rows, i, expected, seen)
            if found is None and not accepting:
                seen[row["hash"]] = i
                expected = row["hash"]
                continue
            # A break here, or one a write found at the tail and accepted with this entry.
            breaks.append(Break(*found) if found else Break(row["id"], json.loads(row["detail"]).get("problem", "")))
            if not accepting:
                continue
        breaks[-1].accepted_by = row["id"]
        seen[row["hash"]] = i
        expected = row["hash"]
    head = rows[-1]["hash"] if rows else None
    if rows and recorded_head is not None and head != recorded_head and not (breaks and not breaks[-1].accepted_by):
        breaks.append(Break(rows[-1]["id"], "entries after it were removed: the project recorded another chain head"))
    return Verification(len(rows), head, breaks, missing_triggers)


def continuation(last: dict | None) -> str:
    """The prev_hash of the next entry: the last entry's stored hash (recomputed if it has none,
    so an accepted break goes on from what is there)."""
    if last is None:
        return GENESIS
    return last["hash"] or entry_hash({**last, "prev_hash": last["prev_hash"] or GENESIS})


def tail_problem(last: dict | None, *, missing_triggers: list[str], recorded_head: str | None) -> str | None:
    """The cheap check before every write: the last entry's stored hash against its recomputed
    one and the recorded head, and the triggers; None when the tail holds."""
    if missing_triggers:
        return f"the audit log's append-only trigger{'s' if len(missing_triggers) > 1 else ''} " \
               f"{', '.join(missing_triggers)} {'are' if len(missing_triggers) > 1 else 'is'} gone"
    if last is None:
        return None
    if not self_consistent(last):
        return f"audit entry #{last['id']} does not match its hash"
    if recorded_head is not None and last["hash"] != recorded_head:
        return f"audit entry #{last['id']} is not the chain head the project recorded (entries were removed or replaced)"
    return None
