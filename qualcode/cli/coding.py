"""Scriptable coding: tag, untag, review, apply a codings file, export codings, read the log."""

from pathlib import Path

import click

from qualcode.cli.common import emit, emit_json, format_option, looking_project_option, progress_on_stderr, writing_project_option

coder_option = click.option("--coder", metavar="NAME", help="Who codes (default: $QUALCODE_CODER, else the project's coder).")


def segment_codes_command(fn):
    """The arguments tag and untag share: DOC:N CODE... [--coder] [--project] [--accept-break]."""
    for decorate in reversed((
        click.command(),
        click.argument("ref", metavar="DOC:N"),
        click.argument("code_ids", metavar="CODE...", nargs=-1, required=True),
        coder_option,
        writing_project_option(coder=False, quick=True),
    )):
        fn = decorate(fn)
    return fn


def changed(ref: str, verb: str, done: list[str], asked, others: str) -> str:
    """'km01:3: added KV-LEER; already there: KD-OVL'."""
    rest = [code for code in asked if code not in done]
    return f"{ref}: {verb} {', '.join(done) or 'nothing'}" + (f"; {others}: {', '.join(rest)}" if rest else "")


@segment_codes_command
def tag(project, ref, code_ids, coder):
    """Apply one or more codes to segment DOC:N (N as 'qualcode show DOC' prints it). A code
    the codebook marks not codable (a group, such as a dimension) is refused: apply a sub-code.

    \b
    Example:
        qualcode tag km-maasdelta-01:12 KV-LEER KD-OVL --coder anna
    """
    click.echo(changed(ref, "added", project.tag(ref, list(code_ids), coder=coder), code_ids, "already there"))


@segment_codes_command
def untag(project, ref, code_ids, coder):
    """Remove codes from segment DOC:N; the segment stays marked as reviewed.

    \b
    Example:
        qualcode untag km-maasdelta-01:12 KD-OVL --coder anna
    """
    click.echo(changed(ref, "removed", project.untag(ref, list(code_ids), coder=coder), code_ids, "not there"))


@click.command()
@click.argument("ref", metavar="DOC:N")
@coder_option
@writing_project_option(coder=False, quick=True)
def review(project, ref, coder):
    """Mark segment DOC:N as reviewed with no code (the coder looked, nothing applies).

    \b
    Example:
        qualcode review km-maasdelta-01:13 --coder anna
    """
    new = project.review(ref, coder=coder)
    click.echo(f"{ref}: {'marked reviewed' if new else 'was already reviewed'}")


@click.command(name="apply")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@writing_project_option
def apply_codings(project, file):
    """Apply the codings in a CSV with the columns document,segment,coder,code and an optional
    memo. An empty code marks the segment reviewed with no code. Every row is checked first:
    if any is bad, each bad row is listed with its line number and nothing is applied.
    Applying the same file again changes nothing.

    \b
    Example:
        qualcode apply transcripts/reference-coding.csv
    """
    with progress_on_stderr() as progress:
        report = project.apply_codings(file, progress=progress)
    per_coder = ", ".join(f"{name} {n}" for name, n in report.added_per_coder.items())
    click.echo(
        f"{file}: {report.csv_format}, {report.rows} rows; codings {report.codings_added} added, {report.codings_present} already present"
        f" ({per_coder}); {report.reviews_added} segments newly reviewed; memos {report.memos_added} added,"
        f" {report.memos_present} already present"
    )


@click.command()
@coder_option
@click.option("--code", "code_id", metavar="ID", help="Only this code and its sub-codes.")
@click.option("--add-fingerprints", "unprinted", metavar="CSV", type=click.Path(dir_okay=False, exists=True),
              help="Instead: write CSV (a codings table) with its fingerprint column filled from this project.")
@format_option(("csv", "json", "table"), default="csv")
@looking_project_option
def codings(project, coder, code_id, unprinted, fmt):
    """Export codings as document,segment,fingerprint,coder,code,memo: the columns 'qualcode
    apply' takes, so a coder's work round-trips. The fingerprint (8 hex digits of the SHA-256 of
    the segment's text) lets 'apply' check that DOC:N still means the same text. Reviewed
    segments without a code have an empty code; the coder's memos on a segment ride along in the
    memo column.

    \b
    Example:
        qualcode codings --coder anna > anna.csv && qualcode apply anna.csv
        qualcode codings --add-fingerprints old.csv > with-fingerprints.csv
    """
    from qualcode.coding import CODING_COLUMNS  # noqa: PLC0415 - keeps --help fast

    if unprinted:
        emit(project.fingerprint_records(unprinted), fmt, columns=CODING_COLUMNS)
        return
    filters = ", ".join(f"{what} {value}" for what, value in (("coder", coder), ("code", code_id)) if value)
    emit(project.coding_records(coder=coder, code=code_id), fmt, columns=CODING_COLUMNS,
         empty=f"no codings match ({filters}); the filter is valid" if filters else "no codings yet")


@click.command()
@click.option("--coder", metavar="NAME", help="Only changes made by or for this coder.")
@click.option("--since", metavar="DATE", help="Only changes at or after this date (UTC), e.g. 2026-11-27.")
@click.option("--action", metavar="PREFIX", help="Only actions starting with this, e.g. coding or code.merge.")
@click.option("--verify", is_flag=True, help="Walk the hash chain: the first entry changed, removed or inserted, and the triggers.")
@format_option()
@looking_project_option
def log(project, coder, since, action, verify, fmt):
    """Show the audit log: every change to the project, who made it and when. With --verify,
    check its hash chain instead (exit 1 if it is broken or its triggers are gone).

    \b
    Example:
        qualcode log --coder anna --since 2026-11-01 --action coding
        qualcode log --verify
    """
    from qualcode.auditlog import LOG_COLUMNS  # noqa: PLC0415 - keeps --help fast

    if verify:
        render_verification(project.verify_log(), fmt)
        return
    emit(project.log_stream(coder=coder, since=since, action=action), fmt, columns=LOG_COLUMNS,
         empty="no matching entries in the audit log")


def render_verification(result, fmt: str) -> None:
    from qualcode.errors import BrokenChain  # noqa: PLC0415 - keeps --help fast

    if fmt == "json":
        emit_json({"ok": result.ok, "entries": result.entries, "head": result.head,
                   "breaks": [vars(b) for b in result.breaks], "missing_triggers": result.missing_triggers})
    else:
        click.echo(f"{result.entries} entries; chain head {result.head or '(empty)'}")
        click.echo("triggers: " + (f"missing {', '.join(result.missing_triggers)}" if result.missing_triggers else "all present"))
        for found in result.breaks:
            click.echo(f"break at {found.describe()}")
    first = result.first_break
    if first is not None:
        raise BrokenChain(f"the audit log was tampered with at {first.describe()}")
    if result.missing_triggers:
        raise BrokenChain(f"the audit log's append-only triggers are gone: {', '.join(result.missing_triggers)}")
