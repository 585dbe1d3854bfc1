"""``qualcode matrix``, ``qualcode cooccurrence`` and ``qualcode framework``: theme matrices."""

from pathlib import Path

import click

from qualcode.cli.common import attr_show_option, literal, literal_table, progress_on_stderr, project_option, raw_option
from qualcode.export import FRAMEWORK_WRITERS, WRITERS, check_out
from qualcode.selection import parse_pairs

CODER_HELP = "Which codings count: a coder's name, consensus, union or all (default: consensus if it exists, else union)."


def _codes(values: tuple[str, ...]):
    """``--codes top`` / ``all`` as the word, otherwise the list of code ids."""
    if len(values) == 1 and values[0] in ("top", "all"):
        return values[0]
    return list(values) or "top"


def codes_option(fn):
    return click.option("--codes", multiple=True, metavar="top|all|ID",
                        help="Columns: top (sub-codes rolled up), all, or code ids (repeat). Default: top.")(fn)


def coder_option(fn):
    return click.option("--coder", metavar="NAME|consensus|union|all", help=CODER_HELP)(fn)


def attr_option(fn):
    return click.option("--attr", "attributes", multiple=True, metavar="KEY=VALUE",
                        help="Only documents with this attribute value (repeat for more).")(fn)


def out_option(writers, required: bool = False):
    return click.option("--out", required=required, type=click.Path(dir_okay=False, path_type=Path),
                        help=f"Write to this file; the extension picks the format ({', '.join(writers)}).")


def labels_option(fn):
    return click.option("--labels", type=click.Choice(["nl", "en"]),
                        help="Variable labels from the codes' Dutch label (nl) or English name (en). "
                             "Default: the codebook's language.")(fn)


def _notes(frame) -> None:
    """Say which rows are missing and which documents the survey key cannot reach."""
    info = frame.attrs["qualcode"]
    if info.get("not_reviewed"):
        click.echo(f"{info['not_reviewed']} documents not reviewed under this rule: their cells are missing ('.'), not 0")
    if info.get("without_key"):
        click.echo(f"documents without a respondent_id (no survey row can match them): {', '.join(info['without_key'])}")


def _write(project, frame, out: Path, raw: bool = False) -> None:
    with progress_on_stderr() as progress:
        written = project.export_matrix(out, frame=frame, raw=raw, progress=progress)
    click.echo(f"wrote {written[0]} ({len(frame)} rows x {len(frame.columns)} columns)")
    click.echo(f"data dictionary: {', '.join(str(path) for path in written[1:3])}")
    if written[3:]:
        click.echo(f"load and merge with a survey: {', '.join(str(path) for path in written[3:])}")
    _notes(frame)


def _cell(value) -> str:
    import pandas as pd  # noqa: PLC0415 - only rendering a computed table needs it, and pandas is loaded by then

    if pd.isna(value):
        return "."
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _widths(frame) -> tuple[int, list[int]]:
    """How many characters a rich table of ``frame`` needs: the first column with its border and
    padding, and each further column with its padding and the border after it. Reads the cells
    as one array: a column taken from the frame copies its ``attrs`` (the data dictionary)."""
    first = 3 + max([len(str(frame.index.name or "")), *map(len, map(str, frame.index))])
    cells = frame.to_numpy(dtype=object)
    return first, [3 + max([len(str(column)), *(len(_cell(value)) for value in cells[:, k])])
                   for k, column in enumerate(frame.columns)]


def _show(frame, title: str) -> None:
    """Print the table, codes as rows when that is what fits the terminal, and only the columns
    that fit (rich would squeeze the others to nothing)."""
    from rich.console import Console  # noqa: PLC0415 - only terminal output needs rich

    console = Console()
    original = frame
    rule = frame.attrs["qualcode"]["coding_rule"]
    first, widths = _widths(frame)
    if first + sum(widths) > console.width:
        first_turned, widths_turned = _widths(frame.T)
        if first_turned + sum(widths_turned) < first + sum(widths):
            frame, first, widths = frame.T.rename_axis("code"), first_turned, widths_turned
            title += " (transposed to fit: codes as rows)"
    total = fitting = len(frame.columns)
    while fitting > 1 and first + sum(widths[:fitting]) > console.width:
        fitting -= 1
    frame = frame.iloc[:, :fitting]
    table = literal_table(title)
    table.add_column(literal(frame.index.name or ""), style="bold", no_wrap=True)
    for column, kind in frame.dtypes.items():
        table.add_column(literal(column), justify="left" if kind == object else "right", overflow="fold")
    for key, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        table.add_row(literal(key), *(literal(_cell(value)) for value in row))
    console.print(table)
    click.echo(f"coding rule: {rule}")
    _notes(original)
    if len(frame.columns) < total:
        click.echo(f"the first {len(frame.columns)} of {total} columns fit this terminal; "
                   "write them all to a file with --out FILE.xlsx (or .csv)")


@click.command()
@click.option("--rows", default="document", show_default=True, metavar="document|ATTR",
              help="One row per document (respondent), or per value of an attribute such as role.")
@codes_option
@click.option("--value", type=click.Choice(["count", "presence", "share", "words"]), default="count", show_default=True,
              help="Coded segments, presence 0/1, share of the respondent's segments, or coded words.")
@coder_option
@attr_option
@labels_option
@out_option(WRITERS)
@raw_option
@project_option
def matrix(project, rows, codes, value, coder, attributes, labels, out, raw):
    """Respondent x code matrix: one row per respondent (or attribute value), one column per
    theme, for the survey analysis. Without --out it prints the table and the coding rule;
    with --out it writes the file (with case attributes, labels, a data dictionary, and for
    .sav/.dta an R and a Stata script that merge it with a survey).

    A respondent that no coder of the rule reviewed is missing ('.'), not 0; rows by attribute
    add up the reviewed documents only. The key is the attribute respondent_id (as text); one
    respondent_id on two documents is an error unless --rows respondent_id adds them up.

    \b
    Example:
        qualcode matrix --codes top --value presence --out exports/themes.sav
        qualcode matrix --rows role --value share --coder consensus --labels en
    """
    if out is not None:
        check_out(out)
    with progress_on_stderr() as progress:
        frame = project.matrix(rows=rows, codes=_codes(codes), value=value, coder=coder, attributes=parse_pairs(attributes),
                               attribute_columns=out is not None, labels=labels, progress=progress)
    if out is None:
        _show(frame, f"{value} per {rows}")
    else:
        _write(project, frame, out, raw)


@click.command()
@click.option("--within", type=click.Choice(["segment", "turn", "document"]), default="segment", show_default=True,
              help="Two codes co-occur when they are in the same segment, turn or document.")
@click.option("--measure", type=click.Choice(["count", "jaccard"]), default="count", show_default=True,
              help="Number of units with both codes, or that divided by the units with either.")
@codes_option
@coder_option
@attr_option
@labels_option
@out_option(WRITERS)
@raw_option
@project_option
def cooccurrence(project, within, measure, codes, coder, attributes, labels, out, raw):
    """Code x code co-occurrence: how often two themes are coded in the same segment, turn
    or interview. The diagonal counts the units with the code itself.

    \b
    Example:
        qualcode cooccurrence --within document --measure jaccard
        qualcode cooccurrence --codes all --out exports/cooccurrence.xlsx
    """
    if out is not None:
        check_out(out, "cooccurrence")
    with progress_on_stderr() as progress:
        frame = project.cooccurrence(within=within, measure=measure, codes=_codes(codes), coder=coder,
                                     attributes=parse_pairs(attributes), labels=labels, progress=progress)
    if out is None:
        _show(frame, f"{measure} of codes within the same {within}")
    else:
        _write(project, frame, out, raw)


@click.command()
@codes_option
@click.option("--quotes", default=3, show_default=True, type=click.IntRange(min=1),
              help="At most this many quotes per respondent and theme.")
@coder_option
@attr_option
@labels_option
@out_option(FRAMEWORK_WRITERS, required=True)
@attr_show_option
@project_option
def framework(project, codes, quotes, coder, attributes, labels, out, show_attributes):
    """Framework matrix: respondents x themes, each cell holding up to N quotes (with their
    memos) for that respondent and theme, for case summaries as in NVivo. A quote names its
    DOC:N, and only the attributes named with --attr-show.

    \b
    Example:
        qualcode framework --codes top --quotes 2 --attr-show role --out exports/framework.docx
    """
    check_out(out, "framework")
    with progress_on_stderr() as progress:
        frame = project.framework(codes=_codes(codes), quotes=quotes, coder=coder, attributes=parse_pairs(attributes),
                                  labels=labels, show_attributes=show_attributes, progress=progress)
    _write(project, frame, out)
