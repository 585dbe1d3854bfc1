"""What every command shares: opening the project, the --format option, and rendering."""

import csv
import functools
import json
import math
import sys

import click

FORMATS = ("table", "json", "csv")


def project_option(fn):
    """Add ``--project`` and pass an open ``Project`` as ``project``; closes it afterwards."""

    @click.option(
        "--project",
        "project_path",
        metavar="PATH",
        help="Project folder or file (default: search upward from here, or $QUALCODE_PROJECT).",
    )
    @functools.wraps(fn)
    def wrapper(*args, project_path=None, **kwargs):
        from qualcode.project import Project  # noqa: PLC0415 - SQLAlchemy loads only when a project is used

        with Project(project_path) as project:
            return fn(*args, project=project, **kwargs)

    return wrapper


def format_option(choices=FORMATS, default="table"):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format; json is stable for scripts.",
    )


def _records(data) -> tuple[list[str], list[dict]]:
    """Columns and rows from a DataFrame or a list of dicts, with NaN shown as None."""
    if hasattr(data, "to_dict"):
        columns = [str(c) for c in data.columns]
        rows = data.to_dict(orient="records")
    else:
        rows = list(data)
        columns = list(rows[0]) if rows else []
    clean = [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in rows
    ]
    return columns, clean


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


def print_rich(renderable) -> None:
    from rich.console import Console  # noqa: PLC0415 - only terminal output needs rich

    Console().print(renderable)


def emit(data, fmt: str, title: str | None = None, empty: str = "nothing to show") -> None:
    """Render a table (DataFrame or list of dicts) as a rich table, JSON records or CSV."""
    columns, rows = _records(data)
    if fmt == "json":
        emit_json(rows)
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif not rows:
        click.echo(empty)
    else:
        table = literal_table(title, show_lines=False)
        for column in columns:
            table.add_column(literal(column), overflow="fold")
        for row in rows:
            table.add_row(*(literal(row.get(c)) for c in columns))
        print_rich(table)


def echo_violations(violations: list[dict]) -> None:
    """One line per segment where a coder holds two children of an exclusive group."""
    for found in violations:
        click.echo(f"exclusive group {found['group']} broken on {found['ref']} by {found['coder']}: "
                   f"{', '.join(found['codes'])} (keep one: qualcode untag)")
