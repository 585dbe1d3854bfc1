"""What every write records, as SQL text: audit entries appended in chain, meta values set,
coders created on first use; and :class:`FileWriter`, the write transaction of an SQLite
project over a bare ``sqlite3`` connection.

:class:`~qualcode.store.core.Store` runs these functions inside ``atomic()``; ``FileWriter``
runs the same ones, so that ``tag`` and ``review`` on an SQLite project start without loading
SQLAlchemy (issue 21). A writer (either) offers ``actor``, ``acting()``, ``log()``,
``log_many()`` and ``ensure_coder()``: what the write paths of :mod:`qualcode.store.tagging` need.
"""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from qualcode import auditlog
from qualcode.errors import LockTimeout
from qualcode.store import reads
from qualcode.store.identity import HEAD_KEY
from qualcode.store.sqltext import LOCK_TIMEOUT, execute, execute_many, open_sqlite, take_sqlite_write_lock

BATCH = 5000  # rows per INSERT in bulk writes: memory stays flat however many rows a command writes


def in_batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def now() -> str:
    """The current time as an ISO 8601 UTC string (seconds), the one time format of the store."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def new_guid() -> str:
    """A GUID for an item, kept for its life so REFI-QDA exports are stable."""
    return str(uuid.uuid4())


def default_actor() -> str:
    """Who a change is attributed to when no coder is named: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def set_meta(db, key: str, value: str) -> None:
    """One statement when the key is there (every write sets the chain head: on a server each
    statement is a round trip inside the write lock)."""
    if execute(db, "UPDATE meta SET value = ? WHERE key = ?", (value, key)) == 0:
        execute(db, "INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))


def insert_coder(db, name: str, kind: str = "human", *, created_at: str | None = None, guid: str | None = None) -> bool:
    """The one INSERT of coders (identified by name), on first use; whether the coder was new."""
    if reads.coder_exists(db, name):
        return False
    execute(db, "INSERT INTO coders (name, kind, created_at, guid) VALUES (?, ?, ?, ?)",
            (name, kind, created_at or now(), guid or new_guid()))
    return True


def append_entries(db, entries: Iterable[tuple[str, str, dict | None]], *, actor: str, head: str | None,
                   chained: bool = True) -> str | None:
    """Append (action, target, detail) entries to the audit log in bulk (a statement per
    :data:`BATCH`), each chained to the one before from ``head``; returns the new head. Not
    ``chained``: the server chains them (a PostgreSQL project with roles)."""
    stamp = now()
    columns = ("at", "actor", "action", "target", "detail", *(("prev_hash", "hash") if chained else ()))
    insert = f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    for batch in in_batches(entries):
        found = []
        for action, target, detail in batch:
            row = {"at": stamp, "actor": actor, "action": action, "target": str(target),
                   "detail": auditlog.encode_detail(detail)}
            if chained:
                row["prev_hash"] = head
                row["hash"] = head = auditlog.entry_hash(row)
            found.append(tuple(row[name] for name in columns))
        execute_many(db, insert, found)
    return head


def chain_tail_problem(db) -> tuple[dict | None, str | None]:
    """The last audit entry, and what is wrong at the chain's tail (None when it holds): the
    cheap check before every write."""
    last = reads.last_audit_entry(db)
    problem = auditlog.tail_problem(last, missing_triggers=reads.missing_audit_triggers(db),
                                    recorded_head=reads.meta_value(db, HEAD_KEY))
    return last, problem


def actor_noted(actor: str | None, detail: dict | None) -> dict:
    """An action's detail, saying so when no coder was named (the OS user is the actor)."""
    return {**(detail or {}), "actor": "operating-system user: no coder named"} if actor is None else (detail or {})


class TailProblem(Exception):
    """The chain's tail needs the Store (a break to refuse or to accept): the caller writes there."""


class FileWriter:
    """One write to an SQLite project over a bare ``sqlite3`` connection, as ``Store.atomic``
    makes it on the current schema with a sound chain tail: the write lock, the action's entry,
    the body's entries chained on, the head recorded, one commit. Anything else (a migration, a
    broken tail) is the Store's: :meth:`atomic` raises :class:`TailProblem` before writing."""

    def __init__(self, path: Path, *, actor: str | None = None, on_wait=None, lock_timeout: float = LOCK_TIMEOUT):
        self.path = path
        self.actor = actor
        self.on_wait = on_wait
        self.lock_timeout = lock_timeout
        self._head: str | None = None

    def acting(self) -> str:
        return self.actor or default_actor()

    def _timed_out(self) -> LockTimeout:
        return lock_timed_out(str(self.path), self.lock_timeout)

    @contextmanager
    def atomic(self, action: str, target: str = "", detail: dict | None = None):
        db = open_sqlite(self.path, read=False)
        try:
            take_sqlite_write_lock(db, self.lock_timeout, self.on_wait, self._timed_out)
            try:
                last, problem = chain_tail_problem(db)
                if problem is not None:
                    raise TailProblem(problem)
                self._head = auditlog.continuation(last)
                self.log(db, action, target, actor_noted(self.actor, detail))
                yield db
                set_meta(db, HEAD_KEY, self._head)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def log(self, db, action: str, target: str = "", detail: dict | None = None) -> None:
        self.log_many(db, [(action, target, detail)])

    def log_many(self, db, entries) -> None:
        self._head = append_entries(db, entries, actor=self.acting(), head=self._head)

    def ensure_coder(self, db, name: str, kind: str = "human") -> bool:
        if not insert_coder(db, name, kind):
            return False
        self.log(db, "coder.add", name, {"kind": kind})
        return True


def lock_timed_out(where: str, timeout: float) -> LockTimeout:
    return LockTimeout(f"{where}: another qualcode command held the project's write lock for {timeout:g} s; "
                       f"nothing was written; run this again when it has finished")
