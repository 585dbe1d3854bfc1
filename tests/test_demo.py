import shutil

from qualcode.store import PROJECT_FILE


def test_demo_builds_the_project_and_can_be_rerun(demo_run, tmp_path):
    from qualcode.demo import DEMO_MARKER, _prepare

    built, output = demo_run
    assert "== 1. project and codebook" in output
    assert "KV    Knowledge acquisition" in output
    assert output.count("\n== ") == 9 and output.rstrip().endswith(f"cd {built} && qualcode status")
    assert (built / PROJECT_FILE).is_file()
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
        "9 imported (of 9 files) from transcripts/, attributes from transcripts/cases.csv; respondent turns are the segments:\n"
        "   client        3 interviews   68 segments\n"
        "   klantmanager  3 interviews   62 segments\n"
        "   manager       3 interviews   66 segments"
    ))]
