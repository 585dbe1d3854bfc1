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

from qualcode.errors import BadInput
from qualcode.project import Project

DEMO_MARKER = ".qualcode-demo"
CODEBOOK = "codebooks/professioneel-handelen.yaml"
REFERENCE_CODING = "transcripts/reference-coding.csv"
HELD_OUT = "km-veenstad-01"
TRANSCRIPTS = "transcripts"
SURVEY = "survey/klantmanagers.sav"


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


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _summary_row(row: dict) -> str:
    ci = "n/a" if row["alpha_ci"] is None else f"{row['alpha_ci'][0]:.2f}..{row['alpha_ci'][1]:.2f}"
    agree = "n/a" if row["percent_agreement"] is None else format(row["percent_agreement"], ".0%")
    return (f"   {row['code']:<5} {_figure(row['alpha']):>6} {ci:>13} {_figure(row['kappa']):>6} "
            f"{_figure(row['ac1']):>6} {agree:>6} {row['n_units']:>4}")


def agreement_summary(result) -> str:
    """A compact agreement table for the demo: overall alpha, then one line per code and group."""
    data = result.to_dict()
    lines = [
        f"   unit: segment; {result.n_segments} segments; a segment a coder did not review is missing, not 'absent'",
        f"   overall alpha (pooled) {_figure(data['overall']['alpha_pooled'])}, "
        f"mean of per-code alphas {_figure(data['overall']['alpha_mean'])}",
        f"   {'code':<5} {'alpha':>6} {'95% CI':>13} {'kappa':>6} {'AC1':>6} {'agree':>6} {'n':>4}",
    ]
    for row in data["codes"]:
        lines.append(_summary_row(row))
    lines += [_summary_row(row) + "  (exclusive group)" for row in data["groups"]]
    lines.append("   full table: qualcode agreement --coders anna,bram; differences: qualcode disagreements")
    return "\n".join(lines)


def _import_interviews(project: Project, report: Callable[[str, str], None]) -> None:
    folder = bundled(TRANSCRIPTS)
    # As the README imports them: cases.csv names each sample's interviewer label (Teams, WebVTT, Otter ...).
    result = project.import_files([folder], attributes_csv=folder / "cases.csv")
    if result.failed:
        raise BadInput(next(f.message for f in result.files if f.status == "refused"))
    per_role = project.documents().groupby("role").agg(documents=("name", "size"), segments=("segments", "sum"))
    report(
        "2. import the fictional interviews",
        f"{result.summary()} from {TRANSCRIPTS}/, attributes from {TRANSCRIPTS}/cases.csv; respondent turns are the segments:\n"
        + "\n".join(f"   {role:<13} {row.documents} interviews  {row.segments:>3} segments" for role, row in per_role.iterrows()),
    )


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
        + f"   each with its data dictionary ({written[0].name}.dictionary.csv and .json); "
        + f"{written[-1].name}.R and .do load it in R and Stata\n"
        + f"   respondents per code: {found}"
    )


def survey_step(project: Project, folder: Path) -> str:
    """Join the dimensions onto the fictional klantmanager survey and write a joint display."""
    from qualcode import survey  # noqa: PLC0415 - pandas and pyreadstat load only here

    source = bundled(SURVEY)
    joined = project.join_survey(source, folder / "themes-survey.sav", codes="top", value="presence")
    table = project.joint_display(source, by="workload", codes=["KV", "KG", "WG", "ROL"])
    survey.write_joint_display(table, table.attrs["qualcode"]["labels"], survey.display_notes(table),
                               folder / "joint-display.xlsx")
    return (
        f"joined the dimensions onto {SURVEY} (fictional, {len(joined.data)} klantmanagers):\n"
        f"   {folder / 'themes-survey.sav'}: {int(joined.data['qc_interviewed'].sum())} survey respondents interviewed; "
        f"{len(joined.survey_only)} not interviewed\n"
        f"   interviewed but not in the survey: {', '.join(joined.interview_only)} "
        f"(listed in themes-survey.sav.unmatched.csv)\n"
        f"   joint display of 4 themes by workload: {folder / 'joint-display.xlsx'}\n"
        "   clients and managers are not in the survey: compare them by municipality with "
        "'qualcode matrix --rows municipality'"
    )


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
    result = project.evaluate(folds=5, learning_curve=False)
    lines.append(
        f"grouped 5-fold cross-validation over {result.documents} interviews: micro F1 {result.micro['f1']:.2f}, "
        f"macro F1 {result.macro['f1']:.2f}, hit@3 {result.hit_at_3:.2f}; see 'qualcode evaluate'"
    )
    return "\n".join(lines)


def run_demo(directory: str | Path, report: Callable[[str, str], None]) -> Path:
    """Build the demo project in ``directory`` and return the project's file."""
    directory = Path(directory)
    _prepare(directory)
    codebook = bundled(CODEBOOK)
    with Project.init(directory, codebook=codebook) as project:
        made = project.path
        top = project.codes().query("depth == 0")
        report(
            "1. project and codebook",
            f"created {project.location} with {len(project.codebook().ids())} codes from {CODEBOOK}:\n"
            + "\n".join(f"   {row.id:<5} {row.name}" for row in top.itertuples()),
        )
        # 2. import the fictional interviews (issue 3)
        _import_interviews(project, report)

        # 3. apply the reference coding of two coders (issues 4, 5)
        applied = project.apply_codings(bundled(REFERENCE_CODING))
        coders = project.status()["coders"]
        report(
            "3. reference coding of two coders",
            f"applied {REFERENCE_CODING}: {applied.rows} rows, {applied.codings_added} codings\n"
            + "\n".join(
                f"   {name:<5} {info['codings']} codings, {info['reviewed']} segments reviewed"
                for name, info in coders.items()
            ),
        )

        # 4. agreement between the coders (issue 6)
        dimensions = list(top["id"].iloc[:9])
        report("4. agreement between anna and bram", agreement_summary(project.agreement(["anna", "bram"], [*dimensions, "ROL"])))

        # 5. suggestions and their measured quality (issue 5)
        report("5. suggestions and their measured quality", suggestions_step(project))

        # 6. theme matrices for the survey pipeline (issue 7); 6b. joined onto a survey file (issue 16)
        report("6. theme matrices for the survey pipeline", export_theme_matrices(project, directory / "exports"))
        report("6b. the themes meet the survey", survey_step(project, directory / "exports"))

        # 7. REFI-QDA export for other QDA tools (issue 8)
        exports = directory / "exports"
        book = project.export_refi_codebook(exports / "demo.qdc")
        counts = project.export_refi_project(exports / "demo.qdpx")
        report(
            "7. REFI-QDA export for other QDA tools",
            f"wrote {exports / 'demo.qdpx'} ({counts['documents']} documents, {counts['codes']} codes, "
            f"{counts['codings']} codings, {counts['users']} coders, {counts['memos']} memos) and "
            f"{exports / 'demo.qdc'} ({book['codes']} codes), both valid against the REFI-QDA schemas;\n"
            f"   open them in ATLAS.ti, NVivo, MAXQDA, QualCoder or Taguette",
        )

        # 8. the methods report (issue 20), without the slow cross-validation
        from qualcode import report_write  # noqa: PLC0415 - matplotlib loads only for the report

        methods = project.report(evaluate=False)
        written = report_write.write(methods, directory / "report.html")
        report(
            "8. the methods report",
            f"wrote {written} ({len(methods.figures)} figures, no external requests): corpus, codebook, coding, "
            f"agreement, themes, software and a methods paragraph to paste; open it in a browser.\n"
            f"   with the suggestion quality, or in Dutch or Word: qualcode report --lang nl --out report.docx",
        )

    report("done", f"the demo project is in {directory}; try: cd {directory} && qualcode status")
    return made
