"""Codes: the ids the project knows and the code tree's parent links."""

from __future__ import annotations

import sqlalchemy as sa

import json

from qualcode.codebook import Code, Codebook, LoadReport, code_rows
from qualcode.errors import Conflict, UnknownItem
from qualcode.store.core import Store, new_guid
from qualcode.store.schema import codes, codings, meta


def check_codes(conn: sa.Connection, code_ids) -> list[str]:
    """Return ``code_ids`` if they all exist; otherwise name the first unknown one."""
    known = set(conn.execute(sa.select(codes.c.id)).scalars())
    for code_id in code_ids:
        if code_id not in known:
            raise UnknownItem("code", code_id, known, "see 'qualcode codebook show'")
    return list(code_ids)


def code_ids(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.select(codes.c.id)).scalars())


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
        conn.execute(codes.update().where(codes.c.parent_id == code_id).values(parent_id=None))
    for code_id in dropped:
        conn.execute(codes.delete().where(codes.c.id == code_id))
        store.log(conn, "code.delete", code_id, {"via": "codebook load"})
        report.removed.append(code_id)
    for row in rows:
        old = existing.get(row["id"])
        if old is None:
            conn.execute(codes.insert().values(guid=new_guid(), **row))
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
    return report


def read_codebook(conn: sa.Connection) -> Codebook:
    """The project's current codebook, rebuilt from its ``codes`` table."""

    info = dict(conn.execute(sa.select(meta.c.key, meta.c.value).where(meta.c.key.like("codebook.%"))).all())
    rows = conn.execute(sa.select(codes).order_by(codes.c.position, codes.c.id)).mappings().all()
    built: dict[str, Code] = {}
    for row in rows:
        built[row["id"]] = Code(
            id=row["id"],
            name=row["name"],
            label=row["label"],
            definition=row["definition"],
            include=row["include"],
            exclude=row["exclude"],
            examples=json.loads(row["examples"]),
            keywords=json.loads(row["keywords"]),
            color=row["color"],
            shortcut=row["shortcut"],
            exclusive=bool(row["exclusive"]),
        )
    top = []
    for row in rows:
        code = built[row["id"]]
        (built[row["parent_id"]].children if row["parent_id"] else top).append(code)
    return Codebook(
        title=info.get("codebook.title", ""),
        version=info.get("codebook.version", ""),
        language=info.get("codebook.language", ""),
        description=info.get("codebook.description", ""),
        codes=top,
    )


def code_parents(conn: sa.Connection) -> dict[str, str | None]:
    """Every code id of the project mapped to its parent id (None at the top)."""

    return dict(conn.execute(sa.select(codes.c.id, codes.c.parent_id)).all())
