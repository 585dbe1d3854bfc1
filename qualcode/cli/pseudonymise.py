"""``qualcode pseudonymise`` and ``qualcode depseudonymise``: names and numbers replaced by tags,
with the key kept in a file of its own."""

import os
import sys
from pathlib import Path

import click

from qualcode.cli.common import emit, format_option, progress_on_stderr, writing_project_option

KEY_HELP = "Key file (tag -> original), encrypted with a passphrase; made if missing. Keep it apart from the project."
PASSPHRASE_ENV = "QUALCODE_KEY_PASSPHRASE"  # the library's pseudonym_key.PASSPHRASE_ENV, without importing it here
HIT_COLUMNS = ["document", "where", "category", "original", "tag", "source", "context"]


def passphrase(key: Path | None, *, new_allowed: bool) -> str | None:
    """From $QUALCODE_KEY_PASSPHRASE, else asked at the prompt (twice for a new key file)."""
    if key is None:
        return None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if not sys.stdin.isatty():
        from qualcode.errors import BadInput  # noqa: PLC0415 - keeps --help fast

        raise BadInput(f"no passphrase for {key}: set {PASSPHRASE_ENV}, or run this in a terminal to be asked")
    new = new_allowed and not key.exists()
    return click.prompt(f"passphrase for {'the new key file ' if new else ''}{key}", hide_input=True,
                        confirmation_prompt=new, err=True)


def telling(bar):
    """The library's progress, drawn as a bar, and loading deduce said once in words on stderr
    (also when stderr is a log file): it can take two minutes the first time."""
    def report(what: str, done: int, total) -> None:
        if what.startswith("loading deduce") and done == 0:
            click.echo(f"qualcode: {what} ...", err=True)
        bar(what, done, total)

    return report


def pseudonymise_options(fn):
    """The options ``import --pseudonymise`` shares with ``pseudonymise``."""
    for option in reversed([
        click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help=KEY_HELP),
        click.option("--names", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     help="Word list to replace too: one name a line, 'PLAATS: name' for another category."),
        click.option("--decisions", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     help="Re-use a decision list saved with --save-decisions."),
    ]):
        fn = option(fn)
    return fn


@click.command()
@click.argument("documents", nargs=-1, metavar="[DOC]...")
@pseudonymise_options
@click.option("--keep", multiple=True, metavar="WORD", help="Leave this word as it is (repeatable).")
@click.option("--also", multiple=True, metavar="WORD[=CATEGORY]", help="Replace this word too; PERSOON unless a category is given (repeatable).")
@click.option("--dry-run", is_flag=True, help="List every hit with its context and category; change nothing.")
@click.option("--save-decisions", type=click.Path(dir_okay=False, path_type=Path),
              help="Write what is replaced and kept to this YAML file, to review and re-use with --decisions.")
@format_option()
@writing_project_option
def pseudonymise(project, documents, key, names, decisions, keep, also, dry_run, save_decisions, fmt):
    """Replace persons, places, organisations, dates, phone numbers, e-mail addresses, BSN,
    IBAN, postal codes and addresses in DOC (default: every document) by tags such as
    [PERSOON-3] and [PLAATS-1]: in the text, speaker labels, attributes, document names, file
    metadata, every memo and the audit log; codings stay on their text. The same original gets
    the same tag everywhere and in later runs: the key file says which, encrypted with a
    passphrase (asked, or $QUALCODE_KEY_PASSPHRASE). Found by deduce (Dutch; loading it takes
    seconds, building its tables the first time about two minutes), speaker names, place and
    organisation attributes and --names. Review first with --dry-run.

    \b
    Example:
        qualcode pseudonymise --dry-run --save-decisions decisions.yaml
        qualcode pseudonymise --key ~/keys/study.key --decisions decisions.yaml --keep Jongens
    """
    secret = passphrase(key, new_allowed=not dry_run)
    with progress_on_stderr() as bar:
        result = project.pseudonymise(list(documents) or None, key=key, passphrase=secret, names=names, keep=keep,
                                      also=also, decisions=decisions, save_decisions=save_decisions, dry_run=dry_run,
                                      progress=telling(bar))
    if dry_run:
        emit([{column: getattr(hit, column) for column in HIT_COLUMNS} for hit in result.hits], fmt,
             title="would be replaced (nothing changed)", empty="nothing to replace", wide="context")
    else:
        echo_result(result, key)
    if save_decisions:
        click.echo(f"decisions written to {save_decisions} (it holds the originals: keep it with the key)")


def echo_result(result, key) -> None:
    if not result.documents and not result.memos and not result.audit_entries:
        click.echo("nothing to replace: no original found that is not a tag already")
        return
    tags = ", ".join(f"{category} {count}" for category, count in sorted(result.tags.items()))
    click.echo(f"pseudonymised {result.documents} documents and {result.memos} memos; {result.new_tags} new tags "
               f"(key now holds {tags}); {result.audit_entries} audit entries rewritten; key in {key}")
    if not result.scrubbed:
        click.echo("qualcode: warning: another program had the project open, so old text may remain in its "
                   "write-ahead log; run 'qualcode pseudonymise' again when it has closed", err=True)


@click.command()
@click.option("--key", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path), help="The key file.")
@click.option("--to", "target", required=True, type=click.Path(path_type=Path),
              help="New project file for the copy with the originals (this project is not changed).")
@writing_project_option
def depseudonymise(project, key, target):
    """Write a copy of the project with every tag turned back into its original, for the person
    authorised to hold the key. The project itself keeps its tags, so it stays safe to share;
    the copy is readable by its owner only.

    \b
    Example:
        qualcode depseudonymise --key ~/keys/study.key --to ~/private/study-originals.sqlite
    """
    done = project.depseudonymise(key=key, passphrase=passphrase(key, new_allowed=False), to=target)
    click.echo(f"wrote {done['copy']}: {done['documents']} documents and {done['memos']} memos with their originals "
               f"back ({done['tags']} tags in the key)")
