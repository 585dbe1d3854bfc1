"""The audit log and its hash chain read back (appending is :meth:`qualcode.store.core.Store.log`);
the exports it records (``record_export``, ``exports_holding``); and :func:`rewrite`, the one
documented exception to append-only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from qualcode import auditlog
from qualcode.store import reads, schema, team
from qualcode.store.identity import HEAD_KEY
from qualcode.store.reads import audit_rows
from qualcode.store.schema import audit, create_audit_triggers, drop_audit_triggers, meta

if TYPE_CHECKING:
    from qualcode.store.core import Store

REWRITE_ACTION = "audit.rewrite"


def chain_head(conn: sa.Connection) -> str | None:
    """The hash of the last audit entry: names the project's state (status, exports); None for
    a login that may not read the chain (a coder on a project with roles)."""
    if not team.reads_chain(conn):
        return None
    return reads.last_hash(conn)


def chain(conn: sa.Connection) -> tuple[list[dict], list[str], str | None]:
    """What verifying the chain reads: every entry oldest first, the missing append-only
    triggers, and the chain head the last write recorded."""
    rows = [dict(row) for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings()]
    recorded = conn.execute(sa.select(meta.c.value).where(meta.c.key == HEAD_KEY)).scalar()
    return rows, reads.missing_audit_triggers(conn), recorded


def rewrite(store: Store, conn: sa.Connection, payloads: dict[int, dict], *, target: str,
            detail: dict | None = None) -> int:
    """Replace the payload of chosen audit entries and re-chain the log; returns how many changed.

    The log is append-only, except where personal data must leave it (a respondent who
    withdraws, names replaced by tags): ``payloads`` maps an entry id to its new ``target``
    and/or ``detail`` (a dict, or the JSON text already encoded). Id, time, actor and action
    stay, so the log still says what was done, when and by whom. From the first changed entry
    to the head every hash is recomputed and every link follows the entry it linked to, so a
    break that was there stays there. The append-only triggers are dropped and re-created
    around the update, all in the caller's transaction (inside :meth:`Store.atomic`), and the
    rewrite is recorded as a new ``audit.rewrite`` entry with ``target`` and ``detail`` (which
    must not carry what was taken out).
    Rewritten text can linger in free pages and the WAL: purge them after the commit.
    """
    if not payloads:
        return 0
    first = min(payloads)
    rows = [dict(row) for row in conn.execute(sa.select(audit).where(audit.c.id >= first).order_by(audit.c.id)).mappings()]
    unknown = set(payloads) - {row["id"] for row in rows}
    if unknown:
        raise ValueError(f"no audit entries {sorted(unknown)} to rewrite")
    relinked: dict[str | None, str | None] = {}  # old hash -> new hash
    updates = []
    for row in rows:
        change = payloads.get(row["id"], {})
        new = {**row, "target": str(change.get("target", row["target"])),
               "prev_hash": relinked.get(row["prev_hash"], row["prev_hash"])}
        if "detail" in change:
            given = change["detail"]
            new["detail"] = given if isinstance(given, str) else auditlog.encode_detail(given)
        if auditlog.self_consistent(row):  # an entry that did not match its hash keeps showing it
            new["hash"] = auditlog.entry_hash(new)
        relinked[row["hash"]] = new["hash"]
        if new != row:
            updates.append({"row_id": row["id"], **{f"new_{name}": new[name] for name in ("target", "detail", "prev_hash", "hash")}})
    if updates:
        drop_audit_triggers(conn)
        conn.execute(audit.update().where(audit.c.id == sa.bindparam("row_id")).values(
            **{name: sa.bindparam(f"new_{name}") for name in ("target", "detail", "prev_hash", "hash")}), updates)
        create_audit_triggers(conn)
    store._head = auditlog.continuation(new)
    store.log(conn, REWRITE_ACTION, target, {**(detail or {}), "entries": sorted(payloads),
                                             "rehashed_from": first, "previous_head": rows[-1]["hash"]})
    return len(payloads)


EXPORT_ACTION = "export"


def record_export(store: Store, kind: str, files: list, *, documents: bool = True) -> None:
    """Log an export: its kind, the files written (absolute paths), and the GUIDs of the
    documents it may hold (every document, or none for a codebook), so ``forget`` can list what
    to delete by hand."""
    with store.reading() as conn:
        guids = sorted(conn.execute(sa.select(schema.documents.c.guid)).scalars()) if documents else []
    with store.atomic(EXPORT_ACTION, kind, {"files": [str(Path(path).resolve()) for path in files], "documents": guids}):
        pass


def exports_holding(conn: sa.Connection, guid: str) -> list[dict]:
    """The export entries whose documents include ``guid``: id, at, actor, kind and files."""
    found = []
    for row in audit_rows(conn, action=EXPORT_ACTION):
        detail = json.loads(row["detail"] or "{}")
        if row["action"] == EXPORT_ACTION and guid in detail.get("documents", ()):
            found.append({"entry": row["id"], "at": row["at"], "actor": row["actor"], "kind": row["target"],
                          "files": detail["files"]})
    return found
