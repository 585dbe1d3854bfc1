"""Erasure: a respondent who withdraws consent is taken out of the project, audit log included.

``concerning(rows, found) -> list[int]`` picks the audit entries that speak of a document
(:class:`qualcode.store.erase.Footprint`): its name as a word anywhere in an entry (imports,
``DOC:N`` references, an unanchored coding that kept its text), its segments as the target of a
coding or review, and its memos (added or moved). Each becomes :func:`tombstone`: the entry keeps
its id, time, actor and action (what kind of thing was done, when and by whom) and says which
document it was about by the document's GUID only.

Why the GUID and not the name or a hash of it: a document's name is often the respondent's code
with the place (``cl-maasdelta-01``), and a hash of a short name is undone by trying the
likely names; the GUID is random (uuid4), derived from nothing about the person, never reused,
and still ties the tombstones to the ``forget`` entry and to exports made earlier.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from qualcode.auditlog import SEGMENT_TARGETS
from qualcode.errors import BadInput

SEGMENT_ACTIONS = (*SEGMENT_TARGETS, "coding.reanchor")
MEMO_ACTIONS = ("memo.add", "memo.retarget")
TOMBSTONE_TARGET = "forgotten"


@dataclass
class Forgotten:
    """What ``forget`` did: the document's GUID, the rows removed by table, the audit entries
    turned into tombstones, the exports made earlier that hold the document (to delete by
    hand), and whether the file's free pages and WAL were emptied."""

    guid: str
    removed: dict[str, int]
    entries: int
    exports: list[dict]
    scrubbed: bool


def check_reason(reason: str, name: str) -> str:
    """The reason, refused when empty or when it names the document (the log keeps it)."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("give a --reason, e.g. --reason \"consent withdrawn\": the audit log keeps it")
    if _mentions(name).search(reason):
        raise BadInput("the --reason names the document it forgets; say why without naming it "
                       "(e.g. \"consent withdrawn\"): the audit log keeps the reason")
    return reason


def _mentions(name: str) -> re.Pattern:
    """The name as a word: not inside a longer name (km01 is not in km010), in JSON or plain."""
    forms = sorted({re.escape(name), re.escape(json.dumps(name, ensure_ascii=False)[1:-1])}, key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(forms)})(?![\w-])")


def _memo_id(entry: dict) -> int | None:
    if entry["action"] == "memo.retarget":
        return int(entry["target"]) if entry["target"].isdigit() else None
    return json.loads(entry["detail"] or "{}").get("memo")


def concerning(rows: list[dict], found) -> list[int]:
    """Ids of the audit entries (rows from :func:`qualcode.store.log.audit_rows`) about the
    document ``found`` (a :class:`qualcode.store.erase.Footprint`).

    >>> from types import SimpleNamespace as F
    >>> rows = [{"id": 1, "action": "import", "target": "km01", "detail": "{}"},
    ...         {"id": 2, "action": "coding.add", "target": "7", "detail": "{}"},
    ...         {"id": 3, "action": "tag", "target": "km010:1", "detail": "{}"},
    ...         {"id": 4, "action": "memo.add", "target": "segment:9", "detail": '{"memo": 5}'}]
    >>> concerning(rows, F(name="km01", segment_ids={7}, memo_ids={5}))
    [1, 2, 4]
    """
    named = _mentions(found.name)
    segments = {str(i) for i in found.segment_ids}
    picked = []
    for row in rows:
        if (named.search(row["target"]) or named.search(row["detail"] or "")
                or (row["action"] in SEGMENT_ACTIONS and row["target"] in segments)
                or (row["action"] in MEMO_ACTIONS and _memo_id(row) in found.memo_ids)):
            picked.append(row["id"])
    return picked


def tombstone(guid: str) -> dict:
    """What an entry about a forgotten document becomes (its target and detail)."""
    return {"target": TOMBSTONE_TARGET, "detail": {"forgotten": f"document:{guid}"}}
