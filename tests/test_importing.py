"""Importing into a project: attributes, batches with bad files, re-import, re-anchoring, samples."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from conftest import TRANSCRIPTS
from qualcode.errors import BadInput
from qualcode.store import audit, codings, document_attributes, documents, memos, reviews, segments
from transcript_files import docx_file, ole_file

SAMPLE_INTERVIEWERS = ("Eva Jansen", "Tom de Graaf", "Spreker 1", "Lisa Vermeulen")


def interview(path: Path, *respondent_turns: str) -> Path:
    lines = []
    for i, said in enumerate(respondent_turns, start=1):
        lines += [f"I: Vraag {i}?", f"R: {said}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(project):
    with project.store.reading() as conn:
        return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for table in (documents, segments, document_attributes, codings, audit)}


def test_import_with_csv_and_attr_types(project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    interview(folder / "km-01.txt", "Ik werk hier twaalf jaar.", "Met plezier.")
    interview(folder / "cl-01.txt", "Ik zoek werk.")
    (folder / "README.md").write_text("# not a transcript\n")
    cases = tmp_path / "cases.csv"
    cases.write_text("file,role,years_experience,interview_date\nkm-01.txt,klantmanager,12,2018-03-14\n"
                     "cl-01,client,,14-05-2019\nold-02.docx,manager,3,2018-01-01\n", encoding="utf-8")
    report = project.import_files([folder], attributes_csv=cases, attributes=["municipality=Maasdelta"])
    assert [(f.name, f.status, f.turns, f.segments, f.speakers) for f in report.files] == [
        ("cl-01", "imported", 2, 1, ["I", "R"]), ("km-01", "imported", 4, 2, ["I", "R"]),
    ]
    assert report.warnings == [f"{cases}: the row for 'old-02.docx' matches no file in this import"]
    assert report.summary() == "2 imported (of 2 files)"
    with project.store.reading() as conn:
        stored = set(conn.execute(sa.select(documents.c.name, document_attributes.c.key, document_attributes.c.value,
                                            document_attributes.c.type).join(documents)).all())
    assert stored == {
        ("km-01", "role", "klantmanager", "category"), ("km-01", "years_experience", "12", "number"),
        ("km-01", "interview_date", "2018-03-14", "date"), ("km-01", "municipality", "Maasdelta", "category"),
        ("cl-01", "role", "client", "category"), ("cl-01", "interview_date", "2019-05-14", "date"),
        ("cl-01", "municipality", "Maasdelta", "category"),
    }
    frame = project.documents()
    assert frame.to_dict(orient="records")[1] == {
        "name": "km-01", "turns": 4, "segments": 2, "speakers": "I (interviewer), R", "interview_date": "2018-03-14",
        "municipality": "Maasdelta", "role": "klantmanager", "years_experience": 12.0,
    }
    seg = project.segments(["km-01"])
    assert list(seg.text) == ["Ik werk hier twaalf jaar.", "Met plezier."]


def test_batch_goes_on_past_bad_files_and_they_leave_nothing(project, tmp_path):
    good = interview(tmp_path / "good.txt", "Ja.")
    before = snapshot(project)
    bad = [ole_file(tmp_path / "secret.docx", encrypted=True), tmp_path / "empty.txt", tmp_path / "missing.docx"]
    bad[1].write_text("")
    report = project.import_files([bad[0], good, bad[1], bad[2]])
    assert [(Path(f.path).name, f.status, f.message) for f in report.files] == [
        ("secret.docx", "refused", f"{bad[0]}: is password-protected (encrypted); remove the password in Word and import again"),
        ("good.txt", "imported", ""),
        ("empty.txt", "refused", f"{bad[1]}: holds no transcript text; check that it is the right file"),
        ("missing.docx", "refused", f"{bad[2]}: no such file or folder; check the path"),
    ]
    assert report.failed and report.summary() == "1 imported, 3 refused (of 4 files)"
    after = snapshot(project)
    assert after["documents"] == before["documents"] + 1 and after["segments"] == before["segments"] + 1
    with project.store.reading() as conn:
        assert conn.execute(sa.select(documents.c.name)).scalars().all() == ["good"]


def test_bad_options_refuse_the_whole_run(project, tmp_path):
    path = interview(tmp_path / "a.txt", "Ja.")
    with pytest.raises(BadInput) as caught:
        project.import_files([path], model="nl_core_news_sm")
    assert str(caught.value) == "--model applies to --unit sentence only; add --unit sentence or leave out --model"
    with pytest.raises(BadInput) as caught:
        project.import_files([path], unit="sentence", model="nl_core_news_zz")
    assert str(caught.value).startswith("spaCy pipeline 'nl_core_news_zz' is not installed; qualcode never downloads one")
    with pytest.raises(BadInput) as caught:
        project.import_files([path], attributes=["role"])
    assert str(caught.value) == "bad --attr 'role': write KEY=VALUE, e.g. --attr role=klantmanager"
    cases = tmp_path / "cases.csv"
    cases.write_text("name,role\na,client\n")
    with pytest.raises(BadInput) as caught:
        project.import_files([path], attributes_csv=cases)
    assert str(caught.value) == f"{cases}: has no 'file' column (columns: name, role); add one with each transcript's file name"
    assert snapshot(project)["documents"] == 0


def test_reimport_same_file_is_skipped_and_a_changed_one_refused(project, tmp_path):
    path = interview(tmp_path / "a.txt", "Eerste antwoord.")
    project.import_files([path])
    again = project.import_files([path]).files[0]
    assert (again.status, again.message) == ("skipped", "already imported (same content, sha256); nothing to do")
    interview(path, "Ander antwoord.")
    before = snapshot(project)
    changed = project.import_files([path]).files[0]
    assert (changed.status, changed.message) == ("refused", (
        f"{path}: a different version of 'a' is already imported; pass --replace to import it again "
        "(codings are re-anchored onto the new segments by their text)"))
    assert snapshot(project) == before


def test_replace_reanchors_codings_reviews_and_memos_and_reports_the_lost(project, tmp_path):
    path = interview(tmp_path / "doc.txt",
                     "Ik werk twaalf jaar bij de sociale dienst.",
                     "De caseload is veel te hoog, zeker nu.",
                     "Mijn teamleider geeft me ruimte.",
                     "Dit antwoord verdwijnt straks helemaal uit de nieuwe versie.")
    project.import_files([path])
    project.tag("doc:1", ["KV-OPL"], coder="anna")
    project.tag("doc:2", ["CTX-CASE"], coder="anna")
    project.tag("doc:3", ["HRM-O"], coder="bram")
    project.tag("doc:4", ["OUT-DOEL"], coder="anna")
    project.review("doc:4", coder="bram")
    project.add_memo("over de caseload", segment="doc:2", author="anna")
    project.add_memo("over het document", document="doc", author="anna")
    with project.store.atomic("test.span") as conn:
        text = conn.execute(sa.select(documents.c.text)).scalar()
        at = text.index("twaalf jaar")
        conn.execute(codings.update().where(codings.c.code_id == "KV-OPL").values(start=at, end=at + len("twaalf jaar")))
    interview(path,
              "Een nieuw eerste antwoord.",
              "Ik werk twaalf jaar bij de sociale dienst.",
              "de caseload is veel te hoog zeker nu",
              "Mijn teamleider geeft me ruimte. En de manager ook, eigenlijk.")
    result = project.import_files([path], replace=True).files[0]
    assert (result.status, result.segments, result.reanchored) == ("replaced", 4, 3)
    lost = result.unanchored
    assert [(x["segment"], x["code_id"], x["coder"], x["text"]) for x in lost] == [
        ("doc:4", "OUT-DOEL", "anna", "Dit antwoord verdwijnt straks helemaal uit de nieuwe versie.")]
    rows = project.segments(["doc"])
    with project.store.reading() as conn:
        placed = sorted(conn.execute(
            sa.select(segments.c.number, codings.c.code_id, codings.c.coder).join(segments)).all())
        reviewed = sorted(conn.execute(sa.select(segments.c.number, reviews.c.coder).join(segments)).all())
        memo_targets = sorted(conn.execute(sa.select(memos.c.target_type, memos.c.target_id, memos.c.text)).all())
        entry = conn.execute(sa.select(audit.c.detail).where(audit.c.action == "coding.unanchored")).scalar()
        document_id = conn.execute(sa.select(documents.c.id)).scalar()
    assert list(rows.text)[1:] == ["Ik werk twaalf jaar bij de sociale dienst.", "de caseload is veel te hoog zeker nu",
                                   "Mijn teamleider geeft me ruimte. En de manager ook, eigenlijk."]
    assert placed == [(2, "KV-OPL", "anna"), (3, "CTX-CASE", "anna"), (4, "HRM-O", "bram")]
    with project.store.reading() as conn:
        start, end = conn.execute(sa.select(codings.c.start, codings.c.end).where(codings.c.code_id == "KV-OPL")).one()
        assert conn.execute(sa.select(documents.c.text)).scalar()[start:end] == "twaalf jaar"
        assert start != at
    assert reviewed == [(2, "anna"), (3, "anna"), (4, "bram")]
    segment_3 = int(rows.segment_id[2])
    assert memo_targets == [("document", str(document_id), "over het document"), ("segment", str(segment_3), "over de caseload")]
    assert json.loads(entry)["guid"] == lost[0]["guid"]
    assert json.loads(entry)["code_id"] == "OUT-DOEL"


def test_replace_with_new_options_for_the_same_file(project, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Anna: Hoe gaat het?\nPiet: Goed. Heel goed.\nAnna: Fijn.\nPiet: Ja.\n", encoding="utf-8")
    first = project.import_files([path])
    assert first.warnings == [f"{path}: no interviewer recognised among the speakers Anna, Piet; all their turns are coding "
                              "units; name the interviewer with --interviewer LABEL and import again with --replace"]
    assert first.files[0].segments == 4
    again = project.import_files([path], interviewers=["Anna"], replace=True, unit="sentence")
    assert (again.files[0].status, again.files[0].segments) == ("replaced", 3)
    assert list(project.segments(["t"]).text) == ["Goed.", "Heel goed.", "Ja."]


def test_every_sample_imports_with_its_speakers_and_respondent_turns(project):
    report = project.import_files([TRANSCRIPTS], attributes_csv=TRANSCRIPTS / "cases.csv", interviewers=SAMPLE_INTERVIEWERS)
    assert report.warnings == [] and not report.failed
    sources = sorted((TRANSCRIPTS / "source").glob("*.yaml"))
    assert [f.name for f in report.files] == [s.stem for s in sources]
    documents_frame = project.documents().set_index("name")
    for source in sources:
        src = yaml.safe_load(source.read_text(encoding="utf-8"))
        name = src["stem"]
        turns = project.transcript(name)
        assert [(t.speaker, t.role) for t in turns.itertuples()] == [
            (src["speakers"][t["speaker"]], "interviewer" if t["speaker"] == "interviewer" else "respondent")
            for t in src["turns"]
        ], name
        assert [" ".join(text.split()) for text in turns.text] == [" ".join(t["text"].split()) for t in src["turns"]], name
        respondent = [t for t in src["turns"] if t["speaker"] == "respondent"]
        assert documents_frame.loc[name, "segments"] == len(respondent), name
        assert list(turns.segment.dropna()) == list(range(1, len(respondent) + 1)), name
        assert documents_frame.loc[name, "role"] == src["attributes"]["role"], name
        assert documents_frame.loc[name, "respondent_id"] == src["attributes"]["respondent_id"], name


def test_docx_sample_layout_with_header_and_footer_keeps_them_as_metadata(project, tmp_path):
    path = docx_file(tmp_path / "meta.docx", ["I: Vraag?", "R: Antwoord."], header="KM09", footer="Getranscribeerd door [naam]")
    project.import_files([path])
    with project.store.reading() as conn:
        stored = json.loads(conn.execute(sa.select(documents.c.metadata)).scalar())
        text = conn.execute(sa.select(documents.c.text)).scalar()
    assert stored["headers"] == ["KM09"] and stored["footers"] == ["Getranscribeerd door [naam]"]
    assert text == "Vraag?\n\nAntwoord."


def test_interviewer_column_of_the_attributes_csv_names_the_interviewer_per_file(project, tmp_path):
    path = tmp_path / "teams.txt"
    path.write_text("Eva Jansen  0:04\nWat doet u?\n\nRonald Kuipers  0:12\nIk zoek werk.\n", encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text("file;interviewer;role\nteams.txt;Eva Jansen;client\n", encoding="utf-8")
    report = project.import_files([path], attributes_csv=cases)
    assert report.warnings == [] and report.files[0].segments == 1
    assert project.documents().to_dict(orient="records") == [
        {"name": "teams", "turns": 2, "segments": 1, "speakers": "Eva Jansen (interviewer), Ronald Kuipers", "role": "client"}]


def test_every_hostile_file_is_refused_and_leaves_the_project_unchanged(project, tmp_path):
    import zipfile

    from transcript_files import replace_part

    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "a-not-zip.docx").write_text("I: hallo\n")
    truncated = docx_file(folder / "b-truncated.docx", ["I: hallo", "R: dag"])
    truncated.write_bytes(truncated.read_bytes()[:3000])
    ole_file(folder / "c-encrypted.docx", encrypted=True)
    ole_file(folder / "d-legacy.doc", encrypted=False)
    replace_part(docx_file(folder / "e-entities.docx", ["I: hallo"]), "word/document.xml",
                 lambda xml: xml.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY e "x">]>', 1))
    bomb = docx_file(folder / "f-bomb.docx", ["I: hallo"])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("word/media/padding.xml", b"\0" * (20 * 2**20))
    docx_file(folder / "g-empty.docx", [""])
    (folder / "h-latin.txt").write_bytes(b"I: \x81\x8d\x8f")
    before = snapshot(project)
    report = project.import_files([folder])
    problems = {Path(f.path).name: f.message.split(": ", 1)[1] for f in report.files}
    assert [f.status for f in report.files] == ["refused"] * 8
    assert problems.pop("f-bomb.docx").startswith("unpacks to 20 MB in word/media/padding.xml (compressed ")
    assert problems == {
        "a-not-zip.docx": "is not a Word .docx file (not a zip archive); open it in Word, save it as .docx and import again",
        "b-truncated.docx": "is damaged or incomplete (a broken zip archive); copy the file again or re-save it in Word",
        "c-encrypted.docx": "is password-protected (encrypted); remove the password in Word and import again",
        "d-legacy.doc": "is a legacy Word 97-2003 document (.doc); open it in Word, save it as .docx and import again",
        "e-entities.docx": "word/document.xml declares a DTD or XML entities, which qualcode never resolves; re-save it in Word and import again",
        "g-empty.docx": "holds no transcript text; check that it is the right file",
        "h-latin.txt": "is neither UTF-8 nor Windows-1252 text; save it as UTF-8 and import again",
    }
    assert snapshot(project) == before


def test_the_unit_is_the_projects_own_and_a_second_unit_is_refused(project, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("I: Hoe gaat het?\nR: Goed. Heel goed.\n", encoding="utf-8")
    second.write_text("I: En nu?\nR: Prima. Echt prima.\n", encoding="utf-8")
    assert project.unit() is None
    project.import_files([first], interviewers=["I"])
    assert project.unit() == "turn"
    with pytest.raises(BadInput) as caught:
        project.import_files([second], interviewers=["I"], unit="sentence")
    assert str(caught.value) == ("this project is segmented by turn, not sentence: import with --unit turn "
                                 "(one unit per project, so every count counts the same thing)")
    assert list(project.documents().name) == ["a"]
    refused = project.import_files([second], interviewers=["I"], unit="sentence", replace=True).files[0]
    assert (refused.status, refused.message) == ("refused", str(caught.value))
    again = project.import_files([first], interviewers=["I"], unit="sentence", replace=True).files[0]
    assert (again.status, project.unit()) == ("replaced", "sentence")
    project.tag("a:1", ["KV-OPL"], coder="anna")
    assert project.matrix().attrs["qualcode"]["unit"] == "sentence"
    project.export_matrix(tmp_path / "m.csv")
    assert json.loads((tmp_path / "m.csv.dictionary.json").read_text(encoding="utf-8"))["unit"] == "sentence"


@pytest.mark.parametrize("delimiter,name", [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_the_attributes_csv_may_use_semicolons_or_tabs_and_a_bom_and_the_import_says_which(project, tmp_path, cli, delimiter, name):
    path = interview(tmp_path / "a.txt", "Ja.")
    cases = tmp_path / "cases.csv"
    cases.write_bytes(b"\xef\xbb\xbf" + f"file{delimiter}role{delimiter}age\r\na.txt{delimiter}client{delimiter}41\r\n".encode())
    result = cli("import", path, "--attributes", cases, "--project", project.path)
    assert result.output.splitlines()[0] == f"attributes from {cases}: {name}-separated, 1 rows"
    assert project.documents()[["role", "age"]].to_dict(orient="records") == [{"role": "client", "age": 41}]


@pytest.mark.parametrize("text,message", [
    ("file,role,role\na.txt,client,x\n", "line 1: the column 'role' appears 2 times; keep one"),
    ("file,role\na.txt,cli\x07ent\n", "line 2: the role 'cli\\x07ent' holds the control character U+0007; remove it"),
    ("file,role\na.txt,client,extra\n", "line 2: 1 more field(s) than the header has columns; check the delimiters in that row"),
])
def test_a_bad_attributes_csv_is_refused_before_any_import(project, tmp_path, text, message):
    path = interview(tmp_path / "a.txt", "Ja.")
    cases = tmp_path / "cases.csv"
    cases.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        project.import_files([path], attributes_csv=cases)
    assert str(caught.value) == f"{cases}: {message}"
    assert snapshot(project)["documents"] == 0


def test_the_same_content_under_another_name_is_skipped_naming_the_document(project, tmp_path, cli):
    first = interview(tmp_path / "a.txt", "Eerste antwoord.")
    copy = tmp_path / "copy" / "a-kopie.txt"
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    project.import_files([first])
    skipped = cli("import", copy, "--project", project.path)
    assert skipped.exit_code == 0, skipped.output
    assert skipped.output.splitlines()[0] == (
        "skipped  a-kopie: same content (sha256) as document 'a', already imported; nothing imported "
        "(--allow-duplicate imports it under this name too)")
    assert list(project.documents()["name"]) == ["a"]
    forced = project.import_files([copy], allow_duplicate=True).files[0]
    assert (forced.status, forced.name) == ("imported", "a-kopie")
    assert list(project.documents()["name"]) == ["a", "a-kopie"]
