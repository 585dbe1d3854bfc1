"""Commands to import transcripts and look at them: import, documents, show."""

import importlib
from pathlib import Path

import click

from qualcode.cli.common import (
    emit, emit_json, format_option, looking_project_option, progress_on_stderr, writing_project_option,
)
from qualcode.cli.inspect import LAYOUT_HELP
from qualcode.cli.pseudonymise import echo_result, passphrase, pseudonymise_options, telling
from qualcode.errors import QualcodeError

# Files that are whole projects rather than transcripts: suffix -> (Project method that imports
# one, called as method(path, progress=...), "module:function" under qualcode.cli that prints
# its report). Everything else goes to Project.import_files.
PROJECT_IMPORTS: dict[str, tuple[str, str]] = {
    **dict.fromkeys((".qdc", ".qdpx"), ("import_refi", "interop:show_import_report")),
}


def _clock(value) -> str:
    if value is None:
        return ""
    total = int(value)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _echo_result(item) -> None:
    if item.status == "refused":
        click.echo(f"qualcode: error: {item.message}", err=True)
    elif item.status == "skipped":
        click.echo(f"skipped  {item.name}: {item.message}")
    else:
        click.echo(f"{item.status:<8} {item.name}: {item.turns} turns, {item.segments} segments, "
                   f"speakers {', '.join(item.speakers)}; layout {item.layout}")
    if item.status == "replaced":
        click.echo(f"         {item.reanchored} codings re-anchored, {len(item.unanchored)} could not be")
        for lost in item.unanchored:
            click.echo(f"         not re-anchored: {lost['code_id']} by {lost['coder']} on {lost['segment']} "
                       f"({lost['text'][:60]!r}); kept in the audit log (guid {lost['guid']})")


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--attributes", "attributes_csv", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of case attributes with a 'file' column (file name or stem).")
@click.option("--attr", "attributes", multiple=True, metavar="KEY=VALUE", help="Attribute for every file imported now.")
@click.option("--unit", type=click.Choice(["turn", "sentence", "paragraph"]), default="turn", show_default=True,
              help="Coding unit.")
@click.option("--interviewer", "interviewers", multiple=True, metavar="LABEL",
              help="Speaker label of the interviewer, besides I, Int, Interviewer (repeatable).")
@click.option("--model", metavar="NAME", help="Installed spaCy pipeline for --unit sentence (never downloaded).")
@click.option("--replace", is_flag=True, help="Re-import changed files, re-anchoring codings by text.")
@click.option("--include-interviewer", is_flag=True, help="Make interviewer turns coding units too.")
@click.option("--layout", metavar="NAME", help=LAYOUT_HELP)
@click.option("--allow-duplicate", is_flag=True, help="Import a file even if its content is already a document under another name.")
@click.option("--pseudonymise", "pseudonymise", is_flag=True,
              help="Then pseudonymise what was imported (see 'qualcode pseudonymise'; needs --key).")
@pseudonymise_options
@writing_project_option
def import_(project, paths, attributes_csv, attributes, unit, interviewers, model, replace, include_interviewer, layout,
            allow_duplicate, pseudonymise, key, names, decisions):
    """Import transcripts (.docx, .txt, .md, .vtt, .srt; folders are walked) into the project,
    or a REFI-QDA project (.qdpx) or codebook (.qdc) from another QDA program.

    Each file is its own transaction: a refused file is named with the reason, the others are
    imported, and the command exits with 2 if any file was refused. Each file's layout is
    detected and printed; check it first with 'qualcode inspect', and force one with --layout.

    \b
    Example:
        qualcode import transcripts/ --attributes transcripts/cases.csv
        qualcode import interview-09.docx --interviewer "Eva Jansen"
        qualcode import interview-07.docx --attr role=client --attr municipality=Veenstad
        qualcode import from-nvivo.qdpx
        qualcode import typed-by-hand.docx --layout label-paragraph
        qualcode import interview-12.docx --pseudonymise --key ~/keys/study.key
    """
    secret = passphrase(key, new_allowed=True) if pseudonymise else None
    if pseudonymise:
        project.check_key(key, secret)  # a wrong passphrase stops the import before anything is written
    transcripts = [p for p in paths if p.suffix.lower() not in PROJECT_IMPORTS]
    failed = not all(_import_project_file(project, p) for p in paths if p.suffix.lower() in PROJECT_IMPORTS)
    if not transcripts:
        raise SystemExit(2 if failed else 0)
    with progress_on_stderr() as progress:
        report = project.import_files(
            transcripts, attributes_csv=attributes_csv, attributes=attributes, unit=unit, interviewers=interviewers,
            model=model, replace=replace, include_interviewer=include_interviewer, layout=layout, allow_duplicate=allow_duplicate,
            progress=lambda done, total, path: progress(f"importing {Path(path).name}" if path else "imported", done, total),
        )
    for note in report.notes:
        click.echo(note)
    for item in report.files:
        _echo_result(item)
    for warning in report.warnings:
        click.echo(f"qualcode: warning: {warning}", err=True)
    click.echo(report.summary())
    imported = [item.name for item in report.files if item.status in ("imported", "replaced")]
    if pseudonymise and imported:
        with progress_on_stderr() as bar:
            result = project.pseudonymise(imported, key=key, passphrase=secret, names=names, decisions=decisions,
                                          progress=telling(bar))
        echo_result(result, key)
    if report.failed or failed:
        raise SystemExit(2)


def _import_project_file(project, path: Path) -> bool:
    """Import one whole-project file through its registered handler; False (and one error line) if refused."""
    method, printer = PROJECT_IMPORTS[path.suffix.lower()]
    module_name, function = printer.split(":")
    try:
        with progress_on_stderr() as progress:
            result = getattr(project, method)(path, progress=progress)
    except QualcodeError as exc:
        click.echo(f"qualcode: error: {exc}", err=True)
        return False
    getattr(importlib.import_module(f"qualcode.cli.{module_name}"), function)(result)
    return True


def _transcript_or_turn(project, name: str):
    """The transcript of document ``name``, or for ``DOC:N`` the rows of the turn holding segment N."""
    from qualcode.errors import UnknownItem  # noqa: PLC0415 - keeps --help fast

    try:
        return project.transcript_records(name)
    except UnknownItem:
        document, sep, number = name.rpartition(":")
        if not (sep and number.isdigit()):
            raise
    rows = project.transcript_records(document)
    held = [row["turn"] for row in rows if row["ref"] == name]
    if not held:
        raise UnknownItem("segment", name, [row["ref"] for row in rows if row["ref"]], f"see 'qualcode show {document}'")
    return [row for row in rows if row["turn"] == held[0]]


@click.command()
@format_option()
@looking_project_option
def documents(project, fmt):
    """Imported documents with their turns, segments, speakers and attributes.

    \b
    Example:
        qualcode documents --format csv > documents.csv
    """
    rows, keys = project.document_records()
    emit(rows, fmt, title="documents", empty="no documents yet; add some with 'qualcode import'",
         columns=["name", "turns", "segments", "speakers", *keys])


@click.command()
@click.argument("document", metavar="DOC|DOC:N")
@format_option(("text", "json"), default="text")
@looking_project_option
def show(project, document, fmt):
    """Print a transcript with its segment numbers (N of DOC:N), speakers and times; DOC:N
    prints the turn that holds segment N.

    Interviewer turns and other turns that are not coding units are shown unnumbered.

    \b
    Example:
        qualcode show km-maasdelta-01
        qualcode show km-maasdelta-01:12
    """
    rows = _transcript_or_turn(project, document)
    if fmt == "json":
        emit_json(rows)
        return
    previous_turn = None
    for row in rows:
        if row["turn"] != previous_turn:
            if previous_turn is not None:
                click.echo()
            click.secho(f"{_clock(row['time_start']):>8}  {row['speaker']}" + (" (interviewer)" if row["role"] == "interviewer" else ""), bold=True)
            previous_turn = row["turn"]
        number = "" if row["segment"] is None else str(row["segment"])
        for i, line in enumerate(row["text"].split("\n")):
            click.echo(f"{number if i == 0 else '':>8}  {line}")
