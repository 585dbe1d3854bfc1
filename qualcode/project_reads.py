"""What a project shows without changing it: its status, documents, a transcript, codings and
the audit log, as plain rows (part of :class:`qualcode.Project`, whose table methods wrap them
in DataFrames).

The same methods run in :class:`QuickProject`, over a bare ``sqlite3`` connection: the commands
that only look (``status``, ``documents``, ``show``, ``segments``, ``codings``, ``log``,
``codebook show``, ``memo list``/``show``) and those that code one segment (``tag``, ``untag``,
``review``) open an SQLite project that way (:func:`open_quick`), so they start without loading
SQLAlchemy or pandas, which alone take longer than such a command may (issue 21). A server
project, or a file whose schema is not this qualcode's (it must be migrated first), opens as a
full ``Project``.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode import auditlog, coding
from qualcode.location import find_project, resolve_project_path
from qualcode.project_tagging import SegmentCodingMethods
from qualcode.selection import Selection, check_coder
from qualcode.store import reads
from qualcode.store.identity import PROJECT_FILE, SCHEMA_VERSION, is_sqlite_file
from qualcode.store.journal import FileWriter, TailProblem
from qualcode.store.sqltext import open_sqlite

if TYPE_CHECKING:
    from qualcode.retrieval import Found

SEGMENT_COLUMNS = ["ref", "document", "segment", "unit", "speaker", "time_start", "start", "end", "text", "segment_id"]
CODE_COLUMNS = ["codes", "passages"]
CODE_TABLE = ("id", "parent_id", "depth", "name", "label", "color", "exclusive", "codable", "source", "codings")


class ReadMethods:
    """Reads shared by :class:`qualcode.Project` and :class:`ProjectView`. A class using them
    gives ``_looking()`` (a context manager yielding a connection :mod:`qualcode.store.reads`
    takes) and ``location``."""

    def _chain_head(self, db) -> str | None:
        """The audit chain's head as this login may see it."""
        return reads.last_hash(db)

    def _team(self, db) -> dict | None:
        """Who you are on a server project with roles (None elsewhere)."""
        return None

    def codebook(self):
        """The project's :class:`~qualcode.codebook.Codebook`, as its codes table holds it now."""
        with self._looking() as db:
            return reads.read_codebook(db)

    def code_records(self) -> list[dict]:
        """The codes in tree order: id, parent_id, depth, name, label, colour, exclusive,
        codable, source, codings."""
        with self._looking() as db:
            book = reads.read_codebook(db)
            counts = reads.codings_per_code(db)
        return [{"id": code.id, "parent_id": parent, "depth": depth, "name": code.name, "label": code.label,
                 "color": code.color, "exclusive": code.exclusive, "codable": code.codable, "source": code.source,
                 "codings": counts.get(code.id, 0)}
                for code, parent, depth in book.walk()]

    def memo_records(self, document: str | None = None, code: str | None = None) -> list[dict]:
        """Memos oldest first (id, target_type, target, author, created_at, text); ``document``
        keeps those on it and on its segments, ``code`` those on a code."""
        with self._looking() as db:
            return reads.memo_rows(db, document=document, code=code)

    def memo(self, memo_id: int) -> dict:
        """One memo in full, with ``updated_at``."""
        with self._looking() as db:
            return reads.memo(db, memo_id)

    def coders(self) -> list[str]:
        """Every coder's name, sorted."""
        with self._looking() as db:
            return reads.coder_names(db)

    def code_ids(self) -> list[str]:
        """Every code id in codebook order (each code before its sub-codes)."""
        with self._looking() as db:
            return reads.code_ids(db)

    def status(self) -> dict:
        """Counts a researcher checks first: documents, segments, codes, codings per coder (with
        those from accepted suggestions), codings that break an exclusive group, codings on codes
        that only group others, the audit chain head, which names this state of the project in
        a report (None for a coder on a server project with roles), and on such a project who
        you are and whether it is blind."""
        with self._looking() as db:
            counts = reads.project_counts(db)
            head = self._chain_head(db)
            title = reads.meta_value(db, "codebook.title") or ""
            version = reads.meta_value(db, "codebook.version") or ""
            team = self._team(db)
        n_segments = counts["segments"]
        return {
            "project": self.location,
            "documents": counts["documents"],
            "segments": n_segments,
            "codes": counts["codes"],
            "codings": counts["codings"],
            "coders": {
                name: {**found, "share_reviewed": round(found["reviewed"] / n_segments, 4) if n_segments else None}
                for name, found in counts["coders"].items()
            },
            "codebook": {"title": title, "version": version},
            "audit_head": head,
            "exclusive_violations": self.exclusive_violations(),
            "codings_on_groups": self.codings_on_groups(),
            "team": team,
        }

    def exclusive_violations(self, coders=None) -> list[dict]:
        """Where a coder (of ``coders``, default all) holds two children of an exclusive group on
        one segment: ref, coder, group, codes."""
        with self._looking() as db:
            parents, exclusive = reads.code_parents(db), reads.exclusive_codes(db)
            grouped = [code for code in parents if coding.exclusive_branch(code, parents, exclusive)]
            found = coding.exclusive_clashes(  # only codes under a group can clash: read no others
                [row for row in reads.coded(db, codes=grouped) if coders is None or row[1] in coders], parents, exclusive)
            refs = reads.segment_refs(db) if found else {}
        return [{"ref": refs[s], "coder": coder, "group": group, "codes": codes} for s, coder, group, codes in found]

    def codings_on_groups(self) -> list[dict]:
        """Codes that only group others yet hold codings: code, codings, sub_codes. Tagging and
        applying refuse such codings, but a REFI-QDA import keeps them (the other program's coding
        is the record, and dropping it would lose work), as does a project coded before the
        codebook said so; status lists them so they can be recoded to a sub-code."""
        with self._looking() as db:
            held = reads.codings_per_code(db)
            return [{"code": code, "codings": held[code], "sub_codes": children}
                    for code, children in reads.not_codable(db).items() if held.get(code)]

    def document_records(self) -> tuple[list[dict], list[str]]:
        """One row per document (name, turns, segments, speakers, then its attributes), and the
        attribute keys."""
        with self._looking() as db:
            return reads.document_rows(db)

    def transcript_records(self, name: str) -> list[dict]:
        """One document for reading: a row per segment (with its ``DOC:N`` ref) and per turn
        that is not a coding unit: turn, speaker, role, time_start, time_end, segment, ref, text."""
        with self._looking() as db:
            return reads.transcript_rows(db, name)

    def coding_records(self, coder: str | None = None, code: str | None = None) -> list[dict]:
        """Codings in the columns ``apply_codings`` takes (document, segment, fingerprint of the
        segment's text, coder, code, memo): reviewed-without-code segments have an empty code,
        and the coder's memos on a segment ride along. ``code`` keeps that code and its sub-codes."""
        from qualcode.codebook import with_descendants  # noqa: PLC0415 - it loads PyYAML, needed only here

        with self._looking() as db:
            if coder:
                check_coder(coder, reads.coder_names(db))
            wanted = with_descendants(reads.code_parents(db), reads.check_codes(db, [code])) if code else None
            return coding.coding_rows(reads.segment_numbers(db), reads.reviewed(db, coder), reads.coded(db, coder),
                                      reads.segment_memos(db, coder), wanted, reads.segment_fingerprints(db))

    def _found(self, selection: Selection) -> Found:
        """What retrieval filters: the selected segments, their codes, attributes, coders, code tree."""
        from qualcode import retrieval  # noqa: PLC0415 - it loads the codebook module (PyYAML); only segments needs it

        with self._looking() as db:
            rows = reads.segment_rows(db, selection)
            attributes, keys = reads.attributes_by_document(db)
            narrowed = selection.documents or selection.attributes or selection.speaker
            in_documents = {row["document"] for row in rows} if narrowed else None
            return retrieval.Found(
                rows=rows, applied=reads.codes_by_segment(db, selection.coder, in_documents),
                attributes=attributes, keys=keys, coders=reads.coder_names(db),
                parents=reads.code_parents(db),
                passages=reads.partial_passages(db, selection.coder, in_documents),
            )

    def segment_records(self, documents=None, *, speaker: str | None = None, attributes: dict[str, str] | None = None,
                        codes=None, all_of=None, any_of=None, none_of=None, exact: bool = False,
                        coder: str | None = None, uncoded: bool = False,
                        text: str | None = None) -> tuple[list[dict], list[str]]:
        """Segments, and their columns: ref, document, segment, unit, speaker, time_start, start, end,
        text, segment_id, one column per document attribute, codes, and passages (codes that cover
        only part of the segment, each with the words it covers: every passage coded elsewhere).

        ``codes`` and ``any_of``: at least one of these codes; ``all_of``: each of them;
        ``none_of``: none of them. A code includes its sub-codes unless ``exact``. ``coder``
        counts only that coder's codings; ``uncoded`` keeps segments without codes; ``text``
        keeps segments holding every word of it, ignoring case and accents. An attribute key or
        value that matches no document is an error naming the ones there are.
        """
        from qualcode import retrieval  # noqa: PLC0415 - see _found

        selection = Selection.of(documents, attributes, speaker=speaker, coder=coder,
                                 codes=(*(codes or []), *(any_of or [])))
        filters = retrieval.Filters(all_of=list(all_of or []), none_of=list(none_of or []), exact=exact,
                                    uncoded=uncoded, text=text)
        found = self._found(selection)
        rows = selection.narrow(retrieval.find(found, selection, filters))
        named = {key: (f"attribute:{key}" if key in SEGMENT_COLUMNS or key in CODE_COLUMNS else key) for key in found.keys}
        records = [
            {**{c: row[c] for c in SEGMENT_COLUMNS}, **{named[k]: row["attributes"].get(k) for k in found.keys},
             **{c: row[c] for c in CODE_COLUMNS}}
            for row in rows
        ]
        return records, [*SEGMENT_COLUMNS, *named.values(), *CODE_COLUMNS]

    def fingerprint_records(self, path: str | Path) -> list[dict]:
        """A codings CSV in its own row order, with the fingerprint column filled from this
        project's segments (to add it to a table made without it)."""
        records = coding.records(coding.read_codings_csv(Path(path)))
        with self._looking() as db:
            return coding.with_fingerprints(reads.segment_numbers(db), reads.segment_fingerprints(db), str(path), records)

    def log_records(self, coder: str | None = None, since: str | None = None, action: str | None = None) -> list[dict]:
        """The audit log (id, at, actor, action, target, detail), oldest first; a segment as
        target is named ``DOC:N``."""
        return list(self.log_stream(coder, since, action))

    def log_stream(self, coder: str | None = None, since: str | None = None, action: str | None = None):
        """:meth:`log_records` one by one, for a log too long to hold (a wrong coder or date is
        refused at once, before the first entry)."""
        moment = auditlog.parse_since(since) if since else None
        with self._looking() as db:
            if coder:
                check_coder(coder, {*reads.coder_names(db), *reads.actors(db)})
        return self._log_entries(coder, moment, action)

    def _log_entries(self, coder, moment, action):
        with self._looking() as db:
            found = auditlog.entries(reads.audit_entries(db, since=moment, action=action), coder=coder)
            yield from auditlog.with_segment_refs(found, lambda: reads.segment_refs(db))


class QuickProject(ReadMethods, SegmentCodingMethods):
    """An SQLite project opened without SQLAlchemy: the reads of :class:`ReadMethods` over a
    bare ``sqlite3`` connection, and the per-segment coding writes (``tag``, ``untag``,
    ``review``) through a :class:`~qualcode.store.journal.FileWriter`. A write that finds the
    audit chain's tail broken is handed to a full ``Project``, which refuses it or (with
    ``--accept-break``) records the break."""

    def __init__(self, path: Path, *, coder: str | None = None, on_wait=None):
        self.path = path
        self._coder = coder
        self._db = open_sqlite(path, read=False)
        self._writer = FileWriter(path, on_wait=on_wait)

    @property
    def location(self) -> str:
        return str(self.path)

    @contextmanager
    def _looking(self):
        """One read transaction (one consistent state), or the one already open."""
        if self._db.in_transaction:
            yield self._db
            return
        self._db.execute("BEGIN")
        try:
            yield self._db
        finally:
            self._db.execute("ROLLBACK")

    def _act_as(self, name: str) -> None:
        self._writer.actor = name

    @contextmanager
    def _writing(self, action: str, target: str, detail: dict):
        try:
            with self._writer.atomic(action, target, detail) as db:
                yield self._writer, db
                return
        except TailProblem:
            pass
        with self._full() as project, project.store.atomic(action, target, detail) as conn:
            yield project.store, conn

    def _full(self):
        """This project opened as a full ``Project`` (SQLAlchemy), acting as the same coder."""
        from qualcode.project import Project  # noqa: PLC0415 - only what the quick path cannot do needs it

        project = Project(self.path, coder=self._coder, on_wait=self._writer.on_wait)
        project.store.actor = self._writer.actor
        return project

    def verify_log(self):
        """The hash chain walked by the Store (:meth:`qualcode.Project.verify_log`), which also
        checks the append-only triggers."""
        with self._full() as project:
            return project.verify_log()

    def is_current(self) -> bool:
        """Whether the file is a project of this qualcode's schema (else a Project must open it)."""
        try:
            with self._looking() as db:
                return reads.schema_version(db) == SCHEMA_VERSION
        except sqlite3.DatabaseError:
            return False

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> QuickProject:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_quick(path: str | Path | None = None, *, coder: str | None = None, on_wait=None,
               accept_break: bool = False):
    """The project at ``path`` (default: found from here) as a :class:`QuickProject` when it is
    an SQLite file of this qualcode's schema, else (a server; a file to migrate, or not a
    project at all, which it refuses; or ``accept_break``, which only the Store does) as a
    ``Project``."""
    found = resolve_project_path(path) if path else find_project()
    quick = None
    if isinstance(found, Path) and found.name == PROJECT_FILE and not accept_break:
        quick = _quick_project(found, coder=coder, on_wait=on_wait)
    if quick is not None:
        return quick
    from qualcode.project import Project  # noqa: PLC0415 - SQLAlchemy loads only when it must

    return Project(found, coder=coder, on_wait=on_wait, accept_break=accept_break)


def _quick_project(found: Path, **options) -> QuickProject | None:
    """A quick project on the SQLite file ``found`` if it is a project of this qualcode's
    schema; None for anything else, which the Store opens and, if it cannot, names in one line."""
    if not is_sqlite_file(found):
        return None
    try:
        quick = QuickProject(found, **options)
    except sqlite3.DatabaseError:
        return None
    if quick.is_current():
        return quick
    quick.close()
    return None
