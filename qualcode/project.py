"""``qualcode.Project``: the library object the CLI, the terminal UI and notebooks all use.

A method per pipeline stage; each opens one transaction when it writes and returns plain
values or pandas DataFrames. Example::

    >>> from qualcode import Project                                    # doctest: +SKIP
    >>> project = Project.init("study", codebook="codebooks/professioneel-handelen.yaml")
    >>> project.codes()[["id", "name"]].head(3)
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from qualcode import auditlog, codebook_edit, coding, retrieval
from qualcode import codebook as codebook_mod
from qualcode import memos as memo_mod
from qualcode import quotes as quotes_mod
from qualcode import worklist as worklist_mod
from qualcode.errors import BadInput, ProjectNotFound, UnknownItem
from qualcode.progress import Progress, batches, silent
from qualcode.store import PROJECT_FILE, Store, codes, coders, codings, default_actor, documents, reviews, segments

PROJECT_ENV = "QUALCODE_PROJECT"
CODER_ENV = "QUALCODE_CODER"


def _selection(conn, names):
    """Document names and ``DOC:N`` segment references, wherever a command takes documents: the
    documents to read (None: all) and a test ``keep(document, segment_id)`` for their segments."""
    if not names:
        return None, lambda _document, _segment_id: True
    refs = [name for name in names if coding.SEGMENT_REF.match(name)]
    whole = set(names) - set(refs)
    wanted = {coding.resolve_segment(conn, ref) for ref in refs}
    read = sorted(whole | {coding.parse_segment_ref(ref)[0] for ref in refs})
    return read, lambda document, segment_id: document in whole or segment_id in wanted


def find_project(start: Path | None = None) -> Path:
    """The project file: ``QUALCODE_PROJECT`` if set, else the nearest one upward from ``start``."""
    if os.environ.get(PROJECT_ENV):
        return resolve_project_path(Path(os.environ[PROJECT_ENV]))
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder / PROJECT_FILE
    raise ProjectNotFound(
        f"no qualcode project in {here} or above; run 'qualcode init' here, or pass "
        f"--project PATH (or set {PROJECT_ENV})"
    )


def resolve_project_path(path: Path) -> Path:
    """Accept a project folder or its project file."""
    path = Path(path)
    candidate = path / PROJECT_FILE if path.is_dir() else path
    if not candidate.is_file():
        raise ProjectNotFound(f"{path}: no qualcode project there; run 'qualcode init {path}' first")
    return candidate


class Project:
    """An open qualcode project (one SQLite file)."""

    def __init__(self, path: str | Path | None = None, *, coder: str | None = None):
        self.path = resolve_project_path(Path(path)) if path else find_project()
        self._coder = coder
        self.store = Store.open(self.path, actor=coder or os.environ.get(CODER_ENV) or default_actor())

    @classmethod
    def init(cls, directory: str | Path = ".", *, codebook: str | Path | None = None) -> Project:
        """Create a project in ``directory`` (made if missing), optionally loading a codebook."""
        folder = Path(directory)
        book = codebook_mod.read(Path(codebook)) if codebook else None
        target = folder / PROJECT_FILE
        if target.exists():
            raise BadInput(f"{folder}: already holds a qualcode project; use it, or pick another folder")
        folder.mkdir(parents=True, exist_ok=True)
        try:
            store = Store.create(target)
            if book is not None:
                with store.atomic("codebook.load", str(codebook)) as conn:
                    codebook_mod.load(store, conn, book, str(codebook))
            store.close()
        except BaseException:
            for leftover in folder.glob(PROJECT_FILE + "*"):
                leftover.unlink()
            raise
        return cls(target)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- coders --------------------------------------------------------------------------

    def coder(self, explicit: str | None = None) -> str | None:
        """Who is coding: ``explicit``, else the one given at opening, else ``QUALCODE_CODER``,
        else the coder this project remembers; None if nobody was ever named."""
        name = explicit or self._coder or os.environ.get(CODER_ENV)
        if name:
            return name
        with self.store.reading() as conn:
            return self.store.get_meta(conn, "default_coder")

    def remember_coder(self, name: str) -> None:
        """Remember ``name`` as this project's coder, so the next session need not ask."""
        with self.store.atomic("coder.remember", name) as conn:
            self.store.ensure_coder(conn, name)
            self.store.set_meta(conn, "default_coder", name)

    def coders(self) -> list[str]:
        with self.store.reading() as conn:
            return list(conn.execute(sa.select(coders.c.name).order_by(coders.c.name)).scalars())

    # ---- codebook ------------------------------------------------------------------------

    def load_codebook(self, path: str | Path) -> codebook_mod.LoadReport:
        """Add and update codes from a codebook file by id; codings are never touched."""
        book = codebook_mod.read(Path(path))
        with self.store.atomic("codebook.load", str(path)) as conn:
            return codebook_mod.load(self.store, conn, book, str(path))

    def codebook(self) -> codebook_mod.Codebook:
        with self.store.reading() as conn:
            return codebook_mod.from_store(conn)

    def codes(self):
        """The codes as a DataFrame in tree order: id, parent_id, depth, name, label, codings."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        book = self.codebook()
        counts = self._coding_counts()
        rows = [
            {
                "id": code.id,
                "parent_id": parent,
                "depth": depth,
                "name": code.name,
                "label": code.label,
                "color": code.color,
                "exclusive": code.exclusive,
                "codings": counts.get(code.id, 0),
            }
            for code, parent, depth in book.walk()
        ]
        columns = ["id", "parent_id", "depth", "name", "label", "color", "exclusive", "codings"]
        return pd.DataFrame(rows, columns=columns)

    def _coding_counts(self) -> dict[str, int]:
        with self.store.reading() as conn:
            return dict(conn.execute(sa.select(codings.c.code_id, sa.func.count()).group_by(codings.c.code_id)).all())

    # ---- coding --------------------------------------------------------------------------

    def require_coder(self, explicit: str | None = None) -> str:
        """The coder for a write, who is then also the actor of its audit entries; an error that
        says how to name one if nobody is known."""
        name = self.coder(explicit)
        if not name:
            raise BadInput(f"no coder named: pass --coder NAME, or set {CODER_ENV}=NAME")
        self.store.actor = name
        return name

    def tag(self, ref: str, code_ids, *, coder: str | None = None, origin: str = "manual") -> list[str]:
        """Apply codes to segment ``DOC:N``; returns the codes newly applied."""
        coder = self.require_coder(coder)
        with self.store.atomic("tag", ref, {"coder": coder, "codes": list(code_ids)}) as conn:
            return coding.tag(self.store, conn, coding.resolve_segment(conn, ref), code_ids, coder, origin)

    def untag(self, ref: str, code_ids, *, coder: str | None = None) -> list[str]:
        """Remove codes from segment ``DOC:N``; the segment stays reviewed."""
        coder = self.require_coder(coder)
        with self.store.atomic("untag", ref, {"coder": coder, "codes": list(code_ids)}) as conn:
            return coding.untag(self.store, conn, coding.resolve_segment(conn, ref), code_ids, coder)

    def review(self, ref: str, *, coder: str | None = None) -> bool:
        """Mark segment ``DOC:N`` as looked at (with or without codes); False if it already was."""
        coder = self.require_coder(coder)
        with self.store.atomic("review", ref, {"coder": coder}) as conn:
            return coding.mark_reviewed(self.store, conn, coding.resolve_segment(conn, ref), coder)

    def unreview(self, ref: str, *, coder: str | None = None) -> bool:
        """Withdraw the review mark and the coder's codes on ``DOC:N`` (the undo of a first look)."""
        coder = self.require_coder(coder)
        with self.store.atomic("unreview", ref, {"coder": coder}) as conn:
            return coding.unmark_reviewed(self.store, conn, coding.resolve_segment(conn, ref), coder)

    def add_memo(self, text: str, *, document: str | None = None, segment: str | None = None,
                 code: str | None = None, author: str | None = None) -> int:
        """Write a memo on a document (by name), a segment (``DOC:N``), a code, or the project."""
        author = self.require_coder(author)
        with self.store.atomic("memo", segment or document or code or "project", {"author": author}) as conn:
            if segment:
                target = ("segment", str(coding.resolve_segment(conn, segment)))
            elif document:
                document_id = conn.execute(sa.select(documents.c.id).where(documents.c.name == document)).scalar()
                if document_id is None:
                    known = conn.execute(sa.select(documents.c.name)).scalars().all()
                    raise UnknownItem("document", document, known, "see 'qualcode documents'")
                target = ("document", str(document_id))
            elif code:
                target = ("code", coding.check_codes(conn, [code])[0])
            else:
                target = ("project", None)
            return coding.add_memo(self.store, conn, *target, author, text)

    def segments(self, documents=None, *, speaker: str | None = None, attributes: dict[str, str] | None = None,
                 codes=None, all_of=None, any_of=None, none_of=None, exact: bool = False,
                 coder: str | None = None, uncoded: bool = False, text: str | None = None):
        """Segments as a DataFrame: ref, document, segment, unit, speaker, time_start, start, end,
        text, segment_id, one column per document attribute, and codes.

        ``codes`` and ``any_of``: at least one of these codes; ``all_of``: each of them;
        ``none_of``: none of them. A code includes its sub-codes unless ``exact``. ``coder``
        counts only that coder's codings; ``uncoded`` keeps segments without codes; ``text``
        keeps segments holding every word of it, ignoring case and accents.
        """
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        filters = retrieval.Filters(
            documents=documents, speaker=speaker, attributes=attributes, all_of=list(all_of or []),
            any_of=[*(codes or []), *(any_of or [])], none_of=list(none_of or []), exact=exact,
            coder=coder, uncoded=uncoded, text=text,
        )
        with self.store.reading() as conn:
            filters.documents, keep = _selection(conn, documents)
            rows, keys = retrieval.find(conn, filters)
        rows = [row for row in rows if keep(row["document"], row["segment_id"])]
        columns = ["ref", "document", "segment", "unit", "speaker", "time_start", "start", "end", "text", "segment_id"]
        named = {key: (f"attribute:{key}" if key in columns or key == "codes" else key) for key in keys}
        records = [
            {**{c: row[c] for c in columns}, **{named[k]: row["attributes"].get(k) for k in keys}, "codes": row["codes"]}
            for row in rows
        ]
        return pd.DataFrame(records, columns=[*columns, *named.values(), "codes"])

    # ---- import and segmentation (ingest, segment) ----------------------------------------

    def import_files(self, paths, *, attributes_csv=None, attrs=None, unit: str = "turn", interviewers=(),
                     model: str | None = None, replace: bool = False, include_interviewer: bool = False,
                     layout: str | None = None, progress=None):
        """Import transcripts (files or folders), each file in its own transaction; returns an
        ``ImportReport`` (per file imported / skipped / refused / replaced, and warnings)."""
        from qualcode import importing  # noqa: PLC0415 - the readers load only when importing

        options = importing.Options(unit, tuple(interviewers), model, replace, include_interviewer, layout)
        return importing.import_files(self.store, paths, attributes_csv=attributes_csv, attrs=attrs or (),
                                      options=options, progress=progress)

    def documents(self):
        """Documents as a DataFrame: name, turns, segments, speakers, then one column per attribute."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        from qualcode import importing  # noqa: PLC0415

        with self.store.reading() as conn:
            rows, keys = importing.document_rows(conn)
        return pd.DataFrame(rows, columns=["name", "turns", "segments", "speakers", *keys])

    def transcript(self, name: str):
        """One document for reading: a row per segment (with its ``DOC:N`` ref) and per turn
        that is not a coding unit: turn, speaker, role, time_start, time_end, segment, ref, text."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        from qualcode import importing  # noqa: PLC0415

        with self.store.reading() as conn:
            rows = importing.transcript_rows(conn, name)
        columns = ["turn", "speaker", "role", "time_start", "time_end", "segment", "ref", "text"]
        return pd.DataFrame(rows, columns=columns).astype({"segment": "Int64"})

    # ---- retrieval, quotes, codebook evolution, memos, audit (coding) ---------------------

    def apply_codings(self, source) -> coding.ApplyReport:
        """Apply a codings table (a CSV path or a DataFrame with document, segment, coder, code
        and optional memo): every row is checked first, then all are written in one
        transaction. Rows already in the project change nothing."""
        if hasattr(source, "to_dict"):
            coding.check_columns("the table", source.columns)
            records = [(line, record) for line, record in enumerate(source.fillna("").to_dict(orient="records"), start=2)]
            label = "the table"
        else:
            records, label = coding.read_codings_csv(Path(source)), str(source)
        with self.store.atomic("apply", label, {"rows": len(records)}) as conn:
            return coding.apply_rows(self.store, conn, coding.validate(conn, label, records))

    def codings(self, coder: str | None = None, code: str | None = None):
        """Codings as a DataFrame in the columns ``apply_codings`` takes (document, segment,
        coder, code, memo): reviewed-without-code segments have an empty code, and the coder's
        memos on a segment ride along. ``code`` keeps that code and its sub-codes."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            rows = coding.coding_rows(conn, coder=coder, code_ids=[code] if code else None)
        return pd.DataFrame(rows, columns=list(coding.CODING_COLUMNS))

    def quotes(self, path: str | Path, *, codes=None, attributes: dict[str, str] | None = None,
               coder: str | None = None, memos: bool = False) -> list[quotes_mod.Section]:
        """Write every coded segment under its code to ``path`` (.docx or .csv); returns the sections."""
        with self.store.reading() as conn:
            sections = quotes_mod.collect(conn, code_ids=codes, attributes=attributes, coder=coder, memos=memos)
        filters = [f"{k}={v}" for k, v in (attributes or {}).items()] + ([f"coder {coder}"] if coder else [])
        n_quotes = sum(len(section.quotes) for section in sections)
        subtitle = f"{n_quotes} quotes under {len(sections)} codes" + (f" ({', '.join(filters)})" if filters else "")
        quotes_mod.write(sections, Path(path), subtitle)
        return sections

    def add_code(self, code_id: str, name: str, *, parent: str | None = None, definition: str = "") -> None:
        """Add a code to the project's codebook, at the top or under ``parent``."""
        with self.store.atomic("codes.add", code_id) as conn:
            codebook_edit.add(self.store, conn, code_id, name, parent=parent, definition=definition)

    def rename_code(self, code_id: str, new_name: str) -> str:
        """Rename a code (its id and codings stay); returns the old name."""
        with self.store.atomic("codes.rename", code_id) as conn:
            return codebook_edit.rename(self.store, conn, code_id, new_name)

    def move_code(self, code_id: str, parent: str | None) -> None:
        """Move a code with its sub-codes under ``parent`` (None: to the top)."""
        with self.store.atomic("codes.move", code_id, {"to": parent}) as conn:
            codebook_edit.move(self.store, conn, code_id, parent)

    def merge_codes(self, sources, dest: str) -> dict:
        """Fold ``sources`` into ``dest``, keeping their codings; returns moved/collapsed counts."""
        with self.store.atomic("codes.merge", dest, {"sources": list(sources)}) as conn:
            return codebook_edit.merge(self.store, conn, list(sources), dest)

    def delete_code(self, code_id: str, *, force: bool = False) -> dict:
        """Delete a code; with codings only when ``force`` (they are kept in the audit log)."""
        with self.store.atomic("codes.delete", code_id, {"force": force}) as conn:
            return codebook_edit.delete(self.store, conn, code_id, force=force)

    def memos(self, document: str | None = None, code: str | None = None):
        """Memos as a DataFrame: id, target_type, target, author, created_at, text."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            return pd.DataFrame(memo_mod.memo_rows(conn, document=document, code=code), columns=memo_mod.MEMO_COLUMNS)

    def memo(self, memo_id: int) -> dict:
        with self.store.reading() as conn:
            return memo_mod.memo(conn, memo_id)

    def log(self, coder: str | None = None, since: str | None = None, action: str | None = None):
        """The audit log as a DataFrame (id, at, actor, action, target, detail), oldest first."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            rows = auditlog.entries(conn, coder=coder, since=since, action=action)
        return pd.DataFrame(rows, columns=auditlog.LOG_COLUMNS)
    def worklist(self, documents=None, *, attributes: dict[str, str] | None = None) -> list[worklist_mod.Item]:
        """The segments the keyboard coder walks through (one query), in document order."""
        with self.store.reading() as conn:
            read, keep = _selection(conn, documents)
            return [item for item in worklist_mod.select(conn, read, attributes) if keep(item.document, item.segment_id)]

    def reviewed_segments(self, coder: str) -> set[int]:
        """Ids of the segments ``coder`` has looked at."""
        with self.store.reading() as conn:
            return worklist_mod.reviewed_by(conn, coder)

    def turns(self, document: str) -> list[worklist_mod.Turn]:
        """A document's turns with their text, to show a segment in context."""
        with self.store.reading() as conn:
            return worklist_mod.turns_of(conn, document)

    def segment_state(self, segment_id: int, coder: str, *, others: bool = False) -> worklist_mod.SegmentState:
        """Codings, review mark and memos of one segment, as the coder may see them."""
        with self.store.reading() as conn:
            return worklist_mod.segment_state(conn, segment_id, coder, others)

    # ---- suggestions (suggest) -------------------------------------------------------------

    def suggest(self, documents=None, *, top: int = 3, min_score: float = 0.0, segment_ids=None,
                exclude_from_training=(), progress: Progress = silent):
        """The likeliest codes per segment as a DataFrame: ref, code, score, reasons, source.

        Trains on what human coders reviewed so far (seconds), so it is never stale, leaving out
        the documents named in ``exclude_from_training``; writes nothing. ``progress`` hears of
        the training and the scoring.
        """
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            model = self._fit(conn, progress, exclude_documents=exclude_from_training)
            rows = self._segments_to_score(conn, documents, segment_ids)
        found = self._score(model, rows, progress, top=top, min_score=min_score)
        table = [
            {"ref": row["ref"], "code": s.code, "score": s.score, "reasons": ", ".join(s.reasons), "source": s.source}
            for row, suggestions in zip(rows, found) for s in suggestions
        ]
        return pd.DataFrame(table, columns=["ref", "code", "score", "reasons", "source"])

    def _segments_to_score(self, conn, documents, segment_ids) -> list[dict]:
        read, keep = _selection(conn, documents)
        rows = [row for row in coding.segment_rows(conn, documents_=read) if keep(row["document"], row["segment_id"])]
        if segment_ids is not None:
            wanted = set(segment_ids)
            rows = [row for row in rows if row["segment_id"] in wanted]
        return rows

    @staticmethod
    def _fit(conn, progress: Progress, **options):
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        progress("training the suggester on the reviewed segments", 0, None)
        return suggest_mod.fit_project(conn, **options)[0]

    # Segments scored per batch, so that progress moves on a large project.
    SCORED_PER_BATCH = 2000

    def _score(self, model, rows: list[dict], progress: Progress, **options) -> list:
        texts = [row["text"] for row in rows]
        return [found for batch in batches(progress, "scoring segments", texts, self.SCORED_PER_BATCH)
                for found in model.suggest(batch, **options)]

    def autocode(self, min_score: float = 0.5, coder: str = "model", *, progress: Progress = silent) -> dict:
        """Code every segment with the suggestions scoring ``min_score`` or more, under the model
        coder ``coder`` (origin ``suggestion``), replacing its earlier run; human codings stay."""
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        with self.store.reading() as conn:
            model = self._fit(conn, progress)
            rows = self._segments_to_score(conn, None, None)
        found = self._score(model, rows, progress, top=len(model.classes_), min_score=min_score)
        pairs = [(row["segment_id"], s.code) for row, suggestions in zip(rows, found) for s in suggestions]
        progress(f"writing {len(pairs):,} codings", 0, None)
        with self.store.atomic("autocode", coder, {"min_score": min_score}) as conn:
            report = suggest_mod.write_autocoding(self.store, conn, coder, [row["segment_id"] for row in rows], pairs)
        by_source = dict.fromkeys(("model", "codebook"), 0)
        for suggestions in found:
            for s in suggestions:
                by_source[s.source] += 1
        return {**report, "min_score": min_score, "by_source": by_source}

    def evaluate(self, folds: int = 5, *, min_positives: int = 5, progress: Progress = silent):
        """Grouped cross-validation of the suggester on the human coding (see ``qualcode.evaluation``);
        a code with fewer than ``min_positives`` coded training segments is left to the codebook."""
        from qualcode import evaluation, suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        with self.store.reading() as conn:
            data = suggest_mod.training_set(conn)
            cues = suggest_mod.code_cues(codebook_mod.from_store(conn))
        estimator = suggest_mod.SegmentSuggester(codes=cues, min_positives=min_positives)
        return evaluation.evaluate(estimator, data, folds=folds, progress=progress)

    def uncertain_order(self, segment_ids) -> list[int]:
        """``segment_ids`` with those the model is least sure about first, for active learning."""
        return self.suggester().order(segment_ids)

    def suggester(self):
        """The suggester of this session for the terminal coder: trained on first use, kept in
        memory; call its ``retrain()`` (from a worker thread if you like) after new codings."""
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        if getattr(self, "_suggester", None) is None:
            self._suggester = suggest_mod.ProjectSuggester(self.store)
        return self._suggester

    # ---- agreement, consensus, merging coders' copies (agreement) --------------------------

    def _units(self, conn, coders_: list[str] | None, attributes: dict[str, str] | None = None):
        """The chosen coders, the unit table (segments x coders) and the segment rows it covers."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        names = agreement_mod.choose_coders(conn, coders_)
        rows = coding.segment_rows(conn, attributes=attributes)
        ids = [row["segment_id"] for row in rows] if attributes else None
        return names, agreement_mod.unit_table(agreement_mod.read_codings(conn, names, ids), names), rows

    def agreement(self, coders: list[str] | None = None, codes: list[str] | None = None, *, exact: bool = False,
                  attributes: dict[str, str] | None = None, draws: int | None = None) -> agreement_mod.Agreement:
        """Agreement between coders per code, per exclusive group and overall; segments are the
        units and a segment a coder did not review is missing for that coder."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        with self.store.reading() as conn:
            _, units, _ = self._units(conn, coders, attributes)
            code_ids = coding.check_codes(conn, codes) if codes else None
        tree = self.codes()
        return agreement_mod.measure(units, tree, code_ids or list(tree["id"]), exact=exact, draws=draws or agreement_mod.DRAWS)

    def disagreements(self, coders: list[str] | None = None, code: str | None = None, *, exact: bool = False):
        """Segments two coders reviewed with different codes (or, with ``code``, disagreeing on
        that code): ref, text, then per coder the sorted list of codes (None if not reviewed)."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - numpy loads only when measuring

        with self.store.reading() as conn:
            names, units, rows = self._units(conn, coders)
            if code:
                coding.check_codes(conn, [code])
        members = None
        if code:
            members = {code} if exact else agreement_mod.subtree(self.codes())[code]
        found = agreement_mod.disagreements(units, members)
        by_id = {row["segment_id"]: row for row in rows}
        table = [
            {"ref": by_id[segment_id]["ref"], "text": by_id[segment_id]["text"],
             **{name: None if codes_ is None else sorted(codes_) for name, codes_ in row.items()}}
            for segment_id, row in found.iterrows()
        ]
        return pd.DataFrame(table, columns=["ref", "text", *names])

    def consensus(self, rule: str, *, into: str = "consensus", coders: list[str] | None = None) -> dict[str, int]:
        """Write coder ``into`` (kind consensus) by a rule over the coders' codes, in one
        transaction; rerunning replaces its codings with the same result."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        with self.store.atomic("consensus", into, {"rule": rule, "coders": coders}) as conn:
            names, units, _ = self._units(conn, coders)
            if into in names:
                raise BadInput(f"coder {into!r} cannot be both compared and the consensus; pass --coders without it")
            decided = agreement_mod.consensus(units, rule)
            return agreement_mod.write_codes(self.store, conn, into, decided, origin="import", replace_all=True)

    def adjudicate(self, ref: str, codes: list[str], *, into: str = "consensus") -> dict[str, int]:
        """Set the consensus codes of segment ``DOC:N`` to exactly ``codes`` (an adjudicator's decision)."""
        from qualcode import agreement as agreement_mod  # noqa: PLC0415 - pandas and numpy load only when measuring

        with self.store.atomic("adjudicate", ref, {"into": into, "codes": sorted(codes)}) as conn:
            segment_id = coding.resolve_segment(conn, ref)
            coding.check_codes(conn, codes)
            return agreement_mod.write_codes(self.store, conn, into, {segment_id: frozenset(codes)},
                                             origin="manual", replace_all=False)

    def merge(self, other_path: str | Path) -> dict[str, int]:
        """Bring another copy's coders, review marks, codings and memos into this project."""
        from qualcode import merge as merge_mod  # noqa: PLC0415 - only merging needs it

        other = Store.open(resolve_project_path(Path(other_path)))
        try:
            with self.store.atomic("merge", str(other_path)) as conn:
                return merge_mod.merge(self.store, conn, other, str(other_path))
        finally:
            other.close()

    # ---- matrices and survey export (matrices, export) -------------------------------------

    def matrix(self, *, rows: str = "document", codes="top", value: str = "count", coder: str | None = None,
               attrs: dict[str, str] | None = None, attributes: bool = False):
        """Respondents (or attribute values) x codes as a DataFrame; ``.attrs["qualcode"]`` states the
        coding rule. Options as in :func:`qualcode.matrices.matrix`."""
        from qualcode import matrices  # noqa: PLC0415 - pandas loads only for table-returning calls

        with self.store.reading() as conn:
            return matrices.matrix(conn, rows=rows, codes=codes, value=value, coder=coder, attrs=attrs,
                                   attributes=attributes)

    def cooccurrence(self, *, within: str = "segment", measure: str = "count", codes="top",
                     coder: str | None = None, attrs: dict[str, str] | None = None):
        """Code x code co-occurrence within segments, turns or documents, as a DataFrame."""
        from qualcode import matrices  # noqa: PLC0415 - pandas loads only for table-returning calls

        with self.store.reading() as conn:
            return matrices.cooccurrence(conn, within=within, measure=measure, codes=codes, coder=coder, attrs=attrs)

    def framework(self, *, codes="top", quotes: int = 3, coder: str | None = None,
                  attrs: dict[str, str] | None = None):
        """Respondents x themes, each cell up to ``quotes`` coded passages with their memos."""
        from qualcode import matrices  # noqa: PLC0415 - pandas loads only for table-returning calls

        with self.store.reading() as conn:
            return matrices.framework(conn, codes=codes, quotes=quotes, coder=coder, attrs=attrs)

    def export_matrix(self, out: str | Path, frame=None, **options) -> list[Path]:
        """Write ``frame`` (default: ``matrix(attributes=True, **options)``) to ``out`` by its suffix,
        with a data dictionary beside it; returns the files written."""
        from qualcode import export  # noqa: PLC0415 - pandas and the file writers load only here

        kind = frame.attrs.get("qualcode", {}).get("kind", "matrix") if frame is not None else "matrix"
        out = export.check_out(out, kind)
        if frame is None:
            options.setdefault("attributes", True)
            frame = self.matrix(**options)
        return export.write(frame, out)

    # ---- REFI-QDA exchange (interop) -------------------------------------------------------

    def export_refi_codebook(self, path: str | Path) -> dict:
        """Write the codebook as a REFI-QDA ``.qdc`` file other QDA programs load."""
        from qualcode import interop  # noqa: PLC0415 - lxml loads only for REFI-QDA work

        return interop.export_codebook(self, path)

    def export_refi_project(self, path: str | Path) -> dict:
        """Write the whole project as a REFI-QDA ``.qdpx`` archive, validated against the schemas."""
        from qualcode import interop  # noqa: PLC0415

        return interop.export_project(self, path)

    def import_refi(self, path: str | Path):
        """Import a REFI-QDA codebook (``.qdc``) or project (``.qdpx``); returns the import report."""
        from qualcode import interop  # noqa: PLC0415

        suffix = Path(path).suffix.lower()
        if suffix == ".qdc":
            return interop.import_codebook(self, path)
        if suffix == ".qdpx":
            return interop.import_project(self, path)
        raise BadInput(f"{path}: not a REFI-QDA file; give a .qdc codebook or a .qdpx project")

    # ---- overview ------------------------------------------------------------------------

    def status(self) -> dict:
        """Counts a researcher checks first: documents, segments, codes, codings per coder."""
        with self.store.reading() as conn:
            n_segments = conn.execute(sa.select(sa.func.count()).select_from(segments)).scalar()
            per_coder = {}
            for name in conn.execute(sa.select(coders.c.name).order_by(coders.c.name)).scalars():
                n_codings = conn.execute(
                    sa.select(sa.func.count()).select_from(codings).where(codings.c.coder == name)
                ).scalar()
                n_reviewed = conn.execute(
                    sa.select(sa.func.count()).select_from(reviews).where(reviews.c.coder == name)
                ).scalar()
                per_coder[name] = {
                    "codings": n_codings,
                    "reviewed": n_reviewed,
                    "share_reviewed": round(n_reviewed / n_segments, 4) if n_segments else None,
                }
            return {
                "project": str(self.path),
                "documents": conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar(),
                "segments": n_segments,
                "codes": conn.execute(sa.select(sa.func.count()).select_from(codes)).scalar(),
                "codings": conn.execute(sa.select(sa.func.count()).select_from(codings)).scalar(),
                "coders": per_coder,
                "codebook": {
                    "title": self.store.get_meta(conn, "codebook.title") or "",
                    "version": self.store.get_meta(conn, "codebook.version") or "",
                },
            }
