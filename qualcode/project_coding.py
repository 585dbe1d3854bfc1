"""``Project`` methods for coding: tags and review marks, codings tables, codebook evolution,
memos, the audit log, and what the keyboard coder reads (part of :class:`qualcode.Project`)."""

from __future__ import annotations

from pathlib import Path

from qualcode import auditlog, coding
from qualcode import worklist as worklist_mod
from qualcode.progress import Progress, counted, silent
from qualcode.selection import Selection
from qualcode.store import codebook as store_codebook
from qualcode.store import coding as store_coding
from qualcode.store import log as store_log
from qualcode.store import memo as store_memo
from qualcode.store import reads


class CodingMethods:
    """Coding a project: every write is one ``atomic()`` transaction through the store."""

    def add_memo(self, text: str, *, document: str | None = None, segment: str | None = None,
                 code: str | None = None, author: str | None = None) -> int:
        """Write a memo on a document (by name), a segment (``DOC:N``), a code, or the project."""
        author = self.require_coder(author)
        with self.store.atomic(None) as conn:  # the one entry is add_memo's memo.add
            if segment:
                target = ("segment", str(reads.resolve_segment(conn, segment)))
            elif document:
                target = ("document", str(reads.document_id(conn, document)))
            elif code:
                target = ("code", reads.check_codes(conn, [code])[0])
            else:
                target = ("project", None)
            return store_memo.add_memo(self.store, conn, *target, author, text)

    def apply_codings(self, source, *, progress: Progress = silent) -> coding.ApplyReport:
        """Apply a codings table (a CSV path or a DataFrame with document, segment, coder, code
        and optional memo): every row is checked first, then all are written in one
        transaction. Rows already in the project change nothing. Checking happens before the
        write lock is taken, and again inside it only if another writer came in between.
        ``progress`` hears how many rows were checked and how many were written."""
        if hasattr(source, "to_dict"):
            coding.check_columns("the table", source.columns)
            frame = source.fillna("")

            def records():
                return enumerate(frame.to_dict(orient="records"), start=2)

            label, csv_format = "the table", ""
        else:
            table = coding.read_codings_csv(Path(source))

            def records():
                return coding.records(table)

            label, csv_format = str(source), table.describe()
        detail = {}

        def checked(conn):
            rows = coding.validate(reads.segment_numbers(conn), reads.known_codes(conn), label,
                                   counted(progress, f"checking the rows of {label}", records()),
                                   reads.segment_fingerprints(conn), reads.not_codable(conn))
            coding.check_exclusive(label, rows, reads.coded(conn), reads.code_parents(conn),
                                   reads.exclusive_codes(conn))
            detail["rows"] = len(rows)
            return rows

        with self.store.checked_write(checked, "apply", label, detail) as (conn, rows):
            report = store_coding.apply_rows(self.store, conn, rows, progress)
        report.csv_format = csv_format
        return report

    def codings(self, coder: str | None = None, code: str | None = None):
        """:meth:`coding_records` as a DataFrame."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        return pd.DataFrame(self.coding_records(coder, code), columns=list(coding.CODING_COLUMNS))

    def fingerprint_codings(self, path: str | Path):
        """:meth:`fingerprint_records` as a DataFrame."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        return pd.DataFrame(self.fingerprint_records(path), columns=list(coding.CODING_COLUMNS))

    # ---- codebook evolution ----------------------------------------------------------------

    def add_code(self, code_id: str, name: str, *, parent: str | None = None, definition: str = "") -> None:
        """Add a code to the project's codebook, at the top or under ``parent``."""
        with self.store.atomic("codes.add", code_id) as conn:
            store_codebook.add_code(self.store, conn, code_id, name, parent=parent, definition=definition)

    def rename_code(self, code_id: str, new_name: str) -> str:
        """Rename a code (its id and codings stay); returns the old name."""
        with self.store.atomic("codes.rename", code_id) as conn:
            return store_codebook.rename_code(self.store, conn, code_id, new_name)

    def move_code(self, code_id: str, parent: str | None) -> None:
        """Move a code with its sub-codes under ``parent`` (None: to the top)."""
        with self.store.atomic("codes.move", code_id, {"to": parent}) as conn:
            store_codebook.move_code(self.store, conn, code_id, parent)

    def merge_codes(self, sources, dest: str) -> dict:
        """Fold ``sources`` into ``dest``, keeping their codings; returns moved/collapsed counts."""
        with self.store.atomic("codes.merge", dest, {"sources": list(sources)}) as conn:
            return store_codebook.merge_codes(self.store, conn, list(sources), dest)

    def delete_code(self, code_id: str, *, force: bool = False) -> dict:
        """Delete a code; with codings only when ``force`` (they are kept in the audit log)."""
        with self.store.atomic("codes.delete", code_id, {"force": force}) as conn:
            return store_codebook.delete_code(self.store, conn, code_id, force=force)

    # ---- memos and the audit log -----------------------------------------------------------

    def memos(self, document: str | None = None, code: str | None = None):
        """:meth:`memo_records` as a DataFrame: id, target_type, target, author, created_at, text."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        return pd.DataFrame(self.memo_records(document, code), columns=reads.MEMO_COLUMNS)

    def verify_log(self) -> auditlog.Verification:
        """Walk the audit log's hash chain: the first entry changed, removed or inserted outside
        qualcode (and any breaks a write accepted), whether the append-only triggers are there,
        and the chain head."""
        with self.store.reading() as conn:
            rows, missing, recorded = store_log.chain(conn)
        return auditlog.verify(rows, missing_triggers=missing, recorded_head=recorded)

    def log(self, coder: str | None = None, since: str | None = None, action: str | None = None):
        """:meth:`log_records` as a DataFrame."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        return pd.DataFrame(self.log_records(coder, since, action), columns=auditlog.LOG_COLUMNS)

    def coding_events(self):
        """Every coding and review mark as a DataFrame: coder, kind, segment_id, code (None for a
        review mark), origin (manual, suggestion, import; None for a mark), at (ISO time)."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            rows = store_coding.coding_events(conn)
        return pd.DataFrame(rows, columns=["coder", "kind", "segment_id", "code", "origin", "at"])

    # ---- the keyboard coder's reads (worklist) --------------------------------------------

    def worklist(self, documents=None, *, attributes: dict[str, str] | None = None) -> list[worklist_mod.Item]:
        """The segments the keyboard coder walks through (one query), in document order."""
        selection = Selection.of(documents, attributes)
        with self.store.reading() as conn:
            return worklist_mod.items(selection.narrow(reads.segment_rows(conn, selection)))

    def reviewed_segments(self, coder: str) -> set[int]:
        """Ids of the segments ``coder`` has looked at."""
        with self.store.reading() as conn:
            return store_coding.reviewed_by(conn, coder)

    def turns(self, document: str) -> list[worklist_mod.Turn]:
        """A document's turns with their text, to show a segment in context."""
        with self.store.reading() as conn:
            return [worklist_mod.Turn(**row) for row in reads.turn_rows(conn, document)]

    def segment_state(self, segment_id: int, coder: str, *, others: bool = False) -> worklist_mod.SegmentState:
        """Codings, review mark and memos of one segment, as the coder may see them: blind
        (unless ``others``), only the coder's own codes and memos."""
        with self.store.reading() as conn:
            memos = store_memo.memos_on_segment(conn, segment_id)
            return worklist_mod.segment_state(
                store_coding.segment_codings(conn, segment_id, None if others else coder),
                store_coding.is_reviewed(conn, segment_id, coder),
                memos if others else [(author, text) for author, text in memos if author == coder],
                coder,
            )
