"""Commands about the project as a whole: init, status, demo."""

from pathlib import Path

import click

from qualcode.cli.common import echo_violations, emit, emit_json, format_option, looking_project_option


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--codebook", type=click.Path(dir_okay=False, path_type=Path), help="Codebook YAML to load into the new project.")
@click.option("--database", metavar="URL", envvar="QUALCODE_DATABASE",
              help="Keep the project on a PostgreSQL server: the URL of an empty database "
                   "(postgresql://HOST/DATABASE); DIRECTORY gets a qualcode.toml naming it. Default: "
                   "$QUALCODE_DATABASE, else an SQLite file.")
def init(directory, codebook, database):
    """Create a project in DIRECTORY: one SQLite file, qualcode.sqlite, or with --database a
    PostgreSQL database the team shares, named by DIRECTORY/qualcode.toml.

    \b
    Example:
        qualcode init my-study --codebook codebooks/professioneel-handelen.yaml
        qualcode init team-study --database postgresql://db.example.org/study
    """
    from qualcode.project import Project  # noqa: PLC0415 - keeps --help fast

    with Project.init(directory, codebook=codebook, database=database) as project:
        n_codes = project.status()["codes"]
        where = project.location if project.location == str(project.path) else f"{project.location} (named in {project.path})"
        click.echo(f"created {where}" + (f" with {n_codes} codes from {codebook}" if codebook else ""))


@click.command()
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DEST", type=click.Path(file_okay=False, path_type=Path))
@click.option("--database", metavar="URL", envvar="QUALCODE_DATABASE",
              help="Put the copy on a PostgreSQL server: the URL of an empty database; DEST gets a "
                   "qualcode.toml naming it. Default: $QUALCODE_DATABASE, else an SQLite file in DEST.")
def copy(source, destination, database):
    """Copy the project SRC (a folder, file or postgresql:// URL) into a new project in the
    folder DEST: the same documents, codings, reviews, memos, decisions and audit log, ids
    and GUIDs, written in one transaction. Moves a project between an SQLite file and a team's
    PostgreSQL server, either way.

    \b
    Example:
        qualcode copy my-study team-study --database postgresql://db.example.org/study
        qualcode copy team-study my-study-offline
    """
    from qualcode.project import Project  # noqa: PLC0415 - keeps --help fast

    with Project(source) as project:
        made = project.copy_to(destination, database=database)
    with Project(made) as copied:
        info = copied.status()
    click.echo(f"copied {project.location} to {copied.location}: {info['documents']} documents, "
               f"{info['codings']} codings, audit log head {info['audit_head'] or '(empty)'}")


@click.command()
@format_option(("table", "json"))
@looking_project_option
def status(project, fmt):
    """Documents, segments, codes, and codings and share reviewed per coder; and the audit
    log's chain head, which names this state of the project in a report.

    \b
    Example:
        qualcode status --format json
    """
    info = project.status()
    if fmt == "json":
        emit_json(info)
        return
    book = info["codebook"]
    click.echo(f"project   {info['project']}")
    click.echo(f"codebook  {book['title'] or '(none)'} {book['version']}".rstrip())
    click.echo(f"documents {info['documents']}   segments {info['segments']}   codes {info['codes']}   codings {info['codings']}")
    click.echo(f"audit log head {info['audit_head'] or ('(the server keeps it)' if info['team'] else '(empty)')}")
    if info["team"]:
        you = info["team"]
        click.echo(f"team      you are {you['login']} ({you['role'] or 'no role'}); blind coding "
                   f"{'on' if you['blind'] else 'off'}")
    rows = [
        {"coder": name, "kind": c["kind"], "codings": c["codings"], "from suggestions": c["from_suggestions"],
         "reviewed": c["reviewed"],
         "share reviewed": "" if c["share_reviewed"] is None else f"{c['share_reviewed']:.1%}"}
        for name, c in info["coders"].items()
    ]
    emit(rows, "table", empty="no coders yet")
    echo_violations(info["exclusive_violations"])
    for found in info["codings_on_groups"]:
        click.echo(f"code {found['code']} only groups other codes but holds {found['codings']} coding(s), imported or "
                   f"from before: recode them to one of its sub-codes ({', '.join(found['sub_codes'])})")


@click.command()
@click.argument("directory", default="qualcode-demo", type=click.Path(file_okay=False, path_type=Path))
@click.option("--pseudonymise", is_flag=True,
              help="Also replace names and numbers by tags after the coding (step 3b; loading deduce adds seconds).")
def demo(directory, pseudonymise):
    """Build a demo project from the bundled codebook and fictional interviews, and run the
    whole pipeline on it, offline. A folder from an earlier demo is rebuilt; any other
    non-empty folder is left alone.

    \b
    Example:
        qualcode demo /tmp/qualcode-demo
        qualcode demo --pseudonymise
    """
    from qualcode.cli.pseudonymise import telling  # noqa: PLC0415 - keeps --help fast
    from qualcode.demo import run_demo  # noqa: PLC0415

    def report(step: str, detail: str = "") -> None:
        click.secho(f"== {step}", bold=True)
        if detail:
            click.echo(detail)

    run_demo(directory, report, pseudonymise=pseudonymise, progress=telling(lambda *_: None))
