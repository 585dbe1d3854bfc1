"""``qualcode codebook``: check, show, load and export the codebook."""

from pathlib import Path

import click

from qualcode.cli.common import (
    YAML_SUFFIXES, emit, format_option, looking_project_option, print_rich, project_option, require_suffix,
    writing_project_option,
)

REFI_ELSEWHERE = {".qdc": "qualcode import {path}", ".qdpx": "qualcode import {path}"}


@click.group()
def codebook():
    """Check a codebook file, or show, load and export a project's codebook."""


@codebook.command()
@click.argument("file", type=click.Path(path_type=Path))
def check(file):
    """Validate a codebook YAML file; list every problem with its line number, and warn
    (without failing) about what is valid but likely a slip: a quoted value that runs over the
    next keys, a keyword that sits in more than one code.

    \b
    Example:
        qualcode codebook check codebooks/professioneel-handelen.yaml
    """
    from qualcode import codebook as codebook_mod  # noqa: PLC0415 - PyYAML loads only here

    require_suffix(file, YAML_SUFFIXES, "a codebook file", REFI_ELSEWHERE)
    problems = codebook_mod.check(file)
    for line, message in problems:
        click.echo(f"{file}:{line}: {message}", err=True)
    if problems:
        raise click.exceptions.Exit(2)
    book = codebook_mod.read(file)
    for line, message in sorted(book.warnings + codebook_mod.keyword_overlaps(book)):
        click.echo(f"qualcode: warning: {file}:{line}: {message}", err=True)
    n_top = len(book.codes)
    click.echo(f"{file}: ok, {len(book.ids())} codes ({n_top} top-level)")


@codebook.command()
@click.option("--rules", "rules_only", is_flag=True, help="Print the codebook's general coding rules instead of the tree.")
@format_option()
@looking_project_option
def show(project, rules_only, fmt):
    """Print the project's code tree, with the number of codings per code, each code's
    source, and which codes only group others (not codable).

    \b
    Example:
        qualcode codebook show --format csv > codes.csv
        qualcode codebook show --rules
    """
    if rules_only:
        rules = project.codebook().rules
        for number, rule in enumerate(rules, start=1):
            click.echo(f"{number}. {rule}")
        if not rules:
            click.echo("the codebook has no general coding rules; add them under 'rules:' in the YAML and load it again")
        return
    from qualcode.project_reads import CODE_TABLE  # noqa: PLC0415 - keeps --help fast

    table = project.code_records()
    if fmt != "table":
        emit(table, fmt, columns=CODE_TABLE)
        return
    if not table:
        click.echo("the project has no codes yet; load some with 'qualcode codebook load FILE'")
        return
    from rich.text import Text  # noqa: PLC0415 - only the tree view needs rich
    from rich.tree import Tree  # noqa: PLC0415

    info = project.codebook()
    root = Tree(Text.assemble((info.title or "codebook", "bold"), " ", str(info.version or "")))
    nodes = {}
    for row in table:
        label = Text.assemble((row["id"], "bold"), "  ", row["name"])
        if row["label"]:
            label.append(f" ({row['label']})", style="dim")
        if row["exclusive"]:
            label.append(" exclusive", style="italic")
        if not row["codable"]:
            label.append(" not codable", style="italic")
        if row["codings"]:
            label.append(f"  {row['codings']}", style="cyan")
        if row["source"]:
            label.append(f"\nsource: {row['source']}", style="dim")
        parent = nodes.get(row["parent_id"], root)
        nodes[row["id"]] = parent.add(label)
    print_rich(root)


@codebook.command()
@click.argument("file", type=click.Path(path_type=Path))
@writing_project_option
def load(project, file):
    """Add and update codes from FILE by id; codings are kept. A code that has codings
    cannot be dropped this way (merge it into another code first).

    \b
    Example:
        qualcode codebook load codebooks/professioneel-handelen.yaml
    """
    require_suffix(file, YAML_SUFFIXES, "a codebook file", REFI_ELSEWHERE)
    report = project.load_codebook(file)
    for line, message in report.warnings:
        click.echo(f"qualcode: warning: {file}:{line}: {message}", err=True)
    click.echo(
        f"{file}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
    )


@codebook.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def export_codebook(project, file):
    """Write the project's current codebook to FILE as YAML, so the codebook in git
    follows the project. An existing FILE is updated in place: its comments, key order, quoting
    and wrapping stay, and only what changed in the project changes in the file.

    \b
    Example:
        qualcode codebook export codebooks/my-study.yaml
    """
    require_suffix(file, YAML_SUFFIXES, "a codebook file", {".qdc": "qualcode export codebook {path}"})
    book = project.export_codebook(file)
    click.echo(f"wrote {file} ({len(book.ids())} codes)")
