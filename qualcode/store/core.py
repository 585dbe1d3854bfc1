"""The project store: one SQLite file (or, later, a PostgreSQL database) through SQLAlchemy Core.

Takes a path, gives a :class:`Store` (engine, a read connection and
:meth:`Store.atomic`, the one way to write): every command that writes runs inside one
transaction, and everything it changes is recorded in the append-only ``audit`` table.
Queries are Core expressions (no raw SQL) over the tables of :mod:`qualcode.store.schema`, so
the same code runs on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from qualcode.errors import BadFile, SchemaTooNew
from qualcode.store.schema import (
    MIGRATIONS, SCHEMA_VERSION, audit, coders, document_attributes, documents, meta, segments, turns,
)

PROJECT_FILE = "qualcode.sqlite"

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


def coder_exists(conn: sa.Connection, name: str) -> bool:
    return conn.execute(sa.select(coders.c.name).where(coders.c.name == name)).first() is not None


def _make_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        # pysqlite's own transaction handling does not cover DDL; take it over, as the
        # SQLAlchemy documentation recommends, so a whole command is one real transaction.
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN")

    return engine


@dataclass
class Store:
    """An open project database. Create with :meth:`create`, open with :meth:`open`."""

    url: str
    actor: str = field(default_factory=default_actor)
    engine: sa.Engine = field(init=False, repr=False)
    # Once the meta table is known to exist (it is never dropped), transactions read the schema
    # version with one small query instead of inspecting the database each time.
    _has_meta: bool = field(default=False, init=False, repr=False)

    def __post_init__(self):
        self.engine = _make_engine(self.url)

    @classmethod
    def create(cls, path: Path, **kwargs) -> Store:
        if Path(path).exists():
            raise BadFile(path, "a project already exists here; open it instead of creating it")
        store = cls(f"sqlite:///{path}", **kwargs)
        with store.atomic("init", str(path)) as conn:
            conn.execute(meta.insert(), [{"key": "created_at", "value": now()}])
        return store

    @classmethod
    def open(cls, path: Path, **kwargs) -> Store:
        path = Path(path)
        if not path.is_file():
            raise BadFile(path, "no project file here; create one with 'qualcode init'")
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise BadFile(path, "not a qualcode project (not an SQLite file)")
        store = cls(f"sqlite:///{path}", **kwargs)
        store.check_version()
        return store

    def schema_version(self, conn: sa.Connection) -> int:
        if not self._has_meta:
            if not sa.inspect(conn).has_table("meta"):
                return 0
            self._has_meta = True
        value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        return int(value) if value is not None else 0

    def check_version(self) -> None:
        with self.engine.connect() as conn:
            found = self.schema_version(conn)
        if found > SCHEMA_VERSION:
            from qualcode import __version__

            raise SchemaTooNew(
                f"{self.url.removeprefix('sqlite:///')}: written by a newer qualcode (schema "
                f"{found}; qualcode {__version__} knows up to {SCHEMA_VERSION}); "
                f"upgrade with 'pip install -U qualcode'"
            )

    def _migrate(self, conn: sa.Connection) -> None:
        found = self.schema_version(conn)
        if found == SCHEMA_VERSION:
            return
        if found > SCHEMA_VERSION:
            self.check_version()
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        conn.execute(meta.delete().where(meta.c.key == "schema_version"))
        conn.execute(meta.insert(), [{"key": "schema_version", "value": str(SCHEMA_VERSION)}])
        self.log(conn, "migrate", "schema", {"from": found, "to": SCHEMA_VERSION})

    @contextmanager
    def atomic(self, action: str, target: str = "", detail: dict | None = None) -> Iterator[sa.Connection]:
        """One transaction for one user action: all of it is written, or (on any error) none.

        The action itself is logged first; the body may log finer steps with :meth:`log`.
        """
        with self.engine.begin() as conn:
            self._migrate(conn)
            self.log(conn, action, target, detail or {})
            yield conn
        self._has_meta = True

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    def log(self, conn: sa.Connection, action: str, target: str = "", detail: dict | None = None) -> None:
        """Append one entry to the audit log (inside the caller's transaction)."""
        self.log_many(conn, [(action, target, detail)])

    def log_many(self, conn: sa.Connection, entries: list[tuple[str, str, dict | None]]) -> None:
        """Append (action, target, detail) entries in one statement: bulk writes log every change
        without paying a statement per entry."""
        stamp = now()
        conn.execute(
            audit.insert(),
            [
                {
                    "at": stamp,
                    "actor": self.actor,
                    "action": action,
                    "target": str(target),
                    "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
                }
                for action, target, detail in entries
            ],
        )

    def close(self) -> None:
        self.engine.dispose()

    # ---- small shared reads and writes --------------------------------------------------

    def get_meta(self, conn: sa.Connection, key: str) -> str | None:
        return conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()

    def set_meta(self, conn: sa.Connection, key: str, value: str) -> None:
        conn.execute(meta.delete().where(meta.c.key == key))
        conn.execute(meta.insert(), [{"key": key, "value": value}])

    def ensure_coder(self, conn: sa.Connection, name: str, kind: str = "human", *, created_at: str | None = None,
                     guid: str | None = None, log: bool = True) -> bool:
        """Create a coder on first use (the one INSERT of coders; coders are identified by name);
        a merge or an import passes the coder's own ``created_at`` and ``guid``, and logs itself.
        Returns whether the coder was new."""
        if coder_exists(conn, name):
            return False
        conn.execute(coders.insert(), [{"name": name, "kind": kind, "created_at": created_at or now(),
                                        "guid": guid or new_guid()}])
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
