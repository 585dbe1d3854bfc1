"""A whole project copied to another database: SQLite to PostgreSQL, back, or to another file.

``copy_project(source, target)`` reads one snapshot of ``source`` and writes every row of every
table, ids and GUIDs included, into the new SQLite file or empty server database ``target``
names, in one transaction that
holds its write lock: the copy is the same project (same audit log, so its hash chain verifies),
or, on any error, nothing is written. No entry is added to either log: a copy that logged itself
would no longer be identical.
"""

from __future__ import annotations

import sqlalchemy as sa

from pathlib import Path

from qualcode.errors import BadFile, BadInput
from qualcode.outputfile import create_private
from qualcode.store.core import Store, database_url
from qualcode.store.identity import SCHEMA_VERSION, is_server_url
from qualcode.store.schema import codes, create_audit_triggers, metadata, project_tables

BATCH = 5000  # rows per INSERT: bounded memory on large projects, few round trips to a server


def _rows_in_order(conn: sa.Connection, table: sa.Table):
    """The table's rows in primary-key order, in batches; codes with parents before children
    (the foreign key from a code to its parent is checked row by row)."""
    result = conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*table.primary_key.columns))
    if table is not codes:
        for batch in result.mappings().partitions():
            yield [dict(row) for row in batch]
        return
    pending = [dict(row) for row in result.mappings()]
    placed: set[str] = set()
    while pending:
        ready = [row for row in pending if row["parent_id"] is None or row["parent_id"] in placed]
        if not ready:  # a cycle cannot be stored, so this is unreachable for a valid project
            raise BadInput("the codebook's parent links form a cycle; the project cannot be copied")
        placed.update(row["id"] for row in ready)
        pending = [row for row in pending if row["id"] not in placed]
        yield ready


def copy_project(source: Store, target: str | Path) -> dict[str, int]:
    """Copy every row of ``source`` into the new file or empty database ``target``; returns rows
    per table."""
    if not is_server_url(target):
        if Path(target).exists():
            raise BadFile(target, "a project already exists here; copy into a new folder")
        create_private(Path(target))  # a copy is as private as the project it copies
    destination = Store(database_url(target))
    try:
        destination.check_version()  # a server that cannot be reached says so in one line
        return _copy(source, destination)
    finally:
        destination.close()


def _copy(source: Store, destination: Store) -> dict[str, int]:
    counts = {}
    with source.snapshot() as reading, destination.locked() as writing:
        found = source.schema_version(reading)
        if found != SCHEMA_VERSION:
            raise BadInput(f"{source.where}: schema {found}, not {SCHEMA_VERSION}; open it once with this qualcode first")
        present = project_tables(writing)
        if present:
            raise BadInput(f"{destination.where}: not empty (holds {', '.join(present)}); copy into a new "
                           f"folder or an empty database")
        metadata.create_all(writing)
        create_audit_triggers(writing)
        for table in metadata.sorted_tables:
            counts[table.name] = 0
            for rows in _rows_in_order(reading, table):
                writing.execute(table.insert(), rows)
                counts[table.name] += len(rows)
        continue_sequences(writing)
    return counts


def continue_sequences(conn: sa.Connection) -> None:
    """After rows were inserted with their ids (a copy, a bulk build): new rows get ids after
    them. PostgreSQL only; an explicit id leaves a serial column's sequence where it was,
    while SQLite takes the next id from the rows themselves."""
    if conn.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, sa.Integer):
            conn.execute(sa.select(sa.func.setval(
                sa.func.pg_get_serial_sequence(table.name, key[0].name),
                sa.select(sa.func.coalesce(sa.func.max(key[0]), 0) + 1).scalar_subquery(), False)))
