"""What every command shares: opening the project, the --format option, and rendering."""

import contextlib
import csv
import functools
import itertools
import json
import math
import sys
import time

import click

from qualcode.progress import counted, silent

FORMATS = ("table", "json", "csv")
# A terminal table shows this many rows unless --all: rich measures every cell it lays out, so a
# table of every row of a large project would cost many times the CSV of the same rows.
ROWS_SHOWN = 50
# --all prints the rows in tables of this many, so memory stays bounded and output starts at once.
ROWS_PER_TABLE = 200
# The long-text column of a table keeps at least this width; when the other columns leave less,
# each row becomes a block of its own. Beside such a column, the others fold at SIDE_MAX_WIDTH.
TEXT_MIN_WIDTH = 40
SIDE_MAX_WIDTH = 30
RAW_HELP = ("Write CSV cells exactly as stored. By default a cell starting with = + - @, a tab or a carriage "
            "return gets a leading ' so that spreadsheets show it as text and never run it as a formula.")


def _say_waiting() -> None:
    click.echo("qualcode: another qualcode command is writing to this project; waiting for it to finish ...", err=True)


project_path_option = click.option(
    "--project",
    "project_path",
    metavar="PATH",
    help="Project folder or file, or a postgresql:// URL (default: $QUALCODE_DATABASE, "
         "$QUALCODE_PROJECT, else search upward from here).",
)


def _opening(fn, *, quick: bool = False, **opened):
    """Wrap ``fn`` to take ``--project`` and get an open ``Project`` as ``project``, opened
    with ``opened`` plus the options each one names; closes it afterwards. ``quick``: an SQLite
    project opens as a :class:`~qualcode.project_reads.QuickProject` instead, which starts
    without SQLAlchemy or pandas (for what it does: reads, and coding one segment)."""

    @project_path_option
    @functools.wraps(fn)
    def wrapper(*args, project_path=None, **kwargs):
        if quick:
            from qualcode.project_reads import open_quick as opener  # noqa: PLC0415 - keeps --help fast
        else:
            from qualcode.project import Project as opener  # noqa: PLC0415 - SQLAlchemy loads only when used

        options = {name: kwargs.pop(option) for name, option in opened.items()}
        with opener(project_path, on_wait=_say_waiting, **options) as project:
            return fn(*args, project=project, **kwargs)

    return wrapper


def project_option(fn):
    """Add ``--project`` and pass an open ``Project`` as ``project``; closes it afterwards."""
    return _opening(fn)


def looking_project_option(fn):
    """``project_option`` for a command that only looks (a quick project on SQLite)."""
    return _opening(fn, quick=True)


ACCEPT_BREAK_HELP = ("Write although the audit log's hash chain is broken at its end, recording the break "
                     "as an entry the chain goes on from (see 'qualcode log --verify').")


def writing_project_option(fn=None, *, coder: bool = True, quick: bool = False):
    """``project_option`` for a command that writes: adds ``--accept-break`` and, unless the
    command names its coder itself (``coder=False``), ``--coder``, who its log entries name.
    ``quick``: the command codes one segment, which a quick project does on SQLite."""

    def decorate(fn):
        opened = {"accept_break": "accept_break", **({"coder": "acting_coder"} if coder else {})}
        wrapped = click.option("--accept-break", is_flag=True, help=ACCEPT_BREAK_HELP)(_opening(fn, quick=quick, **opened))
        if coder:
            wrapped = click.option("--coder", "acting_coder", metavar="NAME",
                                   help="Who makes this change, for the audit log (default: $QUALCODE_CODER, "
                                        "else the project's coder).")(wrapped)
        return wrapped

    return decorate(fn) if fn is not None else decorate


YAML_SUFFIXES = (".yaml", ".yml")


def require_suffix(path, suffixes, what: str, elsewhere: dict[str, str]) -> None:
    """Refuse a file whose suffix does not fit the format ``what`` reads or writes, naming the
    command that fits (``elsewhere``: suffix -> command, ``{path}`` filled in)."""
    from qualcode.errors import BadInput  # noqa: PLC0415 - keeps --help fast

    suffix = path.suffix.lower()
    if suffix in suffixes:
        return
    fits = elsewhere.get(suffix)
    hint = f"for a {suffix} file use '{fits.format(path=path)}'" if fits else f"give a {' or '.join(suffixes)} file"
    raise BadInput(f"{path}: {what} is {' or '.join(suffixes)}, not {suffix or 'a file without suffix'}; {hint}")


def raw_option(fn):
    """``--raw``, passed as ``raw``: CSV cells as stored, formula-like text not escaped."""
    return click.option("--raw", is_flag=True, help=RAW_HELP)(fn)


def _keys(_ctx, _param, values) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def attr_show_option(fn):
    """``--attr-show KEY``, passed as ``show_attributes``: the attributes a quote names."""
    return click.option("--attr-show", "show_attributes", multiple=True, metavar="KEY", callback=_keys,
                        help="Name this attribute with each quote (repeatable or comma-separated, e.g. role). "
                             "None by default, so no municipality or other attribute helps identify a respondent.")(fn)


def _remember_raw(ctx, _param, value: bool) -> bool:
    ctx.meta["qualcode.raw"] = value
    return value


def format_option(choices=FORMATS, default="table"):
    """``--format``, passed as ``fmt``; with csv among the choices also ``--raw``, with table
    also ``--all``, which :func:`emit` reads from the click context so the command need not pass
    them on."""

    def decorate(fn):
        fn = click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            help="Output format; json is stable for scripts.",
        )(fn)
        if "csv" in choices:
            fn = click.option("--raw", is_flag=True, expose_value=False, callback=_remember_raw, help=RAW_HELP)(fn)
        if "table" in choices:
            fn = click.option(
                "--all", "all_rows", is_flag=True, expose_value=False, callback=_remember_all,
                help=f"Show every row of the table (default: the first {ROWS_SHOWN}; csv and json always have all).",
            )(fn)
        return fn

    return decorate


def _remember_all(ctx, _param, value: bool) -> bool:
    ctx.meta["qualcode.all_rows"] = value
    return value


def _all_rows() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("qualcode.all_rows"))


def _records(data, columns=None) -> tuple[list[str], list[dict]]:
    """Columns and rows from a DataFrame or a list of dicts (cut to its ``columns``, default
    those of the first row), with NaN shown as None."""
    if hasattr(data, "to_dict"):
        columns = [str(c) for c in data.columns]
        rows = data.to_dict(orient="records")
    elif columns is not None:
        columns = list(columns)
        rows = [{c: row.get(c) for c in columns} for row in data]
    else:
        rows = list(data)
        columns = list(rows[0]) if rows else []
    return columns, [_cleaned(row) for row in rows]


def _cleaned(row: dict) -> dict:
    """A row with string keys and NaN shown as None."""
    return {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def _kept(rows, fmt: str) -> tuple[list[dict], int]:
    """From a stream of rows, those a table shows (all for --all and JSON), and how many there were."""
    if fmt == "table" and not _all_rows():
        shown = list(itertools.islice(rows, ROWS_SHOWN))
        return shown, len(shown) + sum(1 for _ in rows)
    shown = list(rows)
    return shown, len(shown)


def _write_csv(columns: list[str], rows) -> None:
    """CSV to stdout, row by row; a cell a spreadsheet would run is escaped unless ``--raw``.
    Into a file or a pipe (``log --format csv > audit.csv``: 8.6 s at 800 interviews) the
    terminal's stderr counts the rows written; onto the terminal the rows themselves show it."""
    from qualcode.spreadsheet import csv_row  # noqa: PLC0415

    ctx = click.get_current_context(silent=True)
    raw = bool(ctx and ctx.meta.get("qualcode.raw"))
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writerow(csv_row(dict(zip(columns, columns)), raw))
    with progress_on_stderr(delay=1.0) if not sys.stdout.isatty() else contextlib.nullcontext(silent) as progress:
        writer.writerows(csv_row(row, raw) for row in counted(progress, "writing CSV rows", rows))


def _json_default(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def emit_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))


def literal(value, style: str = ""):
    """User text (speech, names, codes, memos) as rich ``Text``: shown exactly as written, so
    ``[naam]`` or ``[/]`` in a transcript is never read as console markup."""
    from rich.text import Text  # noqa: PLC0415 - only terminal output needs rich

    return Text("" if value is None else str(value), style=style)


def literal_table(title=None, **options):
    """A rich ``Table`` whose title is literal text; add columns and cells with :func:`literal`."""
    from rich.table import Table  # noqa: PLC0415 - only terminal output needs rich

    return Table(title=None if title is None else literal(title), **options)


@contextlib.contextmanager
def progress_on_stderr(delay: float = 0.0):
    """A library ``progress`` callback drawn as a rich bar on stderr while the block runs, and
    gone after it; a no-op when stderr is no terminal (a pipe, a log file, a test). With
    ``delay``, nothing is drawn (nor rich loaded) for work done sooner: a light command stays light."""
    if not sys.stderr.isatty():
        yield silent
        return
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        shown: list = []

        def report(what: str, done: int, total: int | None) -> None:
            if not shown:
                if time.monotonic() - started < delay:
                    return
                shown.append(stack.enter_context(_progress_bar()))
            shown[0](what, done, total)

        yield report


@contextlib.contextmanager
def _progress_bar():
    """The rich display of :func:`progress_on_stderr`: each step a bar of its own (its own
    clock and total), the last step's replaced by the next."""
    from rich.console import Console  # noqa: PLC0415 - only terminal output needs rich
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        shown: dict[str, int] = {}  # the step on screen: what -> its task

        def report(what: str, done: int, total: int | None) -> None:
            if what in shown:
                bar.update(shown[what], completed=done, total=total)
                return
            for task in shown.values():
                bar.remove_task(task)
            shown.clear()
            shown[what] = bar.add_task(literal(what).markup, total=total, completed=done)

        yield report


def console():
    from rich.console import Console  # noqa: PLC0415 - only terminal output needs rich

    return Console()


def print_rich(renderable) -> None:
    console().print(renderable)


def emit(data, fmt: str, title: str | None = None, empty: str = "nothing to show", wide: str | None = None,
         columns=None) -> None:
    """Render a table (DataFrame, or list of dicts with its ``columns``) as a rich table, JSON
    records or CSV; CSV cells that a spreadsheet would run are escaped unless the command was
    given ``--raw``.

    A table shows the first ``ROWS_SHOWN`` rows and says how many more there are (``--all``
    shows every row); column ``wide`` (long text) gets the width the others leave, or each row
    becomes a block when that is too little. ``data`` may also be an iterator of dicts with its
    ``columns`` (a long table read as it goes): CSV is then written row by row, and a table
    holds only the rows it shows.
    """
    if not hasattr(data, "__len__"):
        if fmt == "csv":
            _write_csv(list(columns), (_cleaned({c: row.get(c) for c in columns}) for row in data))
            return
        data, total = _kept(data, fmt)
    else:
        total = len(data)
    if fmt == "table" and not _all_rows() and total > ROWS_SHOWN:
        data = data.head(ROWS_SHOWN) if hasattr(data, "head") else list(data)[:ROWS_SHOWN]
    columns, rows = _records(data, columns)
    if fmt == "json":
        emit_json(rows)
    elif fmt == "csv":
        _write_csv(columns, rows)
    elif not rows:
        click.echo(empty)
    else:
        _print_table(columns, rows, title, wide if wide in columns else None)
        if total > len(rows):
            click.echo(f"first {len(rows)} of {total:,} rows; --all shows every row, --format csv writes them for a spreadsheet")


def _cell_width(value) -> int:
    return max((len(line) for line in str("" if value is None else value).splitlines()), default=0)


def _print_table(columns: list[str], rows: list[dict], title: str | None, wide: str | None) -> None:
    out = console()
    narrow = [c for c in columns if c != wide]
    natural = {c: min(max(_cell_width(c), *(_cell_width(row.get(c)) for row in rows)), SIDE_MAX_WIDTH) + 3 for c in narrow}
    if wide and out.width - sum(natural.values()) - 4 < TEXT_MIN_WIDTH:
        _print_blocks(out, columns, rows, title, wide)
        return
    for first in range(0, len(rows), ROWS_PER_TABLE):
        table = literal_table(title if first == 0 else None, show_header=first == 0, expand=wide is not None)
        for column in columns:
            if column == wide:
                table.add_column(literal(column), overflow="fold", ratio=1, min_width=TEXT_MIN_WIDTH)
            else:
                table.add_column(literal(column), overflow="fold", max_width=SIDE_MAX_WIDTH if wide else None)
        for row in rows[first:first + ROWS_PER_TABLE]:
            table.add_row(*(literal(row.get(c)) for c in columns))
        out.print(table)


def _print_blocks(out, columns: list[str], rows: list[dict], title: str | None, wide: str) -> None:
    """One record per block: the first column in bold, the other short fields, then the text."""
    from rich.text import Text  # noqa: PLC0415 - only terminal output needs rich

    if title:
        out.print(literal(title, "bold"))
    for row in rows:
        head = literal(row.get(columns[0]), "bold")
        for column in columns[1:]:
            if column != wide and row.get(column) not in (None, ""):
                head.append(f"  {column}: ", style="dim")
                head.append(str(row[column]))
        out.print(Text("\n").join([head, literal(row.get(wide))]), end="\n\n")


def echo_violations(violations: list[dict]) -> None:
    """One line per segment where a coder holds two children of an exclusive group."""
    for found in violations:
        click.echo(f"exclusive group {found['group']} broken on {found['ref']} by {found['coder']}: "
                   f"{', '.join(found['codes'])} (keep one: qualcode untag)")
