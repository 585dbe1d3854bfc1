"""Taking data out for good: the free pages and the WAL a rewrite leaves behind.

``scrub(store) -> bool`` runs after a commit that removed personal data (``forget``, a
pseudonymisation): SQLite keeps deleted and overwritten rows in free pages and in the
write-ahead log until something overwrites them, so the text is still in the file's bytes.
"""

from __future__ import annotations

from qualcode.store.core import Store


def scrub(store: Store) -> bool:
    """VACUUM (rewrite the file without its free pages), then checkpoint the WAL into it and
    truncate the WAL to nothing. Returns False when another connection kept the WAL from being
    emptied (a reader open at the same time): run it again when that one has finished.

    Runs outside any transaction, on its own connection; SQLite only (a PostgreSQL server keeps
    its own files)."""
    if store.engine.dialect.name != "sqlite":
        return True
    connection = store.engine.raw_connection()
    try:
        raw = connection.dbapi_connection
        raw.execute("VACUUM")
        busy, _frames, _moved = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0
    finally:
        connection.close()
