"""Shell completion: ``qualcode completion bash|zsh|fish`` prints the script, and arguments
complete from the project (documents, ``DOC:N``, codes, coders, attribute names and values).

Which values an argument takes is read from the metavar the command already declares (``DOC``,
``DOC:N``, ``ID``, ``NAME``, ``KEY=VALUE``...), so no command needs code for it. The completers
are attached only while the shell asks for completions, and open the project only then: ``--help``
and every ordinary run stay as fast as before.
"""

import click

from qualcode.cli import COMPLETE_VAR

SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the completion script for SHELL. Load it in your shell's start-up file; then Tab
    completes commands, options, document names, DOC:N, codes, coders and attribute names.

    \b
    Example:
        eval "$(qualcode completion bash)"        # in ~/.bashrc
        eval "$(qualcode completion zsh)"         # in ~/.zshrc
        qualcode completion fish > ~/.config/fish/completions/qualcode.fish
    """
    from click.shell_completion import get_completion_class  # noqa: PLC0415

    from qualcode.cli import cli  # noqa: PLC0415 - the group that imports this module lazily

    click.echo(get_completion_class(shell)(cli, {}, "qualcode", COMPLETE_VAR).source())


def _project(ctx):
    from qualcode.errors import QualcodeError  # noqa: PLC0415
    from qualcode.project_reads import open_quick  # noqa: PLC0415 - loads only when completing

    path = None
    while ctx is not None and path is None:
        path, ctx = ctx.params.get("project_path"), ctx.parent
    try:
        return open_quick(path)
    except QualcodeError:
        return None


def _with_project(read):
    """A click completer from ``read(project, incomplete) -> list[str]``; nothing without a project."""
    def complete(ctx, _param, incomplete: str) -> list[str]:
        project = _project(ctx)
        if project is None:
            return []
        with project:
            return [value for value in read(project, incomplete) if value.startswith(incomplete)]

    return complete


def _documents(project, _incomplete: str) -> list[str]:
    return [row["name"] for row in project.document_records()[0]]


def _segments(project, incomplete: str) -> list[str]:
    document, sep, _ = incomplete.rpartition(":")
    if not sep:
        return [f"{name}:" for name in _documents(project, incomplete)]
    if document not in _documents(project, ""):
        return []
    return [row["ref"] for row in project.transcript_records(document) if row["ref"]]


def _documents_or_segments(project, incomplete: str) -> list[str]:
    return _segments(project, incomplete) if ":" in incomplete else _documents(project, incomplete)


def _codes(project, incomplete: str) -> list[str]:
    done, _, _ = incomplete.rpartition(",")  # comma-separated lists complete their last item
    prefix = f"{done}," if done else ""
    return [prefix + code for code in project.code_ids()]


def _coders(project, _incomplete: str) -> list[str]:
    return project.coders()


def _attribute_names(project, _incomplete: str) -> list[str]:
    return project.document_records()[1]


def _attribute_pairs(project, incomplete: str) -> list[str]:
    key, sep, _ = incomplete.partition("=")
    rows, keys = project.document_records()
    if not sep:
        return [f"{name}=" for name in keys]
    if key not in keys:
        return []
    return [f"{key}={value}" for value in sorted({str(row[key]) for row in rows if row[key] is not None})]


# metavar -> completer; commands declare these metavars already.
BY_METAVAR = {
    "DOC": _with_project(_documents),
    "[DOC|DOC:N]...": _with_project(_documents_or_segments),
    "DOC|DOC:N": _with_project(_documents_or_segments),
    "DOC:N": _with_project(_segments),
    "ID": _with_project(_codes),
    "ID[,ID...]": _with_project(_codes),
    "CODE...": _with_project(_codes),
    "SRC...": _with_project(_codes),
    "top|all|ID": _with_project(_codes),
    "NAME": _with_project(_coders),
    "NAME|consensus|union|all": _with_project(_coders),
    "KEY=VALUE": _with_project(_attribute_pairs),
    "document|ATTR": _with_project(_attribute_names),
}


def attach(command: click.Command) -> None:
    """Give ``command``'s (and its sub-commands') arguments their completers, by metavar."""
    for param in command.params:
        found = BY_METAVAR.get(param.metavar)
        if found and not isinstance(param.type, click.types.IntParamType):
            param._custom_shell_complete = found
    for sub in getattr(command, "commands", {}).values():
        attach(sub)
