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

CODER_NAME_LENGTH = 64  # characters of a coder's name (coders.name)

HEAD_KEY = "audit.head"  # meta: the chain head the last write left, so a cut-off tail shows

# The append-only triggers of the audit table, by name and body, per backend (created by
# qualcode.store.schema, looked for by qualcode.store.reads.missing_audit_triggers).
AUDIT_TRIGGERS = {
    "audit_no_update": "BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "audit_no_delete": "BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "audit_no_replace": (
        "BEFORE INSERT ON audit WHEN NEW.id IN (SELECT id FROM audit) "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    ),
}

SERVER_AUDIT_TRIGGERS = {
    "audit_no_update": "BEFORE UPDATE ON audit FOR EACH ROW",
    "audit_no_delete": "BEFORE DELETE ON audit FOR EACH ROW",
    "audit_no_truncate": "BEFORE TRUNCATE ON audit FOR EACH STATEMENT",
}

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
