"""``qualcode codebook``: check, show, load and export the codebook."""

from pathlib import Path

import click

from qualcode.cli.common import emit, format_option, project_option


@click.group()
def codebook():
    """Check a codebook file, or show, load and export a project's codebook."""


@codebook.command()
@click.argument("file", type=click.Path(path_type=Path))
def check(file):
    """Validate a codebook YAML file; list every problem with its line number, and warn
    (without failing) about keywords that sit in more than one code.

    \b
    Example:
        qualcode codebook check codebooks/professioneel-handelen.yaml
    """
    from qualcode import codebook as codebook_mod  # noqa: PLC0415 - PyYAML loads only here

    problems = codebook_mod.check(file)
    for line, message in problems:
        click.echo(f"{file}:{line}: {message}", err=True)
    if problems:
        raise click.exceptions.Exit(2)
    book = codebook_mod.read(file)
    for line, message in codebook_mod.keyword_overlaps(book):
        click.echo(f"{file}:{line}: warning: {message}", err=True)
    n_top = len(book.codes)
    click.echo(f"{file}: ok, {len(book.ids())} codes ({n_top} top-level)")


@codebook.command()
@click.option("--rules", "rules_only", is_flag=True, help="Print the codebook's general coding rules instead of the tree.")
@format_option()
@project_option
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
    table = project.codes()
    if fmt != "table":
        emit(table, fmt)
        return
    if table.empty:
        click.echo("the project has no codes yet; load some with 'qualcode codebook load FILE'")
        return
    from rich.console import Console  # noqa: PLC0415 - only the tree view needs rich
    from rich.markup import escape  # noqa: PLC0415
    from rich.tree import Tree  # noqa: PLC0415

    info = project.status()["codebook"]
    root = Tree(f"[bold]{info['title'] or 'codebook'}[/bold] {info['version']}")
    nodes = {}
    for row in table.itertuples(index=False):
        label = f"[bold]{row.id}[/bold]  {row.name}"
        if row.label:
            label += f" [dim]({row.label})[/dim]"
        if row.exclusive:
            label += " [italic]exclusive[/italic]"
        if not row.codable:
            label += " [italic]not codable[/italic]"
        if row.codings:
            label += f"  [cyan]{row.codings}[/cyan]"
        if row.source:
            label += f"\n[dim]source: {escape(row.source)}[/dim]"
        parent = nodes.get(row.parent_id, root)
        nodes[row.id] = parent.add(label)
    Console().print(root)


@codebook.command()
@click.argument("file", type=click.Path(path_type=Path))
@project_option
def load(project, file):
    """Add and update codes from FILE by id; codings are kept. A code that has codings
    cannot be dropped this way (merge it into another code first).

    \b
    Example:
        qualcode codebook load codebooks/professioneel-handelen.yaml
    """
    report = project.load_codebook(file)
    click.echo(
        f"{file}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
    )


@codebook.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def export_codebook(project, file):
    """Write the project's current codebook to FILE as YAML, so the codebook in git
    follows the project.

    \b
    Example:
        qualcode codebook export codebooks/my-study.yaml
    """
    from qualcode import codebook as codebook_mod  # noqa: PLC0415

    file.write_text(codebook_mod.dump(project.codebook()), encoding="utf-8")
    click.echo(f"wrote {file} ({len(project.codebook().ids())} codes)")
