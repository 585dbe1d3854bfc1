"""Merging a coder's copy of the project back: blind coding on separate machines.

Takes the open store of another copy and a transaction on this one
(``merge(store, conn, other) -> dict`` of counts); brings over the other copy's coders, review
marks, codings and memos. Each document is matched to exactly one by content hash (and by name
where content is held twice; ambiguity is refused, listed) and segments by their offsets,
so the copies need not share database ids. It only adds what is missing (codings by segment,
code and coder; memos by GUID), so merging twice changes nothing. It refuses, before writing,
when the copies do not hold the same documents, segments or codes.
"""

from __future__ import annotations

from qualcode.errors import Conflict
from qualcode.store import Store
from qualcode.store.coding import insert_codings, insert_reviews
from qualcode.store.copies import read_copy
from qualcode.store.memo import insert_memos


def _listing(names) -> str:
    names = sorted(names)
    return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def match_documents(here: list[tuple], there: list[tuple], other_name: str) -> dict[int, int]:
    """The other copy's document ids -> this copy's, from (id, name, sha256) rows: each document
    matches the one with the same content, and where several share it, the one with the same
    name. Refuses documents on one side only, and content held twice that names do not settle.

    >>> match_documents([(1, "a", "x"), (2, "b", "x")], [(7, "b", "x"), (8, "a", "x")], "copy")
    {7: 2, 8: 1}
    """
    by_content: dict[str, tuple[list, list]] = {}
    for side, rows in enumerate((here, there)):
        for row in rows:
            by_content.setdefault(row[2], ([], []))[side].append(row)
    matched, only_here, only_there, ambiguous = {}, [], [], []
    for mine, theirs in by_content.values():
        if len(mine) == 1 and len(theirs) == 1:
            matched[theirs[0][0]] = mine[0][0]
            continue
        names = {name: doc_id for doc_id, name, _ in mine}
        left_mine, left_theirs = list(mine), []
        for row in theirs:
            if row[1] in names:
                matched[row[0]] = names[row[1]]
                left_mine = [m for m in left_mine if m[1] != row[1]]
            else:
                left_theirs.append(row)
        if left_mine and left_theirs:
            ambiguous.append(f"{', '.join(m[1] for m in left_mine)} here and {', '.join(t[1] for t in left_theirs)} "
                             f"in {other_name} hold the same content")
        else:
            only_here += [m[1] for m in left_mine if not theirs]
            only_there += [t[1] for t in left_theirs if not mine]
    if ambiguous:
        raise Conflict(f"{other_name}: documents cannot be matched one to one ({'; '.join(ambiguous)}); "
                       "give the copies the same document names, then merge")
    if only_here or only_there:
        parts = [f"only here: {_listing(only_here)}" if only_here else "",
                 f"only in {other_name}: {_listing(only_there)}" if only_there else ""]
        raise Conflict(
            f"{other_name}: the two copies do not hold the same documents ({'; '.join(p for p in parts if p)}); "
            "import the same transcripts in both, then merge"
        )
    return matched


def _matching_segments(here: dict, there: dict, other_name: str) -> tuple[dict[int, int], dict[int, int]]:
    """The other copy's segment ids -> this copy's, and its document ids -> this copy's; refuses
    when documents, used segments or codes differ."""
    documents = match_documents(here["documents"], there["documents"], other_name)
    local_segment = {key: segment_id for segment_id, key in here["segments"].items()}

    def local_key(segment_id: int) -> tuple:
        document_id, start, end = there["segments"][segment_id]
        return documents.get(document_id), start, end

    used = {r["segment_id"] for r in there["reviews"] + there["codings"]}
    used |= {int(m["target_id"]) for m in there["memos"] if m["target_type"] == "segment"}
    unmatched = [there["refs"][s] for s in used if local_key(s) not in local_segment]
    if unmatched:
        raise Conflict(
            f"{other_name}: segments differ between the copies (e.g. {_listing(unmatched)}); "
            "segment both copies the same way, then merge"
        )
    unknown = {c["code_id"] for c in there["codings"]} - here["codes"]
    if unknown:
        raise Conflict(f"{other_name}: codes missing here: {_listing(unknown)}; load the other copy's codebook first")
    segments = {segment_id: local_segment[local_key(segment_id)] for segment_id in there["segments"]
                if local_key(segment_id) in local_segment}
    return segments, documents


def _memo_target(memo: dict, to_local: dict[int, int], documents: dict[int, int]) -> str | None:
    """A memo's target id in this copy: segments and documents have other ids here, codes not."""
    if memo["target_type"] == "segment":
        return str(to_local[int(memo["target_id"])])
    if memo["target_type"] == "document":
        return str(documents[int(memo["target_id"])])
    return memo["target_id"]


def merge(store: Store, conn, other: Store, other_name: str) -> dict[str, int]:
    """Add the other copy's coders, review marks, codings and memos to this project."""
    with other.reading() as other_conn:
        there = read_copy(other_conn)
    here = read_copy(conn)
    to_local, documents = _matching_segments(here, there, other_name)
    guids = {c["guid"] for c in here["coders"] + here["codings"] + here["memos"]}
    added = {"coders": 0, "reviews": 0, "codings": 0, "memos": 0}
    known_coders = {c["name"] for c in here["coders"]}
    for coder in there["coders"]:
        if coder["name"] not in known_coders:
            store.ensure_coder(conn, coder["name"], coder["kind"], created_at=coder["created_at"],
                               guid=coder["guid"] if coder["guid"] not in guids else None, log=False)
            store.log(conn, "coder.add", coder["name"], {"kind": coder["kind"], "from": other_name})
            added["coders"] += 1
    reviewed = {(r["segment_id"], r["coder"]) for r in here["reviews"]}
    marks = []
    for review in there["reviews"]:
        key = (to_local[review["segment_id"]], review["coder"])
        if key not in reviewed:
            marks.append({"segment_id": key[0], "coder": key[1], "reviewed_at": review["reviewed_at"]})
            reviewed.add(key)
    insert_reviews(conn, marks)
    coded = {(c["segment_id"], c["code_id"], c["coder"], c["start"], c["end"]) for c in here["codings"]}
    rows = []
    for row in there["codings"]:
        key = (to_local[row["segment_id"]], row["code_id"], row["coder"], row["start"], row["end"])
        if key not in coded:
            rows.append({**row, "segment_id": key[0], "guid": row["guid"] if row["guid"] not in guids else None})
            coded.add(key)
    insert_codings(conn, rows)
    notes = [{**memo, "target_id": _memo_target(memo, to_local, documents)}
             for memo in there["memos"] if memo["guid"] not in guids]
    insert_memos(conn, notes)
    added.update(reviews=len(marks), codings=len(rows), memos=len(notes))
    store.log_many(conn, [
        *(("review.add", str(mark["segment_id"]), {**mark, "from": other_name}) for mark in marks),
        *(("coding.add", str(row["segment_id"]), {"code": row["code_id"], "from": other_name,
                                                  **{k: v for k, v in row.items() if k not in ("id", "segment_id", "code_id")}})
          for row in rows),
        *(("memo.add", f"{memo['target_type']}:{memo['target_id'] or ''}",
           {"from": other_name, **{k: v for k, v in memo.items() if k != "id"}}) for memo in notes),
        ("merge.done", other_name, added),
    ])
    return added
