"""Writing matrices for the survey pipeline: CSV, Excel, SPSS, Stata and Parquet, labelled.

Takes a frame from :mod:`qualcode.matrices` (its ``attrs["qualcode"]`` says what it holds) and a
path; :func:`write` picks the writer by suffix from :data:`WRITERS` (or
:data:`FRAMEWORK_WRITERS` for a framework matrix), which also drive ``--out`` validation and the
README's format table. Every file gets its own data dictionary beside it
(``themes.sav`` -> ``themes.sav.dictionary.csv`` and ``.json``), and a .sav or .dta file a
short R (haven) and Stata script that load it with its labels and merge it with a survey file
by the key (``themes.sav.R``, ``themes.sav.do``). Variable names follow both SPSS and Stata
rules (``KV-OPL`` -> ``KV_OPL``). Every file is written to a temporary name and renamed when
complete, so a failed write leaves nothing behind.

What the statistician gets: the key as the text it is (never labelled integers); missing cells
missing (system-missing in .sav, ``.`` in .dta, empty in .csv, null in .parquet), not 0 or "";
dates as dates (SPSS DATE, Stata %td, R Date via haven or arrow); counts and presence as
integers (F8.0). CSV files hold no timestamps: exporting the same project twice gives the same
bytes; the export time is in the JSON dictionary, the .sav notes and the .xlsx dictionary sheet.
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
from qualcode.outputfile import PERSONAL_DATA, write_atomically

MAX_NAME = 31  # Stata allows 32, but readstat refuses 32 for a variable with value labels; SPSS allows 64 bytes
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
    raw: bool = False  # CSV text as it is, formula-like cells included (see qualcode.spreadsheet)

    def key(self) -> str:
        return self.variables[0]["variable"]

    def integers(self) -> list[str]:
        """The variables holding whole numbers (counts, presence, coded categories)."""
        return [v["variable"] for v in self.variables if v["storage"] == "integer"]

    def for_readstat(self):
        """The data as readstat writes it: nullable integers as floats, NaN where missing."""
        data = self.data.copy()
        for name in self.integers():
            data[name] = data[name].astype("float64")
        return data

    def labels(self) -> list[str]:
        return [variable["label"] for variable in self.variables]

    def notes(self) -> list[str]:
        book = self.about["codebook"]
        return [
            *([self.about["personal_data"]] if "personal_data" in self.about else []),
            f"codebook: {book['title']} {book['version']}".rstrip(),
            f"coding rule: {self.about['coding_rule']}",
            f"qualcode version: {self.about['qualcode_version']}",
            f"exported at: {self.about['exported_at']}",
            *([f"missing: {self.about['missing']}"] if "missing" in self.about else []),
        ]

    def file_label(self) -> str:
        private = "personal data; " if "personal_data" in self.about else ""
        return f"{private}qualcode {self.about['kind']}: {self.about['value']} by {self.about['rows']}"


@dataclass(frozen=True)
class Writer:
    """How one suffix is written; ``labelled`` writers code categorical attributes as integers
    and get an R and a Stata script beside the file."""

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


def _storage(column, role: str) -> str:
    """How a column is stored: integer, decimal, date or text. A float attribute holding only
    whole numbers (an age read with gaps) is an integer; a float code column (share) is not."""
    from pandas.api.types import is_datetime64_any_dtype, is_integer_dtype, is_numeric_dtype  # noqa: PLC0415

    if is_datetime64_any_dtype(column):
        return "date"
    if is_integer_dtype(column):
        return "integer"
    if is_numeric_dtype(column):
        values = column.dropna()
        whole = role == "attribute" and len(values) and (values == values.round()).all()
        return "integer" if whole else "decimal"
    return "text"


def prepare(frame, labelled: bool, exported_at: str, raw: bool = False) -> Prepared:
    """Rename to variable names, code categorical attributes (when ``labelled``), build the dictionary."""
    import pandas as pd  # noqa: PLC0415 - the CLI imports this module for check_out

    from qualcode import __version__  # noqa: PLC0415 - the package imports this module lazily

    info = frame.attrs["qualcode"]
    key = info["key"]
    specs = {key["name"]: {"role": "key", **key}, **info["variables"]}
    data = frame.reset_index()[list(specs)]
    data.attrs = {}  # read above; pandas deep-copies a frame's attrs at every column taken or set
    names = variable_names(specs)
    value_labels: dict[str, dict[int, str]] = {}
    variables = []
    for column, spec in specs.items():
        labels = {int(k): v for k, v in spec.get("value_labels", {}).items()}
        if spec["role"] == "key":
            data[column] = data[column].astype("string").astype(object).where(data[column].notna(), None)
        elif spec.get("type") == "category" and spec["role"] == "attribute":
            values = data[column].dropna().astype(str)
            if labelled:
                labels = {code: value for code, value in enumerate(sorted(values.unique()), start=1)}
                data[column] = data[column].map({value: code for code, value in labels.items()}).astype("Int64")
        storage = _storage(data[column], spec["role"])
        if storage == "date":
            data[column] = pd.Series([None if pd.isna(day) else day.date() for day in data[column]], dtype=object)
        elif storage == "text":
            data[column] = data[column].astype(object).where(data[column].notna(), None)
        elif storage == "integer":
            data[column] = data[column].astype("Int64")
        if labels:
            value_labels[names[column]] = labels
        variables.append({
            "variable": names[column], "column": column, "label": spec["label"], "meaning": spec["meaning"],
            "source_codes": spec.get("source_codes", []), "reference": spec.get("reference", ""), "value_labels": labels,
            "storage": storage,
            "measure": _measure({**spec, "value_labels": labels}),
        })
    about = {key_: info[key_] for key_ in ("kind", "coder", "coding_rule", "codebook", "value", "rows")}
    about |= {key_: info[key_] for key_ in ("missing", "not_reviewed", "without_key") if key_ in info}
    about["unit"] = info.get("unit")
    about["audit_head"] = info.get("audit_head")  # the project state exported (qualcode log --verify)
    about |= {"qualcode_version": __version__, "exported_at": exported_at}
    if info["kind"] == "framework" or any(spec["role"] == "attribute" for spec in specs.values()):
        about["personal_data"] = PERSONAL_DATA
    return Prepared(data.rename(columns=names), variables, about, value_labels, raw)


def _dictionary_table(prepared: Prepared) -> list[list[str]]:
    rows = [["variable", "label", "meaning", "source_codes", "reference", "value_labels", "measure", "storage"]]
    for v in prepared.variables:
        labels = "; ".join(f"{code}={text}" for code, text in v["value_labels"].items())
        rows.append([v["variable"], v["label"], v["meaning"], " ".join(v["source_codes"]), v["reference"], labels,
                     v["measure"], v["storage"]])
    return rows


def beside(out: Path, ending: str) -> Path:
    """A file that belongs to ``out``: ``themes.sav`` -> ``themes.sav.dictionary.csv``."""
    return out.with_name(out.name + ending)


def write_dictionary(prepared: Prepared, out: Path) -> list[Path]:
    """``<file>.dictionary.csv`` (no timestamp, byte-stable) and ``.json`` (with provenance)."""
    import csv  # noqa: PLC0415

    from qualcode.spreadsheet import csv_row  # noqa: PLC0415

    def table(path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(csv_row(row, prepared.raw) for row in _dictionary_table(prepared))

    document = {"file": out.name, **prepared.about, "variables": prepared.variables}
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    csv_path, json_path = beside(out, ".dictionary.csv"), beside(out, ".dictionary.json")
    write_atomically(csv_path, table)
    write_atomically(json_path, lambda path: path.write_text(text, encoding="utf-8"))
    return [csv_path, json_path]


R_SCRIPT = """# Load {file} with its labels and merge it with your survey by {key} (written by qualcode {version}).
library(haven)   # install.packages(c("haven", "dplyr"))
library(dplyr)
themes <- {reader}("{file}")             # variable and value labels kept; as_factor(themes) for factors
themes${key} <- as.character(themes${key})  # the key is text: "R01" must not become 1
survey <- read_sav("SURVEY.sav")         # or read_dta("SURVEY.dta"), readr::read_csv("SURVEY.csv")
survey${key} <- as.character(survey${key})
merged <- left_join(survey, themes, by = "{key}")   # every survey respondent; themes missing if not interviewed
anti_join(themes, survey, by = "{key}")              # interviewed but not in the survey: check these
"""

STATA_SCRIPT = """* Load {file} with its labels and merge it with your survey by {key} (written by qualcode {version}).
{loader}
tempfile themes
save `themes'
use "SURVEY.dta", clear
capture tostring {key}, replace            // the key is text in {file}: "R01" must not become 1
merge 1:1 {key} using `themes'
tabulate _merge                             // 1 survey only, 2 interviewed only, 3 both
"""


def write_scripts(prepared: Prepared, out: Path) -> list[Path]:
    """``<file>.R`` (haven) and ``<file>.do`` (Stata) that load ``out`` with labels and merge it
    with a survey file by the key."""
    sav = out.suffix.lower() == ".sav"
    fields = {"file": out.name, "key": prepared.key(), "version": prepared.about["qualcode_version"]}
    loader = f'import spss using "{out.name}", clear' if sav else f'use "{out.name}", clear'
    scripts = {beside(out, ".R"): R_SCRIPT.format(reader="read_sav" if sav else "read_dta", **fields),
               beside(out, ".do"): STATA_SCRIPT.format(loader=loader, **fields)}
    for path, text in scripts.items():
        write_atomically(path, lambda temporary, text=text: temporary.write_text(text, encoding="utf-8"))
    return list(scripts)


def _write_csv(prepared: Prepared, out: Path) -> None:
    from pandas.api.types import is_numeric_dtype  # noqa: PLC0415

    from qualcode.spreadsheet import csv_cell  # noqa: PLC0415

    data = prepared.data.apply(
        lambda column: column if is_numeric_dtype(column) else column.map(lambda value: csv_cell(value, prepared.raw))
    )
    data.to_csv(out, index=False, lineterminator="\n", encoding="utf-8")


def _write_parquet(prepared: Prepared, out: Path) -> None:
    data = prepared.data.copy()
    data.attrs = {"qualcode": {**prepared.about, "variables": prepared.variables}}
    data.to_parquet(out, index=False)


def _write_sav(prepared: Prepared, out: Path) -> None:
    import pyreadstat  # noqa: PLC0415 - only .sav and .dta need it

    pyreadstat.write_sav(
        prepared.for_readstat(), out, file_label=prepared.file_label()[:64], column_labels=prepared.labels(),
        note=[part for line in prepared.notes() for part in textwrap.wrap(line, 80)],
        variable_value_labels=prepared.value_labels,
        variable_measure={v["variable"]: v["measure"] for v in prepared.variables},
        variable_format=dict.fromkeys(prepared.integers(), "F8.0"),
    )


def _write_dta(prepared: Prepared, out: Path) -> None:
    import pyreadstat  # noqa: PLC0415 - only .sav and .dta need it

    pyreadstat.write_dta(
        prepared.for_readstat(), out, file_label=prepared.file_label()[:80],
        column_labels=[label[:80] for label in prepared.labels()], variable_value_labels=prepared.value_labels,
        variable_format=dict.fromkeys(prepared.integers(), "%8.0g"),
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

    from qualcode.spreadsheet import xlsx_row  # noqa: PLC0415

    book = Workbook(write_only=True)
    sheet = book.create_sheet("matrix")
    sheet.freeze_panes = "B2"
    for row in _sheet_rows(prepared.data):
        sheet.append(xlsx_row(sheet, row))
    dictionary = book.create_sheet("dictionary")
    for row in [*_dictionary_table(prepared), [], *_about_rows(prepared)]:
        dictionary.append(xlsx_row(dictionary, row))
    book.properties.description = prepared.about.get("personal_data")
    book.save(out)


def _write_framework_xlsx(prepared: Prepared, out: Path) -> None:
    from copy import copy  # noqa: PLC0415

    from openpyxl import Workbook  # noqa: PLC0415 - only .xlsx needs it
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Alignment  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    from qualcode.spreadsheet import xlsx_row  # noqa: PLC0415

    book = Workbook(write_only=True)  # streamed rows: a fraction of the time of the cell-by-cell workbook
    sheet = book.create_sheet("framework")
    for column in range(1, len(prepared.variables) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 48
    sheet.freeze_panes = "B2"
    template = WriteOnlyCell(sheet)
    template.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append(xlsx_row(sheet, prepared.labels()))
    for row in prepared.data.itertuples(index=False):
        cells = xlsx_row(sheet, row)
        for cell in cells:
            cell._style = copy(template._style)  # the wrap style looked up once, not hashed per cell
        sheet.append(cells)
    about = book.create_sheet("about")
    for row in _about_rows(prepared):
        about.append(xlsx_row(about, row))
    book.properties.description = prepared.about.get("personal_data")
    book.save(out)


def _write_framework_docx(prepared: Prepared, out: Path) -> None:
    import docx  # noqa: PLC0415 - only .docx needs it
    from docx.enum.section import WD_ORIENT  # noqa: PLC0415

    from qualcode.spreadsheet import printable  # noqa: PLC0415

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading("Framework matrix", level=1)
    for line in prepared.notes():
        document.add_paragraph(printable(line))
    table = document.add_table(rows=0, cols=len(prepared.variables))
    table.style = "Table Grid"
    fill_word_table(table, [prepared.labels(), *prepared.data.itertuples(index=False)])
    document.core_properties.comments = prepared.about.get("personal_data", "")
    document.save(out)


def fill_word_table(table, rows) -> None:
    """Append ``rows`` of text to a python-docx table, every row built as XML and parsed once:
    python-docx's cell objects cost seconds for 200 respondents."""
    from docx.oxml import parse_xml  # noqa: PLC0415 - only .docx needs it
    from docx.oxml.ns import nsdecls  # noqa: PLC0415

    widths = [column.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}w") for column in table._tbl.tblGrid]
    xml = "".join(
        "<w:tr>" + "".join(_cell_xml(str(value), width) for value, width in zip(values, widths, strict=True)) + "</w:tr>"
        for values in rows
    )
    table._tbl.extend(parse_xml(f"<w:tbl {nsdecls('w')}>{xml}</w:tbl>"))


def _cell_xml(text: str, width: str) -> str:
    """A Word table cell holding ``text`` as one run, its lines as line breaks."""
    from xml.sax.saxutils import escape  # noqa: PLC0415

    from qualcode.spreadsheet import printable  # noqa: PLC0415

    lines = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(printable(line))}</w:t>' for line in text.split("\n"))
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p><w:r>{lines}</w:r></w:p></w:tc>'


WRITERS: dict[str, Writer] = {
    ".csv": Writer(_write_csv, "comma-separated text, UTF-8; byte-identical when nothing changed"),
    ".xlsx": Writer(_write_xlsx, "Excel: sheet 'matrix' and sheet 'dictionary' (with provenance)"),
    ".sav": Writer(_write_sav, "SPSS: variable and value labels, measurement levels, provenance in the notes; .R and .do beside it", True),
    ".dta": Writer(_write_dta, "Stata 15: variable and value labels; .R and .do beside it", True),
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


def write(frame, out: str | Path, raw: bool = False) -> list[Path]:
    """Write ``frame`` to ``out`` by suffix, plus its data dictionary; returns the paths written.
    Text a spreadsheet would run as a formula is written as text (see :mod:`qualcode.spreadsheet`);
    ``raw`` leaves CSV cells as they are."""
    from qualcode.store import now  # noqa: PLC0415 - the store's one time format

    kind = frame.attrs["qualcode"]["kind"]
    out = check_out(out, kind)
    if frame.empty:
        raise BadInput(f"{out}: the {kind} is empty; nothing written")
    writer = writers_for(kind)[out.suffix.lower()]
    prepared = prepare(frame, writer.labelled, now(), raw)
    write_atomically(out, lambda temporary: writer.write(prepared, temporary))
    scripts = write_scripts(prepared, out) if writer.labelled else []
    return [out, *write_dictionary(prepared, out), *scripts]
