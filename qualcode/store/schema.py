"""The project schema: the tables and the numbered migrations that build them.

``MIGRATIONS[n]`` brings a schema at version n to version n + 1, inside the opening transaction;
a new store gets the current schema at once (:func:`create_schema`).
Only the store package uses these ``Table`` objects; the rest of qualcode asks the store.
"""

from __future__ import annotations

import sqlalchemy as sa

from qualcode.auditlog import GENESIS, entry_hash
from qualcode.store.identity import AUDIT_TRIGGERS, CODER_NAME_LENGTH, SERVER_AUDIT_TRIGGERS

# The schema version is in qualcode.store.identity, which a reader without SQLAlchemy imports.

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("source_file", sa.String(1024), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # Non-speech found in the file (preambles, page headers, core properties), as JSON.
    sa.Column("metadata", sa.Text, nullable=False, default="{}"),
    sa.Column("guid", sa.String(40), nullable=False, unique=True),
)

document_attributes = sa.Table(
    "document_attributes",
    metadata,
    sa.Column("document_id", sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),  # category | number | date
)

turns = sa.Table(
    "turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),  # 1-based, in document order
    sa.Column("speaker", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # interviewer | respondent
    sa.Column("start", sa.Integer, nullable=False),  # character offsets into documents.text
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("time_start", sa.Float),  # seconds from the start of the recording
    sa.Column("time_end", sa.Float),
    sa.UniqueConstraint("document_id", "number"),
)

segments = sa.Table(
    "segments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),  # turn | sentence | paragraph
    sa.Column("number", sa.Integer, nullable=False),  # 1-based: the N of DOC:N
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("speaker", sa.String(255)),
    sa.Column("turn_id", sa.ForeignKey("turns.id", ondelete="SET NULL")),
    sa.UniqueConstraint("document_id", "number"),
)

codes = sa.Table(
    "codes",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("parent_id", sa.ForeignKey("codes.id", onupdate="CASCADE")),
    sa.Column("position", sa.Integer, nullable=False, default=0),  # order among siblings
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("label", sa.String(255)),
    sa.Column("definition", sa.Text, nullable=False, default=""),
    sa.Column("include", sa.Text, nullable=False, default=""),
    sa.Column("exclude", sa.Text, nullable=False, default=""),
    sa.Column("examples", sa.Text, nullable=False, default="[]"),  # JSON list
    sa.Column("keywords", sa.Text, nullable=False, default="[]"),  # JSON list
    sa.Column("color", sa.String(16)),
    sa.Column("exclusive", sa.Boolean, nullable=False, default=False),
    sa.Column("shortcut", sa.String(8)),
    sa.Column("guid", sa.String(40), nullable=False, unique=True),
    sa.Column("source", sa.Text, nullable=False, default="", server_default=""),  # migration 5
    sa.Column("codable", sa.Boolean, nullable=False, default=True, server_default=sa.true()),  # migration 5
)

coders = sa.Table(
    "coders",
    metadata,
    sa.Column("name", sa.String(CODER_NAME_LENGTH), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False, default="human"),  # human | model | consensus | system
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("guid", sa.String(40), nullable=False, unique=True),
)

codings = sa.Table(
    "codings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("segment_id", sa.ForeignKey("segments.id"), nullable=False),
    sa.Column("code_id", sa.ForeignKey("codes.id", onupdate="CASCADE"), nullable=False),
    sa.Column("coder", sa.ForeignKey("coders.name", onupdate="CASCADE"), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False, default="manual"),  # manual|suggestion|import
    # A passage (document offsets) when the coding covers a span, not the whole segment, else
    # NULL. A coder may code several passages of one segment with one code (ux_codings_passage).
    sa.Column("start", sa.Integer),
    sa.Column("end", sa.Integer),
    sa.Column("guid", sa.String(40), nullable=False, unique=True),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("segment_id", sa.ForeignKey("segments.id"), primary_key=True),
    sa.Column("coder", sa.ForeignKey("coders.name", onupdate="CASCADE"), primary_key=True),
    sa.Column("reviewed_at", sa.String(32), nullable=False),
)

memos = sa.Table(
    "memos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("target_type", sa.String(16), nullable=False),  # project|document|segment|code
    sa.Column("target_id", sa.String(64)),  # documents.id, segments.id or codes.id as text
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.Column("guid", sa.String(40), nullable=False, unique=True),
)

# Segments whose consensus codes a person decided in ``adjudicate``: a later rule run keeps them.
decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("segment_id", sa.ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("coder", sa.ForeignKey("coders.name", onupdate="CASCADE"), primary_key=True),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decided_at", sa.String(32), nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, default=""),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),  # JSON
    # The hash chain (migration 2): the hash of the entry before, and this entry's own hash over
    # prev_hash and its fields (qualcode.auditlog.entry_hash), so a rewrite shows.
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
)

sa.Index("ix_turns_document", turns.c.document_id)
sa.Index("ix_segments_document", segments.c.document_id)
sa.Index("ix_codings_code", codings.c.code_id)
sa.Index("ix_codings_coder", codings.c.coder)
# One row per passage: NULL spans (whole-segment codings) count as equal, so they stay unique too.
sa.Index("ux_codings_passage", codings.c.segment_id, codings.c.code_id, codings.c.coder,
         sa.func.coalesce(codings.c.start, -1), sa.func.coalesce(codings.c.end, -1), unique=True)
sa.Index("ix_reviews_coder", reviews.c.coder)
sa.Index("ix_memos_target", memos.c.target_type, memos.c.target_id)


# The database refuses to rewrite the audit log: no UPDATE, no DELETE, and no INSERT over an
# existing id (INSERT OR REPLACE deletes without firing a DELETE trigger). These triggers are the
# one place the backends' schemas differ: PostgreSQL has no INSERT OR REPLACE (its primary key
# refuses an existing id) but has TRUNCATE, which fires no DELETE trigger.
SERVER_AUDIT_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'integrity_constraint_violation'; END $$"
)


def audit_triggers(conn: sa.Connection) -> dict[str, str]:
    """The append-only triggers of this connection's backend, by name."""
    return SERVER_AUDIT_TRIGGERS if conn.dialect.name == "postgresql" else AUDIT_TRIGGERS


def create_audit_triggers(conn: sa.Connection, names=None) -> None:
    """Make the audit table append-only (all triggers, or those ``names`` of this backend's)."""
    triggers = audit_triggers(conn)
    wanted = [name for name in (names or triggers) if name in triggers]
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(SERVER_AUDIT_FUNCTION)
        for name in wanted:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON audit")
            conn.exec_driver_sql(f"CREATE TRIGGER {name} {triggers[name]} EXECUTE FUNCTION audit_append_only()")
        return
    for name in wanted:
        conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {triggers[name]}")


def drop_audit_triggers(conn: sa.Connection, names=None) -> None:
    """Lift the append-only triggers (all, or ``names``) inside the caller's transaction, for a
    migration or the one documented rewrite (:func:`qualcode.store.log.rewrite`), which restore
    them with :func:`create_audit_triggers`."""
    suffix = " ON audit" if conn.dialect.name == "postgresql" else ""
    for name in names or audit_triggers(conn):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{suffix}")


def project_tables(conn: sa.Connection) -> list[str]:
    """The project's tables a database already has (none: a new project or a copy may go in)."""
    present = set(sa.inspect(conn).get_table_names())
    return [table.name for table in metadata.sorted_tables if table.name in present]


def create_schema(conn: sa.Connection) -> None:
    """A new store's schema as the migrations leave an old one, made at once: their checks of
    what is there took a new server project 5 transactions' worth of catalog queries."""
    metadata.create_all(conn, checkfirst=False)
    create_audit_triggers(conn)


def _chain_audit_log_v3(conn: sa.Connection) -> None:
    """Add the hash chain to the audit log and hash the existing entries in order."""
    if "hash" not in {column["name"] for column in sa.inspect(conn).get_columns("audit")}:
        conn.exec_driver_sql("ALTER TABLE audit ADD COLUMN prev_hash VARCHAR(64)")
        conn.exec_driver_sql("ALTER TABLE audit ADD COLUMN hash VARCHAR(64)")
    rows = [dict(row) for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings()]
    if rows:
        drop_audit_triggers(conn, ["audit_no_update"])
        previous = GENESIS
        chained = []
        for row in rows:
            digest = entry_hash({**row, "prev_hash": previous})
            chained.append({"row_id": row["id"], "p": previous, "h": digest})
            previous = digest
        conn.execute(audit.update().where(audit.c.id == sa.bindparam("row_id"))
                     .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")), chained)
    create_audit_triggers(conn)


CODINGS_V1_INDEXES = ("ix_codings_code", "ix_codings_coder", "ux_codings_passage")


def _passages_v2(conn: sa.Connection) -> None:
    """Codings become passages: UNIQUE(segment_id, code_id, coder) gives way to one row per
    (segment, code, coder, start, end). SQLite cannot drop a table constraint, so the table is
    rebuilt (rename, create, copy, drop), all inside the migration's transaction."""
    if conn.dialect.name != "sqlite":
        conn.exec_driver_sql("ALTER TABLE codings DROP CONSTRAINT IF EXISTS codings_segment_id_code_id_coder_key")
        for index in codings.indexes:
            if index.name == "ux_codings_passage":
                index.create(conn, checkfirst=True)
        return
    for name in CODINGS_V1_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    conn.exec_driver_sql("ALTER TABLE codings RENAME TO codings_v1")
    codings.create(conn)
    old = sa.table("codings_v1", *(sa.column(column.name) for column in codings.columns))
    names = [column.name for column in codings.columns]
    conn.execute(codings.insert().from_select(names, sa.select(*(old.c[name] for name in names)).order_by(old.c.id)))
    conn.exec_driver_sql("DROP TABLE codings_v1")


def _add_decisions_v4(conn: sa.Connection) -> None:
    decisions.create(conn, checkfirst=True)  # a new project got it from create_all already


def _code_source_and_codable_v5(conn: sa.Connection) -> None:
    """A code's ``source`` (the publication or model it rests on) and ``codable`` (false for a
    code that only groups others). A new project got both from ``create_all`` already, and a
    store without a codes table has nothing to add them to."""
    inspector = sa.inspect(conn)
    present = {column["name"] for column in inspector.get_columns("codes")} if inspector.has_table("codes") else None
    for column, value in ((codes.c.source, "''"), (codes.c.codable, "TRUE")) if present is not None else ():
        if column.name not in present:
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE codes ADD COLUMN {column.name} {kind} NOT NULL DEFAULT {value}")


# MIGRATIONS[n] brings a schema at version n to version n + 1, inside the opening transaction.
MIGRATIONS = {1: _passages_v2, 2: _chain_audit_log_v3, 3: _add_decisions_v4,
              4: _code_source_and_codable_v5}
