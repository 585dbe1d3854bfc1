"""The demo: the whole pipeline on the bundled codebook and fictional interviews, offline.

``run_demo(directory, report)`` builds a fresh project in ``directory`` and calls
``report(step, detail)`` after each stage, so the CLI can print progress; the library itself
prints nothing. The demo is a tested path (``tests/test_demo.py``).
"""

from __future__ import annotations

import csv
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


HELD_OUT = "km-veenstad-01"
REFERENCE_CODING = "transcripts/reference-coding.csv"


def reference_codes(document: str) -> dict[int, set[str]]:
    """Segment number -> the codes the reference coders gave it (union over coders)."""
    codes: dict[int, set[str]] = {}
    with bundled(REFERENCE_CODING).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["document"] == document:
                codes.setdefault(int(row["segment"]), set()).update([row["code"]] if row["code"] else [])
    return codes


def suggestions_step(project: Project, shown: int = 4) -> str:
    """Suggestions for one interview the model did not train on, beside the reference coding,
    then grouped cross-validation on all of them. Every sample interview is coded, so one is
    held out of training to play the uncoded interview."""
    if HELD_OUT not in set(project.segments()["document"]):
        return f"skipped: {HELD_OUT} is not in the project"
    table = project.suggest([HELD_OUT], top=3, exclude_from_training=[HELD_OUT])
    reference = reference_codes(HELD_OUT)
    lines = [f"trained on the other interviews; top 3 suggestions for {HELD_OUT} beside the reference codes:"]
    hits = coded = 0
    for ref, rows in table.groupby("ref", sort=False):
        truth = reference.get(int(ref.rsplit(":", 1)[1]), set())
        if truth:
            coded += 1
            hits += bool(truth & set(rows.code))
        if len(lines) <= shown:
            suggested = "; ".join(f"{r.code} {r.score:.2f} ({r.reasons})" for r in rows.itertuples())
            lines.append(f"   {ref}: {suggested}\n      reference: {', '.join(sorted(truth)) or '(no code)'}")
    lines.append(f"   a reference code among the top 3 for {hits} of {coded} coded segments of {HELD_OUT}")
    try:
        result = project.evaluate(folds=5)
    except NotEnoughData as exc:
        return "\n".join([*lines, f"evaluation: {exc}"])
    lines.append(
        f"grouped 5-fold cross-validation over {result.documents} interviews: micro F1 {result.micro['f1']:.2f}, "
        f"macro F1 {result.macro['f1']:.2f}, hit@3 {result.hit_at_3:.2f}; see 'qualcode evaluate'"
    )
    return "\n".join(lines)


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
        report("5. suggestions and their measured quality", suggestions_step(project))

        # 6. theme matrices for the survey pipeline (issue 7)

        # 7. REFI-QDA export for other QDA tools (issue 8)

    report("done", f"the demo project is in {directory}; try: cd {directory} && qualcode status")
    return directory / PROJECT_FILE
