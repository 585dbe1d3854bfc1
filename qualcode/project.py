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

import os
from pathlib import Path

from qualcode import codebook as codebook_mod
from qualcode.errors import BadInput, ProjectNotFound
from qualcode.project_analysis import AnalysisMethods
from qualcode.project_coding import CodingMethods
from qualcode.project_corpus import CorpusMethods
from qualcode.project_team import TeamMethods
from qualcode.store import PROJECT_FILE, Store
from qualcode.store import codebook as store_codebook
from qualcode.store import coding as store_coding
from qualcode.store import log as store_log
from qualcode.store.transcript import segmentation_unit

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


class Project(CorpusMethods, CodingMethods, AnalysisMethods, TeamMethods):
    """An open qualcode project (one SQLite file)."""

    def __init__(self, path: str | Path | None = None, *, coder: str | None = None, on_wait=None,
                 accept_break: bool = False):
        """``on_wait`` is called once when a write has waited a second for another writer's lock;
        ``accept_break`` lets writes go on after a broken audit chain, recording the break."""
        self.path = resolve_project_path(Path(path)) if path else find_project()
        self._coder = coder
        self._suggester = None
        self.store = Store.open(self.path, on_wait=on_wait, accept_break=accept_break)
        self.store.actor = self.coder()

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
            store = Store.create(target, actor=os.environ.get(CODER_ENV) or None)
            if book is not None:
                with store.atomic("codebook.load", str(codebook)) as conn:
                    store_codebook.load_codebook(store, conn, book, str(codebook))
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
        self.store.actor = name
        with self.store.atomic("coder.remember", name) as conn:
            self.store.ensure_coder(conn, name)
            self.store.set_meta(conn, "default_coder", name)

    def coders(self) -> list[str]:
        with self.store.reading() as conn:
            return store_coding.coder_names(conn)

    def require_coder(self, explicit: str | None = None) -> str:
        """The coder for a write, who is then also the actor of its audit entries; an error that
        says how to name one if nobody is known."""
        name = self.coder(explicit)
        if not name:
            raise BadInput(f"no coder named: pass --coder NAME, or set {CODER_ENV}=NAME")
        self.store.actor = name
        return name

    # ---- codebook ------------------------------------------------------------------------

    def load_codebook(self, path: str | Path) -> codebook_mod.LoadReport:
        """Add and update codes from a codebook file by id; codings are never touched."""
        book = codebook_mod.read(Path(path))
        with self.store.atomic("codebook.load", str(path)) as conn:
            report = store_codebook.load_codebook(self.store, conn, book, str(path))
        report.warnings = book.warnings
        return report

    def codebook(self) -> codebook_mod.Codebook:
        with self.store.reading() as conn:
            return store_codebook.read_codebook(conn)

    def codes(self):
        """The codes as a DataFrame in tree order: id, parent_id, depth, name, label, colour,
        exclusive, codable, source, codings."""
        import pandas as pd  # noqa: PLC0415 - heavy; only table-returning calls need it

        with self.store.reading() as conn:
            book = store_codebook.read_codebook(conn)
            counts = store_coding.codings_per_code(conn)
        rows = [
            {
                "id": code.id,
                "parent_id": parent,
                "depth": depth,
                "name": code.name,
                "label": code.label,
                "color": code.color,
                "exclusive": code.exclusive,
                "codable": code.codable,
                "source": code.source,
                "codings": counts.get(code.id, 0),
            }
            for code, parent, depth in book.walk()
        ]
        columns = ["id", "parent_id", "depth", "name", "label", "color", "exclusive", "codable", "source", "codings"]
        return pd.DataFrame(rows, columns=columns)

    # ---- overview ------------------------------------------------------------------------

    def unit(self) -> str | None:
        """The project's coding unit (turn, sentence or paragraph), set by its first import."""
        with self.store.reading() as conn:
            return segmentation_unit(conn)

    def status(self) -> dict:
        """Counts a researcher checks first: documents, segments, codes, codings per coder (with
        those from accepted suggestions), codings that break an exclusive group, and the audit
        chain head, which names this state of the project in a report."""
        with self.store.reading() as conn:
            counts = store_coding.project_counts(conn)
            head = store_log.chain_head(conn)
            title = self.store.get_meta(conn, "codebook.title") or ""
            version = self.store.get_meta(conn, "codebook.version") or ""
        n_segments = counts["segments"]
        return {
            "project": str(self.path),
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
        }
