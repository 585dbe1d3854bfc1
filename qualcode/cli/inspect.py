"""The inspect command: how qualcode would read transcripts, without importing them."""

from pathlib import Path

import click

from qualcode.cli.common import emit_json, format_option
from qualcode.errors import QualcodeError

LAYOUT_HELP = "Read every file by this layout instead of detecting it (an unknown name lists the layouts)."


def _clock(value) -> str:
    return "" if value is None else f"{int(value) // 3600:02d}:{int(value) % 3600 // 60:02d}:{int(value) % 60:02d}"


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _echo_report(report: dict) -> None:
    layout = report["layout"]
    how = "forced with --layout" if layout["forced"] else f"confidence {layout['confidence']:.2f}"
    click.secho(report["file"], bold=True)
    click.echo(f"  layout    {layout['name']} ({how})")
    for line in layout["evidence"]:
        click.echo(f"  evidence  {line}")
    speakers = "; ".join(f"{s['speaker']} ({s['role']}) {s['turns']} turns" for s in report["speakers"])
    click.echo(f"  speakers  {speakers}")
    for turn in report["first_turns"]:
        click.echo(f"  turn      {_clock(turn['time']):>8}  {turn['speaker']}: {_short(turn['text'])}")
    for key, value in report["metadata"].items():
        items = [f"{k}={v}" for k, v in value.items()] if isinstance(value, dict) else value if isinstance(value, list) else [value]
        click.echo(f"  metadata  {key}: {_short(' | '.join(map(str, items)))}")
    for warning in report["warnings"]:
        click.echo(f"  warning   {warning}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--interviewer", "interviewers", multiple=True, metavar="LABEL",
              help="Speaker label of the interviewer, besides I, Int, Interviewer (repeatable).")
@click.option("--layout", metavar="NAME", help=LAYOUT_HELP)
@click.option("--turns", "first", type=click.IntRange(0), default=3, show_default=True, help="How many first turns to show.")
@format_option(("text", "json"), default="text")
def inspect(paths, interviewers, layout, first, fmt):
    """Show how transcripts would be read, writing nothing: the detected layout with its
    confidence and evidence, the speakers with role and turn count, the first turns, what goes
    to metadata, and warnings. Needs no project. Exits 2 if any file cannot be read.

    \b
    Example:
        qualcode inspect transcripts/
        qualcode inspect interview-07.docx --layout label-paragraph --turns 6
    """
    from qualcode.importing import walk  # noqa: PLC0415 - the readers load only when a file is read
    from qualcode.ingest import inspect as inspect_file  # noqa: PLC0415
    from qualcode.layouts import check_layout  # noqa: PLC0415

    check_layout(layout)
    reports, failed = [], False
    for path in walk(paths):
        try:
            report = inspect_file(path, interviewers=interviewers, layout=layout, first=first)
        except QualcodeError as exc:
            click.echo(f"qualcode: error: {exc}", err=True)
            failed = True
            continue
        reports.append(report)
        if fmt == "text":
            _echo_report(report)
    if fmt == "json":
        emit_json(reports)
    if failed:
        raise SystemExit(2)
