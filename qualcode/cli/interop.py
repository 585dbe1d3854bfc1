"""``qualcode export codebook|project``: REFI-QDA files for ATLAS.ti, NVivo, MAXQDA, QualCoder, Taguette."""

from pathlib import Path

import click

from qualcode.cli.common import YAML_SUFFIXES, emit_json, progress_on_stderr, project_option, require_suffix


@click.group()
def export():
    """Write the project in the REFI-QDA exchange format other QDA programs import."""


@export.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def codebook(project, file):
    """Write the codebook as a REFI-QDA .qdc file: codes with their hierarchy, colours and
    descriptions (definition, include and exclude criteria, label and code id).

    \b
    Example:
        qualcode export codebook professioneel-handelen.qdc
    """
    require_suffix(file, (".qdc",), "a REFI-QDA codebook", {
        **dict.fromkeys(YAML_SUFFIXES, "qualcode codebook export {path}"), ".qdpx": "qualcode export project {path}"})
    counts = project.export_refi_codebook(file)
    click.echo(f"wrote {file} ({counts['codes']} codes), valid against Codebook.xsd")


@export.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def project(project, file):
    """Write the whole project as a REFI-QDA .qdpx archive: documents as UTF-8 text sources,
    codes, coders as users, codings as selections, attributes as case variables, memos as notes.

    \b
    Example:
        qualcode export project exports/study.qdpx
    """
    require_suffix(file, (".qdpx",), "a REFI-QDA project", {
        **dict.fromkeys(YAML_SUFFIXES, "qualcode codebook export {path}"), ".qdc": "qualcode export codebook {path}"})
    with progress_on_stderr() as progress:
        counts = project.export_refi_project(file, progress=progress)
    click.echo(
        f"wrote {file}: {counts['documents']} documents, {counts['codes']} codes, {counts['codings']} codings "
        f"in {counts['selections']} selections, {counts['users']} users, {counts['memos']} memos, "
        f"{counts['variables']} variables; valid against Project.xsd"
    )


def show_import_report(report, fmt: str = "table") -> None:
    """Print a REFI-QDA import report; ``qualcode import`` calls this for .qdc and .qdpx files."""
    if fmt == "json":
        emit_json(report.as_dict())
        return
    counts = ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in report.counts.items())
    click.echo(f"imported {report.path}: {counts}")
    if report.in_file:
        click.echo("  in the file: " + ", ".join(f"{value} {key}" for key, value in report.in_file.items()))
    for title, lines in (("decided", report.decisions), ("skipped", report.skipped)):
        for line in lines:
            click.echo(f"  {title}: {line}")
