"""The one write path for codings and review marks (tag, untag, review, import, merge, autocode,
consensus, REFI import all go through ``tag_many``/``mark_reviewed_many``), and coding reads."""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.errors import BadInput
from qualcode.store.codebook import check_codes
from qualcode.store.core import Store, new_guid, now
from qualcode.store.schema import codings, reviews


ORIGINS = ("manual", "suggestion", "import")


# Up to this many segments, existing rows are looked up by segment id; beyond it, by coder.
FEW_SEGMENTS = 500


Pair = tuple[int, str]  # (segment id, coder)


Triple = tuple[int, str, str]  # (segment id, code id, coder)


REVIEW_PAIR = (reviews.c.segment_id, reviews.c.coder)


CODING_TRIPLE = (codings.c.segment_id, codings.c.code_id, codings.c.coder)


def _present(conn: sa.Connection, table: sa.Table, columns, wanted) -> set[tuple]:
    """The rows of ``columns`` in ``table`` for the coders (and, when few, segments) of ``wanted``."""
    query = sa.select(*columns).where(table.c.coder.in_(sorted({item[-1] for item in wanted})))
    segment_ids = {item[0] for item in wanted}
    if len(segment_ids) <= FEW_SEGMENTS:
        query = query.where(table.c.segment_id.in_(sorted(segment_ids)))
    return set(map(tuple, conn.execute(query)))


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
        stamp = now()
        conn.execute(reviews.insert(), [{"segment_id": s, "coder": c, "reviewed_at": stamp} for s, c in added])
        store.log_many(conn, [("review.add", str(s), {"coder": c}) for s, c in added])
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
    if added:
        stamp = now()
        conn.execute(codings.insert(), [
            {"segment_id": s, "code_id": code, "coder": c, "created_at": stamp, "origin": origin, "guid": new_guid()}
            for s, code, c in added
        ])
        store.log_many(conn, [("coding.add", str(s), {"coder": c, "code": code, "origin": origin}) for s, code, c in added])
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


def coded(conn: sa.Connection, coder: str | None = None) -> list[tuple[int, str, str]]:
    """(segment id, coder, code id) of every coding, for one coder or all."""
    query = sa.select(codings.c.segment_id, codings.c.coder, codings.c.code_id)
    if coder:
        query = query.where(codings.c.coder == coder)
    return [tuple(row) for row in conn.execute(query)]


def reviewed(conn: sa.Connection, coder: str | None = None) -> list[tuple[int, str]]:
    """(segment id, coder) of every review mark, for one coder or all."""
    query = sa.select(reviews.c.segment_id, reviews.c.coder)
    if coder:
        query = query.where(reviews.c.coder == coder)
    return [tuple(row) for row in conn.execute(query)]
