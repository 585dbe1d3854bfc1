"""The store: the only package that speaks SQL.

``schema`` holds the tables and numbered migrations, ``core`` the :class:`Store` (engine,
``atomic()`` transactions, audit log, meta values); the other modules hold the reads (returning
plain values, dataclasses or rows for DataFrames) and the writes, one path per kind of row:
codings and review marks (``codings``), memos (``memos``), documents (``core.insert_document``).
Outside this package no module imports SQLAlchemy or names a table.
"""

from qualcode.store.core import (
    PROJECT_FILE,
    NewDocument,
    NewSegment,
    NewTurn,
    Store,
    default_actor,
    insert_document,
    new_guid,
    now,
)
from qualcode.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    audit,
    coders,
    codes,
    codings,
    document_attributes,
    documents,
    memos,
    meta,
    metadata,
    reviews,
    segments,
    turns,
)

__all__ = [
    "MIGRATIONS", "PROJECT_FILE", "SCHEMA_VERSION", "NewDocument", "NewSegment", "NewTurn", "Store",
    "audit", "coders", "codes", "codings", "default_actor", "document_attributes", "documents",
    "insert_document", "memos", "meta", "metadata", "new_guid", "now", "reviews", "segments", "turns",
]
