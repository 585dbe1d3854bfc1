"""SQL text run over either connection qualcode holds: a bare ``sqlite3`` connection (a command
that starts without SQLAlchemy, :mod:`qualcode.project_reads`) or the Store's SQLAlchemy one
(SQLite or PostgreSQL). One text serves both backends: plain standard SQL with ``?``
placeholders, which become ``%s`` for psycopg; no ``%`` in the text itself (pass patterns as
parameters). Also the SQLite write lock, which both take the same way.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

BUSY_TIMEOUT_MS = 5000  # SQLite's own wait, for anything else that meets a lock

WAIT_NOTICE = 1.0  # seconds a writer waits for the lock before it says so

LOCK_TIMEOUT = 60.0  # seconds a writer waits for the lock in all

LOCK_POLL = (0.002, 0.008)  # seconds between tries for the lock, at random so waiters interleave


def rows(db, sql: str, params=()) -> list:
    """The rows of ``sql`` over ``db``: a ``sqlite3`` connection or an SQLAlchemy one."""
    return list(stream(db, sql, params))


def stream(db, sql: str, params=()):
    """:func:`rows` one by one, for a result too long to hold at once."""
    if isinstance(db, sqlite3.Connection):
        yield from db.execute(sql, tuple(params))
    else:
        yield from db.exec_driver_sql(_for_driver(db, sql), tuple(params))


def column(db, sql: str, params=()) -> list:
    """The first column of :func:`rows`."""
    return [row[0] for row in rows(db, sql, params)]


def value(db, sql: str, params=()):
    """The first value of the first row, or None when there is none."""
    found = rows(db, sql, params)
    return found[0][0] if found else None


def dialect(db) -> str:
    """``sqlite`` or ``postgresql``: the backend ``db`` talks to."""
    return "sqlite" if isinstance(db, sqlite3.Connection) else db.dialect.name


def placeholders(values) -> str:
    """``?, ?, ?``: one placeholder per value, for ``IN (...)``."""
    return ", ".join("?" for _ in values)


def execute(db, sql: str, params=()) -> int:
    """Run one statement over ``db``; returns the rows it changed."""
    if isinstance(db, sqlite3.Connection):
        return db.execute(sql, tuple(params)).rowcount
    return db.exec_driver_sql(_for_driver(db, sql), tuple(params)).rowcount


def execute_many(db, sql: str, params_seq) -> None:
    """Run one statement for each parameter tuple of ``params_seq`` (one executemany)."""
    params_seq = [tuple(params) for params in params_seq]
    if not params_seq:
        return
    if isinstance(db, sqlite3.Connection):
        db.executemany(sql, params_seq)
    else:
        db.exec_driver_sql(_for_driver(db, sql), params_seq)


def _for_driver(db, sql: str) -> str:
    return sql.replace("?", "%s") if dialect(db) == "postgresql" else sql


def open_sqlite(path: Path, *, read: bool = True) -> sqlite3.Connection:
    """A bare connection to an SQLite project, set up as the Store sets up its own (foreign keys,
    WAL, a busy timeout, transactions by hand); with ``read`` inside one read transaction (one
    consistent snapshot, as the Store's reads). The caller checked the file's header."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if read:
        db.execute("BEGIN")
    return db


def take_sqlite_write_lock(db: sqlite3.Connection, timeout: float, on_wait, timed_out) -> None:
    """``BEGIN IMMEDIATE``: wait up to ``timeout`` seconds for another writer, calling
    ``on_wait`` (if any) once after WAIT_NOTICE seconds; raises ``timed_out()`` if the lock never
    comes.

    Polls every few milliseconds instead of SQLite's busy handler, whose sleeps grow to
    100 ms: a writer that sleeps that long keeps losing the lock to one that writes again at
    once (starved for 15 s in the concurrency benchmark)."""
    started = time.monotonic()
    noticed = False
    db.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
            waited = time.monotonic() - started
            if waited >= timeout:
                raise timed_out()
            if not noticed and waited >= WAIT_NOTICE and on_wait is not None:
                on_wait()
                noticed = True
            time.sleep(random.uniform(*LOCK_POLL))
    finally:
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
