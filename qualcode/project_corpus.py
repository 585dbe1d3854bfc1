"""``Project`` methods for the corpus: importing transcripts, listing and showing documents,
finding segments and writing quotes (part of :class:`qualcode.Project`)."""

from __future__ import annotations

from pathlib import Path

from qualcode import quotes as quotes_mod
from qualcode.selection import Selection, check_attribute_keys
from qualcode.store import memo as store_memo
from qualcode.store import reads
from qualcode.store import transcript as store_transcript

TRANSCRIPT_COLUMNS = ["turn", "speaker", "role", "time_start", "time_end", "segment", "ref", "text"]


class CorpusMethods:
    """Import, documents, segments and quotes."""

    def import_files(self, paths, *, attributes_csv=None, attributes=None, unit: str = "turn", interviewers=(),
                     model: str | None = None, replace: bool = False, include_interviewer: bool = False,
                     layout: str | None = None, allow_duplicate: bool = False, progress=None):
        """Import transcripts (files or folders), each file in its own transaction; returns an
        ``ImportReport`` (per file imported / skipped / refused / replaced, and warnings).
        ``attributes`` are ``KEY=VALUE`` strings for every file; ``unit`` must be the project's
        (recorded at its first import). A file whose content is already a document under another
        name is skipped, naming that document, unless ``allow_duplicate``."""
        from qualcode import importing  # noqa: PLC0415 - the readers load only when importing

        options = importing.Options(unit, tuple(interviewers), model, replace, include_interviewer, layout, allow_duplicate)
        return importing.import_files(self.store, paths, attributes_csv=attributes_csv, attributes=attributes or (),
                                      options=options, progress=progress)

    def documents(self):
        """:meth:`document_records` as a DataFrame: name, turns, segments, speakers, then one column per attribute."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        rows, keys = self.document_records()
        return pd.DataFrame(rows, columns=["name", "turns", "segments", "speakers", *keys])

    def sources(self):
        """Documents as their sources: name, source_file, sha256, words, minutes (from the first to
        the last turn time; NaN without times), for fingerprints and interview lengths."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            rows = store_transcript.source_rows(conn)
        table = [
            {"name": r["name"], "source_file": r["source_file"], "sha256": r["sha256"], "words": len(r["text"].split()),
             "minutes": None if r["time_first"] is None else round((r["time_last"] - r["time_first"]) / 60, 1)}
            for r in rows
        ]
        return pd.DataFrame(table, columns=["name", "source_file", "sha256", "words", "minutes"]).astype({"minutes": float})

    def transcript(self, name: str):
        """:meth:`transcript_records` as a DataFrame (segment numbers as a nullable integer)."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        return pd.DataFrame(self.transcript_records(name), columns=TRANSCRIPT_COLUMNS).astype({"segment": "Int64"})

    def segments(self, documents=None, **filters):
        """:meth:`segment_records` as a DataFrame."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        records, columns = self.segment_records(documents, **filters)
        return pd.DataFrame(records, columns=columns)

    def quotes(self, path: str | Path, *, codes=None, attributes: dict[str, str] | None = None,
               coder: str | None = None, memos: bool = False, raw: bool = False,
               show_attributes=()) -> list[quotes_mod.Section]:
        """Write every coded segment under its code to ``path`` (.docx or .csv; the Word file
        opens with the codebook's coding rules); returns the sections. Formula-like text is written as text unless ``raw`` (CSV cells as they are).
        Each quote names only the attributes in ``show_attributes`` (none by default)."""
        selection = Selection.of(attributes=attributes, coder=coder, codes=tuple(codes or ()))
        found = self._found(Selection.of(attributes=attributes, coder=coder))
        with self.store.reading() as conn:
            check_attribute_keys(show_attributes, reads.attribute_values(reads.attribute_rows(conn)))
            book = reads.read_codebook(conn)
            segment_memos = store_memo.memos_by_target(conn, "segment", coder) if memos else {}
            code_memos = store_memo.memos_by_target(conn, "code", None) if memos else {}
        sections = quotes_mod.collect(found, book, selection, segment_memos=segment_memos, code_memos=code_memos,
                                      show=tuple(show_attributes))
        filters = [f"{k}={v}" for k, v in (attributes or {}).items()] + ([f"coder {coder}"] if coder else [])
        n_quotes = sum(len(section.quotes) for section in sections)
        subtitle = f"{n_quotes} quotes under {len(sections)} codes" + (f" ({', '.join(filters)})" if filters else "")
        quotes_mod.write(sections, Path(path), subtitle, raw=raw, rules=book.rules)
        self.record_export("quotes", [path])
        return sections
