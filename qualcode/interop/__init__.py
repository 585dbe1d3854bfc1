"""REFI-QDA exchange with ATLAS.ti, NVivo, MAXQDA, QualCoder and Taguette.

Export writes strictly (``.qdc`` codebooks, ``.qdpx`` projects, validated against the official
schemas shipped in ``qualcode/data/refi-qda``); import reads leniently what those programs
actually write and reports everything it could not carry. Example::

    >>> from qualcode import Project, interop                          # doctest: +SKIP
    >>> interop.export_project(Project("study"), "study.qdpx")
    >>> interop.import_project(Project.init("copy"), "study.qdpx").counts

The parts: :mod:`~qualcode.interop.schema` (XML, schemas, GUIDs), :mod:`~qualcode.interop.export`,
:mod:`~qualcode.interop.archive` (safe zip reading), :mod:`~qualcode.interop.offsets` (selection
positions), :mod:`~qualcode.interop.reader` (files to structures), :mod:`~qualcode.interop.codes`
(the code merge rule), :mod:`~qualcode.interop.load` (structures into the project) and
:mod:`~qualcode.interop.sidecar` (qualcode's own data in the archive, for an exact round trip).
"""

from __future__ import annotations

from pathlib import Path

from qualcode.interop import export, load, reader, sidecar
from qualcode.interop.load import ImportReport
from qualcode.progress import Progress, silent
from qualcode.store.exchange import is_empty

FALLBACK_CODER = "refi-import"


def export_codebook(project, path: str | Path) -> dict:
    """Write the project's codebook as a REFI-QDA ``.qdc`` file; returns ``{"codes": n}``."""
    return export.export_codebook(project.store, Path(path))


def export_project(project, path: str | Path, progress: Progress = silent) -> dict:
    """Write the project as a REFI-QDA ``.qdpx`` archive; returns counts of what it holds."""
    return export.export_project(project.store, Path(path), project.name, progress)


def import_codebook(project, path: str | Path) -> ImportReport:
    """Merge the codes of a ``.qdc`` file into the project's codebook, in one transaction."""
    codes, skipped = reader.read_codebook(Path(path))
    with project.store.atomic("refi.import.codebook", str(path)) as conn:
        return load.load_codebook(project.store, conn, codes, str(path), skipped)


def import_project(project, path: str | Path, progress: Progress = silent) -> ImportReport:
    """Add a ``.qdpx`` project's sources, codes, coders, codings, attributes and memos; a
    qualcode export read into a new project gives the same project (:mod:`~qualcode.interop.sidecar`).
    ``progress`` hears of the sources read, then of the writing."""
    refi = reader.read_project(Path(path), progress)
    progress(f"writing {len(refi.sources):,} documents into the project", 0, None)
    with project.store.atomic("refi.import.project", str(path)) as conn:
        data, why_not = sidecar.check(refi, is_empty(conn))
        if data is not None:
            return sidecar.load(project.store, conn, data, refi, str(path))
        if why_not:
            refi.decisions.append(why_not)
        return load.load_project(project.store, conn, refi, str(path), project.coder() or FALLBACK_CODER)
