"""Case attributes: a CSV keyed by file name and ``KEY=VALUE`` options, with inferred types.

Takes the CSV path (column ``file`` holding a file name or stem; an optional ``interviewer``
column names that file's interviewer label, ``;`` between several) and ``--attr`` strings; gives
per-file attributes as ``{key: (value, type)}``, where type is ``number``, ``date`` or
``category``, inferred per column over all its values so one column has one type.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from qualcode.errors import BadFile
from qualcode.inputfile import control_character, read_table

KEY = re.compile(r"^[A-Za-z_][\w.-]{0,63}$")
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d")


def _as_number(value: str) -> str | None:
    candidate = value.replace(",", ".") if value.count(",") == 1 and "." not in value else value
    try:
        number = float(candidate)
    except ValueError:
        return None
    return str(int(number)) if number.is_integer() and "." not in candidate else candidate


def _as_date(value: str) -> str | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def typed(values: list[str]) -> tuple[str, list[str]]:
    """The type of a column (number, date or category) and its values written in that type."""
    for kind, convert in (("number", _as_number), ("date", _as_date)):
        converted = [convert(v) for v in values]
        if values and all(c is not None for c in converted):
            return kind, converted
    return "category", list(values)


def read_cases(path: Path, warnings: list[str]) -> tuple[dict[str, dict[str, str]], str]:
    """Rows of an attributes CSV by their ``file`` value, as written (types come later), and how
    the CSV was read (``'semicolon-separated'``: comma, semicolon and tab are all taken)."""
    from qualcode.ingest import decode  # noqa: PLC0415 - one decoder for every text the user gives

    path = Path(path)
    if not path.is_file():
        raise BadFile(path, "attributes file not found; check the path given to --attributes")
    table = read_table(path, decode(path, path.read_bytes(), warnings))
    if "file" not in table.columns:
        raise BadFile(path, f"has no 'file' column (columns: {', '.join(table.columns) or 'none'}); add one with each transcript's file name")
    bad = [k for k in table.columns if k != "file" and not KEY.match(k)]
    if bad:
        raise BadFile(path, f"column {bad[0]!r} is not a usable attribute name; use letters, digits and _")
    rows: dict[str, dict[str, str]] = {}
    for number, row in table.rows():
        if None in row:
            raise BadFile(path, f"line {number}: {len(row[None])} more field(s) than the header has columns; check the delimiters in that row")
        row = {key: (value or "").strip() for key, value in row.items()}
        for key, value in row.items():
            control = control_character(value)
            if control:
                raise BadFile(path, f"line {number}: the {key} {value!r} holds the control character {control}; remove it")
        name = row.pop("file")
        if not name:
            continue
        if name in rows:
            raise BadFile(path, f"line {number}: file {name!r} appears twice; keep one row per transcript")
        rows[name] = row
    return rows, table.describe()


def match(rows: dict[str, dict[str, str]], path: Path) -> str | None:
    """The CSV key for a transcript: its file name, else its stem."""
    for key in (path.name, path.stem):
        if key in rows:
            return key
    return None


def assign(values: dict[str, dict[str, str]]) -> dict[str, dict[str, tuple[str, str]]]:
    """Per file ``{key: (value, type)}`` from per file ``{key: value}``, typed per key over all files."""
    keys = sorted({k for attrs in values.values() for k, v in attrs.items() if v})
    out: dict[str, dict[str, tuple[str, str]]] = {name: {} for name in values}
    for key in keys:
        owners = [name for name, attrs in values.items() if attrs.get(key)]
        kind, converted = typed([values[name][key] for name in owners])
        for name, value in zip(owners, converted):
            out[name][key] = (value, kind)
    return out
