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

from qualcode import codebook as codebook_mod
from qualcode import coding
from qualcode.errors import BadInput, ProjectNotFound, UnknownItem
from qualcode.store import PROJECT_FILE, Store, codes, coders, codings, default_actor, documents, reviews, segments

PROJECT_ENV = "QUALCODE_PROJECT"
CODER_ENV = "QUALCODE_CODER"


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
        """The coder for a write; an error that says how to name one if nobody is known."""
        name = self.coder(explicit)
        if not name:
            raise BadInput(f"no coder named: pass --coder NAME, or set {CODER_ENV}=NAME")
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

    def segments(self, documents=None, *, speaker: str | None = None, attributes: dict[str, str] | None = None):
        """Segments as a DataFrame: ref, document, segment, unit, speaker, time_start, text, ..."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            rows = coding.segment_rows(conn, documents_=documents, speaker=speaker, attributes=attributes)
        columns = ["ref", "document", "segment", "unit", "speaker", "time_start", "start", "end", "text", "segment_id"]
        return pd.DataFrame(rows, columns=columns)

    # ---- import and segmentation (ingest, segment) ----------------------------------------

    # ---- retrieval, quotes, codebook evolution, memos, audit (coding) ---------------------

    # ---- suggestions (suggest) -------------------------------------------------------------

    def suggest(self, documents=None, *, top: int = 3, min_score: float = 0.0, segment_ids=None,
                exclude_from_training=()):
        """The likeliest codes per segment as a DataFrame: ref, code, score, reasons, source.

        Trains on what human coders reviewed so far (seconds), so it is never stale, leaving out
        the documents named in ``exclude_from_training``; writes nothing.
        """
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        with self.store.reading() as conn:
            model, _ = suggest_mod.fit_project(conn, exclude_documents=exclude_from_training)
            rows = self._segments_to_score(conn, documents, segment_ids)
        found = model.suggest([row["text"] for row in rows], top=top, min_score=min_score)
        table = [
            {"ref": row["ref"], "code": s.code, "score": s.score, "reasons": ", ".join(s.reasons), "source": s.source}
            for row, suggestions in zip(rows, found) for s in suggestions
        ]
        return pd.DataFrame(table, columns=["ref", "code", "score", "reasons", "source"])

    def _segments_to_score(self, conn, documents, segment_ids) -> list[dict]:
        rows = coding.segment_rows(conn, documents_=documents)
        if segment_ids is not None:
            wanted = set(segment_ids)
            rows = [row for row in rows if row["segment_id"] in wanted]
        return rows

    def autocode(self, min_score: float = 0.5, coder: str = "model") -> dict:
        """Code every segment with the suggestions scoring ``min_score`` or more, under the model
        coder ``coder`` (origin ``suggestion``), replacing its earlier run; human codings stay."""
        from qualcode import suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        with self.store.reading() as conn:
            model, _ = suggest_mod.fit_project(conn)
            rows = self._segments_to_score(conn, None, None)
        found = model.suggest([row["text"] for row in rows], top=len(model.classes_), min_score=min_score)
        pairs = [(row["segment_id"], s.code) for row, suggestions in zip(rows, found) for s in suggestions]
        with self.store.atomic("autocode", coder, {"min_score": min_score}) as conn:
            report = suggest_mod.write_autocoding(self.store, conn, coder, [row["segment_id"] for row in rows], pairs)
        by_source = dict.fromkeys(("model", "codebook"), 0)
        for suggestions in found:
            for s in suggestions:
                by_source[s.source] += 1
        return {**report, "min_score": min_score, "by_source": by_source}

    def evaluate(self, folds: int = 5, *, min_positives: int = 5):
        """Grouped cross-validation of the suggester on the human coding (see ``qualcode.evaluation``);
        a code with fewer than ``min_positives`` coded training segments is left to the codebook."""
        from qualcode import evaluation, suggest as suggest_mod  # noqa: PLC0415 - loads scikit-learn and spaCy

        with self.store.reading() as conn:
            data = suggest_mod.training_set(conn)
            cues = suggest_mod.code_cues(codebook_mod.from_store(conn))
        return evaluation.evaluate(suggest_mod.SegmentSuggester(codes=cues, min_positives=min_positives), data, folds=folds)

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

    # ---- matrices and survey export (matrices, export) -------------------------------------

    # ---- REFI-QDA exchange (interop) -------------------------------------------------------

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
