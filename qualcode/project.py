"""``qualcode.Project``: the library object the CLI, the terminal UI and notebooks all use.

A method per pipeline stage; each reads from the store, computes on plain data, and (when it
writes) writes in one transaction, returning plain values or pandas DataFrames. The methods live
by stage in ``project_corpus`` (import, documents, segments, quotes), ``project_coding``
(coding, codebook evolution, memos, the audit log, the work list) and ``project_analysis``
(suggestions, agreement, merging, matrices, REFI-QDA); this module opens and describes a project. Example::

    >>> from qualcode import Project                                    # doctest: +SKIP
    >>> project = Project.init("study", codebook="codebooks/professioneel-handelen.yaml")
    >>> project.codes()[["id", "name"]].head(3)
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from qualcode import codebook as codebook_mod
from qualcode import forget as forget_mod
from qualcode.errors import BadInput
from qualcode.location import CODER_ENV, SERVER_FILE, database_of, find_project, project_in, resolve_project_path
from qualcode.project_analysis import AnalysisMethods
from qualcode.project_coding import CodingMethods
from qualcode.project_corpus import CorpusMethods
from qualcode.project_pseudonym import PseudonymMethods
from qualcode.project_reads import CODE_TABLE, ReadMethods
from qualcode.project_tagging import SegmentCodingMethods
from qualcode.project_team import TeamMethods
from qualcode.store import PROJECT_FILE, Store, is_server_url, url_without_password
from qualcode.store import codebook as store_codebook
from qualcode.store import erase as store_erase
from qualcode.store import log as store_log
from qualcode.store import reads
from qualcode.store import team as store_team
from qualcode.store import transfer as store_transfer
from qualcode.store.transcript import segmentation_unit

def open_store(path: str | Path | None = None, **kwargs) -> Store:
    """The store of the project at ``path`` (a folder, file or URL; default: found from here)."""
    return Store.open(database_of(resolve_project_path(path) if path else find_project()), **kwargs)


def server_file_text(url: str) -> str:
    """What ``init --database`` writes into the project folder (never a password: those belong
    in ``~/.pgpass`` or ``PGPASSWORD``, where psycopg finds them)."""
    return ("# This qualcode project lives on a PostgreSQL server; every qualcode command run in this\n"
            "# folder opens it. Passwords go in ~/.pgpass or PGPASSWORD, never here.\n"
            f"[database]\nurl = {json.dumps(url_without_password(url))}\n")


def _new_project(folder: Path, database: str | None, make) -> Path:
    """Make a project in ``folder``: ``make(target)`` fills the SQLite file or the server
    database; the folder gets the file, or a server file naming the database. On failure
    nothing is left behind (a failed server write rolled back itself)."""
    if database is not None and not is_server_url(database):
        raise BadInput(f"--database {database}: give a postgresql://HOST/DATABASE URL")
    if folder.is_dir() and project_in(folder):
        raise BadInput(f"{folder}: already holds a qualcode project; use it, or pick another folder")
    target = folder / (SERVER_FILE if database else PROJECT_FILE)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        make(database or target)
        if database:
            target.write_text(server_file_text(database), encoding="utf-8")
    except BaseException:
        for leftover in folder.glob(PROJECT_FILE + "*"):
            leftover.unlink()
        raise
    return target


class Project(ReadMethods, SegmentCodingMethods, CorpusMethods, CodingMethods, AnalysisMethods, PseudonymMethods, TeamMethods):
    """An open qualcode project (one SQLite file, or one PostgreSQL database)."""

    def __init__(self, path: str | Path | None = None, *, coder: str | None = None, on_wait=None,
                 accept_break: bool = False):
        """``path`` is a project folder or file or a ``postgresql://`` URL (default: found from
        here, see :func:`find_project`). ``on_wait`` is called once when a write has waited a
        second for another writer's lock; ``accept_break`` lets writes go on after a broken
        audit chain, recording the break."""
        found = resolve_project_path(path) if path else find_project()
        # The project's file (SQLite, or the server file naming its database); None when opened
        # by URL alone.
        self.path = found if isinstance(found, Path) else None
        self._coder = coder
        self._suggester = None
        self.store = Store.open(database_of(found), on_wait=on_wait, accept_break=accept_break)
        self.store.actor = self.coder()

    @classmethod
    def init(cls, directory: str | Path = ".", *, codebook: str | Path | None = None,
             database: str | None = None) -> Project:
        """Create a project in ``directory`` (made if missing), optionally loading a codebook.
        With ``database`` (a ``postgresql://`` URL of an empty database) the project lives on
        that server and the folder gets a ``qualcode.toml`` naming it."""
        book = codebook_mod.read(Path(codebook)) if codebook else None

        def create(target: str | Path) -> None:
            store = Store.create(target, actor=os.environ.get(CODER_ENV) or None)
            try:
                if book is not None:
                    with store.atomic("codebook.load", str(codebook)) as conn:
                        store_codebook.load_codebook(store, conn, book, str(codebook))
            finally:
                store.close()

        return cls(_new_project(Path(directory), database, create))

    def copy_to(self, directory: str | Path, *, database: str | None = None) -> Path:
        """Copy this project into a new one in ``directory`` (on the server ``database`` names,
        as :meth:`init` does): every document, coding, review, memo, decision and audit entry
        with its id and GUID, in one transaction, so the copy's audit chain verifies. Moves a
        project between an SQLite file and a PostgreSQL server either way. Returns the new
        project's file."""
        return _new_project(Path(directory), database, lambda target: store_transfer.copy_project(self.store, target))

    @property
    def location(self) -> str:
        """Where the project lives, as messages show it: the SQLite file or the server URL."""
        return self.store.where

    @property
    def name(self) -> str:
        """The project's name: its folder's, or (opened by URL) its database's."""
        return self.path.parent.name if self.path else self.store.database_name

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- coders --------------------------------------------------------------------------

    def remember_coder(self, name: str) -> None:
        """Remember ``name`` as this project's coder, so the next session need not ask."""
        self.store.actor = name
        with self.store.atomic("coder.remember", name) as conn:
            self.store.ensure_coder(conn, name)
            self.store.set_meta(conn, "default_coder", name)

    # ---- codebook ------------------------------------------------------------------------

    def load_codebook(self, path: str | Path) -> codebook_mod.LoadReport:
        """Add and update codes from a codebook file by id; codings are never touched."""
        book = codebook_mod.read(Path(path))
        with self.store.atomic("codebook.load", str(path)) as conn:
            report = store_codebook.load_codebook(self.store, conn, book, str(path))
        report.warnings = book.warnings
        return report

    def export_codebook(self, path: str | Path) -> codebook_mod.Codebook:
        """Write the codebook to ``path`` as YAML, updating an existing file in place; returns it."""
        from qualcode import codebook_file  # noqa: PLC0415 - PyYAML and ruamel.yaml load only here

        book = self.codebook()
        codebook_file.export(book, path)
        self.record_export("codebook", [path], documents=False)
        return book

    def codes(self):
        """:meth:`code_records` as a DataFrame."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        return pd.DataFrame(self.code_records(), columns=list(CODE_TABLE))

    # ---- privacy: what left the project, and taking a document out -------------------------

    def record_export(self, kind: str, files, *, documents: bool = True) -> None:
        """Log that ``files`` were written (every export does), with the documents they may
        hold: all of them, or none (``documents=False``, a codebook), so :meth:`forget` can
        list the exports to delete by hand."""
        store_log.record_export(self.store, kind, list(files), documents=documents)

    def forget(self, name: str, *, reason: str) -> forget_mod.Forgotten:
        """Erase document ``name`` for good (a respondent withdrew consent): the document, its
        turns, segments, attributes, codings, reviews, decisions and memos go, and every audit
        entry about it becomes a tombstone (:mod:`qualcode.forget`), in one transaction logged as
        ``forget`` with ``reason``; then the file's free pages and WAL are emptied. Returns what
        went, with the exports made earlier that hold the document."""
        with self.store.reading() as conn:
            guid = store_erase.footprint(conn, name).guid
        reason = forget_mod.check_reason(reason, name)
        with self.store.atomic("forget", f"document:{guid}", {"reason": reason}) as conn:
            found = store_erase.footprint(conn, name)
            exports = store_log.exports_holding(conn, found.guid)
            removed = store_erase.delete_footprint(conn, found)
            entries = forget_mod.concerning(reads.audit_rows(conn), found)
            store_log.rewrite(self.store, conn, dict.fromkeys(entries, forget_mod.tombstone(found.guid)),
                              target=f"document:{found.guid}", detail={"removed": removed})
        scrubbed = store_erase.scrub(self.store)
        return forget_mod.Forgotten(found.guid, removed, len(entries), exports, scrubbed)

    # ---- overview ------------------------------------------------------------------------

    def unit(self) -> str | None:
        """The project's coding unit (turn, sentence or paragraph), set by its first import."""
        with self.store.reading() as conn:
            return segmentation_unit(conn)

    def _looking(self):
        return self.store.reading()

    @contextmanager
    def _writing(self, action: str, target: str, detail: dict):
        with self.store.atomic(action, target, detail) as conn:
            yield self.store, conn

    def _login_coder(self, conn) -> str | None:
        return store_team.login_coder(conn)

    def _act_as(self, name: str) -> None:
        self.store.actor = name

    def _chain_head(self, conn) -> str | None:
        return store_log.chain_head(conn)

    def _team(self, conn) -> dict | None:
        if not store_team.roles_on(conn):
            return None
        found = store_team.standing(conn)
        return {"login": found.login, "role": found.role, "blind": found.blind}
