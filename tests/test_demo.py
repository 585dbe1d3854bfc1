import json
import shutil

from conftest import REPO
from qualcode.location import SERVER_FILE
from qualcode.store import PROJECT_FILE


def test_demo_builds_the_project_and_can_be_rerun(demo_run, tmp_path):
    from qualcode.demo import DEMO_MARKER, _prepare

    built, output = demo_run
    assert "== 1. project and codebook" in output
    assert "KV    Knowledge acquisition" in output
    assert output.count("\n== ") == 9 and output.rstrip().endswith(f"cd {built} && qualcode status")
    assert (built / PROJECT_FILE).is_file() != (built / SERVER_FILE).is_file()  # the file, or the server file
    assert f"== 8. the methods report\nwrote {built / 'report.html'} (4 figures" in output
    assert (built / "report.html").read_text(encoding="utf-8").count("<figcaption>") == 4
    target = tmp_path / "demo"
    shutil.copytree(built, target)
    _prepare(target)  # what a second run does first: the earlier demo makes way for the new one
    assert [path.name for path in target.iterdir()] == [DEMO_MARKER]


def test_demo_never_overwrites_a_folder_it_did_not_make(tmp_path, cli):
    (tmp_path / "thesis.docx").write_text("my work")
    result = cli("demo", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"qualcode: error: {tmp_path}: folder is not empty and not an earlier demo; give another folder, "
        "e.g. 'qualcode demo /tmp/qualcode-demo'\n"
    )
    assert (tmp_path / "thesis.docx").read_text() == "my work"


def test_demo_step_2_imports_the_samples_with_roles(project):
    from qualcode.demo import _import_interviews

    seen = []
    _import_interviews(project, lambda step, detail: seen.append((step, detail)))
    assert seen == [("2. import the fictional interviews", (
        "11 imported (of 11 files) from transcripts/, attributes from transcripts/cases.csv; respondent turns are the segments:\n"
        "   client        3 interviews   68 segments\n"
        "   klantmanager  4 interviews  108 segments\n"
        "   manager       4 interviews  115 segments"
    ))]


def test_the_readme_workflow_imports_as_the_demo_and_gives_its_matrix_without_model_codings(demo_run, tmp_path, cli):
    """init, the README's import command, the reference coding, autocode (asked for), agreement,
    consensus, matrix: the model coder joins nothing it was not named for."""
    import shlex
    from pathlib import Path

    from qualcode import Project

    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("qualcode import ../transcripts/ "))
    assert shlex.split(command, comments=True) == ["qualcode", "import", "../transcripts/", "--attributes", "../transcripts/cases.csv"]
    (tmp_path / "transcripts").symlink_to(repo / "transcripts")
    study = tmp_path / "my-study"
    assert cli("init", study, "--codebook", repo / "codebooks/professioneel-handelen.yaml").exit_code == 0
    where = ("--project", study)
    imported = cli(*shlex.split(command, comments=True)[1:], *where, cwd=study)
    assert imported.exit_code == 0, imported.output
    assert cli("apply", repo / "transcripts/reference-coding.csv", *where).exit_code == 0
    assert cli("autocode", "--min-score", "0.6", "--coder", "model", *where).exit_code == 0
    assert json.loads(cli("agreement", "--format", "json", *where).output)["coders"] == ["anna", "bram"]
    with Project(study) as readme_project, Project(demo_run[0]) as demo:
        assert readme_project.segments()[["ref", "text"]].equals(demo.segments()[["ref", "text"]])
        assert readme_project.matrix().equals(demo.matrix())
        assert cli("consensus", "--rule", "union", *where).exit_code == 0
        union = demo.matrix(coder="union")
        assert readme_project.matrix(coder="consensus").equals(union)


def test_the_sample_builder_writes_the_shipped_cases_and_reference_coding_byte_for_byte(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_samples", REPO / "transcripts" / "build_samples.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    sources = [builder.load(path) for path in sorted(builder.SOURCE.glob("*.yaml"))]
    builder.write_cases(sources, tmp_path / "cases.csv")
    builder.write_reference_coding(sources, tmp_path / "reference-coding.csv")
    for name in ("cases.csv", "reference-coding.csv"):
        assert (tmp_path / name).read_bytes() == (REPO / "transcripts" / name).read_bytes(), name
