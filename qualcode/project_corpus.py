"""``Project`` methods for the corpus: importing transcripts, listing and showing documents,
finding segments and writing quotes (part of :class:`qualcode.Project`)."""

from __future__ import annotations

from pathlib import Path

from qualcode import quotes as quotes_mod
from qualcode import retrieval
from qualcode.selection import Selection, check_attribute_keys
from qualcode.store import codebook as store_codebook
from qualcode.store import coding as store_coding
from qualcode.store import memo as store_memo
from qualcode.store import segment as store_segment
from qualcode.store import transcript as store_transcript
from qualcode.store import reads

SEGMENT_COLUMNS = ["ref", "document", "segment", "unit", "speaker", "time_start", "start", "end", "text", "segment_id"]
CODE_COLUMNS = ["codes", "passages"]
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

    def _found(self, selection: Selection) -> retrieval.Found:
        """What retrieval filters: the selected segments, their codes, attributes, coders, code tree."""
        with self.store.reading() as conn:
            rows = store_segment.segment_rows(conn, selection)
            attributes, keys = store_segment.attributes_by_document(conn)
            narrowed = selection.documents or selection.attributes or selection.speaker
            in_documents = {row["document"] for row in rows} if narrowed else None
            return retrieval.Found(
                rows=rows, applied=store_coding.codes_by_segment(conn, selection.coder, in_documents),
                attributes=attributes, keys=keys, coders=reads.coder_names(conn),
                parents=reads.code_parents(conn),
                passages=store_coding.partial_passages(conn, selection.coder, in_documents),
            )

    def segments(self, documents=None, *, speaker: str | None = None, attributes: dict[str, str] | None = None,
                 codes=None, all_of=None, any_of=None, none_of=None, exact: bool = False,
                 coder: str | None = None, uncoded: bool = False, text: str | None = None):
        """Segments as a DataFrame: ref, document, segment, unit, speaker, time_start, start, end,
        text, segment_id, one column per document attribute, codes, and passages (codes that cover
        only part of the segment, each with the words it covers: every passage coded elsewhere).

        ``codes`` and ``any_of``: at least one of these codes; ``all_of``: each of them;
        ``none_of``: none of them. A code includes its sub-codes unless ``exact``. ``coder``
        counts only that coder's codings; ``uncoded`` keeps segments without codes; ``text``
        keeps segments holding every word of it, ignoring case and accents. An attribute key or
        value that matches no document is an error naming the ones there are.
        """
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

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
        return pd.DataFrame(records, columns=[*SEGMENT_COLUMNS, *named.values(), *CODE_COLUMNS])

    def quotes(self, path: str | Path, *, codes=None, attributes: dict[str, str] | None = None,
               coder: str | None = None, memos: bool = False, raw: bool = False,
               show_attributes=()) -> list[quotes_mod.Section]:
        """Write every coded segment under its code to ``path`` (.docx or .csv; the Word file
        opens with the codebook's coding rules); returns the sections. Formula-like text is written as text unless ``raw`` (CSV cells as they are).
        Each quote names only the attributes in ``show_attributes`` (none by default)."""
        selection = Selection.of(attributes=attributes, coder=coder, codes=tuple(codes or ()))
        found = self._found(Selection.of(attributes=attributes, coder=coder))
        with self.store.reading() as conn:
            check_attribute_keys(show_attributes, store_segment.attribute_values(store_segment.attribute_rows(conn)))
            book = store_codebook.read_codebook(conn)
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
