"""The demo: the whole pipeline on the bundled codebook and fictional interviews, offline.

``run_demo(directory, report)`` builds a fresh project in ``directory`` and calls
``report(step, detail)`` after each stage, so the CLI can print progress; the library itself
prints nothing. The demo is a tested path (``tests/test_demo.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from qualcode.errors import BadInput
from qualcode.project import Project
from qualcode.store import PROJECT_FILE

DEMO_MARKER = ".qualcode-demo"
CODEBOOK = "codebooks/professioneel-handelen.yaml"
TRANSCRIPTS = "transcripts"
# The Teams, WebVTT, Word Transcribe and Otter samples label the interviewer by name or number.
DEMO_INTERVIEWERS = ("Eva Jansen", "Tom de Graaf", "Spreker 1", "Lisa Vermeulen")


def bundled(relative: str) -> Path:
    """A file shipped with qualcode: beside the package in a checkout, or in the working folder."""
    for base in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (base / relative).exists():
            return base / relative
    raise BadInput(f"cannot find the bundled {relative}; run the demo from a qualcode checkout")


def _prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / DEMO_MARKER).exists():
            raise BadInput(f"{directory}: folder is not empty and not an earlier demo; give another folder, e.g. 'qualcode demo /tmp/qualcode-demo'")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DEMO_MARKER).write_text("made by 'qualcode demo'; safe to delete\n", encoding="utf-8")


def _import_interviews(project: Project, report: Callable[[str, str], None]) -> None:
    folder = bundled(TRANSCRIPTS)
    result = project.import_files([folder], attributes_csv=folder / "cases.csv", interviewers=DEMO_INTERVIEWERS)
    if result.failed:
        raise BadInput(next(f.message for f in result.files if f.status == "refused"))
    per_role = project.documents().groupby("role").agg(documents=("name", "size"), segments=("segments", "sum"))
    report(
        "2. import the fictional interviews",
        f"{result.summary()} from {TRANSCRIPTS}/, attributes from {TRANSCRIPTS}/cases.csv; respondent turns are the segments:\n"
        + "\n".join(f"   {role:<13} {row.documents} interviews  {row.segments:>3} segments" for role, row in per_role.iterrows()),
    )


def run_demo(directory: str | Path, report: Callable[[str, str], None]) -> Path:
    """Build the demo project in ``directory`` and return the project file's path."""
    directory = Path(directory)
    _prepare(directory)
    codebook = bundled(CODEBOOK)
    with Project.init(directory, codebook=codebook) as project:
        top = project.codes().query("depth == 0")
        report(
            "1. project and codebook",
            f"created {directory / PROJECT_FILE} with {len(project.codebook().ids())} codes from {CODEBOOK}:\n"
            + "\n".join(f"   {row.id:<5} {row.name}" for row in top.itertuples()),
        )
        # 2. import the fictional interviews (issue 3)
        _import_interviews(project, report)

        # 3. apply the reference coding of two coders (issues 4, 5)

        # 4. agreement between the coders (issue 6)

        # 5. suggestions and their measured quality (issue 5)

        # 6. theme matrices for the survey pipeline (issue 7)

        # 7. REFI-QDA export for other QDA tools (issue 8)

    report("done", f"the demo project is in {directory}; try: cd {directory} && qualcode status")
    return directory / PROJECT_FILE
