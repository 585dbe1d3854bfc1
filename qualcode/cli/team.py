"""``qualcode team``: who holds which role on a server project, and blind coding."""

import os

import click

from qualcode.cli.common import emit, emit_json, format_option, project_option, writing_project_option

PASSWORD_ENV = "QUALCODE_PASSWORD"
ROLES = ("coder", "lead", "reader")  # qualcode.store.team.ROLES, here so --help imports no SQLAlchemy


@click.group(invoke_without_command=True)
@click.option("--project", "project_path", metavar="PATH", help="Project folder, file or server URL (for the list).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              help="Output format of the list.")
@click.pass_context
def team(ctx, project_path, fmt):
    """Who is who on a PostgreSQL project, and blind coding; the server enforces both.

    A coder reads documents and the codebook and writes only their own codings, review marks
    and memos (while the project is blind, they read no one else's); a lead also edits the
    codebook, runs agreement, consensus, adjudication and merges, and switches blind coding; a
    reader reads and exports. Without a sub-command: the list.

    \b
    Example:
        qualcode team add anna --role coder
        qualcode team blind on
        qualcode team
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_team, project_path=project_path, fmt=fmt)


@team.command(name="list")
@format_option(("table", "json"))
@project_option
def list_team(project, fmt):
    """List the people with a role: role, coder row, last entry in the audit log.

    \b
    Example:
        qualcode team list --format json
    """
    people = project.team()
    found = project.standing()
    if fmt == "json":
        emit_json({"blind": found.blind, "you": {"login": found.login, "role": found.role}, "people": people})
        return
    click.echo(f"blind coding {'on' if found.blind else 'off'}; you are {found.login} ({found.role or 'no role'})")
    rows = [{"name": p["name"], "role": p["role"], "coder": "yes" if p["coder"] else "",
             "last activity": p["last_activity"] or ""} for p in people]
    emit(rows, "table", empty="nobody has a role yet: qualcode team add NAME --role coder")


@team.command()
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What they may do in this project.")
@writing_project_option(coder=False)
def add(project, name, role):
    """Give NAME a role, creating their login (with a password asked here, or taken from
    $QUALCODE_PASSWORD) and their coder row. Needs the project's owner.

    \b
    Example:
        qualcode team add anna --role coder
    """
    password = os.environ.get(PASSWORD_ENV)
    if not password and not project.has_login(name):
        password = click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True, err=True)
    created = project.team_add(name, role, password)
    click.echo(f"{name} is a {role} in {project.name}" + (" (new login)" if created else ""))


@team.command()
@click.argument("name")
@writing_project_option(coder=False)
def remove(project, name):
    """Take NAME's role in this project away; their login, coder row and work stay.

    \b
    Example:
        qualcode team remove anna
    """
    role = project.team_remove(name)
    click.echo(f"{name} is no longer a {role} in {project.name}")


@team.command()
@click.argument("state", type=click.Choice(["on", "off"]))
@writing_project_option(coder=False)
def blind(project, state):
    """Switch blind coding: while on, each coder reads only their own codings, review marks,
    memos and audit entries. Needs a lead.

    \b
    Example:
        qualcode team blind off
    """
    project.set_blind(state == "on")
    click.echo(f"blind coding {state}")

