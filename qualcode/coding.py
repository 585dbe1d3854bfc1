"""Codings as tables: the columns ``document,segment[,fingerprint],coder,code[,memo]`` (:data:`CODING_COLUMNS`).

``read_codings_csv(path) -> Table`` (``records(table)`` yields ``(line, record)``), ``validate(numbers, known_codes, source,
records, prints) -> list[CodingRow]`` (every bad row or nothing; a row's ``fingerprint`` of the
segment's text, when given, must match the project's, so ``DOC:N`` means the same text), and
``coding_rows(refs, marks, coded, memos) -> list[dict]``, which writes the same columns so a coder's work
round-trips. Applying the rows (``apply_rows``), a code to one segment (``tag``) and the rest of the coding
writes live in :mod:`qualcode.store.coding`: a coding always implies a review mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import BadInput, InvalidRows, UnknownItem
from qualcode.inputfile import Table, control_character, read_table, read_utf8
from qualcode.spreadsheet import unescape



CODING_COLUMNS = ("document", "segment", "fingerprint", "coder", "code", "memo")
REQUIRED_COLUMNS = ("document", "segment", "coder", "code")
MAX_CODINGS_BYTES = 50_000_000


@dataclass(slots=True)
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
    csv_format: str = ""  # how the CSV was read, e.g. 'semicolon-separated'; empty for a DataFrame


def check_columns(source, columns) -> None:
    """Refuse a header that lacks a required column or holds an unknown or doubled one (line 1)."""
    columns = [str(c).strip() for c in columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in CODING_COLUMNS]
    problems = []
    if missing:
        problems.append((1, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the header must be {','.join(REQUIRED_COLUMNS)}[,memo][,fingerprint]"))
    if unknown:
        problems.append((1, f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; allowed: {', '.join(CODING_COLUMNS)}"))
    problems += [(1, f"the column {c!r} appears {columns.count(c)} times; keep one") for c in dict.fromkeys(columns)
                 if columns.count(c) > 1]
    if problems:
        raise InvalidRows(source, problems)


def read_codings_csv(path: Path) -> Table:
    """The codings CSV (comma, semicolon or tab), checked as a table; :func:`records` reads its rows."""
    path = Path(path)
    text = read_utf8(
        path, max_bytes=MAX_CODINGS_BYTES, kind="CSV",
        missing="no such file; give a CSV with the columns document,segment,coder,code[,memo]",
        too_large="split it into several files",
    )
    table = read_table(path, text)
    if not table.columns:
        raise InvalidRows(path, [(1, f"the file is empty; the header must be {','.join(REQUIRED_COLUMNS)}[,memo]")])
    check_columns(path, table.columns)
    return table


def records(table: Table) -> Iterator[tuple[int, dict]]:
    """``(line, record)`` of a codings CSV (the header is line 1), one at a time; cells qualcode
    escaped against spreadsheet formulas (``'=x``) are read as ``=x``, fields beyond the header
    are under ``extra fields``."""
    for line, record in table.rows():
        extra = record.pop(None, None)
        record.update({key: unescape(value) for key, value in record.items() if value is not None})
        if extra is not None:
            record["extra fields"] = extra
        yield line, record


def validate(numbers: dict[int, tuple[str, int]], known_codes: set[str], source,
             records: Iterable[tuple[int, dict]], prints: dict[int, str] | None = None,
             groups: dict[str, list[str]] | None = None) -> list[CodingRow]:
    """Every record checked against the project's segments (id -> (document, N)), their text's
    fingerprints (id -> fingerprint; a row without one is not checked) and codes (a code of
    ``groups``, which only groups others, is refused); raises :class:`InvalidRows` naming every
    bad row. Rows share one string per coder and code, so half a million of them stay small."""
    segment_ids = {place: seg_id for seg_id, place in numbers.items()}
    shared: dict[str, str] = {}
    last = {}
    for name, number in segment_ids:
        last[name] = max(number, last.get(name, 0))
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
        for key in ("document", "coder", "code", "memo"):
            bad = control_character(values[key], allowed="\t\n\r" if key == "memo" else "")
            if bad:
                found.append(f"{key} holds the control character {bad}; remove it")
        if not re.fullmatch(r"[0-9]+", number, re.ASCII):
            found.append(f"segment {values['segment']!r} is not a whole number (the N of DOC:N)")
        elif name in last and (name, int(number)) not in segment_ids:
            found.append(f"{name} has no segment {int(number)}: its segments are 1 to {last[name]}")
        elif values["fingerprint"] and prints and prints[segment_ids[(name, int(number))]] != values["fingerprint"]:
            found.append(f"{name}:{int(number)} holds other text than when the row was written (fingerprint "
                         f"{values['fingerprint']}, here {prints[segment_ids[(name, int(number))]]}): import the "
                         "transcripts with the same options (e.g. the interviewer labels) as where the table was made")
        if not values["coder"]:
            found.append("coder is empty: name who coded the row")
        if values["code"] and values["code"] not in known_codes:
            found.append(str(UnknownItem("code", values["code"], known_codes)))
        elif values["code"] in (groups or {}):
            found.append(not_codable_message(values["code"], groups[values["code"]]))
        if found:
            problems.extend((line, message) for message in found)
        else:
            rows.append(CodingRow(line, segment_ids[(name, int(number))], shared.setdefault(values["coder"], values["coder"]),
                                  shared.setdefault(values["code"], values["code"]), values["memo"]))
    if problems:
        raise InvalidRows(source, problems)
    return rows


def not_codable_message(code_id: str, children: list[str]) -> str:
    """Why a coding on a code that only groups others is refused, naming the sub-codes to apply."""
    return f"code {code_id} only groups other codes and is not codable: apply one of its sub-codes ({', '.join(children)})"


def check_codable(groups: dict[str, list[str]], code_ids) -> None:
    """Refuse a code of ``groups`` (codes that only group others, each with its sub-codes).

    >>> check_codable({"KV": ["KV-OPL", "KV-LEER"]}, ["KV-OPL", "KV"])
    Traceback (most recent call last):
    qualcode.errors.BadInput: code KV only groups other codes and is not codable: apply one of its sub-codes (KV-OPL, KV-LEER)
    """
    for code_id in code_ids:
        if code_id in groups:
            raise BadInput(not_codable_message(code_id, groups[code_id]))


def exclusive_branch(code_id: str, parents: dict[str, str | None], exclusive: set[str]) -> tuple[str, str] | None:
    """The nearest exclusive group above ``code_id`` and the child of it that holds the code.

    >>> exclusive_branch("ROL-HULP-X", {"ROL": None, "ROL-HULP": "ROL", "ROL-HULP-X": "ROL-HULP"}, {"ROL"})
    ('ROL', 'ROL-HULP')
    """
    below, parent = code_id, parents.get(code_id)
    while parent is not None:
        if parent in exclusive:
            return parent, below
        below, parent = parent, parents.get(parent)
    return None


def exclusive_clashes(codings, parents: dict[str, str | None], exclusive: set[str]) -> list[tuple[int, str, str, list[str]]]:
    """Where one coder holds two children of an exclusive group on one segment, from ``(segment
    id, coder, code id)`` codings: (segment id, coder, group, the codes) for each, sorted.

    >>> exclusive_clashes([(1, "anna", "ROL-HULP"), (1, "anna", "ROL-CTRL"), (1, "bram", "ROL-CTRL")],
    ...                   {"ROL": None, "ROL-HULP": "ROL", "ROL-CTRL": "ROL"}, {"ROL"})
    [(1, 'anna', 'ROL', ['ROL-CTRL', 'ROL-HULP'])]
    """
    groups: dict[tuple[int, str, str], dict[str, set[str]]] = {}
    for segment_id, coder, code_id in codings:
        branch = exclusive_branch(code_id, parents, exclusive)
        if branch:
            groups.setdefault((segment_id, coder, branch[0]), {}).setdefault(branch[1], set()).add(code_id)
    return sorted((segment_id, coder, group, sorted(set().union(*children.values())))
                  for (segment_id, coder, group), children in groups.items() if len(children) > 1)


def clash_message(group: str, codes: list[str]) -> str:
    """Why a coding is refused: two children of an exclusive group on one segment."""
    return (f"{' and '.join(codes)} are in exclusive group {group}: a segment takes one of its children; "
            "remove the other first (untag)")


def check_exclusive(source, rows: list[CodingRow], held, parents: dict[str, str | None], exclusive: set[str]) -> None:
    """Refuse, listing every row, rows that would give a coder two children of an exclusive group
    on one segment, with each other or with ``held`` codings (segment id, coder, code id)."""
    new = [(row.segment_id, row.coder, row.code) for row in rows if row.code]
    problems = []
    for segment_id, coder, group, codes in exclusive_clashes([*held, *new], parents, exclusive):
        problems += [(row.line, clash_message(group, codes)) for row in rows
                     if (row.segment_id, row.coder) == (segment_id, coder) and row.code in codes]
    if problems:
        raise InvalidRows(source, sorted(problems))


def coding_rows(refs: dict[int, tuple[str, int]], marks, coded, memos, wanted: set[str] | None = None,
                prints: dict[int, str] | None = None) -> list[dict]:
    """Codings as rows of :data:`CODING_COLUMNS`, the table ``apply`` takes, from the segments
    (id -> (document, N)), review marks (segment id, coder), codings (segment id, coder, code id),
    segment memos (segment id, author, text) and fingerprints (id -> fingerprint) the store read.

    A segment the coder reviewed without coding is one row with an empty code. The coder's memos
    on a segment ride on that segment's rows, one memo per row, with extra empty-code rows when a
    segment has more memos than codes. ``wanted`` keeps those codes (and drops the reviewed-only
    rows).
    """
    by_pair: dict[tuple[int, str], list[str]] = {}
    for seg_id, name in ([] if wanted else marks):
        by_pair.setdefault((seg_id, name), [])
    for seg_id, name, code_id in coded:
        if wanted is None or code_id in wanted:
            by_pair.setdefault((seg_id, name), []).append(code_id)
    pair_memos: dict[tuple[int, str], list[str]] = {}
    for target, author, text in memos:
        if (target, author) in by_pair:
            pair_memos.setdefault((target, author), []).append(text)
    rows = []
    for (seg_id, name), code_list in by_pair.items():
        document, number = refs[seg_id]
        notes = pair_memos.get((seg_id, name), [])
        entries = sorted(code_list) or [""]
        entries += [""] * (len(notes) - len(entries))
        for index, code_id in enumerate(entries):
            memo = notes[index] if index < len(notes) else ""
            rows.append({"document": document, "segment": number, "fingerprint": (prints or {}).get(seg_id, ""),
                         "coder": name, "code": code_id, "memo": memo})
    rows.sort(key=lambda r: (r["document"], r["segment"], r["coder"], r["code"] == "", r["code"]))
    return rows


def with_fingerprints(numbers: dict[int, tuple[str, int]], prints: dict[int, str], source,
                      records: Iterable[tuple[int, dict]]) -> list[dict]:
    """The records of a codings table, in their order, with ``fingerprint`` set to the project's
    for each segment (to add the column to a table made before it existed); a row naming no
    segment of the project is refused, listed."""
    segment_ids = {place: seg_id for seg_id, place in numbers.items()}
    rows, problems = [], []
    for line, record in records:
        values = {key: ("" if record.get(key) is None else str(record.get(key)).strip()) for key in CODING_COLUMNS}
        place = (values["document"], int(values["segment"])) if re.fullmatch(r"[0-9]+", values["segment"]) else None
        if place not in segment_ids:
            problems.append((line, f"no segment {values['document']}:{values['segment']} in this project"))
            continue
        rows.append({**values, "fingerprint": prints[segment_ids[place]]})
    if problems:
        raise InvalidRows(source, problems)
    return rows
