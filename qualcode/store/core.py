"""The project store: one SQLite file or one PostgreSQL database, through SQLAlchemy Core.

Takes a path or a ``postgresql://`` URL, gives a :class:`Store` (engine, a read connection and
:meth:`Store.atomic`, the one way to write): every command that writes runs inside one
transaction that takes the project's write lock up front (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: a transaction-level advisory lock), so a writer waits its turn instead of failing
half-way or writing over another coder's change; and everything it changes is recorded in the
append-only ``audit`` table, whose hash chain (:mod:`qualcode.auditlog`) is checked at its tail
before each write. Queries are Core expressions (no raw SQL) over the tables of
:mod:`qualcode.store.schema`, so the same code runs on both; the few places the backends differ
are the engine set-up and the lock here, and the audit triggers in ``schema``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from qualcode import auditlog
from qualcode.errors import (
    BadFile, BadInput, BrokenChain, DatabaseUnavailable, LockTimeout, NotPermitted, ProjectNotFound, SchemaTooNew,
)
from qualcode.outputfile import create_private
from qualcode.store import log as store_log
from qualcode.store import reads, team
from qualcode.store.identity import HEAD_KEY, SCHEMA_VERSION, is_server_url, is_sqlite_file
from qualcode.store.journal import (
    actor_noted, append_entries, chain_tail_problem, default_actor, insert_coder, lock_timed_out, new_guid, now, set_meta,
)
from qualcode.store.schema import (
    MIGRATIONS, create_audit_triggers, create_schema, document_attributes, documents, meta, project_tables, segments, turns,
)
from qualcode.store.sqltext import BUSY_TIMEOUT_MS, LOCK_TIMEOUT, WAIT_NOTICE, take_sqlite_write_lock


# The PostgreSQL advisory lock every qualcode writer takes for its transaction (advisory locks
# are per database, so one key serves every project on a server).
SERVER_WRITE_LOCK = 0x7175616C636F6465  # "qualcode"

def database_url(target: str | Path) -> str:
    """The SQLAlchemy URL of a project: a path is an SQLite file; a ``postgresql://`` URL is a
    server database, reached through psycopg 3.

    >>> database_url("postgresql://lead@db.example.org/study")
    'postgresql+psycopg://lead@db.example.org/study'
    """
    text = str(target)
    if is_server_url(text):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        raise BadInput(f"{text}: qualcode keeps a project in an SQLite file or on a PostgreSQL server; "
                       f"give a path or a postgresql://HOST/DATABASE URL")
    return f"sqlite:///{text}"


def url_without_password(url: str) -> str:
    """A server URL as a shared file may keep it: without the password."""
    return sa.engine.make_url(url).set(password=None).render_as_string(hide_password=False)


def shown_url(url: str) -> str:
    """A URL as messages show it: the password hidden, the driver left out."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    parsed = sa.engine.make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=True)


def _make_engine(url: str, take_write_lock: Callable) -> sa.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "begin")
        def _on_server_begin(connection):
            if connection.get_execution_options().get("qualcode_write"):
                take_write_lock(connection.connection.dbapi_connection)

    if engine.dialect.name == "sqlite":
        # pysqlite's own transaction handling does not cover DDL; take it over, as the
        # SQLAlchemy documentation recommends, so a whole command is one real transaction.
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            if connection.get_execution_options().get("qualcode_write"):
                take_write_lock(connection.connection.dbapi_connection)
            else:
                connection.exec_driver_sql("BEGIN")

    return engine


@dataclass
class Store:
    """An open project database. Create with :meth:`create`, open with :meth:`open`."""

    url: str
    # Who the entries are attributed to: the coder. None: nobody named one, so the entries carry
    # the operating-system user and say so.
    actor: str | None = None
    # Called once when a writer has waited WAIT_NOTICE seconds for another's lock (the CLI
    # prints a line; the library never does).
    on_wait: Callable[[], None] | None = None
    lock_timeout: float = LOCK_TIMEOUT
    # Append after a broken chain tail, recording the break as an entry (--accept-break).
    accept_break: bool = False
    engine: sa.Engine = field(init=False, repr=False)
    # The chain head when the running write took the lock: a caller that validated before the
    # lock re-validates inside it when another writer moved the head in between.
    head_at_lock: str | None = field(default=None, init=False, repr=False)
    # The chain head while a transaction appends: the prev_hash of the next entry.
    _head: str | None = field(default=None, init=False, repr=False)
    # Once the meta table is known to exist (it is never dropped), transactions read the schema
    # version with one small query instead of inspecting the database each time.
    _has_meta: bool = field(default=False, init=False, repr=False)
    # The server keeps the audit chain (a PostgreSQL project with roles, qualcode.store.team):
    # writes append their entries without hashes and the server chains them. Read once, when the
    # store opens; a store opened before the roles were installed goes on chaining itself, which
    # the server checks entry by entry (only an owner or a lead can have opened one).
    _server_chains: bool = field(default=False, init=False, repr=False)

    def __post_init__(self):
        lock = self._take_server_lock if self.url.startswith("postgresql") else self._take_write_lock
        self.engine = _make_engine(self.url, lock)

    @property
    def database_name(self) -> str:
        """The database's name on its server (for SQLite: the file)."""
        return self.engine.url.database

    @property
    def on_server(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @classmethod
    def create(cls, target: str | Path, **kwargs) -> Store:
        """A new project in the SQLite file ``target`` (which must not exist) or in the
        PostgreSQL database ``target`` names (which must hold no qualcode project)."""
        if not is_server_url(target) and Path(target).exists():
            raise BadFile(target, "a project already exists here; open it instead of creating it")
        if not is_server_url(target):
            create_private(Path(target))  # SQLite keeps the mode, and gives it to the -wal and -shm files
        store = cls(database_url(target), **kwargs)
        if store.on_server:
            store.check_version()  # a server that cannot be reached says so in one line
            with store.reading() as conn:
                present = project_tables(conn)
            if present:
                store.close()
                holds = ("a qualcode project; open it (qualcode.toml or QUALCODE_DATABASE), or"
                         if "meta" in present else f"tables of qualcode's names ({', '.join(present)});")
                raise BadInput(f"{store.where}: this database already holds {holds} create the project in an "
                               f"empty database")
        with store.atomic("init", store.where) as conn:
            conn.execute(meta.insert(), [{"key": "created_at", "value": now()}])
        return store

    @classmethod
    def open(cls, target: str | Path, **kwargs) -> Store:
        if not is_server_url(target):
            path = Path(target)
            if not path.is_file():
                raise BadFile(path, "no project file here; create one with 'qualcode init'")
            if not is_sqlite_file(path):
                raise BadFile(path, "not a qualcode project (not an SQLite file)")
        store = cls(database_url(target), **kwargs)
        found = store.check_version()
        if store.on_server and found == 0:
            store.close()
            raise ProjectNotFound(f"{store.where}: no qualcode project in this database; create one with "
                                  f"'qualcode init --database URL'")
        if found < SCHEMA_VERSION:
            with store.atomic(None):  # upgraded at once, so reads see the current schema
                pass
        return store

    def schema_version(self, conn: sa.Connection) -> int:
        if not self._has_meta:
            if not sa.inspect(conn).has_table("meta"):
                return 0
            self._has_meta = True
        return reads.schema_version(conn)

    def check_version(self) -> int:
        """The schema version of the file; SchemaTooNew if this qualcode is too old for it."""
        try:
            with self._refusals(None), self.engine.connect() as conn:
                found = self.schema_version(conn)
                self._server_chains = bool(found) and team.roles_on(conn)
        except sa.exc.OperationalError as exc:
            if not self.on_server:
                raise
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(f"{self.where}: cannot reach the database ({reason}); check the URL, "
                                      f"that the server runs and that you may log in") from None
        if found > SCHEMA_VERSION:
            from qualcode import __version__

            raise SchemaTooNew(
                f"{self.where}: written by a newer qualcode (schema "
                f"{found}; qualcode {__version__} knows up to {SCHEMA_VERSION}); "
                f"upgrade with 'pip install -U qualcode'"
            )
        return found

    @property
    def where(self) -> str:
        """The project as messages name it: the file, or the server URL without its password."""
        return shown_url(self.url)

    def _take_write_lock(self, dbapi_connection) -> None:
        """SQLite: ``BEGIN IMMEDIATE``, waited for as :func:`~qualcode.store.sqltext.take_sqlite_write_lock` says."""
        take_sqlite_write_lock(dbapi_connection, self.lock_timeout, self.on_wait, self._lock_timed_out)

    def _take_server_lock(self, dbapi_connection) -> None:
        """PostgreSQL: the transaction-level advisory lock every writer takes, waited for in the
        server's own queue (first come, first served); ``on_wait`` once after WAIT_NOTICE
        seconds, LockTimeout after ``lock_timeout``. Released when the transaction ends."""
        import psycopg  # noqa: PLC0415 - only a server project needs the driver

        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (SERVER_WRITE_LOCK,))
            if cursor.fetchone()[0]:
                return
            waits = [WAIT_NOTICE, self.lock_timeout - WAIT_NOTICE] if self.on_wait and self.lock_timeout > WAIT_NOTICE \
                else [self.lock_timeout]
            for number, wait in enumerate(waits):
                cursor.execute("SAVEPOINT qualcode_lock")
                cursor.execute(f"SET LOCAL lock_timeout = {max(1, round(wait * 1000))}")
                try:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SERVER_WRITE_LOCK,))
                except psycopg.errors.LockNotAvailable:
                    cursor.execute("ROLLBACK TO SAVEPOINT qualcode_lock")
                    if number == 0 and len(waits) > 1:
                        self.on_wait()
                    continue
                cursor.execute("RELEASE SAVEPOINT qualcode_lock")
                cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
                return
        raise self._lock_timed_out()

    def _lock_timed_out(self) -> LockTimeout:
        return lock_timed_out(self.where, self.lock_timeout)

    def _migrate(self, conn: sa.Connection) -> int | None:
        """Bring the schema up to date; returns the version found when it migrated."""
        found = self.schema_version(conn)
        if found == SCHEMA_VERSION:
            return None
        if found > SCHEMA_VERSION:
            self.check_version()
        if found == 0:
            create_schema(conn)
        for version in range(max(found, 1), SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        self.set_meta(conn, "schema_version", str(SCHEMA_VERSION))
        if team.roles_on(conn):
            team.install(conn)  # what a migration added gets the roles' grants and policies
        return found

    def _check_chain_tail(self, conn: sa.Connection) -> None:
        """Refuse to append after a broken chain tail (BrokenChain), or with ``accept_break``
        restore the triggers and record the break (and every break a full walk finds, so the
        entry accepts only what it names) as the entry the chain goes on from. When the server
        keeps the chain, a coder may not read its hashes: the write notes only where the log is."""
        if self._server_chains:
            self.head_at_lock = team.audit_position(conn)
            return
        last, problem = chain_tail_problem(conn)
        self._head = auditlog.continuation(last)
        self.head_at_lock = last["hash"] if last else None
        if problem is None:
            return
        if not self.accept_break:
            raise BrokenChain(
                f"{self.where}: {problem}; nothing was written; see 'qualcode log --verify', and run "
                f"this again with --accept-break to record the break in the log and go on"
            )
        missing, recorded = reads.missing_audit_triggers(conn), self.get_meta(conn, HEAD_KEY)
        walked = auditlog.verify(store_log.chain(conn)[0], missing_triggers=missing, recorded_head=recorded)
        create_audit_triggers(conn)
        self.log(conn, auditlog.BREAK_ACTION, "audit", {
            "problem": problem, "entry": last["id"] if last else None, "missing_triggers": missing,
            "recorded_head": recorded, "found_head": last["hash"] if last else None,
            "breaks": [found.describe() for found in walked.breaks if not found.accepted_by],
        })

    @contextmanager
    def atomic(self, action: str | None, target: str = "", detail: dict | None = None) -> Iterator[sa.Connection]:
        """One transaction for one user action: all of it is written, or (on any error) none.

        Takes the write lock first, migrates, checks the chain tail, then logs the action (None:
        the body logs its own entries, or only a migration when opening an older project); the body may log finer steps with :meth:`log`. Validate before, not inside: the lock is held
        until the block ends.
        """
        with self._refusals(action), self.locked() as conn:
            migrated_from = self._migrate(conn)
            self._check_chain_tail(conn)
            if migrated_from is not None:
                self.log(conn, "migrate", "schema", {"from": migrated_from, "to": SCHEMA_VERSION})
            if action is not None:
                self.log(conn, action, target, actor_noted(self.actor, detail))
            yield conn
            if not self._server_chains:
                self.set_meta(conn, HEAD_KEY, self._head)
        self._has_meta = True

    @contextmanager
    def locked(self) -> Iterator[sa.Connection]:
        """A bare write transaction holding the write lock: no migration, no chain check, no log
        entry (for :meth:`atomic`, and for a copy, which must add nothing to the log)."""
        with self.engine.connect() as conn:
            conn.execution_options(qualcode_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        """A read transaction that sees one state of the project throughout, however much
        others write meanwhile (SQLite: a WAL read transaction; PostgreSQL: REPEATABLE READ)."""
        with self.engine.connect() as conn:
            if self.on_server:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def checked_write(self, check: Callable[[sa.Connection], object], action: str, target: str = "",
                      detail: dict | None = None) -> Iterator[tuple[sa.Connection, object]]:
        """:meth:`atomic` for a write that checks or computes a lot first: ``check(conn)`` runs on
        a snapshot before the write lock is taken, and again inside it only if another writer
        came in between (the chain head moved). Yields the connection and what ``check`` gave."""
        with self.reading() as conn:
            if self._server_chains:
                team.refuse_unless_permitted(conn, action)
            head = team.audit_position(conn) if self._server_chains else store_log.chain_head(conn)
            checked = check(conn)
        with self.atomic(action, target, detail) as conn:
            yield conn, (checked if self.head_at_lock == head else check(conn))

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        with self._refusals(None), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _refusals(self, action: str | None) -> Iterator[None]:
        """The server's refusal of a read or write to this login's role (grants and row-level
        policies of :mod:`qualcode.store.team`) as one NotPermitted naming the role needed."""
        try:
            yield
        except sa.exc.DBAPIError as exc:
            if not team.is_refusal(exc):
                raise
            with self.engine.connect() as conn:
                found = team.standing(conn)
            raise NotPermitted(team.refusal_text(found, action)) from None

    def acting(self) -> str:
        """Who a change is attributed to: the coder, else the operating-system user."""
        return self.actor or default_actor()

    def log(self, conn: sa.Connection, action: str, target: str = "", detail: dict | None = None) -> None:
        """Append one entry to the audit log (inside the caller's transaction)."""
        self.log_many(conn, [(action, target, detail)])

    def log_many(self, conn: sa.Connection, entries: Iterable[tuple[str, str, dict | None]]) -> None:
        """Append (action, target, detail) entries in bulk (a statement per :data:`BATCH`), each
        chained to the one before: bulk writes log every change without paying a statement per
        entry, or holding all of them at once."""
        self._head = append_entries(conn, entries, actor=self.acting(), head=self._head, chained=not self._server_chains)

    def close(self) -> None:
        self.engine.dispose()

    # ---- small shared reads and writes --------------------------------------------------

    def get_meta(self, conn: sa.Connection, key: str) -> str | None:
        return reads.meta_value(conn, key)

    def set_meta(self, conn: sa.Connection, key: str, value: str) -> None:
        """One statement when the key is there (every write sets the chain head: on a server
        each statement is a round trip inside the write lock)."""
        set_meta(conn, key, value)

    def ensure_coder(self, conn: sa.Connection, name: str, kind: str = "human", *, created_at: str | None = None,
                     guid: str | None = None, log: bool = True) -> bool:
        """Create a coder on first use (the one INSERT of coders; coders are identified by name);
        a merge or an import passes the coder's own ``created_at`` and ``guid``, and logs itself.
        Returns whether the coder was new."""
        if not insert_coder(conn, name, kind, created_at=created_at, guid=guid):
            return False
        if log:
            self.log(conn, "coder.add", name, {"kind": kind})
        return True


@dataclass
class NewTurn:
    """A speaker turn to store: offsets into the document text, times in seconds."""

    speaker: str
    role: str
    start: int
    end: int
    time_start: float | None = None
    time_end: float | None = None


@dataclass
class NewSegment:
    """A coding unit to store; ``turn`` is the 0-based index of its turn in the same document."""

    unit: str
    start: int
    end: int
    speaker: str | None = None
    turn: int | None = None


@dataclass
class NewDocument:
    """Everything one imported transcript adds to the store."""

    name: str
    source_file: str
    sha256: str
    text: str
    metadata: dict = field(default_factory=dict)
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (value, type)
    turns: list[NewTurn] = field(default_factory=list)
    segments: list[NewSegment] = field(default_factory=list)
    guid: str = field(default_factory=new_guid)  # a replaced document keeps its old one
    imported_at: str | None = None  # now, unless a copy (a REFI-QDA round trip) carries its own


def insert_document(store: Store, conn: sa.Connection, doc: NewDocument) -> int:
    """Insert a document with its attributes, turns and segments; returns the document id."""
    document_id = conn.execute(
        documents.insert().values(
            name=doc.name,
            source_file=doc.source_file,
            sha256=doc.sha256,
            imported_at=doc.imported_at or now(),
            text=doc.text,
            metadata=json.dumps(doc.metadata, ensure_ascii=False, sort_keys=True),
            guid=doc.guid,
        )
    ).inserted_primary_key[0]
    if doc.attributes:
        conn.execute(
            document_attributes.insert(),
            [{"document_id": document_id, "key": k, "value": v, "type": t} for k, (v, t) in doc.attributes.items()],
        )
    if doc.turns:
        conn.execute(
            turns.insert(),
            [{"document_id": document_id, "number": number, **vars(turn)} for number, turn in enumerate(doc.turns, start=1)],
        )
    turn_ids = conn.execute(
        sa.select(turns.c.id).where(turns.c.document_id == document_id).order_by(turns.c.number)
    ).scalars().all()
    if doc.segments:
        conn.execute(
            segments.insert(),
            [
                {
                    "document_id": document_id,
                    "unit": seg.unit,
                    "number": number,
                    "start": seg.start,
                    "end": seg.end,
                    "speaker": seg.speaker,
                    "turn_id": turn_ids[seg.turn] if seg.turn is not None else None,
                }
                for number, seg in enumerate(doc.segments, start=1)
            ],
        )
    store.log(conn, "document.add", doc.name, {"sha256": doc.sha256, "segments": len(doc.segments)})
    return document_id
