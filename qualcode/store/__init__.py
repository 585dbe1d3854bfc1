"""The store: the only package that speaks SQL.

``schema`` holds the tables and the numbered migrations, ``core`` the :class:`Store` (engine,
``atomic()`` transactions that take the write lock up front, documents). The other modules read
(plain values, dataclasses, rows for DataFrames) and write, one path per kind of row:

- ``identity`` (file name, header, schema version, trigger names), ``sqltext`` (SQL text over a
  bare ``sqlite3`` connection or the Store's, the SQLite write lock), ``reads`` (what the
  commands that only look read: documents by name with ``UnknownItem`` raised in one place,
  segments of a :class:`~qualcode.selection.Selection`, ``DOC:N`` lookups, codes, coders, memos,
  the audit log) and ``journal`` (audit entries in chain, meta values, coders, and
  ``FileWriter``, a write transaction without SQLAlchemy) load no SQLAlchemy, so ``status``,
  ``show``, ``tag`` and the like start fast;
- ``coding`` (SQL text too): the one INSERT of codings and of review marks (``insert_codings``,
  ``insert_reviews``) under tag, untag, review, apply, consensus, autocode, merge, re-import and
  REFI-QDA import; coder reads. A coding is a passage: several spans of one segment may carry
  one code from one coder; segment-level reads count the code once;
- ``memo`` (SQL text): the one INSERT of memos; ``codebook``: codes loaded and evolved;
- ``transcript`` (import, documents, the project's unit), ``matrix``, ``suggest``, ``copies``
  (merge), ``exchange`` (REFI-QDA export), ``log`` (the audit log read back), ``transfer`` (a
  whole project copied to another database, SQLite or PostgreSQL, either way).

A project lives in an SQLite file or a PostgreSQL database (``Store.open(path_or_url)``); the
backends differ only in ``core``'s engine set-up and write lock and ``schema``'s audit triggers.

Outside this package no module imports SQLAlchemy or names a table (``tests/test_layout.py``).
The names below are kept here for scripts and benchmarks that build projects in bulk.
"""

from qualcode.store.identity import PROJECT_FILE, SCHEMA_VERSION, is_server_url
from qualcode.store.journal import default_actor, new_guid, now

# Loaded on first use (PEP 562): a look-only command imports qualcode.store.reads without
# loading SQLAlchemy, which these modules need.
_FROM_CORE = ('NewDocument', 'NewSegment', 'NewTurn', 'Store', 'insert_document', 'url_without_password')
_FROM_SCHEMA = ('MIGRATIONS', 'audit', 'coders', 'codes', 'codings', 'document_attributes', 'documents', 'memos', 'meta', 'metadata', 'reviews', 'segments', 'turns')


__all__ = [
    "MIGRATIONS", "PROJECT_FILE", "SCHEMA_VERSION", "NewDocument", "NewSegment", "NewTurn", "Store",
    "audit", "coders", "codes", "codings", "default_actor", "document_attributes", "documents",
    "insert_document", "is_server_url", "memos", "meta", "metadata", "new_guid", "now", "reviews", "segments", "turns", "url_without_password",
]


def __getattr__(name: str):
    if name in _FROM_CORE or name in _FROM_SCHEMA:
        from importlib import import_module  # noqa: PLC0415

        return getattr(import_module("qualcode.store.core" if name in _FROM_CORE else "qualcode.store.schema"), name)
    raise AttributeError(f"module 'qualcode.store' has no attribute {name!r}")
