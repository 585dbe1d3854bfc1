"""The import, documents and show commands, run as a user runs them."""

import json

import sqlalchemy as sa

from qualcode.store import documents
from transcript_files import docx_file


def test_import_batch_with_a_bad_file_reports_and_exits_2(project, tmp_path, cli):
    good = docx_file(tmp_path / "km-01.docx", ["I: Hoe lang werk je hier?", "R: Twaalf jaar. (lacht)"])
    bad = tmp_path / "kapot.docx"
    bad.write_text("geen zip")
    result = cli("import", good, bad, "--attr", "role=klantmanager", "--project", project.path)
    assert result.exit_code == 2
    assert result.stdout == (
        "imported km-01: 2 turns, 1 segments, speakers I, R; layout label-prefix (confidence 1.00)\n"
        "1 imported, 1 refused (of 2 files)\n"
    )
    assert result.stderr == (
        f"qualcode: error: {bad}: is not a Word .docx file (not a zip archive); open it in Word, save it as .docx "
        "and import again\n"
    )
    with project.store.reading() as conn:
        assert conn.execute(sa.select(documents.c.name)).scalars().all() == ["km-01"]


def test_import_again_skips_and_documents_lists_them(project, tmp_path, cli):
    path = tmp_path / "cl-01.txt"
    path.write_text("Int: Wat doet u?\nR: Ik zoek werk.\n", encoding="utf-8")
    cli("import", path, "--attr", "role=client", "--project", project.path)
    again = cli("import", path, "--project", project.path)
    assert again.exit_code == 0
    assert again.stdout == "skipped  cl-01: already imported (same content, sha256); nothing to do\n1 skipped (of 1 files)\n"
    listed = json.loads(cli("documents", "--format", "json", "--project", project.path).stdout)
    assert listed == [{"name": "cl-01", "turns": 2, "segments": 1, "speakers": "Int (interviewer), R", "role": "client"}]


def test_show_numbers_segments_and_leaves_interviewer_turns_unnumbered(project, tmp_path, cli):
    path = tmp_path / "t.txt"
    path.write_text("[00:00:04] I: Hoe gaat het?\n[00:00:09] R: Goed. Heel goed.\nEcht.\n[00:01:10] I: Mooi.\n", encoding="utf-8")
    cli("import", path, "--unit", "sentence", "--project", project.path)
    shown = cli("show", "t", "--project", project.path)
    assert shown.stdout == (
        "00:00:04  I (interviewer)\n"
        "          Hoe gaat het?\n"
        "\n"
        "00:00:09  R\n"
        "       1  Goed.\n"
        "       2  Heel goed.\n"
        "       3  Echt.\n"
        "\n"
        "00:01:10  I (interviewer)\n"
        "          Mooi.\n"
    )
    rows = json.loads(cli("show", "t", "--format", "json", "--project", project.path).stdout)
    assert rows[1] == {"turn": 2, "speaker": "R", "role": "respondent", "time_start": 9.0, "time_end": None,
                       "segment": 1, "ref": "t:1", "text": "Goed."}
    turn = cli("show", "t:3", "--project", project.path)
    assert turn.stdout == "00:00:09  R\n       1  Goed.\n       2  Heel goed.\n       3  Echt.\n"


def test_replace_prints_what_could_not_be_reanchored(project, tmp_path, cli):
    path = tmp_path / "d.txt"
    path.write_text("I: Vraag?\nR: Dit antwoord gaat verloren bij de nieuwe versie.\n", encoding="utf-8")
    cli("import", path, "--project", project.path)
    project.tag("d:1", ["KV-OPL"], coder="anna")
    path.write_text("I: Vraag?\nR: Iets heel anders nu.\n", encoding="utf-8")
    result = cli("import", path, "--replace", "--project", project.path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == ["replaced d: 2 turns, 1 segments, speakers I, R; layout label-prefix (confidence 1.00)", "         0 codings re-anchored, 1 could not be"]
    assert lines[2].startswith("         not re-anchored: KV-OPL by anna on d:1 ('Dit antwoord gaat verloren bij de nieuwe versie.'); "
                               "kept in the audit log (guid ")


def test_show_unknown_document(project, cli):
    result = cli("show", "nope", "--project", project.path)
    assert result.exit_code == 2
    assert result.stderr == "qualcode: error: unknown document 'nope': there is no document yet; see 'qualcode documents'\n"


def test_whole_project_files_go_to_their_registered_importer(project, tmp_path, cli, monkeypatch):
    from qualcode.cli import ingest as ingest_cli
    from qualcode.errors import BadFile
    from qualcode.project import Project

    def import_fake(self, path, *, progress):
        if path.name == "bad.qdpx":
            raise BadFile(path, "is not a REFI-QDA project")
        return {"imported": path.name}

    monkeypatch.setattr(Project, "import_fake", import_fake, raising=False)
    monkeypatch.setitem(ingest_cli.PROJECT_IMPORTS, ".qdpx", ("import_fake", "common:emit_json"))
    transcript = tmp_path / "t.txt"
    transcript.write_text("I: Vraag?\nR: Antwoord.\n", encoding="utf-8")
    result = cli("import", tmp_path / "good.qdpx", tmp_path / "bad.qdpx", transcript, "--project", project.path)
    assert result.exit_code == 2
    assert result.stdout == ('{\n  "imported": "good.qdpx"\n}\n'
                             "imported t: 2 turns, 1 segments, speakers I, R; layout label-prefix (confidence 1.00)\n1 imported (of 1 files)\n")
    assert result.stderr == f"qualcode: error: {tmp_path / 'bad.qdpx'}: is not a REFI-QDA project\n"
