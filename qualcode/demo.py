"""The demo: the whole pipeline on the bundled codebook and fictional interviews, offline.

``run_demo(directory, report)`` builds a fresh project in ``directory`` and calls
``report(step, detail)`` after each stage, so the CLI can print progress; the library itself
prints nothing. The demo is a tested path (``tests/test_demo.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from qualcode.errors import BadInput, NotEnoughData
from qualcode.project import Project
from qualcode.store import PROJECT_FILE

DEMO_MARKER = ".qualcode-demo"
CODEBOOK = "codebooks/professioneel-handelen.yaml"


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


def export_theme_matrices(project: Project, folder: Path) -> str:
    """Write the respondent x dimension matrix as .csv, .xlsx and .sav into ``folder``; say where."""
    themes = project.matrix(codes="top", value="presence")
    folder.mkdir(parents=True, exist_ok=True)
    written = [project.export_matrix(folder / f"dimensions{suffix}", codes="top")[0] for suffix in (".csv", ".xlsx", ".sav")]
    found = ", ".join(f"{code} {n}" for code, n in themes.sum().items())
    return (
        f"respondent x dimension matrix, {len(themes)} respondents x {len(themes.columns)} top-level codes "
        f"(coding rule: {themes.attrs['qualcode']['coding_rule']}):\n"
        + "".join(f"   {path}\n" for path in written)
        + f"   data dictionary: {folder / 'dimensions.dictionary.csv'} and .json\n"
        + f"   respondents per code: {found}"
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

        # 3. apply the reference coding of two coders (issues 4, 5)

        # 4. agreement between the coders (issue 6)

        # 5. suggestions and their measured quality (issue 5)

        # 6. theme matrices for the survey pipeline (issue 7)
        try:
            matrices = export_theme_matrices(project, directory / "exports")
        except NotEnoughData as exc:
            matrices = f"skipped: {exc}"
        report("6. theme matrices for the survey pipeline", matrices)

        # 7. REFI-QDA export for other QDA tools (issue 8)

    report("done", f"the demo project is in {directory}; try: cd {directory} && qualcode status")
    return directory / PROJECT_FILE
