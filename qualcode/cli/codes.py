"""``qualcode codes``: evolve the project's codebook without losing a coding."""

import click

from qualcode.cli.common import writing_project_option


@click.group()
def codes():
    """Add, rename, move, merge and delete codes; codings always follow (or go to the log)."""


@codes.command()
@click.argument("code_id", metavar="ID")
@click.option("--name", required=True, help="The code's name.")
@click.option("--under", "parent", metavar="PARENT", help="Make it a sub-code of PARENT.")
@click.option("--definition", default="", help="When the code applies.")
@writing_project_option
def add(project, code_id, name, parent, definition):
    """Add a code to the project's codebook (at the top, or under PARENT).

    \b
    Example:
        qualcode codes add KV-PEER --name "Learning from peers" --under KV
    """
    project.add_code(code_id, name, parent=parent, definition=definition)
    click.echo(f"added {code_id} {name}" + (f" under {parent}" if parent else ""))


@codes.command()
@click.argument("code_id", metavar="ID")
@click.argument("new_name", metavar="NEW_NAME")
@writing_project_option
def rename(project, code_id, new_name):
    """Give code ID a new name; its id and codings stay.

    \b
    Example:
        qualcode codes rename KV-LEER "Learning on the job"
    """
    old = project.rename_code(code_id, new_name)
    click.echo(f"{code_id}: renamed from {old!r} to {new_name.strip()!r}")


@codes.command()
@click.argument("code_id", metavar="ID")
@click.option("--under", "parent", metavar="PARENT", help="The new parent code.")
@click.option("--top", is_flag=True, help="Make it a top-level code.")
@writing_project_option
def move(project, code_id, parent, top):
    """Move code ID (with its sub-codes) under PARENT, or to the top; cycles are refused.

    \b
    Example:
        qualcode codes move KV-PEER --under KG
    """
    if bool(parent) == top:
        raise click.UsageError("give exactly one of --under PARENT or --top")
    project.move_code(code_id, None if top else parent)
    click.echo(f"moved {code_id} " + ("to the top" if top else f"under {parent}"))


@codes.command()
@click.argument("sources", metavar="SRC...", nargs=-1, required=True)
@click.option("--into", "dest", required=True, metavar="DEST", help="The code that stays.")
@writing_project_option
def merge(project, sources, dest):
    """Merge codes SRC... into DEST: their codings, memos and sub-codes move to DEST, a segment
    coded with both keeps one coding per coder, and SRC... are removed (kept in the audit log).

    \b
    Example:
        qualcode codes merge KV-OPL KV-INT --into KV-LEER
    """
    counts = project.merge_codes(sources, dest)
    click.echo(
        f"merged {', '.join(counts['removed'])} into {dest}: {counts['moved']} codings moved, "
        f"{counts['collapsed']} duplicates collapsed"
    )


@codes.command()
@click.argument("code_id", metavar="ID")
@click.option("--force", is_flag=True, help="Delete even with codings; they are written into the audit log.")
@writing_project_option
def delete(project, code_id, force):
    """Delete code ID. Refused while it has codings, unless --force: then its codings and memos
    are removed from the project and written, in full, into the audit log.

    \b
    Example:
        qualcode codes delete KV-PEER --force
    """
    counts = project.delete_code(code_id, force=force)
    click.echo(f"deleted {code_id}" + (f" and its {counts['codings']} codings (kept in the audit log)" if counts["codings"] else ""))
