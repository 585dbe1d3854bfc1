"""The one write path for codings and review marks (tag, untag, review, import, merge, autocode,
consensus, REFI import all go through ``tag_many``/``mark_reviewed_many``), and coding reads.

SQL text (:mod:`qualcode.store.sqltext`), so that it runs over the Store's connection and over
the bare ``sqlite3`` connection with which ``tag`` and ``review`` start fast. A ``store`` here
is the writer that logs: the :class:`~qualcode.store.core.Store` or a
:class:`~qualcode.store.journal.FileWriter`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from qualcode import selection
from qualcode.coding import ApplyReport, CodingRow
from qualcode.errors import BadInput, Conflict
from qualcode.progress import Progress, batches, counted, silent
from qualcode.store.journal import in_batches, new_guid, now
from qualcode.store.memo import add_memo
from qualcode.store.reads import check_codes, coder_kinds, default_coders, memo_texts
from qualcode.store.sqltext import column, execute_many, placeholders, rows, value

ORIGINS = ("manual", "suggestion", "import")


# Up to this many segments, existing rows are looked up by segment id; beyond it, by coder.
FEW_SEGMENTS = 500


Pair = tuple[int, str]  # (segment id, coder)


Triple = tuple[int, str, str]  # (segment id, code id, coder)


REVIEW_PAIR = ("segment_id", "coder")


CODING_TRIPLE = ("segment_id", "code_id", "coder")


PASSAGE = (*CODING_TRIPLE, "start", "end")  # a whole-segment coding has no span


def _listed(columns) -> str:
    return ", ".join(f'"{name}"' for name in columns)


def _present(db, table: str, columns: tuple[str, ...], wanted) -> set[tuple]:
    """The rows of ``columns`` in ``table`` for the coders (and, when few, segments) of ``wanted``.

    Few segments are looked up by segment id alone, the coders kept here: given the coder too,
    SQLite walks the coder's index, every coding of the coder, once per lookup."""
    coders = {item[-1] for item in wanted}
    segment_ids = sorted({item[0] for item in wanted})
    if len(segment_ids) <= FEW_SEGMENTS:
        where, params = f"segment_id IN ({placeholders(segment_ids)})", segment_ids
    else:
        where, params = f"coder IN ({placeholders(coders)})", sorted(coders)
    at = columns.index("coder")
    return {tuple(row) for row in rows(db, f"SELECT {_listed(columns)} FROM {table} WHERE {where}", params)
            if row[at] in coders}


def _passage(row: dict) -> tuple:
    return row["segment_id"], row["code_id"], row["coder"], row.get("start"), row.get("end")


CODING_COLUMNS = ("segment_id", "code_id", "coder", "created_at", "origin", "start", "end", "guid")


def insert_codings(db, found_rows: list[dict]) -> list[dict]:
    """The one INSERT of codings, in bulk. Each row holds segment_id, code_id and coder; created_at,
    origin, start, end and guid default to now, manual, no span (the whole segment) and a new
    GUID, and are kept when given (a re-import, a merge and a REFI-QDA import carry them over).
    A coding is a passage: one coder may code several spans of a segment with one code. A row
    for a passage already held (or given twice) is not written; those rows are returned, so an
    import can report them. Callers log."""
    if not found_rows:
        return []
    held = _present(db, "codings", PASSAGE, [(row["segment_id"], row["coder"]) for row in found_rows])
    fresh, repeated = [], []
    for row in found_rows:
        key = _passage(row)
        (repeated if key in held else fresh).append(row)
        held.add(key)
    stamp = now()
    insert = f"INSERT INTO codings ({_listed(CODING_COLUMNS)}) VALUES ({placeholders(CODING_COLUMNS)})"
    for batch in in_batches(fresh):
        execute_many(db, insert, [
            (row["segment_id"], row["code_id"], row["coder"], row.get("created_at", stamp), row.get("origin", "manual"),
             row.get("start"), row.get("end"), row.get("guid") or new_guid())
            for row in batch
        ])
    return repeated


def insert_reviews(db, marks: Iterable[dict]) -> None:
    """The one INSERT of review marks, in bulk: segment_id and coder, reviewed_at (default now)."""
    stamp = now()
    for batch in in_batches(marks):
        execute_many(db, "INSERT INTO reviews (segment_id, coder, reviewed_at) VALUES (?, ?, ?)",
                     [(row["segment_id"], row["coder"], row.get("reviewed_at", stamp)) for row in batch])


def mark_reviewed_many(store, db, pairs, progress: Progress = silent) -> list[Pair]:
    """Record that each coder looked at each segment of ``(segment id, coder)`` pairs; returns
    the pairs that were not recorded yet (one statement and one audit entry each, in bulk;
    ``progress`` hears of the entries written)."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return []
    present = _present(db, "reviews", REVIEW_PAIR, wanted)
    added = [pair for pair in wanted if pair not in present]
    if added:
        for name in dict.fromkeys(coder for _, coder in added):
            store.ensure_coder(db, name)
        insert_reviews(db, ({"segment_id": s, "coder": c} for s, c in added))
        store.log_many(db, counted(progress, f"marking {len(added):,} segment reviews", (
            ("review.add", str(s), {"coder": c}) for s, c in added), len(added)))
    return added


def unmark_reviewed_many(store, db, pairs) -> list[Pair]:
    """Withdraw review marks (and with them the coders' codes on those segments); returns the
    pairs that were marked."""
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return []
    marked = _present(db, "reviews", REVIEW_PAIR, wanted)
    gone = [pair for pair in wanted if pair in marked]
    coded = sorted(_present(db, "codings", CODING_TRIPLE, wanted))
    asked = set(wanted)
    _delete_codings(store, db, [(s, code, c) for s, code, c in coded if (s, c) in asked])
    if gone:
        execute_many(db, "DELETE FROM reviews WHERE segment_id = ? AND coder = ?", gone)
        store.log_many(db, [("review.delete", str(s), {"coder": c}) for s, c in gone])
    return gone


def tag_many(store, db, triples, origin: str = "manual", progress: Progress = silent) -> list[Triple]:
    """Apply ``(segment id, code id, coder)`` codings, marking their segments reviewed; returns
    those that were not there yet. Codes are checked once, rows written in bulk; ``progress``
    hears how many rows and audit entries were written."""
    if origin not in ORIGINS:
        raise BadInput(f"unknown coding origin {origin!r}: use one of {', '.join(ORIGINS)}")
    wanted = list(dict.fromkeys(triples))
    if not wanted:
        return []
    check_codes(db, dict.fromkeys(code for _, code, _ in wanted))
    mark_reviewed_many(store, db, ((s, c) for s, _, c in wanted), progress)
    present = _present(db, "codings", CODING_TRIPLE, wanted)
    added = [triple for triple in wanted if triple not in present]
    # a batch spans few segments: looked up by id
    for batch in batches(progress, f"writing {len(added):,} codings", added, FEW_SEGMENTS):
        insert_codings(db, [{"segment_id": s, "code_id": code, "coder": c, "origin": origin} for s, code, c in batch])
    store.log_many(db, counted(progress, f"logging {len(added):,} codings", (
        ("coding.add", str(s), {"coder": c, "code": code, "origin": origin}) for s, code, c in added), len(added)))
    return added


def untag_many(store, db, triples) -> list[Triple]:
    """Remove ``(segment id, code id, coder)`` codings (the review marks stay); returns those removed."""
    wanted = list(dict.fromkeys(triples))
    if not wanted:
        return []
    check_codes(db, dict.fromkeys(code for _, code, _ in wanted))
    present = _present(db, "codings", CODING_TRIPLE, wanted)
    removed = [triple for triple in wanted if triple in present]
    _delete_codings(store, db, removed)
    return removed


def _delete_codings(store, db, triples: list[Triple]) -> None:
    if triples:
        execute_many(db, "DELETE FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ?", triples)
        store.log_many(db, [("coding.delete", str(s), {"coder": c, "code": code}) for s, code, c in triples])


def mark_reviewed(store, db, segment_id: int, coder: str) -> bool:
    """Record that ``coder`` looked at the segment; False if already recorded."""
    return bool(mark_reviewed_many(store, db, [(segment_id, coder)]))


def unmark_reviewed(store, db, segment_id: int, coder: str) -> bool:
    """Withdraw a review mark (and so the coder's codes on that segment); used by undo."""
    return bool(unmark_reviewed_many(store, db, [(segment_id, coder)]))


def tag(store, db, segment_id: int, code_ids, coder: str, origin: str = "manual") -> list[str]:
    """Apply codes to a segment for a coder (no codes: just review it); returns the codes that were not there yet."""
    code_ids = list(code_ids)
    added = tag_many(store, db, [(segment_id, code_id, coder) for code_id in code_ids], origin)
    if not code_ids:
        mark_reviewed(store, db, segment_id, coder)
    return [code_id for _, code_id, _ in added]


def untag(store, db, segment_id: int, code_ids, coder: str) -> list[str]:
    """Remove codes from a segment for a coder (the review mark stays); returns those removed."""
    return [code_id for _, code_id, _ in untag_many(store, db, [(segment_id, code_id, coder) for code_id in code_ids])]


def reviewed_by(db, coder: str) -> set[int]:
    """Ids of every segment ``coder`` has looked at."""
    return set(column(db, "SELECT segment_id FROM reviews WHERE coder = ?", (coder,)))


def is_reviewed(db, segment_id: int, coder: str) -> bool:
    return value(db, "SELECT segment_id FROM reviews WHERE segment_id = ? AND coder = ?", (segment_id, coder)) is not None


SEGMENT_CODING = ("coder", "code_id", "origin", "partial")


def segment_codings(db, segment_id: int, coder: str | None = None) -> list[dict]:
    """The codings (coder, code_id, origin, partial) of one segment in the order made, one coder's
    or all, each code once per coder; ``partial`` when every passage of it covers only part of
    the segment (a span coded in another program)."""
    where, params = "c.segment_id = ?", [segment_id]
    if coder:
        where, params = f"{where} AND c.coder = ?", [*params, coder]
    found = rows(db, 'SELECT c.coder, c.code_id, min(c.origin), max(CASE WHEN c.start IS NULL OR '
                     '(c.start <= s.start AND c."end" >= s."end") THEN 1 ELSE 0 END) '
                     f"FROM codings c JOIN segments s ON s.id = c.segment_id WHERE {where} "
                     "GROUP BY c.coder, c.code_id ORDER BY min(c.id)", params)
    return [{"coder": name, "code_id": code_id, "origin": origin, "partial": not whole}
            for name, code_id, origin, whole in found]


def marks_and_codings(db, coder_names: list[str], segment_ids: list[int] | None = None) -> list[tuple]:
    """Review marks and codings of ``coder_names``: one (segment_id, coder, code_id) row each,
    code_id None for the review mark itself, so a segment reviewed without codes is kept; a
    code counts once per segment however many passages carry it."""
    if not coder_names or segment_ids is not None and not segment_ids:
        return []
    where, params = f"coder IN ({placeholders(coder_names)})", list(coder_names)
    if segment_ids is not None and len(segment_ids) <= FEW_SEGMENTS:
        where, params = f"{where} AND segment_id IN ({placeholders(segment_ids)})", [*params, *segment_ids]
    found = rows(db, f"SELECT segment_id, coder, NULL FROM reviews WHERE {where} "
                     f"UNION ALL SELECT DISTINCT segment_id, coder, code_id FROM codings WHERE {where}", [*params, *params])
    if segment_ids is not None and len(segment_ids) > FEW_SEGMENTS:  # more ids than a statement may take
        kept = set(segment_ids)
        return [tuple(row) for row in found if row[0] in kept]
    return [tuple(row) for row in found]


def reviewing_coders(db) -> list[str]:
    """The human coders with a review mark, sorted: those agreement compares when none are named."""
    reviewers = set(column(db, "SELECT DISTINCT coder FROM reviews"))
    kinds = coder_kinds(db)
    return [name for name in default_coders(db) if name in reviewers and kinds[name] == selection.HUMAN]


def write_decided(store, db, coder: str, decided: dict[int, frozenset], *,
                  origin: str, replace_all: bool, keep=frozenset(), progress: Progress = silent) -> dict[str, int]:
    """Make ``coder``'s codes on each segment exactly ``decided[segment]`` (a consensus coder
    of its own); with ``replace_all`` the coder's other segments, except those in ``keep``, are
    withdrawn. Changes only what differs, so writing the same decision twice changes nothing.
    ``progress`` hears how many codings and review marks were written."""
    kind = coder_kinds(db).get(coder)
    if kind is not None and kind != "consensus":
        raise Conflict(f"coder {coder!r} is a {kind} coder; consensus goes into a coder of its own, e.g. --into consensus")
    store.ensure_coder(db, coder, kind="consensus")
    current: dict[int, set[str]] = {}
    for segment_id, _, code_id in marks_and_codings(db, [coder]):
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
    n_removed = len(untag_many(store, db, removed))
    n_added = len(tag_many(store, db, added, origin, progress))
    mark_reviewed_many(store, db, unreviewed, progress)
    n_withdrawn = len(unmark_reviewed_many(store, db, withdrawn))
    return {"added": n_added, "removed": n_removed, "withdrawn": n_withdrawn}


def from_suggestions(db, coder_names: list[str]) -> dict[str, int]:
    """Per coder, how many of their codings came from an accepted suggestion (origin ``suggestion``)."""
    found = dict(rows(db, f"SELECT coder, count(*) FROM codings WHERE coder IN ({placeholders(coder_names)}) "
                          "AND origin = 'suggestion' GROUP BY coder", coder_names)) if coder_names else {}
    return {name: found.get(name, 0) for name in coder_names}


def coding_events(db) -> list[tuple]:
    """Every coding and review mark as (coder, kind, segment id, code id or None, origin, at),
    for the report's timeline, double-coding and origin shares."""
    return [tuple(row) for row in rows(
        db, "SELECT c.coder, k.kind, c.segment_id, c.code_id, c.origin, c.created_at FROM codings c "
            "JOIN coders k ON k.name = c.coder UNION ALL "
            "SELECT r.coder, k.kind, r.segment_id, NULL, NULL, r.reviewed_at FROM reviews r JOIN coders k ON k.name = r.coder")]


def apply_rows(store, conn, validated: list[CodingRow], progress: Progress = silent) -> ApplyReport:
    """Write validated rows (codings, review marks, segment memos); what exists already is kept.
    ``progress`` hears how many review marks, codings and audit entries were written."""
    report = ApplyReport(rows=len(validated))
    names = sorted({row.coder for row in validated})
    authors = set(names)
    memoed = {memo for memo in memo_texts(conn, "segment") if memo[1] in authors}
    for name in names:
        store.ensure_coder(conn, name)
    report.reviews_added = len(mark_reviewed_many(store, conn, ((row.segment_id, row.coder) for row in validated), progress))
    coded = [(row.segment_id, row.code, row.coder) for row in validated if row.code]
    added = tag_many(store, conn, coded, "import", progress)
    report.codings_added, report.codings_present = len(added), len(coded) - len(added)
    report.added_per_coder = {name: 0 for name in names} | Counter(coder for _, _, coder in added)
    for row in validated:
        if row.memo and (str(row.segment_id), row.coder, row.memo) in memoed:
            report.memos_present += 1
        elif row.memo:
            memoed.add((str(row.segment_id), row.coder, row.memo))
            add_memo(store, conn, "segment", str(row.segment_id), row.coder, row.memo)
            report.memos_added += 1
    return report
