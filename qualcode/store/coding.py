"""The one write path for codings and review marks (tag, untag, review, import, merge, autocode,
consensus, REFI import all go through ``tag_many``/``mark_reviewed_many``), and coding reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa

from qualcode import selection
from qualcode.coding import ApplyReport, CodingRow
from qualcode.errors import BadInput, Conflict
from qualcode.store.core import Store
from qualcode.store.journal import in_batches, new_guid, now
from qualcode.store.memo import add_memo
from qualcode.store.reads import check_codes, coder_kinds, default_coders, memo_texts
from qualcode.store.schema import coders, codings, reviews, segments


ORIGINS = ("manual", "suggestion", "import")


# Up to this many segments, existing rows are looked up by segment id; beyond it, by coder.
FEW_SEGMENTS = 500


Pair = tuple[int, str]  # (segment id, coder)


Triple = tuple[int, str, str]  # (segment id, code id, coder)


REVIEW_PAIR = (reviews.c.segment_id, reviews.c.coder)


CODING_TRIPLE = (codings.c.segment_id, codings.c.code_id, codings.c.coder)


PASSAGE = (*CODING_TRIPLE, codings.c.start, codings.c.end)  # a whole-segment coding has no span


def _present(conn: sa.Connection, table: sa.Table, columns, wanted) -> set[tuple]:
    """The rows of ``columns`` in ``table`` for the coders (and, when few, segments) of ``wanted``.

    Few segments are looked up by segment id alone, the coders kept here: given the coder too,
    SQLite walks the coder's index, every coding of the coder, once per lookup."""
    coders = {item[-1] for item in wanted}
    segment_ids = {item[0] for item in wanted}
    if len(segment_ids) <= FEW_SEGMENTS:
        query = sa.select(*columns).where(table.c.segment_id.in_(sorted(segment_ids)))
    else:
        query = sa.select(*columns).where(table.c.coder.in_(sorted(coders)))
    return {tuple(row) for row in conn.execute(query) if row.coder in coders}


def _passage(row: dict) -> tuple:
    return row["segment_id"], row["code_id"], row["coder"], row.get("start"), row.get("end")


def insert_codings(conn: sa.Connection, rows: list[dict]) -> list[dict]:
    """The one INSERT of codings, in bulk. Each row holds segment_id, code_id and coder; created_at,
    origin, start, end and guid default to now, manual, no span (the whole segment) and a new
    GUID, and are kept when given (a re-import, a merge and a REFI-QDA import carry them over).
    A coding is a passage: one coder may code several spans of a segment with one code. A row
    for a passage already held (or given twice) is not written; those rows are returned, so an
    import can report them. Callers log."""
    if not rows:
        return []
    held = _present(conn, codings, PASSAGE, [(row["segment_id"], row["coder"]) for row in rows])
    fresh, repeated = [], []
    for row in rows:
        key = _passage(row)
        (repeated if key in held else fresh).append(row)
        held.add(key)
    stamp = now()
    for batch in in_batches(fresh):
        conn.execute(codings.insert(), [
            {"created_at": stamp, "origin": "manual", "start": None, "end": None,
             **{k: v for k, v in row.items() if k != "id"}, "guid": row.get("guid") or new_guid()}
            for row in batch
        ])
    return repeated


def insert_reviews(conn: sa.Connection, rows: Iterable[dict]) -> None:
    """The one INSERT of review marks, in bulk: segment_id and coder, reviewed_at (default now)."""
    stamp = now()
    for batch in in_batches(rows):
        conn.execute(reviews.insert(), [{"reviewed_at": stamp, **row} for row in batch])


def mark_reviewed_many(store: Store, conn: sa.Connection, pairs) -> list[Pair]:
    """Record that each coder looked at each segment of ``(segment id, coder)`` pairs; returns
    the pairs that were not recorded yet (one statement and one audit entry each, in bulk)."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return []
    present = _present(conn, reviews, REVIEW_PAIR, wanted)
    added = [pair for pair in wanted if pair not in present]
    if added:
        for name in dict.fromkeys(coder for _, coder in added):
            store.ensure_coder(conn, name)
        insert_reviews(conn, ({"segment_id": s, "coder": c} for s, c in added))
        store.log_many(conn, (("review.add", str(s), {"coder": c}) for s, c in added))
    return added


def unmark_reviewed_many(store: Store, conn: sa.Connection, pairs) -> list[Pair]:
    """Withdraw review marks (and with them the coders' codes on those segments); returns the
    pairs that were marked."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return []
    marked = _present(conn, reviews, REVIEW_PAIR, wanted)
    gone = [pair for pair in wanted if pair in marked]
    coded = sorted(_present(conn, codings, CODING_TRIPLE, wanted))
    asked = set(wanted)
    _delete_codings(store, conn, [(s, code, c) for s, code, c in coded if (s, c) in asked])
    if gone:
        conn.execute(
            reviews.delete().where(reviews.c.segment_id == sa.bindparam("s"), reviews.c.coder == sa.bindparam("c")),
            [{"s": s, "c": c} for s, c in gone],
        )
        store.log_many(conn, [("review.delete", str(s), {"coder": c}) for s, c in gone])
    return gone


def tag_many(store: Store, conn: sa.Connection, triples, origin: str = "manual") -> list[Triple]:
    """Apply ``(segment id, code id, coder)`` codings, marking their segments reviewed; returns
    those that were not there yet. Codes are checked once, rows written in bulk."""
    if origin not in ORIGINS:
        raise BadInput(f"unknown coding origin {origin!r}: use one of {', '.join(ORIGINS)}")
    wanted = list(dict.fromkeys(triples))
    if not wanted:
        return []
    check_codes(conn, dict.fromkeys(code for _, code, _ in wanted))
    mark_reviewed_many(store, conn, ((s, c) for s, _, c in wanted))
    present = _present(conn, codings, CODING_TRIPLE, wanted)
    added = [triple for triple in wanted if triple not in present]
    for batch in in_batches(added, FEW_SEGMENTS):  # a batch spans few segments: looked up by id
        insert_codings(conn, [{"segment_id": s, "code_id": code, "coder": c, "origin": origin} for s, code, c in batch])
    store.log_many(conn, (("coding.add", str(s), {"coder": c, "code": code, "origin": origin}) for s, code, c in added))
    return added


def untag_many(store: Store, conn: sa.Connection, triples) -> list[Triple]:
    """Remove ``(segment id, code id, coder)`` codings (the review marks stay); returns those removed."""
    wanted = list(dict.fromkeys(triples))
    if not wanted:
        return []
    check_codes(conn, dict.fromkeys(code for _, code, _ in wanted))
    present = _present(conn, codings, CODING_TRIPLE, wanted)
    removed = [triple for triple in wanted if triple in present]
    _delete_codings(store, conn, removed)
    return removed


def _delete_codings(store: Store, conn: sa.Connection, triples: list[Triple]) -> None:
    if triples:
        conn.execute(
            codings.delete().where(codings.c.segment_id == sa.bindparam("s"), codings.c.code_id == sa.bindparam("code"),
                                   codings.c.coder == sa.bindparam("c")),
            [{"s": s, "code": code, "c": c} for s, code, c in triples],
        )
        store.log_many(conn, [("coding.delete", str(s), {"coder": c, "code": code}) for s, code, c in triples])


def mark_reviewed(store: Store, conn: sa.Connection, segment_id: int, coder: str) -> bool:
    """Record that ``coder`` looked at the segment; False if already recorded."""
    return bool(mark_reviewed_many(store, conn, [(segment_id, coder)]))


def unmark_reviewed(store: Store, conn: sa.Connection, segment_id: int, coder: str) -> bool:
    """Withdraw a review mark (and so the coder's codes on that segment); used by undo."""
    return bool(unmark_reviewed_many(store, conn, [(segment_id, coder)]))


def tag(store: Store, conn: sa.Connection, segment_id: int, code_ids, coder: str, origin: str = "manual") -> list[str]:
    """Apply codes to a segment for a coder (no codes: just review it); returns the codes that were not there yet."""
    code_ids = list(code_ids)
    added = tag_many(store, conn, [(segment_id, code_id, coder) for code_id in code_ids], origin)
    if not code_ids:
        mark_reviewed(store, conn, segment_id, coder)
    return [code_id for _, code_id, _ in added]


def untag(store: Store, conn: sa.Connection, segment_id: int, code_ids, coder: str) -> list[str]:
    """Remove codes from a segment for a coder (the review mark stays); returns those removed."""
    return [code_id for _, code_id, _ in untag_many(store, conn, [(segment_id, code_id, coder) for code_id in code_ids])]


def reviewed_by(conn: sa.Connection, coder: str) -> set[int]:
    """Ids of every segment ``coder`` has looked at."""
    return set(conn.execute(sa.select(reviews.c.segment_id).where(reviews.c.coder == coder)).scalars())


def is_reviewed(conn: sa.Connection, segment_id: int, coder: str) -> bool:
    return conn.execute(
        sa.select(reviews.c.segment_id).where(reviews.c.segment_id == segment_id, reviews.c.coder == coder)
    ).first() is not None


def segment_codings(conn: sa.Connection, segment_id: int, coder: str | None = None) -> list[dict]:
    """The codings (coder, code_id, origin, partial) of one segment in the order made, one coder's
    or all, each code once per coder; ``partial`` when every passage of it covers only part of
    the segment (a span coded in another program)."""
    segment = sa.select(segments.c.start, segments.c.end).where(segments.c.id == segment_id).subquery()
    whole = sa.or_(codings.c.start.is_(None), sa.and_(codings.c.start <= segment.c.start, codings.c.end >= segment.c.end))
    query = (
        sa.select(codings.c.coder, codings.c.code_id, sa.func.min(codings.c.origin).label("origin"),
                  (sa.func.max(sa.case((whole, 1), else_=0)) == 0).label("partial"))
        .join(segment, sa.true())
        .where(codings.c.segment_id == segment_id)
        .group_by(codings.c.coder, codings.c.code_id)
        .order_by(sa.func.min(codings.c.id))
    )
    if coder:
        query = query.where(codings.c.coder == coder)
    return [{**row, "partial": bool(row["partial"])} for row in conn.execute(query).mappings()]


CODER_NAME_LENGTH = coders.c.name.type.length


def marks_and_codings(conn: sa.Connection, coder_names: list[str], segment_ids: list[int] | None = None) -> list[tuple]:
    """Review marks and codings of ``coder_names``: one (segment_id, coder, code_id) row each,
    code_id None for the review mark itself, so a segment reviewed without codes is kept; a
    code counts once per segment however many passages carry it."""
    marks = sa.select(reviews.c.segment_id, reviews.c.coder, sa.null().label("code_id")).where(
        reviews.c.coder.in_(coder_names)
    )
    applied = (sa.select(codings.c.segment_id, codings.c.coder, codings.c.code_id).distinct()
               .where(codings.c.coder.in_(coder_names)))
    if segment_ids is not None:
        marks = marks.where(reviews.c.segment_id.in_(segment_ids))
        applied = applied.where(codings.c.segment_id.in_(segment_ids))
    # Plain tuples: pandas probes each Row for attributes, which costs more than the query.
    return [tuple(row) for row in conn.execute(sa.union_all(marks, applied))]


def reviewing_coders(conn: sa.Connection) -> list[str]:
    """The human coders with a review mark, sorted: those agreement compares when none are named."""
    reviewers = set(conn.execute(sa.select(reviews.c.coder).distinct()).scalars())
    kinds = coder_kinds(conn)
    return [name for name in default_coders(conn) if name in reviewers and kinds[name] == selection.HUMAN]


def write_decided(store: Store, conn: sa.Connection, coder: str, decided: dict[int, frozenset], *,
                  origin: str, replace_all: bool, keep=frozenset()) -> dict[str, int]:
    """Make ``coder``'s codes on each segment exactly ``decided[segment]`` (a consensus coder
    of its own); with ``replace_all`` the coder's other segments, except those in ``keep``, are
    withdrawn. Changes only what differs, so writing the same decision twice changes nothing."""
    kind = coder_kinds(conn).get(coder)
    if kind is not None and kind != "consensus":
        raise Conflict(f"coder {coder!r} is a {kind} coder; consensus goes into a coder of its own, e.g. --into consensus")
    store.ensure_coder(conn, coder, kind="consensus")
    current: dict[int, set[str]] = {}
    for segment_id, _, code_id in marks_and_codings(conn, [coder]):
        found = current.setdefault(segment_id, set())
        if code_id is not None:
            found.add(code_id)
    added, removed, unreviewed = [], [], []
    for segment_id in sorted(decided):
        before = frozenset(current.get(segment_id, ()))
        removed += [(segment_id, code_id, coder) for code_id in sorted(before - decided[segment_id])]
        added += [(segment_id, code_id, coder) for code_id in sorted(decided[segment_id] - before)]
        if segment_id not in current:
            unreviewed.append((segment_id, coder))
    withdrawn = [(segment_id, coder) for segment_id in sorted(set(current) - set(decided) - set(keep))] if replace_all else []
    n_removed = len(untag_many(store, conn, removed))
    n_added = len(tag_many(store, conn, added, origin))
    mark_reviewed_many(store, conn, unreviewed)
    n_withdrawn = len(unmark_reviewed_many(store, conn, withdrawn))
    return {"added": n_added, "removed": n_removed, "withdrawn": n_withdrawn}


def from_suggestions(conn: sa.Connection, coder_names: list[str]) -> dict[str, int]:
    """Per coder, how many of their codings came from an accepted suggestion (origin ``suggestion``)."""
    found = dict(conn.execute(
        sa.select(codings.c.coder, sa.func.count()).where(codings.c.coder.in_(coder_names), codings.c.origin == "suggestion")
        .group_by(codings.c.coder)
    ).all())
    return {name: found.get(name, 0) for name in coder_names}


def coding_events(conn: sa.Connection) -> list[tuple]:
    """Every coding and review mark as (coder, kind, segment id, code id or None, origin, at),
    for the report's timeline, double-coding and origin shares."""
    applied = (sa.select(codings.c.coder, coders.c.kind, codings.c.segment_id, codings.c.code_id,
                         codings.c.origin, codings.c.created_at)
               .join(coders, coders.c.name == codings.c.coder))
    marks = (sa.select(reviews.c.coder, coders.c.kind, reviews.c.segment_id, sa.null(), sa.null(), reviews.c.reviewed_at)
             .join(coders, coders.c.name == reviews.c.coder))
    return [tuple(row) for row in conn.execute(applied.union_all(marks))]


def apply_rows(store: Store, conn: sa.Connection, rows: list[CodingRow]) -> ApplyReport:
    """Write validated rows (codings, review marks, segment memos); what exists already is kept."""
    report = ApplyReport(rows=len(rows))
    names = sorted({row.coder for row in rows})
    authors = set(names)
    memoed = {memo for memo in memo_texts(conn, "segment") if memo[1] in authors}
    for name in names:
        store.ensure_coder(conn, name)
    report.reviews_added = len(mark_reviewed_many(store, conn, ((row.segment_id, row.coder) for row in rows)))
    coded = [(row.segment_id, row.code, row.coder) for row in rows if row.code]
    added = tag_many(store, conn, coded, "import")
    report.codings_added, report.codings_present = len(added), len(coded) - len(added)
    report.added_per_coder = {name: 0 for name in names} | Counter(coder for _, _, coder in added)
    for row in rows:
        if row.memo and (str(row.segment_id), row.coder, row.memo) in memoed:
            report.memos_present += 1
        elif row.memo:
            memoed.add((str(row.segment_id), row.coder, row.memo))
            add_memo(store, conn, "segment", str(row.segment_id), row.coder, row.memo)
            report.memos_added += 1
    return report
