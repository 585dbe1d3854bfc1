"""``qualcode forget``: erase a document for good when a respondent withdraws consent."""

import click

from qualcode.cli.common import writing_project_option


@click.command()
@click.argument("document", metavar="DOC")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why, for the audit log, which keeps it: do not name the respondent (e.g. \"consent withdrawn\").")
@click.option("--yes", is_flag=True, help="Do not ask before erasing.")
@writing_project_option
def forget(project, document, reason, yes):
    """Erase document DOC for good: its text, turns, segments, attributes, codings, reviews,
    decisions and memos, and in the audit log every entry about it becomes a tombstone (what
    was done, when and by whom; no text, no name), in one logged transaction. The project file
    and its write-ahead log are then rewritten so the text is gone from their bytes. Exports
    made earlier that hold the document are listed for you to delete.

    \b
    Example:
        qualcode forget km03 --reason "consent withdrawn (form of 2026-11-20)"
    """
    if not yes:
        click.confirm(f"erase {document} and everything about it, audit log included? This cannot be undone",
                      abort=True)
    done = project.forget(document, reason=reason)
    removed = ", ".join(f"{count} {table}" for table, count in done.removed.items())
    click.echo(f"forgot {document} (now document:{done.guid} in the log): removed {removed}; "
               f"{done.entries} audit entries became tombstones")
    if done.exports:
        click.echo("exports made earlier that hold it; delete them (and any copies) yourself:")
        for export in done.exports:
            click.echo(f"  {export['at']} {export['kind']} by {export['actor']}: {', '.join(export['files'])}")
    else:
        click.echo("no recorded export holds it (exports made before qualcode recorded them are not listed)")
    if not done.scrubbed:
        click.echo(f"qualcode: warning: another program had the project open, so {project.path.name}-wal may still "
                   f"hold the text; close it, then run: sqlite3 {project.path} 'VACUUM; PRAGMA wal_checkpoint(TRUNCATE)'",
                   err=True)
