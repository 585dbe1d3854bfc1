"""The project schema: the tables and the numbered migrations that build them.

``MIGRATIONS[n]`` brings a schema at version n to version n + 1, inside the opening transaction.
Only the store package uses these ``Table`` objects; the rest of qualcode asks the store.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 2

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
)

coders = sa.Table(
    "coders",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False, default="human"),  # human | model | consensus
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
    # An exact span (document offsets) when the coding came from a selection, else NULL.
    sa.Column("start", sa.Integer),
    sa.Column("end", sa.Integer),
    sa.Column("guid", sa.String(40), nullable=False, unique=True),
    sa.UniqueConstraint("segment_id", "code_id", "coder"),
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
)

sa.Index("ix_turns_document", turns.c.document_id)
sa.Index("ix_segments_document", segments.c.document_id)
sa.Index("ix_codings_code", codings.c.code_id)
sa.Index("ix_codings_coder", codings.c.coder)
sa.Index("ix_reviews_coder", reviews.c.coder)
sa.Index("ix_memos_target", memos.c.target_type, memos.c.target_id)


def _create_schema_v1(conn: sa.Connection) -> None:
    metadata.create_all(conn)
    if conn.dialect.name == "sqlite":
        # The audit log is append-only: the database itself refuses to rewrite history.
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )


def _add_decisions_v2(conn: sa.Connection) -> None:
    decisions.create(conn, checkfirst=True)  # a new project got it from create_all already


# MIGRATIONS[n] brings a schema at version n to version n + 1, inside the opening transaction.
MIGRATIONS = {0: _create_schema_v1, 1: _add_decisions_v2}
