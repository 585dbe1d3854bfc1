"""``Project`` methods for coding: tags and review marks, codings tables, codebook evolution,
memos, the audit log, and what the keyboard coder reads (part of :class:`qualcode.Project`)."""

from __future__ import annotations

from pathlib import Path

from qualcode import auditlog, coding
from qualcode import worklist as worklist_mod
from qualcode.codebook import with_descendants
from qualcode.selection import Selection
from qualcode.store import codebook as store_codebook
from qualcode.store import coding as store_coding
from qualcode.store import log as store_log
from qualcode.store import memo as store_memo
from qualcode.store import segment as store_segment


class CodingMethods:
    """Coding a project: every write is one ``atomic()`` transaction through the store."""

    def tag(self, ref: str, code_ids, *, coder: str | None = None, origin: str = "manual") -> list[str]:
        """Apply codes to segment ``DOC:N``; returns the codes newly applied."""
        coder = self.require_coder(coder)
        with self.store.atomic("tag", ref, {"coder": coder, "codes": list(code_ids)}) as conn:
            return store_coding.tag(self.store, conn, store_segment.resolve_segment(conn, ref), code_ids, coder, origin)

    def untag(self, ref: str, code_ids, *, coder: str | None = None) -> list[str]:
        """Remove codes from segment ``DOC:N``; the segment stays reviewed."""
        coder = self.require_coder(coder)
        with self.store.atomic("untag", ref, {"coder": coder, "codes": list(code_ids)}) as conn:
            return store_coding.untag(self.store, conn, store_segment.resolve_segment(conn, ref), code_ids, coder)

    def review(self, ref: str, *, coder: str | None = None) -> bool:
        """Mark segment ``DOC:N`` as looked at (with or without codes); False if it already was."""
        coder = self.require_coder(coder)
        with self.store.atomic("review", ref, {"coder": coder}) as conn:
            return store_coding.mark_reviewed(self.store, conn, store_segment.resolve_segment(conn, ref), coder)

    def unreview(self, ref: str, *, coder: str | None = None) -> bool:
        """Withdraw the review mark and the coder's codes on ``DOC:N`` (the undo of a first look)."""
        coder = self.require_coder(coder)
        with self.store.atomic("unreview", ref, {"coder": coder}) as conn:
            return store_coding.unmark_reviewed(self.store, conn, store_segment.resolve_segment(conn, ref), coder)

    def add_memo(self, text: str, *, document: str | None = None, segment: str | None = None,
                 code: str | None = None, author: str | None = None) -> int:
        """Write a memo on a document (by name), a segment (``DOC:N``), a code, or the project."""
        author = self.require_coder(author)
        with self.store.atomic("memo", segment or document or code or "project", {"author": author}) as conn:
            if segment:
                target = ("segment", str(store_segment.resolve_segment(conn, segment)))
            elif document:
                target = ("document", str(store_segment.document_id(conn, document)))
            elif code:
                target = ("code", store_codebook.check_codes(conn, [code])[0])
            else:
                target = ("project", None)
            return store_memo.add_memo(self.store, conn, *target, author, text)

    def apply_codings(self, source) -> coding.ApplyReport:
        """Apply a codings table (a CSV path or a DataFrame with document, segment, coder, code
        and optional memo): every row is checked first, then all are written in one
        transaction. Rows already in the project change nothing."""
        if hasattr(source, "to_dict"):
            coding.check_columns("the table", source.columns)
            records = [(line, record) for line, record in enumerate(source.fillna("").to_dict(orient="records"), start=2)]
            label, csv_format = "the table", ""
        else:
            table = coding.read_codings_csv(Path(source))
            records, label, csv_format = table.rows, str(source), table.describe()
        with self.store.atomic("apply", label, {"rows": len(records)}) as conn:
            rows = coding.validate(store_segment.segment_numbers(conn), store_codebook.known_codes(conn), label, records)
            report = coding.apply_rows(self.store, conn, rows)
        report.csv_format = csv_format
        return report

    def codings(self, coder: str | None = None, code: str | None = None):
        """Codings as a DataFrame in the columns ``apply_codings`` takes (document, segment,
        coder, code, memo): reviewed-without-code segments have an empty code, and the coder's
        memos on a segment ride along. ``code`` keeps that code and its sub-codes."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            wanted = with_descendants(store_codebook.code_parents(conn), store_codebook.check_codes(conn, [code])) if code else None
            rows = coding.coding_rows(store_segment.segment_numbers(conn), store_coding.reviewed(conn, coder),
                                      store_coding.coded(conn, coder), store_memo.segment_memos(conn, coder), wanted)
        return pd.DataFrame(rows, columns=list(coding.CODING_COLUMNS))

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
        """Memos as a DataFrame: id, target_type, target, author, created_at, text."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            return pd.DataFrame(store_memo.memo_rows(conn, document=document, code=code), columns=store_memo.MEMO_COLUMNS)

    def memo(self, memo_id: int) -> dict:
        with self.store.reading() as conn:
            return store_memo.memo(conn, memo_id)

    def log(self, coder: str | None = None, since: str | None = None, action: str | None = None):
        """The audit log as a DataFrame (id, at, actor, action, target, detail), oldest first; a
        segment as target is named ``DOC:N``."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        moment = auditlog.parse_since(since) if since else None
        with self.store.reading() as conn:
            rows = auditlog.entries(store_log.audit_rows(conn, since=moment, action=action), coder=coder)
            refs = store_segment.segment_refs(conn) if auditlog.names_segments(rows) else {}
        return pd.DataFrame(auditlog.with_segment_refs(rows, refs), columns=auditlog.LOG_COLUMNS)

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
            return worklist_mod.items(selection.narrow(store_segment.segment_rows(conn, selection)))

    def reviewed_segments(self, coder: str) -> set[int]:
        """Ids of the segments ``coder`` has looked at."""
        with self.store.reading() as conn:
            return store_coding.reviewed_by(conn, coder)

    def turns(self, document: str) -> list[worklist_mod.Turn]:
        """A document's turns with their text, to show a segment in context."""
        with self.store.reading() as conn:
            return [worklist_mod.Turn(**row) for row in store_segment.turn_rows(conn, document)]

    def segment_state(self, segment_id: int, coder: str, *, others: bool = False) -> worklist_mod.SegmentState:
        """Codings, review mark and memos of one segment, as the coder may see them."""
        with self.store.reading() as conn:
            return worklist_mod.segment_state(
                store_coding.segment_codings(conn, segment_id, None if others else coder),
                store_coding.is_reviewed(conn, segment_id, coder),
                store_memo.memos_on_segment(conn, segment_id),
                coder,
            )
