"""The methods report: numbers from the same functions as the commands, a self-contained HTML file
that a real browser renders without errors or requests, and a Word file with the same sections."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import CODEBOOK, REPO, TRANSCRIPTS, copy_project
from lxml import html as lxml_html

from qualcode import Project
from qualcode.location import SERVER_FILE
from qualcode.report import STAGES
from qualcode.report_write import sections, write
from qualcode.store import PROJECT_FILE

HOSTILE = 'Kennis <script>alert("x")</script> & <img src="http://127.0.0.1:9/leak.png">'
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def study(backend, tmp_path_factory):
    """The demo's interviews and reference coding, a renamed code (hostile name, for the history
    and the escaping), and one coding accepted from a suggestion."""
    folder = tmp_path_factory.mktemp("report") / "study"
    with Project.init(folder, codebook=CODEBOOK) as project:
        project.import_files([TRANSCRIPTS], attributes_csv=TRANSCRIPTS / "cases.csv")
        project.apply_codings(REPO / "transcripts" / "reference-coding.csv")
        project.rename_code("KV-OPL", HOSTILE)
        project.tag("cl-maasdelta-01:1", ["SW-EXT"], coder="anna", origin="suggestion")
    return folder


@pytest.fixture(scope="module")
def five_interviews(study, tmp_path_factory):
    """A copy of the study with five of its interviews, one of each role among them: enough for
    five folds by document, at about half the cross-validation's cost on all eleven."""
    found = next(path for path in (study / PROJECT_FILE, study / SERVER_FILE) if path.exists())
    folder = tmp_path_factory.mktemp("five") / "study"
    copy_project(found, folder)
    with Project(folder) as project:
        for name in ("cl-maasdelta-02", "cl-veenstad-01", "km-maasdelta-02", "km-veenstad-01", "mg-kromhout-01", "mg-veenstad-02"):
            project.forget(name, reason="a smaller study for the cross-validation")
        assert len(project.documents()) == 5
    return folder


@pytest.fixture(scope="module")
def report(study):
    with Project(study) as project:
        return project.report(evaluate=False)


@pytest.fixture(scope="module")
def page(report, tmp_path_factory):
    return write(report, tmp_path_factory.mktemp("html") / "report.html")


DIMENSIONS = ["KV", "KT", "KD", "IN", "VB", "KG", "WG", "SW", "MW", "KBRON", "PH", "HRM", "CTX", "OUT", "ROL"]


def test_agreement_numbers_are_those_of_agreement_json(report, study, cli):
    assert list(report.agreement.query("kind == 'code'")["code"]) == DIMENSIONS
    result = cli("agreement", "--project", study, "--coders", "anna,bram", "--codes", ",".join(DIMENSIONS), "--format", "json")
    data = json.loads(result.output)
    by_code = report.agreement.query("kind == 'code'").set_index("code")
    for row in data["codes"]:
        ours = by_code.loc[row["code"]]
        assert ours["alpha"] == row["alpha"] and ours["kappa"] == row["kappa"] and ours["ac1"] == row["ac1"], row["code"]
        assert [ours["alpha_low"], ours["alpha_high"]] == (row["alpha_ci"] or [None, None]), row["code"]
        assert ours["n"] == row["n_units"]
    groups = report.agreement.query("kind == 'exclusive group'")
    assert list(groups["code"]) == [g["code"] for g in data["groups"]] == ["ROL"]
    assert groups["alpha"].iloc[0] == data["groups"][0]["alpha"]
    assert report.summary["agreement"] == data["overall"]


def test_theme_tables_are_those_of_matrix_and_cooccurrence(report, study, cli, tmp_path):
    cli("matrix", "--project", study, "--rows", "role", "--out", tmp_path / "by-role.csv")
    by_role = pd.read_csv(tmp_path / "by-role.csv", index_col=0).rename(columns={"IN_v": "IN"})  # IN is a Stata word
    assert by_role.loc["client", "KG"] == report.frequencies.loc["client", "KG"]
    assert list(by_role.index) == list(report.frequencies.index) == ["client", "klantmanager", "manager"]
    assert (by_role[DIMENSIONS].to_numpy() == report.frequencies[DIMENSIONS].to_numpy()).all()
    cli("matrix", "--project", study, "--value", "presence", "--out", tmp_path / "themes.csv")
    themes = pd.read_csv(tmp_path / "themes.csv", index_col=0).rename(columns={"IN_v": "IN"})
    assert list(themes.index) == list(report.themes.index) and len(themes) == 11
    assert (themes[DIMENSIONS].to_numpy() == report.themes[DIMENSIONS].to_numpy()).all()
    with Project(study) as project:
        pd.testing.assert_frame_equal(project.cooccurrence(measure="jaccard"), report.cooccurrence)


def test_corpus_coding_and_codebook_history(report):
    s = report.summary
    assert (s["documents"], s["segments"], s["unit"], s["by"]) == (11, 291, "turn", "role")
    assert s["groups"] == {"client": 3, "klantmanager": 4, "manager": 4}
    assert report.corpus["sha256"].str.fullmatch("[0-9a-f]{64}").all()
    assert s["corpus_sha256"] != s["codebook_sha256"] and len(s["corpus_sha256"]) == 64
    coders = report.coders.set_index("coder")
    assert coders.loc["anna", "from_suggestions"] == 1
    assert coders.loc["anna", "share_from_suggestions"] == round(1 / coders.loc["anna", "codings"], 4)
    assert coders.loc["bram", "from_suggestions"] == 0
    assert coders.loc["anna", "segments_reviewed"] == 291 and s["double_coded"] == 1.0
    renamed = report.changes.query("action == 'codes.rename'")
    assert list(renamed["target"]) == ["KV-OPL"]
    assert report.codebook.set_index("id").loc["KV-OPL", "name"] == HOSTILE


def test_methods_paragraph_in_english_and_dutch(report, study):
    low = report.agreement.query("kind == 'code'").sort_values("alpha").iloc[0]
    assert report.methods.startswith("11 interviews (role: client (3), klantmanager (4) and manager (4)) were imported")
    assert "291 segments (unit: turn)" in report.methods
    assert f"Krippendorff's alpha (nominal) ranged from {low['alpha']:.2f} ({low['code']}) to" in report.methods
    assert "by 2 coders (anna and bram); 100% of the segments" in report.methods
    with Project(study) as project:
        dutch = project.report(lang="nl", evaluate=False, draws=50)
    assert dutch.methods.startswith("11 interviews (role: client (3), klantmanager (4) en manager (4)) werden in qualcode")
    assert "door 2 codeurs (anna en bram)" in dutch.methods
    assert [section.heading for section in sections(dutch)] == [
        "Methodeparagraaf", "Corpus", "Codeboek", "Codering", "Overeenstemming", "Thema's", "Suggesties", "Software"]


def test_html_is_self_contained_escaped_and_every_figure_is_described(page, report):
    source = page.read_text(encoding="utf-8")
    tree = lxml_html.fromstring(source)
    assert tree.xpath("//script") == [] and "<script>" not in source
    assert HOSTILE in tree.text_content()
    assert "Content-Security-Policy" in source and "default-src 'none'" in source
    figures = tree.xpath("//figure")
    assert len(figures) == len(report.figures) == 4  # timeline, agreement, frequencies, co-occurrence
    for figure in figures:
        (img,) = figure.xpath(".//img")
        assert img.get("src").startswith("data:image/png;base64,")
        assert len(img.get("alt")) > 30
        assert figure.xpath("./figcaption")[0].text_content().startswith("Figure ")
    assert tree.xpath("//svg") == []
    for element in tree.xpath("//*[@src or @href]"):
        assert (element.get("src") or "").startswith("data:") or (element.get("href") or "").startswith("#")
    assert "url(" not in source and "@import" not in source
    assert [h.text_content() for h in tree.xpath("//h2")] == [s.heading for s in sections(report)]


def test_figures_are_sized_for_a4(report):
    for name, figure in report.figures.items():
        width, height = figure.figure.get_size_inches()
        assert width == pytest.approx(6.3) and height <= 9.7, name


def _browse(path, workdir):
    """Chromium headless on ``path``: (DOM, console lines, URLs the page requested). Every host
    resolves to nothing and the proxy is a closed local port, so no request leaves the machine."""
    netlog = workdir / "net.json"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={workdir / 'profile'}",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
         f"--log-net-log={netlog}", "--dump-dom", path.as_uri()],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requested = [event["params"].get("url", "") for event in log["events"]
                 if event["type"] == start and str(event["params"].get("network_isolation_key", "")).startswith("file://")]
    return done.stdout, console, [url for url in requested if not url.startswith(("file:", "data:"))]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)")
def test_chromium_renders_the_report_without_console_errors_or_requests(page, tmp_path):
    (tmp_path / "control").mkdir()
    control = tmp_path / "control" / "bad.html"
    control.write_text('<!DOCTYPE html><p>x</p><script>console.error("boom")</script>'
                       '<img src="http://127.0.0.1:9/x.png" alt="x">', encoding="utf-8")
    _, console, requested = _browse(control, tmp_path / "control")
    assert any('"boom"' in line for line in console) and set(requested) == {"http://127.0.0.1:9/x.png"}, "the checks must see both"
    (tmp_path / "page").mkdir()
    dom, console, requested = _browse(page, tmp_path / "page")
    assert "<h1>Methods report</h1>" in dom and "Krippendorff" in dom
    assert console == [] and requested == []


def test_word_file_has_the_same_sections_and_figures(report, tmp_path):
    import docx

    path = write(report, tmp_path / "appendix.docx")
    document = docx.Document(path)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [s.heading for s in sections(report)]
    assert len(document.inline_shapes) == len(report.figures)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions[0] == "Figure 1. " + report.figures["timeline"].caption
    assert any(HOSTILE in cell.text for table in document.tables for row in table.rows for cell in row.cells)


def test_suggestion_quality_comes_from_evaluate(five_interviews, monkeypatch):
    calls, evaluate = [], Project.evaluate

    def recorded(self, *args, **kwargs):  # the one cross-validation, watched rather than run twice
        calls.append((args, kwargs, evaluate(self, *args, **kwargs)))
        return calls[-1][2]

    monkeypatch.setattr(Project, "evaluate", recorded)
    told = []
    with Project(five_interviews) as project:
        found = project.report(evaluate=True, draws=50, progress=lambda *step: told.append(step))
    [(args, kwargs, direct)] = calls
    assert (args, kwargs.pop("folds")) == ((), 5)
    fitting = "report: fitting 25 models (5 folds x 5 training sizes)"
    assert [step for step in told if step[0] != fitting] == [(f"report: {what}", k, 6) for k, what in enumerate(STAGES)]
    assert [step for step in told if step[0] == fitting] == [(fitting, n, 25) for n in range(26)]
    assert found.evaluation is direct
    assert "curve" in found.figures
    assert f"estimated micro F1 of {direct.micro['f1']:.2f}" in found.methods
    blocks = {s.key: s.blocks for s in sections(found)}["suggestions"]
    assert blocks[0].content.startswith("Estimate: grouped 5-fold cross-validation by document")


def test_cli_writes_the_file_and_refuses_other_suffixes(study, tmp_path, cli):
    out = tmp_path / "appendix.docx"
    done = cli("report", "--project", study, "--out", out, "--no-evaluate", "--attr", "role=client", "--lang", "nl")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == f"wrote {out} (4 figures)\n" and out.stat().st_size > 0
    refused = cli("report", "--project", study, "--out", tmp_path / "report.pdf")
    assert refused.exit_code == 2
    assert refused.stderr == f"qualcode: error: {tmp_path / 'report.pdf'}: cannot write a report as .pdf; use .html or .docx\n"


def test_attribute_filter_narrows_every_section(study):
    with Project(study) as project:
        clients = project.report(attributes={"role": "client"}, evaluate=False, draws=50)
        assert clients.summary["documents"] == 3 and clients.summary["segments"] == 68
        assert list(clients.frequencies.index) == ["client"]
        assert clients.agreement_result.n_segments == project.agreement(["anna", "bram"], ["KV"], attributes={"role": "client"}, draws=50).n_segments


def test_the_report_command_does_not_import_matplotlib_at_start():
    code = "import sys\nimport qualcode.cli.report\nprint('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout == "False\n"


def test_one_coder_gets_a_report_that_says_why_there_is_no_agreement(project, make_document):
    from sample_coding import CL01, KM01

    make_document("km01", KM01, {"role": "klantmanager"})
    make_document("cl01", CL01, {"role": "client"})
    project.tag("km01:1", ["KV-LEER"], coder="anna")
    project.tag("cl01:2", ["KT-WET"], coder="anna", origin="suggestion")
    found = project.report(evaluate=False)
    assert found.agreement_result is None and found.agreement.empty and "agreement" not in found.figures
    assert found.summary["agreement_note"].startswith("agreement needs two coders who reviewed segments")
    blocks = {s.key: s.blocks for s in sections(found)}["agreement"]
    assert [b.content for b in blocks] == [found.summary["agreement_note"]]
    assert "by 1 coder (anna); 0% of the segments" in found.methods and "Krippendorff" not in found.methods
    assert "50% of their codings came from accepted suggestions" in found.methods
