"""``qualcode memo``: notes on the project, documents, segments and codes."""

import click

from qualcode.cli.common import emit, emit_json, format_option, looking_project_option, writing_project_option


@click.group()
def memo():
    """Write and read memos on the project, a document, a segment or a code."""


@memo.command()
@click.argument("text")
@click.option("--doc", "document", metavar="DOC", help="On this document.")
@click.option("--segment", metavar="DOC:N", help="On this segment.")
@click.option("--code", metavar="ID", help="On this code.")
@click.option("--project-wide", "on_project", is_flag=True, help="On the project as a whole.")
@click.option("--coder", "author", metavar="NAME", help="Who writes (default: $QUALCODE_CODER, else the project's coder).")
@click.option("--author", "author_alias", metavar="NAME", hidden=True)  # the earlier name, still read
@writing_project_option(coder=False)
def add(project, text, document, segment, code, on_project, author, author_alias):
    """Write a memo on exactly one target: a document, a segment, a code or the project.

    \b
    Example:
        qualcode memo add "Strong quote on peer learning" --segment km-maasdelta-01:12 --coder anna
    """
    if sum(bool(t) for t in (document, segment, code, on_project)) != 1:
        raise click.UsageError("give exactly one of --doc, --segment, --code or --project-wide")
    memo_id = project.add_memo(text, document=document, segment=segment, code=code, author=author or author_alias)
    click.echo(f"memo {memo_id} added")


@memo.command(name="list")
@click.option("--doc", "document", metavar="DOC", help="Only memos on this document and its segments.")
@click.option("--code", metavar="ID", help="Only memos on this code.")
@format_option()
@looking_project_option
def list_memos(project, document, code, fmt):
    """List memos, oldest first, with what they are on and who wrote them.

    \b
    Example:
        qualcode memo list --doc km-maasdelta-01 --format json
    """
    from qualcode.store.reads import MEMO_COLUMNS  # noqa: PLC0415 - keeps --help fast

    emit(project.memo_records(document, code), fmt, empty="no memos yet", wide="text", columns=MEMO_COLUMNS)


@memo.command()
@click.argument("memo_id", metavar="ID", type=int)
@format_option(("table", "json"))
@looking_project_option
def show(project, memo_id, fmt):
    """Show one memo in full.

    \b
    Example:
        qualcode memo show 3
    """
    found = project.memo(memo_id)
    if fmt == "json":
        emit_json(found)
        return
    click.echo(f"memo {found['id']} on {found['target_type']} {found['target']}".rstrip())
    click.echo(f"by {found['author']}, {found['created_at']}")
    click.echo("")
    click.echo(found["text"])
