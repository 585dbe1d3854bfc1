import shutil

from conftest import run_qualcode
from qualcode.store import PROJECT_FILE


def test_demo_builds_the_project_and_can_be_rerun(demo_run, cli, tmp_path):
    built, output = demo_run
    assert "== 1. project and codebook" in output
    assert "KV    Knowledge acquisition" in output
    assert (built / PROJECT_FILE).is_file()
    target = tmp_path / "demo"
    shutil.copytree(built, target)
    again = cli("demo", target)
    assert again.exit_code == 0, again.output
    assert again.output.count("== ") == output.count("== ") == 8


def test_demo_never_overwrites_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "thesis.docx").write_text("my work")
    result = run_qualcode("demo", tmp_path)
    assert result.returncode == 2
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
        "9 imported (of 9 files) from transcripts/, attributes from transcripts/cases.csv; respondent turns are the segments:\n"
        "   client        3 interviews   68 segments\n"
        "   klantmanager  3 interviews   62 segments\n"
        "   manager       3 interviews   66 segments"
    ))]
