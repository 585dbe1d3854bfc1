"""What pseudonymising reads and rewrites: every place a name can sit (document text, name, source
path and file metadata, speaker labels, attribute values, memos), the offsets that point into
the text (turns, segments, passage codings), and the project id a key file is bound to."""

from __future__ import annotations


import sqlalchemy as sa

from qualcode.store.core import Store
from qualcode.store.schema import codings, document_attributes, documents, memos, meta, segments, turns

PROJECT_ID_KEY = "project.id"
KEY_ID_KEY = "pseudonym.key"  # the id of the key file the project was pseudonymised with


def project_id(store: Store, conn: sa.Connection) -> str | None:
    return store.get_meta(conn, PROJECT_ID_KEY)


def key_id(store: Store, conn: sa.Connection) -> str | None:
    """The id of the key file the project was pseudonymised with; None if never."""
    return store.get_meta(conn, KEY_ID_KEY)


def bind_key(store: Store, conn: sa.Connection, project: str, key: str) -> None:
    """Record the project id (made on the first pseudonymisation; a key file names the project
    it belongs to) and the id of the key its tags come from."""
    if project_id(store, conn) != project:
        store.set_meta(conn, PROJECT_ID_KEY, project)
    if key_id(store, conn) != key:
        store.set_meta(conn, KEY_ID_KEY, key)


def unbind_key(store: Store, conn: sa.Connection) -> None:
    """A copy with the originals back holds no tags: it is no longer bound to a key."""
    conn.execute(meta.delete().where(meta.c.key == KEY_ID_KEY))


def sources(conn: sa.Connection, names: list[str] | None = None) -> dict[str, list[dict]]:
    """The rows to pseudonymise, of the documents ``names`` (all when None), and every memo."""
    docs = sa.select(documents.c.id, documents.c.name, documents.c.source_file, documents.c.text, documents.c.metadata)
    if names is not None:
        docs = docs.where(documents.c.name.in_(names))
    found = [dict(row) for row in conn.execute(docs.order_by(documents.c.name)).mappings()]
    ids = [row["id"] for row in found]
    return {
        "documents": found,
        "turns": [dict(row) for row in conn.execute(
            sa.select(turns.c.id, turns.c.document_id, turns.c.speaker, turns.c.start, turns.c.end)
            .where(turns.c.document_id.in_(ids)).order_by(turns.c.document_id, turns.c.number)).mappings()],
        "segments": [dict(row) for row in conn.execute(
            sa.select(segments.c.id, segments.c.document_id, segments.c.speaker, segments.c.start, segments.c.end)
            .where(segments.c.document_id.in_(ids)).order_by(segments.c.document_id, segments.c.number)).mappings()],
        "codings": [dict(row) for row in conn.execute(
            sa.select(codings.c.id, segments.c.document_id, codings.c.start, codings.c.end)
            .join(segments, segments.c.id == codings.c.segment_id)
            .where(segments.c.document_id.in_(ids), codings.c.start.is_not(None)).order_by(codings.c.id)).mappings()],
        "attributes": [dict(row) for row in conn.execute(
            sa.select(document_attributes).where(document_attributes.c.document_id.in_(ids))).mappings()],
        "memos": [dict(row) for row in conn.execute(sa.select(memos.c.id, memos.c.text).order_by(memos.c.id)).mappings()],
    }


UPDATED = {  # kind -> (table, key columns, changed columns)
    "documents": (documents, ("id",), ("name", "source_file", "text", "metadata")),
    "turns": (turns, ("id",), ("speaker", "start", "end")),
    "segments": (segments, ("id",), ("speaker", "start", "end")),
    "codings": (codings, ("id",), ("start", "end")),
    "attributes": (document_attributes, ("document_id", "key"), ("value",)),
    "memos": (memos, ("id",), ("text",)),
}


def rewrite(conn: sa.Connection, changed: dict[str, list[dict]]) -> None:
    """Write the rows of :func:`sources` back as changed (the same dicts, new values): one
    executemany per table. Passages are moved in two passes (to negative offsets first), so the
    unique passage index never meets one passage on another's old place."""
    if changed.get("codings"):
        _update(conn, "codings", [{**row, "start": -1 - row["start"], "end": -1 - row["end"]} for row in changed["codings"]])
    for kind, rows in changed.items():
        _update(conn, kind, rows)


def _update(conn: sa.Connection, kind: str, rows: list[dict]) -> None:
    if not rows:
        return
    table, keys, columns = UPDATED[kind]
    statement = table.update().where(*(table.c[key] == sa.bindparam(f"k_{key}") for key in keys)).values(
        **{column: sa.bindparam(f"v_{column}") for column in columns})
    conn.execute(statement, [{**{f"k_{key}": row[key] for key in keys},
                              **{f"v_{column}": row[column] for column in columns}} for row in rows])
