"""Coding: applying codes to segments, marking segments reviewed, and finding segments again.

Takes segment references (``DOC:N``, N being the 1-based number ``qualcode show DOC`` prints)
and code ids; writes ``codings`` and ``reviews`` rows inside the caller's transaction, with an
audit entry for each change. A coding always implies a review mark: "reviewed" means the coder
looked at the segment, whether or not any code applied. Writes are set-based:
``tag_many``/``untag_many`` take ``(segment id, code id, coder)`` triples and
``mark_reviewed_many``/``unmark_reviewed_many`` ``(segment id, coder)`` pairs, check the codes
once and write rows and audit entries in bulk; ``tag``, ``untag`` and friends are their
one-segment forms, and ``apply`` and ``consensus`` use them too.

Codings also travel as tables with the columns ``document,segment,coder,code[,memo]``
(:data:`CODING_COLUMNS`): ``read_codings_csv(path) -> list[(line, record)]``,
``validate(conn, source, records) -> list[CodingRow]`` (every bad row or nothing),
``apply_rows(store, conn, rows) -> ApplyReport`` and ``coding_rows(conn, ...) -> list[dict]``,
which writes the same columns so a coder's work round-trips.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from qualcode.codebook import code_parents, not_codable, with_descendants
from qualcode.errors import BadFile, BadInput, InvalidRows, UnknownItem
from qualcode.inputfile import read_utf8
from qualcode.store import (
    Store,
    codes,
    codings,
    document_attributes,
    documents,
    memos,
    new_guid,
    now,
    reviews,
    segments,
    turns,
)

ORIGINS = ("manual", "suggestion", "import")
SEGMENT_REF = re.compile(r"^(?P<doc>.+):(?P<number>\d+)$")


def parse_segment_ref(ref: str) -> tuple[str, int]:
    """Split ``DOC:N`` into the document name and N."""
    match = SEGMENT_REF.match(ref.strip())
    if not match:
        raise BadInput(f"bad segment reference {ref!r}: write DOC:N, e.g. km-maasdelta-01:12 (N as 'qualcode show DOC' prints it)")
    return match["doc"], int(match["number"])


def resolve_segment(conn: sa.Connection, ref: str) -> int:
    """The id of the segment ``DOC:N``; unknown documents and numbers are named in the error."""
    name, number = parse_segment_ref(ref)
    document_id = conn.execute(sa.select(documents.c.id).where(documents.c.name == name)).scalar()
    if document_id is None:
        known = conn.execute(sa.select(documents.c.name)).scalars().all()
        raise UnknownItem("document", name, known, "see 'qualcode documents'")
    segment_id = conn.execute(
        sa.select(segments.c.id).where(segments.c.document_id == document_id, segments.c.number == number)
    ).scalar()
    if segment_id is None:
        last = conn.execute(sa.select(sa.func.max(segments.c.number)).where(segments.c.document_id == document_id)).scalar()
        raise BadInput(f"{name} has no segment {number}: its segments are 1 to {last or 0}; see 'qualcode show {name}'")
    return segment_id


def check_codes(conn: sa.Connection, code_ids) -> list[str]:
    """Return ``code_ids`` if they all exist; otherwise name the first unknown one."""
    known = set(conn.execute(sa.select(codes.c.id)).scalars())
    for code_id in code_ids:
        if code_id not in known:
            raise UnknownItem("code", code_id, known, "see 'qualcode codebook show'")
    return list(code_ids)


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


def check_codable(conn: sa.Connection, code_ids) -> None:
    """Refuse a code the codebook marks not codable (one that only groups others), naming its sub-codes."""
    groups = not_codable(conn)
    for code_id in code_ids:
        if code_id in groups:
            raise BadInput(f"code {code_id} only groups other codes and is not codable: apply one of its sub-codes "
                           f"({', '.join(groups[code_id])})")


def untag(store: Store, conn: sa.Connection, segment_id: int, code_ids, coder: str) -> list[str]:
    """Remove codes from a segment for a coder (the review mark stays); returns those removed."""
    return [code_id for _, code_id, _ in untag_many(store, conn, [(segment_id, code_id, coder) for code_id in code_ids])]


def segment_rows(conn: sa.Connection, *, documents_: list[str] | None = None, speaker: str | None = None,
                 attributes: dict[str, str] | None = None) -> list[dict]:
    """Segments in document order with their text, speaker, time and reference, filtered.

    ``attributes`` keeps documents whose attribute KEY equals VALUE (case-insensitive).
    """
    query = (
        sa.select(
            segments.c.id.label("segment_id"),
            documents.c.name.label("document"),
            segments.c.number.label("segment"),
            segments.c.unit,
            segments.c.speaker,
            segments.c.start,
            segments.c.end,
            turns.c.time_start,
            segments.c.document_id,
        )
        .join(documents, documents.c.id == segments.c.document_id)
        .outerjoin(turns, turns.c.id == segments.c.turn_id)
        .order_by(documents.c.name, segments.c.number)
    )
    if documents_:
        known = set(conn.execute(sa.select(documents.c.name)).scalars())
        for name in documents_:
            if name not in known:
                raise UnknownItem("document", name, known, "see 'qualcode documents'")
        query = query.where(documents.c.name.in_(documents_))
    if speaker:
        query = query.where(sa.func.lower(segments.c.speaker) == speaker.lower())
    for key, value in (attributes or {}).items():
        known_keys = set(conn.execute(sa.select(document_attributes.c.key).distinct()).scalars())
        if key not in known_keys:
            raise UnknownItem("attribute", key, known_keys, "see 'qualcode documents'")
        matching = sa.select(document_attributes.c.document_id).where(
            document_attributes.c.key == key, sa.func.lower(document_attributes.c.value) == value.lower()
        )
        query = query.where(segments.c.document_id.in_(matching))
    result = conn.execute(query)
    keys = list(result.keys())
    rows = [dict(zip(keys, row)) for row in result]
    # Slicing each document's text once in Python is far faster than SQLite's substr per row.
    wanted = {row["document_id"] for row in rows}
    texts = dict(conn.execute(sa.select(documents.c.id, documents.c.text).where(documents.c.id.in_(wanted))).all())
    for row in rows:
        row["text"] = texts[row.pop("document_id")][row["start"]:row["end"]]
        row["ref"] = f"{row['document']}:{row['segment']}"
    return rows


MEMO_TARGETS = ("project", "document", "segment", "code")


def add_memo(store: Store, conn: sa.Connection, target_type: str, target_id: str | None, author: str, text: str) -> int:
    """Attach a memo to the project, a document id, a segment id or a code id; returns its id."""
    if target_type not in MEMO_TARGETS:
        raise BadInput(f"unknown memo target {target_type!r}: use one of {', '.join(MEMO_TARGETS)}")
    if not text.strip():
        raise BadInput("empty memo: write some text")
    stamp = now()
    memo_id = conn.execute(
        memos.insert().values(
            target_type=target_type, target_id=target_id, author=author, text=text,
            created_at=stamp, updated_at=stamp, guid=new_guid(),
        )
    ).inserted_primary_key[0]
    store.log(conn, "memo.add", f"{target_type}:{target_id or ''}", {"memo": memo_id, "author": author})
    return memo_id


CODING_COLUMNS = ("document", "segment", "coder", "code", "memo")
REQUIRED_COLUMNS = CODING_COLUMNS[:4]
MAX_CODINGS_BYTES = 50_000_000


@dataclass
class CodingRow:
    """One validated row of a codings table: an empty ``code`` means reviewed with no code."""

    line: int
    segment_id: int
    coder: str
    code: str
    memo: str


@dataclass
class ApplyReport:
    """What applying a codings table changed, and what it found already there."""

    rows: int = 0
    codings_added: int = 0
    codings_present: int = 0
    reviews_added: int = 0
    memos_added: int = 0
    memos_present: int = 0
    added_per_coder: dict[str, int] = field(default_factory=dict)


def check_columns(source, columns) -> None:
    """Refuse a header that lacks a required column or holds an unknown one (line 1)."""
    columns = [str(c).strip() for c in columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in CODING_COLUMNS]
    problems = []
    if missing:
        problems.append((1, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the header must be {','.join(REQUIRED_COLUMNS)}[,memo]"))
    if unknown:
        problems.append((1, f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; allowed: {', '.join(CODING_COLUMNS)}"))
    if problems:
        raise InvalidRows(source, problems)


def read_codings_csv(path: Path) -> list[tuple[int, dict]]:
    """The records of a codings CSV with the line each starts on (the header is line 1)."""
    path = Path(path)
    text = read_utf8(
        path, max_bytes=MAX_CODINGS_BYTES, kind="CSV",
        missing="no such file; give a CSV with the columns document,segment,coder,code[,memo]",
        too_large="split it into several files",
    )
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records, line = [], 1
    try:
        if not reader.fieldnames:
            raise InvalidRows(path, [(1, f"the file is empty; the header must be {','.join(REQUIRED_COLUMNS)}[,memo]")])
        check_columns(path, reader.fieldnames)
        line = reader.line_num + 1
        for record in reader:
            if None in record:
                record["extra fields"] = record.pop(None)
            records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise BadFile(path, f"line {line}: not a readable CSV row ({exc}); check its quotes") from None
    return records


def validate(conn: sa.Connection, source, records: list[tuple[int, dict]]) -> list[CodingRow]:
    """Every record checked against the project; raises :class:`InvalidRows` naming every bad row."""
    segment_ids: dict[tuple[str, int], int] = {
        (name, number): seg_id
        for seg_id, name, number in conn.execute(
            sa.select(segments.c.id, documents.c.name, segments.c.number).join(documents, documents.c.id == segments.c.document_id)
        )
    }
    last = {}
    for name, number in segment_ids:
        last[name] = max(number, last.get(name, 0))
    known_codes = set(conn.execute(sa.select(codes.c.id)).scalars())
    rows, problems = [], []
    for line, record in records:
        values = {key: ("" if record.get(key) is None else str(record.get(key)).strip()) for key in CODING_COLUMNS}
        found = []
        if "extra fields" in record:
            found.append(f"more fields than the header has ({len(record['extra fields'])} extra)")
        name, number = values["document"], values["segment"].removesuffix(".0")
        if not name:
            found.append("document is empty")
        elif name not in last:
            found.append(str(UnknownItem("document", name, last)))
        if not re.fullmatch(r"\d+", number):
            found.append(f"segment {values['segment']!r} is not a whole number (the N of DOC:N)")
        elif name in last and (name, int(number)) not in segment_ids:
            found.append(f"{name} has no segment {int(number)}: its segments are 1 to {last[name]}")
        if not values["coder"]:
            found.append("coder is empty: name who coded the row")
        if values["code"] and values["code"] not in known_codes:
            found.append(str(UnknownItem("code", values["code"], known_codes)))
        if found:
            problems.extend((line, message) for message in found)
        else:
            rows.append(CodingRow(line, segment_ids[(name, int(number))], values["coder"], values["code"], values["memo"]))
    if problems:
        raise InvalidRows(source, problems)
    return rows


def apply_rows(store: Store, conn: sa.Connection, rows: list[CodingRow]) -> ApplyReport:
    """Write validated rows (codings, review marks, segment memos); what exists already is kept."""
    report = ApplyReport(rows=len(rows))
    names = sorted({row.coder for row in rows})
    memoed = set(map(tuple, conn.execute(
        sa.select(memos.c.target_id, memos.c.author, memos.c.text)
        .where(memos.c.target_type == "segment", memos.c.author.in_(names))
    )))
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


def coding_rows(conn: sa.Connection, *, coder: str | None = None, code_ids=None) -> list[dict]:
    """Codings as rows of :data:`CODING_COLUMNS`, the table ``apply`` takes.

    A segment the coder reviewed without coding is one row with an empty code. The coder's memos
    on a segment ride on that segment's rows, one memo per row, with extra empty-code rows when a
    segment has more memos than codes. ``code_ids`` keeps those codes and their sub-codes (and
    drops the reviewed-only rows).
    """
    refs = dict(
        (seg_id, (name, number))
        for seg_id, name, number in conn.execute(
            sa.select(segments.c.id, documents.c.name, segments.c.number).join(documents, documents.c.id == segments.c.document_id)
        )
    )
    wanted = with_descendants(code_parents(conn), check_codes(conn, code_ids)) if code_ids else None
    coded_query = sa.select(codings.c.segment_id, codings.c.coder, codings.c.code_id)
    review_query = sa.select(reviews.c.segment_id, reviews.c.coder)
    memo_query = sa.select(memos.c.target_id, memos.c.author, memos.c.text).where(memos.c.target_type == "segment").order_by(memos.c.id)
    if coder:
        coded_query = coded_query.where(codings.c.coder == coder)
        review_query = review_query.where(reviews.c.coder == coder)
        memo_query = memo_query.where(memos.c.author == coder)
    by_pair: dict[tuple[int, str], list[str]] = {}
    for seg_id, name in ([] if wanted else conn.execute(review_query)):
        by_pair.setdefault((seg_id, name), [])
    for seg_id, name, code_id in conn.execute(coded_query):
        if wanted is None or code_id in wanted:
            by_pair.setdefault((seg_id, name), []).append(code_id)
    pair_memos: dict[tuple[int, str], list[str]] = {}
    for target, author, text in conn.execute(memo_query):
        if (int(target), author) in by_pair:
            pair_memos.setdefault((int(target), author), []).append(text)
    rows = []
    for (seg_id, name), code_list in by_pair.items():
        document, number = refs[seg_id]
        notes = pair_memos.get((seg_id, name), [])
        entries = sorted(code_list) or [""]
        entries += [""] * (len(notes) - len(entries))
        for index, code_id in enumerate(entries):
            memo = notes[index] if index < len(notes) else ""
            rows.append({"document": document, "segment": number, "coder": name, "code": code_id, "memo": memo})
    rows.sort(key=lambda r: (r["document"], r["segment"], r["coder"], r["code"] == "", r["code"]))
    return rows
