"""Coding one segment from the command line or the keyboard coder: ``tag``, ``untag``,
``review`` and their undos, each one write transaction (part of :class:`qualcode.Project`, and
of :class:`~qualcode.project_reads.QuickProject`, which makes the same writes on an SQLite
project without loading SQLAlchemy).

A class using these gives ``_coder`` (the coder named at opening), ``_looking()`` (a read
connection), ``_login_coder(db)``, ``_act_as(name)`` and ``_writing(action, target, detail)``,
a write transaction yielding the writer that logs and its connection.
"""

from __future__ import annotations

import os

from qualcode import coding
from qualcode.errors import BadInput, Conflict
from qualcode.location import CODER_ENV
from qualcode.store import coding as store_coding
from qualcode.store import reads


class SegmentCodingMethods:
    """Who codes, and the per-segment coding writes."""

    def _login_coder(self, db) -> str | None:
        """The login as coder (a server project with roles); None elsewhere."""
        return None

    def coder(self, explicit: str | None = None) -> str | None:
        """Who is coding: ``explicit``, else the one given at opening, else ``QUALCODE_CODER``,
        else (a server project with roles) the login, else the coder this project remembers; None
        if nobody was ever named."""
        name = explicit or self._coder or os.environ.get(CODER_ENV)
        if name:
            return name
        with self._looking() as db:
            return self._login_coder(db) or reads.meta_value(db, "default_coder")

    def require_coder(self, explicit: str | None = None) -> str:
        """The coder for a write, who is then also the actor of its audit entries; an error that
        says how to name one if nobody is known."""
        name = self.coder(explicit)
        if not name:
            raise BadInput(f"no coder named: pass --coder NAME, or set {CODER_ENV}=NAME")
        self._act_as(name)
        return name

    def tag(self, ref: str, code_ids, *, coder: str | None = None, origin: str = "manual") -> list[str]:
        """Apply codes to segment ``DOC:N``; returns the codes newly applied. A code that only
        groups others (not codable) is refused, and so are two children of an exclusive group on
        one segment (with the coder's codes there)."""
        coder = self.require_coder(coder)
        with self._writing("tag", ref, {"coder": coder, "codes": list(code_ids)}) as (store, conn):
            segment_id = reads.resolve_segment(conn, ref)
            coding.check_codable(reads.not_codable(conn), code_ids)
            held = [(segment_id, coder, c["code_id"]) for c in store_coding.segment_codings(conn, segment_id, coder)]
            parents, exclusive = reads.code_parents(conn), reads.exclusive_codes(conn)
            for _, _, group, codes in coding.exclusive_clashes([*held, *((segment_id, coder, c) for c in code_ids)], parents, exclusive):
                if set(codes) & set(code_ids):
                    raise Conflict(f"{ref}: {coding.clash_message(group, codes)}")
            return store_coding.tag(store, conn, segment_id, code_ids, coder, origin)

    def tag_replacing(self, ref: str, code_id: str, *, coder: str | None = None, origin: str = "manual") -> tuple[bool, list[tuple[str, str]]]:
        """Apply one code, first removing the coder's codes on ``DOC:N`` from other children of its
        exclusive group (the keyboard coder's way); returns whether it was new, and the (code,
        origin) removed, so an undo can put them back. A code that is not codable is refused.
        One transaction."""
        coder = self.require_coder(coder)
        with self._writing("tag", ref, {"coder": coder, "codes": [code_id], "replacing": True}) as (store, conn):
            segment_id = reads.resolve_segment(conn, ref)
            reads.check_codes(conn, [code_id])
            coding.check_codable(reads.not_codable(conn), [code_id])
            parents, exclusive = reads.code_parents(conn), reads.exclusive_codes(conn)
            branch = coding.exclusive_branch(code_id, parents, exclusive)
            rivals = [(c["code_id"], c["origin"]) for c in store_coding.segment_codings(conn, segment_id, coder)
                      if branch and (found := coding.exclusive_branch(c["code_id"], parents, exclusive))
                      and found[0] == branch[0] and found[1] != branch[1]]
            store_coding.untag(store, conn, segment_id, [code for code, _ in rivals], coder)
            return bool(store_coding.tag(store, conn, segment_id, [code_id], coder, origin)), rivals

    def untag(self, ref: str, code_ids, *, coder: str | None = None) -> list[str]:
        """Remove codes from segment ``DOC:N``; the segment stays reviewed."""
        coder = self.require_coder(coder)
        with self._writing("untag", ref, {"coder": coder, "codes": list(code_ids)}) as (store, conn):
            return store_coding.untag(store, conn, reads.resolve_segment(conn, ref), code_ids, coder)

    def review(self, ref: str, *, coder: str | None = None) -> bool:
        """Mark segment ``DOC:N`` as looked at (with or without codes); False if it already was."""
        coder = self.require_coder(coder)
        with self._writing("review", ref, {"coder": coder}) as (store, conn):
            return store_coding.mark_reviewed(store, conn, reads.resolve_segment(conn, ref), coder)

    def unreview(self, ref: str, *, coder: str | None = None) -> bool:
        """Withdraw the review mark and the coder's codes on ``DOC:N`` (the undo of a first look)."""
        coder = self.require_coder(coder)
        with self._writing("unreview", ref, {"coder": coder}) as (store, conn):
            return store_coding.unmark_reviewed(store, conn, reads.resolve_segment(conn, ref), coder)
