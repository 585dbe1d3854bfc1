"""Where a project is: found from here upward, or named by a path, a variable or a URL; and
which database it lives in (its SQLite file, or the server its ``qualcode.toml`` names).

Apart from :mod:`qualcode.project`, so that a command that only looks can find a project
without loading SQLAlchemy.
"""

from __future__ import annotations

import os
from pathlib import Path

from qualcode.errors import BadFile, BadInput, ProjectNotFound
from qualcode.store.identity import PROJECT_FILE, is_server_url

PROJECT_ENV = "QUALCODE_PROJECT"
DATABASE_ENV = "QUALCODE_DATABASE"
CODER_ENV = "QUALCODE_CODER"
# In a project folder instead of the SQLite file: names the PostgreSQL database the team shares.
SERVER_FILE = "qualcode.toml"


def find_project(start: Path | None = None) -> Path | str:
    """Where the project is: ``QUALCODE_DATABASE`` (a server URL) if set, else
    ``QUALCODE_PROJECT``, else the nearest project folder upward from ``start``: its SQLite
    file, or its ``qualcode.toml`` naming the server."""
    for variable in (DATABASE_ENV, PROJECT_ENV):
        if os.environ.get(variable):
            return resolve_project_path(os.environ[variable])
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        found = project_in(folder)
        if found is not None:
            return found
    raise ProjectNotFound(
        f"no qualcode project in {here} or above; run 'qualcode init' here, or pass "
        f"--project PATH (or set {PROJECT_ENV}, or {DATABASE_ENV} for a server)"
    )


def project_in(folder: Path) -> Path | None:
    found = [folder / name for name in (PROJECT_FILE, SERVER_FILE) if (folder / name).is_file()]
    if len(found) > 1:
        raise BadInput(f"{folder}: holds both {PROJECT_FILE} and {SERVER_FILE}, so it is unclear which project "
                       f"to open; move the one not in use elsewhere")
    return found[0] if found else None


def resolve_project_path(path: str | Path) -> Path | str:
    """Accept a project folder, its project file or server file, or a ``postgresql://`` URL."""
    if is_server_url(path):
        return str(path)
    path = Path(path)
    candidate = project_in(path) if path.is_dir() else (path if path.is_file() else None)
    if candidate is None:
        raise ProjectNotFound(f"{path}: no qualcode project there; run 'qualcode init {path}' first")
    return candidate


def database_of(found: Path | str) -> Path | str:
    """The database a found project lives in: the SQLite file, or the URL its server file names."""
    if isinstance(found, str) or found.name != SERVER_FILE:
        return found
    import tomllib  # noqa: PLC0415 - only a server project reads it

    try:
        url = tomllib.loads(found.read_text(encoding="utf-8"))["database"]["url"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BadFile(found, f"cannot read the server's URL ({exc}); it should hold [database] with "
                             f'url = "postgresql://HOST/DATABASE"') from None
    if not isinstance(url, str) or not is_server_url(url):
        raise BadFile(found, f'[database] url must be a postgresql:// URL, not {url!r}')
    return url
