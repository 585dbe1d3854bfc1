"""Commands about the project as a whole: init, status, demo."""

from pathlib import Path

import click

from qualcode.cli.common import echo_violations, emit, emit_json, format_option, project_option


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--codebook", type=click.Path(dir_okay=False, path_type=Path), help="Codebook YAML to load into the new project.")
def init(directory, codebook):
    """Create a project (one SQLite file, qualcode.sqlite) in DIRECTORY.

    \b
    Example:
        qualcode init my-study --codebook codebooks/professioneel-handelen.yaml
    """
    from qualcode.project import Project  # noqa: PLC0415 - keeps --help fast

    with Project.init(directory, codebook=codebook) as project:
        n_codes = project.status()["codes"]
        click.echo(f"created {project.path}" + (f" with {n_codes} codes from {codebook}" if codebook else ""))


@click.command()
@format_option(("table", "json"))
@project_option
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
    click.echo(f"audit log head {info['audit_head'] or '(empty)'}")
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
