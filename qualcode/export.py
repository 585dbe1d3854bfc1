"""Writing matrices for the survey pipeline: CSV, Excel, SPSS, Stata and Parquet, labelled.

Takes a frame from :mod:`qualcode.matrices` (its ``attrs["qualcode"]`` says what it holds) and a
path; :func:`write` picks the writer by suffix from :data:`WRITERS` (or
:data:`FRAMEWORK_WRITERS` for a framework matrix), which also drive ``--out`` validation and the
README's format table. Every file gets a data dictionary beside it (``<stem>.dictionary.csv``
and ``.json``). Variable names follow both SPSS and Stata rules (``KV-OPL`` -> ``KV_OPL``), so
one dictionary serves every format. CSV files hold no timestamps: exporting the same project
twice gives the same bytes; the export time is in the JSON dictionary, the .sav notes and the
.xlsx dictionary sheet.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import BadInput

MAX_NAME = 32  # Stata's limit; SPSS allows 64 bytes
SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
STATA_RESERVED = {
    "_ALL", "_B", "BYTE", "_COEF", "_CONS", "DOUBLE", "FLOAT", "IF", "IN", "INT", "LONG", "_N", "_PI",
    "_PRED", "_RC", "_SKIP", "STRL", "USING", "WITH",
}
PRESENCE_LABELS = {0: "absent", 1: "present"}


@dataclass
class Prepared:
    """A frame ready to write: variables renamed, attributes coded, and its data dictionary."""

    data: object  # pandas.DataFrame
    variables: list[dict]
    about: dict
    value_labels: dict[str, dict[int, str]] = field(default_factory=dict)

    def labels(self) -> list[str]:
        return [variable["label"] for variable in self.variables]

    def notes(self) -> list[str]:
        book = self.about["codebook"]
        return [
            f"codebook: {book['title']} {book['version']}".rstrip(),
            f"coding rule: {self.about['coding_rule']}",
            f"qualcode version: {self.about['qualcode_version']}",
            f"exported at: {self.about['exported_at']}",
        ]

    def file_label(self) -> str:
        return f"qualcode {self.about['kind']}: {self.about['value']} by {self.about['rows']}"


@dataclass(frozen=True)
class Writer:
    """How one suffix is written; ``labelled`` writers code categorical attributes as integers."""

    write: Callable[[Prepared, Path], None]
    description: str
    labelled: bool = False


def variable_name(text: str) -> str:
    """A name valid in SPSS and Stata: ASCII letters, digits and _, a letter first, at most 32
    characters, no reserved word (``KV-OPL`` -> ``KV_OPL``, ``TO`` -> ``TO_v``)."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_]", "_", ascii_text).strip("_") or "v"
    if not name[0].isalpha():
        name = "v" + name
    name = name[:MAX_NAME]
    if name.upper() in SPSS_RESERVED | STATA_RESERVED or re.fullmatch(r"str\d+", name, re.IGNORECASE):
        name = name[: MAX_NAME - 2] + "_v"
    return name


def variable_names(columns) -> dict[str, str]:
    """Distinct names for ``columns``; a clash (compared case-insensitively, as SPSS does) gets
    ``_2``, ``_3``, ... in column order, so the same columns always get the same names."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        base = variable_name(column)
        name, n = base, 1
        while name.upper() in taken:
            n += 1
            name = f"{base[: MAX_NAME - len(str(n)) - 1]}_{n}"
        taken.add(name.upper())
        names[column] = name
    return names


def _measure(spec: dict) -> str:
    if spec.get("value_labels") or spec.get("type") in ("category", "date", "name") or spec["role"] == "key":
        return "nominal"
    return "scale"


def prepare(frame, labelled: bool, exported_at: str) -> Prepared:
    """Rename to variable names, code categorical attributes (when ``labelled``), build the dictionary."""
    from pandas.api.types import is_numeric_dtype  # noqa: PLC0415 - the CLI imports this module for check_out

    from qualcode import __version__  # noqa: PLC0415 - the package imports this module lazily

    info = frame.attrs["qualcode"]
    key = info["key"]
    specs = {key["name"]: {"role": "key", **key}, **info["variables"]}
    data = frame.reset_index()[list(specs)]
    names = variable_names(specs)
    value_labels: dict[str, dict[int, str]] = {}
    variables = []
    for column, spec in specs.items():
        labels = {int(k): v for k, v in spec.get("value_labels", {}).items()}
        if spec.get("type") == "category" and spec["role"] == "attribute":
            values = data[column].dropna().astype(str)
            if labelled:
                labels = {code: value for code, value in enumerate(sorted(values.unique()), start=1)}
                data[column] = data[column].map({value: code for code, value in labels.items()})
        if not is_numeric_dtype(data[column]):
            data[column] = data[column].fillna("").astype(str)
        if labels:
            value_labels[names[column]] = labels
        variables.append({
            "variable": names[column], "column": column, "label": spec["label"], "meaning": spec["meaning"],
            "source_codes": spec.get("source_codes", []), "value_labels": labels,
            "measure": _measure({**spec, "value_labels": labels}),
        })
    about = {key_: info[key_] for key_ in ("kind", "coder", "coding_rule", "codebook", "value", "rows")}
    about["unit"] = info.get("unit")
    about["audit_head"] = info.get("audit_head")  # the project state exported (qualcode log --verify)
    about |= {"qualcode_version": __version__, "exported_at": exported_at}
    return Prepared(data.rename(columns=names), variables, about, value_labels)


def _dictionary_table(prepared: Prepared) -> list[list[str]]:
    rows = [["variable", "label", "meaning", "source_codes", "value_labels", "measure"]]
    for v in prepared.variables:
        labels = "; ".join(f"{code}={text}" for code, text in v["value_labels"].items())
        rows.append([v["variable"], v["label"], v["meaning"], " ".join(v["source_codes"]), labels, v["measure"]])
    return rows


def write_dictionary(prepared: Prepared, out: Path) -> list[Path]:
    """``<stem>.dictionary.csv`` (no timestamp, byte-stable) and ``.json`` (with provenance)."""
    import csv  # noqa: PLC0415

    csv_path = out.with_name(out.stem + ".dictionary.csv")
    json_path = out.with_name(out.stem + ".dictionary.json")
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(_dictionary_table(prepared))
    document = {"file": out.name, **prepared.about, "variables": prepared.variables}
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [csv_path, json_path]


def _write_csv(prepared: Prepared, out: Path) -> None:
    prepared.data.to_csv(out, index=False, lineterminator="\n", encoding="utf-8")


def _write_parquet(prepared: Prepared, out: Path) -> None:
    data = prepared.data.copy()
    data.attrs = {"qualcode": {**prepared.about, "variables": prepared.variables}}
    data.to_parquet(out, index=False)


def _write_sav(prepared: Prepared, out: Path) -> None:
    import pyreadstat  # noqa: PLC0415 - only .sav and .dta need it

    pyreadstat.write_sav(
        prepared.data, out, file_label=prepared.file_label()[:64], column_labels=prepared.labels(),
        note=[part for line in prepared.notes() for part in textwrap.wrap(line, 80)],
        variable_value_labels=prepared.value_labels,
        variable_measure={v["variable"]: v["measure"] for v in prepared.variables},
    )


def _write_dta(prepared: Prepared, out: Path) -> None:
    import pyreadstat  # noqa: PLC0415 - only .sav and .dta need it

    pyreadstat.write_dta(
        prepared.data, out, file_label=prepared.file_label()[:80],
        column_labels=[label[:80] for label in prepared.labels()], variable_value_labels=prepared.value_labels,
    )


def _sheet_rows(data) -> list[list]:
    """Header and rows with numpy scalars and NaN turned into plain cell values."""
    import pandas as pd  # noqa: PLC0415

    body = data.astype(object).where(pd.notna(data), None).to_numpy().tolist()
    return [[str(c) for c in data.columns], *body]


def _about_rows(prepared: Prepared) -> list[list[str]]:
    return [line.split(": ", 1) for line in prepared.notes()]


def _write_xlsx(prepared: Prepared, out: Path) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - only .xlsx needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("matrix")
    sheet.freeze_panes = "B2"
    for row in _sheet_rows(prepared.data):
        sheet.append(row)
    dictionary = book.create_sheet("dictionary")
    for row in [*_dictionary_table(prepared), [], *_about_rows(prepared)]:
        dictionary.append(row)
    book.save(out)


def _write_framework_xlsx(prepared: Prepared, out: Path) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - only .xlsx needs it
    from openpyxl.styles import Alignment  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    sheet.title = "framework"
    sheet.append(prepared.labels())
    for row in prepared.data.itertuples(index=False):
        sheet.append(list(row))
    wrap = Alignment(wrap_text=True, vertical="top")
    for column in sheet.iter_cols(min_row=2):
        sheet.column_dimensions[column[0].column_letter].width = 48
        for cell in column:
            cell.alignment = wrap
    sheet.freeze_panes = "B2"
    about = book.create_sheet("about")
    for row in _about_rows(prepared):
        about.append(row)
    book.save(out)


def _write_framework_docx(prepared: Prepared, out: Path) -> None:
    import docx  # noqa: PLC0415 - only .docx needs it
    from docx.enum.section import WD_ORIENT  # noqa: PLC0415

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading("Framework matrix", level=1)
    for line in prepared.notes():
        document.add_paragraph(line)
    table = document.add_table(rows=len(prepared.data) + 1, cols=len(prepared.variables))
    table.style = "Table Grid"
    for row, values in zip(table.rows, [prepared.labels(), *prepared.data.itertuples(index=False)], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            _fill_cell(cell, str(value))
    document.save(out)


def _fill_cell(cell, text: str) -> None:
    """Put text (lines as line breaks) in a Word table cell as one run built in one parse:
    ``cell.text = ...`` adds one character at a time, seconds for 200 respondents."""
    from xml.sax.saxutils import escape  # noqa: PLC0415

    from docx.oxml import parse_xml  # noqa: PLC0415
    from docx.oxml.ns import nsdecls  # noqa: PLC0415

    lines = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in text.split("\n"))
    cell.paragraphs[0]._p.append(parse_xml(f"<w:r {nsdecls('w')}>{lines}</w:r>"))


WRITERS: dict[str, Writer] = {
    ".csv": Writer(_write_csv, "comma-separated text, UTF-8; byte-identical when nothing changed"),
    ".xlsx": Writer(_write_xlsx, "Excel: sheet 'matrix' and sheet 'dictionary' (with provenance)"),
    ".sav": Writer(_write_sav, "SPSS: variable and value labels, measurement levels, provenance in the notes", True),
    ".dta": Writer(_write_dta, "Stata 15: variable and value labels", True),
    ".parquet": Writer(_write_parquet, "Parquet (pyarrow), for R arrow, pandas, polars; dictionary in the metadata"),
}
FRAMEWORK_WRITERS: dict[str, Writer] = {
    ".xlsx": Writer(_write_framework_xlsx, "Excel: one wrapped cell of quotes per respondent and theme"),
    ".docx": Writer(_write_framework_docx, "Word: a landscape table of quotes"),
}


def writers_for(kind: str) -> dict[str, Writer]:
    return FRAMEWORK_WRITERS if kind == "framework" else WRITERS


def check_out(out: str | Path, kind: str = "matrix") -> Path:
    """Refuse an output path before any work: unknown suffix or missing folder."""
    out = Path(out)
    choices = writers_for(kind)
    if out.suffix.lower() not in choices:
        given = f"'{out.suffix}'" if out.suffix else "no suffix"
        raise BadInput(f"{out}: cannot write a {kind} as {given}; use one of {', '.join(choices)}")
    if not out.parent.is_dir():
        raise BadInput(f"{out}: the folder {out.parent} does not exist; create it first")
    return out


def write(frame, out: str | Path) -> list[Path]:
    """Write ``frame`` to ``out`` by suffix, plus its data dictionary; returns the paths written."""
    from qualcode.store import now  # noqa: PLC0415 - the store's one time format

    kind = frame.attrs["qualcode"]["kind"]
    out = check_out(out, kind)
    if frame.empty:
        raise BadInput(f"{out}: the {kind} is empty; nothing written")
    writer = writers_for(kind)[out.suffix.lower()]
    prepared = prepare(frame, writer.labelled, now())
    writer.write(prepared, out)
    return [out, *write_dictionary(prepared, out)]
