"""What tells a project apart before it is opened: the SQLite file's name and header, the server
URL schemes, and the schema version this qualcode reads and writes.

Kept apart from :mod:`qualcode.store.core` and :mod:`qualcode.store.schema` so that a command
that only looks (:mod:`qualcode.project_reads`) can find and check a project without loading
SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_FILE = "qualcode.sqlite"

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite file

SCHEMA_VERSION = 5

SERVER_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_server_url(target: str | Path) -> bool:
    """Whether ``target`` names a database server (a ``postgresql://`` URL), not a file."""
    return str(target).startswith(SERVER_SCHEMES)


def is_sqlite_file(path: Path) -> bool:
    """Whether ``path`` is a file that starts as every SQLite file does."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False
