"""Codes: the codebook read and loaded, the ids the project knows, the tree's parent links, and
codebook evolution that keeps every coding (add, rename, move, merge, delete).

The evolution functions change the ``codes`` table inside the caller's transaction and carry
codings and memos along: a merge moves them to the surviving code, a forced delete writes the
removed codings into the audit log, so no coder's work is lost without a trace.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from qualcode.codebook import ID_PATTERN, Codebook, LoadReport, code_rows, with_descendants
from qualcode.errors import BadInput, Conflict
from qualcode.selection import ref
from qualcode.store.core import Store
from qualcode.store.journal import new_guid, now
from qualcode.store.reads import check_codes, code_parents
from qualcode.store.schema import codes, codings, documents, memos, segments


def insert_code(conn: sa.Connection, row: dict) -> None:
    """The one INSERT of codes (a codebook load, ``codes add`` and a REFI-QDA import); a new GUID
    unless ``row`` carries one. Callers log."""
    conn.execute(codes.insert().values(**{**row, "guid": row.get("guid") or new_guid()}))


def code_records(conn: sa.Connection) -> list[dict]:
    """Every code as a dict of its columns."""
    return [dict(row) for row in conn.execute(sa.select(codes)).mappings()]


def load_codebook(store: Store, conn: sa.Connection, book: Codebook, source: str = "") -> LoadReport:
    """Merge a codebook into a project by code id, inside the caller's transaction.

    Codes are added or updated in place (codings keep pointing at them). A project code that
    the codebook no longer has is removed only if nobody coded with it; otherwise the whole
    load is refused, because dropping it would lose work.
    """

    report = LoadReport()
    rows = code_rows(book)
    existing = {row.id: row._asdict() for row in conn.execute(sa.select(codes))}
    wanted = {row["id"] for row in rows}
    dropped = [code_id for code_id in existing if code_id not in wanted]
    if dropped:
        counts = dict(
            conn.execute(
                sa.select(codings.c.code_id, sa.func.count())
                .where(codings.c.code_id.in_(dropped))
                .group_by(codings.c.code_id)
            ).all()
        )
        if counts:
            listed = ", ".join(f"{code_id} ({n} codings)" for code_id, n in sorted(counts.items()))
            raise Conflict(
                f"{source or 'the codebook'} drops codes that have codings: {listed}; keep them in "
                f"the codebook, or merge them first with 'qualcode codes merge SRC --into DEST'"
            )
    # Detach children of codes being dropped before deleting, deepest first.
    for code_id in dropped:
        children = list(conn.execute(sa.select(codes.c.id).where(codes.c.parent_id == code_id)).scalars())
        conn.execute(codes.update().where(codes.c.parent_id == code_id).values(parent_id=None))
        store.log_many(conn, [("code.move", child, {"from": code_id, "to": None, "via": "codebook load"}) for child in children])
    for code_id in dropped:
        record = _code_record(conn, code_id)
        notes = _keep_memos_of_dropped_code(conn, record, source)
        conn.execute(codes.delete().where(codes.c.id == code_id))
        store.log(conn, "code.delete", code_id, {"via": "codebook load", "code": record, "memos_to_project": notes})
        report.removed.append(code_id)
    for row in rows:
        old = existing.get(row["id"])
        if old is None:
            insert_code(conn, row)
            store.log(conn, "code.add", row["id"], {"name": row["name"]})
            report.added.append(row["id"])
            continue
        changed = {k: v for k, v in row.items() if old.get(k) != v}
        if changed:
            conn.execute(codes.update().where(codes.c.id == row["id"]).values(**changed))
            store.log(conn, "code.update", row["id"], {k: [old.get(k), v] for k, v in changed.items()})
            report.updated.append(row["id"])
        else:
            report.unchanged.append(row["id"])
    for key in ("title", "version", "language", "description"):
        store.set_meta(conn, f"codebook.{key}", getattr(book, key))
    store.set_meta(conn, "codebook.rules", json.dumps(book.rules, ensure_ascii=False))
    return report


def _keep_memos_of_dropped_code(conn: sa.Connection, code: dict, source: str) -> list[dict]:
    """Move the memos on a code a codebook load drops to the project, with a first line that
    says which code they were on; returns them as they were, for the audit log."""
    notes = [dict(row) for row in conn.execute(
        sa.select(memos).where(memos.c.target_type == "code", memos.c.target_id == code["id"])).mappings()]
    for note in notes:
        text = f"[on code {code['id']} ({code['name']}), removed by loading {source or 'a codebook'}]\n{note['text']}"
        conn.execute(memos.update().where(memos.c.id == note["id"]).values(target_type="project", target_id=None, text=text,
                                                                       updated_at=now()))
    return notes


def _next_position(conn: sa.Connection, parent: str | None) -> int:
    where = codes.c.parent_id.is_(None) if parent is None else codes.c.parent_id == parent
    last = conn.execute(sa.select(sa.func.max(codes.c.position)).where(where)).scalar()
    return 0 if last is None else last + 1


def add_code(store: Store, conn: sa.Connection, code_id: str, name: str, *, parent: str | None = None,
        definition: str = "") -> None:
    """Add a new code at the end of its siblings."""
    if not ID_PATTERN.match(code_id):
        raise BadInput(f"code id {code_id!r} must start with a letter and hold only letters, digits, '-', '_' or '.' (at most 32)")
    if not name.strip():
        raise BadInput(f"code {code_id} needs a name: pass --name TEXT")
    if conn.execute(sa.select(codes.c.id).where(codes.c.id == code_id)).first():
        raise Conflict(f"code {code_id} already exists; pick another id, or rename it with 'qualcode codes rename {code_id} NAME'")
    if parent:
        check_codes(conn, [parent])
    insert_code(conn, {"id": code_id, "parent_id": parent, "position": _next_position(conn, parent),
                       "name": name.strip(), "definition": definition})
    store.log(conn, "code.add", code_id, {"name": name.strip(), "parent": parent})


def rename_code(store: Store, conn: sa.Connection, code_id: str, new_name: str) -> str:
    """Give a code a new name (its id, and so every coding, stays); returns the old name."""
    check_codes(conn, [code_id])
    if not new_name.strip():
        raise BadInput(f"empty name for {code_id}: give the new name, e.g. 'qualcode codes rename {code_id} \"Learning at work\"'")
    old = conn.execute(sa.select(codes.c.name).where(codes.c.id == code_id)).scalar()
    conn.execute(codes.update().where(codes.c.id == code_id).values(name=new_name.strip()))
    store.log(conn, "code.rename", code_id, {"from": old, "to": new_name.strip()})
    return old


def move_code(store: Store, conn: sa.Connection, code_id: str, parent: str | None) -> None:
    """Put a code (with its sub-codes) under ``parent``, or at the top when None; refuses cycles."""
    check_codes(conn, [code_id] + ([parent] if parent else []))
    if parent and parent in with_descendants(code_parents(conn), [code_id]):
        raise Conflict(f"cannot move {code_id} under {parent}: {parent} is {code_id} or one of its sub-codes; move {parent} elsewhere first")
    old = conn.execute(sa.select(codes.c.parent_id).where(codes.c.id == code_id)).scalar()
    conn.execute(codes.update().where(codes.c.id == code_id).values(parent_id=parent, position=_next_position(conn, parent)))
    store.log(conn, "code.move", code_id, {"from": old, "to": parent})


def _coding_records(conn: sa.Connection, code_id: str, *, with_ids: bool = False) -> list:
    """The codings of a code with their segment reference, as the audit log keeps them; with
    ``with_ids``, (coding id, segment id, coder, record) for a caller that changes them."""
    query = (
        sa.select(codings.c.id, codings.c.segment_id, documents.c.name, segments.c.number, codings.c.coder,
                  codings.c.created_at, codings.c.origin, codings.c.start, codings.c.end, codings.c.guid)
        .join(segments, segments.c.id == codings.c.segment_id)
        .join(documents, documents.c.id == segments.c.document_id)
        .where(codings.c.code_id == code_id)
        .order_by(documents.c.name, segments.c.number, codings.c.coder)
    )
    found = [
        (row["id"], row["segment_id"], row["coder"],
         {"ref": ref(row["name"], row["number"]), **{k: row[k] for k in ("coder", "created_at", "origin", "start", "end", "guid")}})
        for row in conn.execute(query).mappings()
    ]
    return found if with_ids else [record for *_, record in found]


def _code_record(conn: sa.Connection, code_id: str) -> dict:
    return dict(conn.execute(sa.select(codes).where(codes.c.id == code_id)).mappings().one())


def merge_codes(store: Store, conn: sa.Connection, sources: list[str], dest: str) -> dict:
    """Move the codings, memos and sub-codes of ``sources`` to ``dest`` and remove the sources.

    A passage (or whole segment) a coder coded with both a source and ``dest`` keeps one coding
    (the duplicates collapse); distinct passages all move. Returns counts: moved, collapsed,
    removed codes.
    """
    sources = list(dict.fromkeys(sources))
    check_codes(conn, [*sources, dest])
    if dest in sources:
        raise BadInput(f"cannot merge {dest} into itself; leave it out of the sources")
    parents = code_parents(conn)
    for source in sources:
        if dest in with_descendants(parents, [source]):
            raise Conflict(f"cannot merge {source} into its own sub-code {dest}; move {dest} out first with 'qualcode codes move {dest} --top'")
    passage = (codings.c.segment_id, codings.c.coder, codings.c.start, codings.c.end)
    held = set(map(tuple, conn.execute(sa.select(*passage).where(codings.c.code_id == dest))))
    counts = {"moved": 0, "collapsed": 0, "removed": sources}
    for source in sources:
        record = _code_record(conn, source)
        moved, collapsed = [], []
        for coding_id, segment_id, coder, logged in _coding_records(conn, source, with_ids=True):
            key = (segment_id, coder, logged["start"], logged["end"])
            if key in held:
                conn.execute(codings.delete().where(codings.c.id == coding_id))
                collapsed.append(logged)
            else:
                conn.execute(codings.update().where(codings.c.id == coding_id).values(code_id=dest))
                held.add(key)
                moved.append(logged)
        notes = list(conn.execute(sa.select(memos.c.id).where(memos.c.target_type == "code", memos.c.target_id == source)).scalars())
        conn.execute(memos.update().where(memos.c.id.in_(notes)).values(target_id=dest))
        children = list(conn.execute(sa.select(codes.c.id).where(codes.c.parent_id == source)).scalars())
        for child in children:
            conn.execute(codes.update().where(codes.c.id == child).values(parent_id=dest, position=_next_position(conn, dest)))
        conn.execute(codes.delete().where(codes.c.id == source))
        store.log(conn, "code.merge", source, {
            "into": dest, "moved": len(moved), "collapsed": len(collapsed), "code": record,
            "moved_codings": moved, "collapsed_codings": collapsed, "memos_moved": notes, "children_moved": children,
        })
        counts["moved"] += len(moved)
        counts["collapsed"] += len(collapsed)
    return counts


def delete_code(store: Store, conn: sa.Connection, code_id: str, *, force: bool = False) -> dict:
    """Remove a code without sub-codes. With codings it is refused unless ``force``; then the
    codings and memos removed are written, in full, into the audit entry."""
    check_codes(conn, [code_id])
    children = conn.execute(sa.select(codes.c.id).where(codes.c.parent_id == code_id)).scalars().all()
    if children:
        raise Conflict(f"code {code_id} has sub-codes ({', '.join(children)}); move, merge or delete them first")
    removed = _coding_records(conn, code_id)
    if removed and not force:
        raise Conflict(
            f"code {code_id} has {len(removed)} coding{'s' if len(removed) != 1 else ''}; merge it into another code "
            f"with 'qualcode codes merge {code_id} --into DEST', or pass --force to delete them (they stay in the audit log)"
        )
    notes = [dict(row) for row in conn.execute(
        sa.select(memos.c.author, memos.c.text, memos.c.created_at, memos.c.guid)
        .where(memos.c.target_type == "code", memos.c.target_id == code_id)
    ).mappings()]
    store.log(conn, "code.delete", code_id, {"code": _code_record(conn, code_id), "codings": removed, "memos": notes})
    conn.execute(codings.delete().where(codings.c.code_id == code_id))
    conn.execute(memos.delete().where(memos.c.target_type == "code", memos.c.target_id == code_id))
    conn.execute(codes.delete().where(codes.c.id == code_id))
    return {"codings": len(removed), "memos": len(notes)}
