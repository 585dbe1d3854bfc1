"""Typed errors of the library, mapped to one line and an exit code once, in the CLI.

The library raises these and never prints or exits. ``exit_code`` follows the CLI convention:
2 for bad input or usage (the user can fix it), 1 for other failures.
"""

import difflib


class QualcodeError(Exception):
    """Base class: an expected failure with a message that says what is wrong and what to do."""

    exit_code = 1


class BadInput(QualcodeError):
    """A file, value or option the user gave is wrong."""

    exit_code = 2


class BadFile(BadInput):
    """An input file cannot be read: corrupt, encrypted, hostile, empty or of the wrong kind."""

    def __init__(self, path, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class UnknownItem(BadInput):
    """A named code, coder, document, attribute or segment does not exist; lists close matches."""

    def __init__(self, kind: str, name: str, known, hint: str = ""):
        self.kind = kind
        self.name = name
        known = sorted(str(k) for k in known)
        close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
        if close:
            tail = f"did you mean {', '.join(close)}?"
        elif known and len(known) <= 12:
            tail = f"known: {', '.join(known)}"
        elif known:
            tail = f"{len(known)} known, e.g. {', '.join(known[:5])}"
        else:
            tail = f"there is no {kind} yet"
        super().__init__(f"unknown {kind} {name!r}: {tail}{'; ' + hint if hint else ''}")


class ProjectNotFound(BadInput):
    """No project where one was asked for or searched."""


class SchemaTooNew(QualcodeError):
    """The project file was written by a newer qualcode than this one."""


class Conflict(BadInput):
    """The request contradicts what the project holds (e.g. dropping a code that has codings)."""


class NotEnoughData(QualcodeError):
    """A computation needs more coded data than the project has; says how much more."""


class InvalidCodebook(BadInput):
    """A codebook file breaks the format; ``problems`` holds (line, message) pairs, 1-based lines."""

    def __init__(self, path, problems: list[tuple[int, str]]):
        self.path = path
        self.problems = problems
        first_line, first = problems[0]
        more = f" (and {len(problems) - 1} more; run 'qualcode codebook check {path}')" if len(problems) > 1 else ""
        super().__init__(f"{path}:{first_line}: {first}{more}")


class InvalidRows(BadInput):
    """A table of rows to apply holds bad rows; ``problems`` holds (line, message) pairs, 1-based lines."""

    def __init__(self, path, problems: list[tuple[int, str]]):
        self.path = path
        self.problems = problems
        n_rows = len({line for line, _ in problems})
        listed = "; ".join(f"line {line}: {message}" for line, message in problems)
        super().__init__(
            f"{path}: {n_rows} bad row{'s' if n_rows != 1 else ''}, nothing applied: {listed}; fix "
            f"{'them' if n_rows != 1 else 'it'} and apply again"
        )


class NotPermitted(BadInput):
    """The database server refused a read or write to this login's role (a PostgreSQL project
    with roles); says the role it needs."""


class DatabaseUnavailable(QualcodeError):
    """The project's database server cannot be reached or refuses the login."""


class LockTimeout(QualcodeError):
    """Another writer held the project's write lock for longer than this writer would wait."""


class BrokenChain(QualcodeError):
    """The audit log's hash chain does not verify: an entry was changed, removed or inserted
    outside qualcode, or its append-only triggers are gone."""
