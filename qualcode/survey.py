"""Meeting the survey: the theme matrix joined onto a survey file, and the joint display.

Takes a survey file (``read_survey(path, key) -> Survey``: .sav, .dta, .csv or .xlsx, with its
variable and value labels) and a theme matrix prepared for export
(:func:`qualcode.export.prepare`), gives the survey with the themes added
(``join(survey, themes) -> Joined``, written by :func:`write_joined`), or the mixed-methods
joint display (``joint_display(presence, passages, survey, by) -> DataFrame``: themes as rows,
survey groups or score bands as columns, prevalence and one short quote per cell).

The join keeps every survey row and never overwrites a survey variable: a theme variable whose
name the survey already uses is renamed ``qc_NAME``. Keys are compared as text (``1001`` and
``1001.0`` are the same respondent); keys on one side only are listed, never dropped silently.

    >>> key_text(pd.Series([1001.0, None, " R01 "])).tolist()  # doctest: +SKIP
    ['1001', <NA>, 'R01']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qualcode.errors import BadFile, BadInput, UnknownItem
from qualcode.export import MAX_NAME, Prepared, fill_word_table, variable_name
from qualcode.outputfile import PERSONAL_DATA, write_atomically
from qualcode.spreadsheet import csv_cell, printable, xlsx_row

SUFFIXES = (".sav", ".dta", ".csv", ".xlsx")
DISPLAY_SUFFIXES = (".xlsx", ".docx")
PREFIX = "qc_"
INTERVIEWED = "qc_interviewed"
QUOTE_WORDS = 25
MAX_GROUPS = 8
FILE_LABEL = "personal data: survey answers and interview themes; keep private"  # SPSS keeps 64 characters


@dataclass
class Survey:
    """A survey file read with its labels; ``key`` is the respondent key column (as text)."""

    path: Path
    data: pd.DataFrame
    key: str
    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)


@dataclass
class Joined:
    """The survey with the themes added, its labels, and what did not match."""

    data: pd.DataFrame
    labels: dict[str, str]
    value_labels: dict[str, dict]
    measures: dict[str, str]
    integers: list[str]
    renamed: dict[str, str]
    survey_only: list[str]
    interview_only: list[str]


def key_text(values: pd.Series) -> pd.Series:
    """Keys as text: whole numbers without ``.0``, surrounding spaces gone, missing stays missing."""
    if pd.api.types.is_numeric_dtype(values):
        whole = values.dropna()
        if (whole == whole.round()).all():
            values = values.astype("Int64")
    return values.astype("string").str.strip()


def check_suffix(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    if path.suffix.lower() not in suffixes:
        given = f"'{path.suffix}'" if path.suffix else "no suffix"
        raise BadInput(f"{path}: cannot use {given} for {what}; use one of {', '.join(suffixes)}")


def read_survey(path: str | Path, key: str) -> Survey:
    """Read a survey file and its labels; the ``key`` column must be there and unique."""
    path = Path(path)
    check_suffix(path, SUFFIXES, "a survey file")
    if not path.is_file():
        raise BadFile(path, "no such file; give the survey's path")
    survey = Survey(path, pd.DataFrame(), key)
    if path.suffix.lower() in (".sav", ".dta"):
        import pyreadstat  # noqa: PLC0415 - only .sav and .dta need it

        reader = pyreadstat.read_sav if path.suffix.lower() == ".sav" else pyreadstat.read_dta
        try:
            survey.data, meta = reader(path)
        except pyreadstat.ReadstatError as error:
            raise BadFile(path, f"cannot read it ({error}); save it again from SPSS or Stata") from None
        survey.labels = {name: label for name, label in meta.column_names_to_labels.items() if label}
        survey.value_labels = dict(meta.variable_value_labels)
        survey.measures = {name: kind for name, kind in meta.variable_measure.items() if kind != "unknown"}
    elif path.suffix.lower() == ".csv":
        survey.data = pd.read_csv(path, dtype={key: str})
    else:
        survey.data = pd.read_excel(path, dtype={key: str})
    if key not in survey.data.columns:
        raise UnknownItem("survey variable", key, survey.data.columns, "use --key with the survey's respondent key")
    survey.data[key] = key_text(survey.data[key])
    twice = survey.data[key][survey.data[key].notna() & survey.data[key].duplicated()]
    if not twice.empty:
        raise BadInput(f"{path}: {key} {twice.iloc[0]!r} is on more than one survey row; a key must name one respondent")
    return survey


def join(survey: Survey, themes: Prepared) -> Joined:
    """The survey with the theme variables added by key (every survey row kept), plus
    ``qc_interviewed`` (1 when the respondent has a row in the theme matrix)."""
    theme_key = themes.key()
    if theme_key != "respondent_id":
        raise BadInput("the documents have no respondent_id attribute, so nothing can meet the survey: add it to the "
                       "attributes CSV (import --attributes) with the survey's key of each interviewee")
    data = themes.data.copy()
    data[theme_key] = key_text(data[theme_key])
    data = data[data[theme_key].notna()]  # documents without a key are named by the matrix command
    taken = {name.upper() for name in survey.data.columns}
    renamed = {}
    for name in data.columns.drop(theme_key):
        if name.upper() in taken:
            renamed[name] = variable_name(PREFIX + name)[:MAX_NAME]
    data = data.rename(columns=renamed).rename(columns={theme_key: survey.key})
    keys = set(data[survey.key].dropna())
    merged = survey.data.merge(data, on=survey.key, how="left", validate="one_to_one")
    interviewed = survey.data[survey.key].isin(keys).astype("int64").to_numpy()
    merged.insert(len(survey.data.columns), INTERVIEWED, interviewed)
    variables = {v["variable"]: v for v in themes.variables}
    name = {old: renamed.get(old, old) for old in variables}
    labels = {**survey.labels, **{name[v]: spec["label"] for v, spec in variables.items() if v != theme_key},
              INTERVIEWED: "Interviewed: has a row in the qualcode theme matrix"}
    value_labels = {**survey.value_labels, **{name[v]: lab for v, lab in themes.value_labels.items()},
                    INTERVIEWED: {0: "not interviewed", 1: "interviewed"}}
    measures = {**survey.measures, **{name[v]: spec["measure"] for v, spec in variables.items() if v != theme_key},
                INTERVIEWED: "nominal"}
    surveyed = set(survey.data[survey.key].dropna())
    return Joined(merged, labels, value_labels, measures,
                  [name[v] for v in themes.integers() if v != theme_key] + [INTERVIEWED], renamed,
                  sorted(surveyed - keys), sorted(keys - surveyed))


def write_joined(joined: Joined, out: Path) -> None:
    """Write the joined file by suffix (.sav, .dta, .csv, .xlsx), labels kept where the format has them."""
    check_suffix(out, SUFFIXES, "the joined file")
    data = joined.data.copy()
    for name in joined.integers:
        data[name] = data[name].astype("float64")
    columns = [str(c) for c in data.columns]
    suffix = out.suffix.lower()

    def write(path: Path) -> None:
        if suffix == ".csv":
            escaped = joined.data.apply(lambda column: column.map(csv_cell) if column.dtype == object else column)
            escaped.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
            return
        if suffix == ".xlsx":
            from openpyxl import Workbook  # noqa: PLC0415 - only .xlsx needs it

            book = Workbook(write_only=True)
            sheet = book.create_sheet("survey+themes")
            for row in [columns, *joined.data.astype(object).where(joined.data.notna(), None).itertuples(index=False)]:
                sheet.append(xlsx_row(sheet, row))
            book.properties.description = PERSONAL_DATA
            book.save(path)
            return
        import pyreadstat  # noqa: PLC0415 - only .sav and .dta need it

        labels = [joined.labels.get(c) for c in columns]
        if suffix == ".sav":
            pyreadstat.write_sav(data, path, file_label=FILE_LABEL, column_labels=labels, variable_value_labels=joined.value_labels,
                                 variable_measure={c: m for c, m in joined.measures.items() if c in columns},
                                 variable_format=dict.fromkeys(joined.integers, "F8.0"))
        else:
            numeric = {c for c in columns if pd.api.types.is_numeric_dtype(data[c])}
            pyreadstat.write_dta(data, path, file_label=FILE_LABEL, column_labels=[(label or "")[:80] for label in labels],
                                 variable_value_labels={c: v for c, v in joined.value_labels.items() if c in numeric},
                                 variable_format=dict.fromkeys(joined.integers, "%8.0g"))

    write_atomically(out, write)


def unmatched_table(joined: Joined, key: str) -> pd.DataFrame:
    """Every unmatched key and its side, for the CSV written beside the joined file."""
    rows = [(k, "survey only: not interviewed") for k in joined.survey_only]
    rows += [(k, "interview only: not in the survey") for k in joined.interview_only]
    return pd.DataFrame(rows, columns=[key, "side"])


# ---- the joint display ------------------------------------------------------------------


def survey_groups(survey: Survey, by: str, bands: int) -> tuple[pd.Series, list[str]]:
    """Each respondent's group on ``by`` (index: key) and the groups in order: the value
    labels or values of a variable with few values, else ``bands`` equal-count score bands."""
    if by not in survey.data.columns:
        raise UnknownItem("survey variable", by, survey.data.columns, "use --by with a survey variable")
    values = survey.data.set_index(survey.key)[by]
    labels = survey.value_labels.get(by, {})
    if labels or values.nunique() <= MAX_GROUPS or not pd.api.types.is_numeric_dtype(values):
        order = sorted(values.dropna().unique())
        names = {value: str(labels.get(value, value)) for value in order}
        return values.map(names), [names[value] for value in order]
    cut = pd.qcut(values, bands, duplicates="drop")
    span = values.groupby(cut, observed=True).agg(["min", "max"])
    names = {interval: f"{by} {low:g} to {high:g}" for interval, (low, high) in span.iterrows()}
    return cut.map(names).astype("string"), list(names.values())


def _short(text: str) -> str:
    words = text.split()
    return " ".join(words[:QUOTE_WORDS]) + (" ..." if len(words) > QUOTE_WORDS else "")


def joint_display(presence: pd.DataFrame, passages: pd.DataFrame, survey: Survey, by: str, bands: int = 3) -> pd.DataFrame:
    """Themes (rows) x survey groups (columns). A cell: how many of the group's interviewed,
    reviewed respondents have the theme (``k of n (p%)``) and the shortest of their passages
    for it. ``presence``: respondents (index: key) x themes, missing where not reviewed;
    ``passages``: key, column, ref, text."""
    groups, order = survey_groups(survey, by, bands)
    presence = presence.set_axis(key_text(presence.index.to_series()))
    reviewed = presence.dropna(how="all")
    group_of = groups.reindex(reviewed.index)
    passages = passages.assign(key=key_text(passages["key"]), group=lambda p: p["key"].map(groups),
                               words=lambda p: p["text"].str.split().str.len())
    passages = passages.dropna(subset=["group"]).sort_values(["words", "ref"])
    cells = {}
    for group in order:
        members = reviewed[(group_of == group).to_numpy()]
        quotes = passages[passages["group"] == group].drop_duplicates("column").set_index("column")
        column = {}
        for theme in presence.columns:
            if members.empty:
                column[theme] = "no interviewee"
                continue
            k = int(members[theme].sum())
            quote = (f"\n\u201c{_short(quotes.loc[theme, 'text'])}\u201d ({quotes.loc[theme, 'ref']})"
                     if theme in quotes.index else "")
            column[theme] = f"{k} of {len(members)} ({k / len(members):.0%}){quote}"
        cells[group] = column
    table = pd.DataFrame(cells, index=list(presence.columns), columns=order)
    table.index.name = "theme"
    table.attrs["qualcode"] = {
        "by": by, "groups": order,
        "interviewed_in_survey": int(group_of.notna().sum()),
        "interviewed_not_in_survey": sorted(set(reviewed.index) - set(groups.index)),
    }
    return table


def display_notes(table: pd.DataFrame) -> list[str]:
    """What a joint display shows and whom it leaves out, for its header and the terminal."""
    info = table.attrs["qualcode"]
    return [f"themes by {info['by']}: per cell, interviewees with the theme of those reviewed in the group, "
            "and the shortest of their passages",
            f"coding rule: {info['coding_rule']}",
            f"interviewees found in the survey: {info['interviewed_in_survey']}; not in it: "
            f"{', '.join(info['interviewed_not_in_survey']) or 'none'}"]


def write_joint_display(table: pd.DataFrame, labels: dict[str, str], notes: list[str], out: Path) -> None:
    """The joint display as an .xlsx sheet or a landscape Word table; ``labels`` name the themes."""
    check_suffix(out, DISPLAY_SUFFIXES, "a joint display")
    header = ["theme", *table.columns]
    rows = [[labels.get(theme, theme), *table.loc[theme]] for theme in table.index]

    def write_xlsx(path: Path) -> None:
        from openpyxl import Workbook  # noqa: PLC0415 - only .xlsx needs it
        from openpyxl.styles import Alignment  # noqa: PLC0415

        book = Workbook()
        sheet = book.active
        sheet.title = "joint display"
        for row in [header, *rows]:
            sheet.append([printable(value) if isinstance(value, str) else value for value in row])
        for column in sheet.iter_cols():
            for cell in column:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
            sheet.column_dimensions[column[0].column_letter].width = 40
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        about = book.create_sheet("about")
        for line in notes:
            about.append([printable(line)])
        for cell in about["A"]:
            cell.data_type = "s"
        book.properties.description = PERSONAL_DATA
        book.save(path)

    def write_docx(path: Path) -> None:
        import docx  # noqa: PLC0415 - only .docx needs it
        from docx.enum.section import WD_ORIENT  # noqa: PLC0415

        document = docx.Document()
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
        document.add_heading("Joint display", level=1)
        for line in notes:
            document.add_paragraph(printable(line))
        grid = document.add_table(rows=0, cols=len(header))
        grid.style = "Table Grid"
        fill_word_table(grid, [header, *rows])
        document.core_properties.comments = PERSONAL_DATA
        document.save(path)

    write_atomically(out, write_xlsx if out.suffix.lower() == ".xlsx" else write_docx)
