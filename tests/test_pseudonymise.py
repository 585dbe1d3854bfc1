"""Pseudonymising: detection, tags kept by an encrypted key, codings that stay on their text,
no original left in the file, the log or an export, the copy with the originals back, and bad
keys refused with one line and nothing changed.

deduce is loaded once for the whole session (``detector``); CLI tests get the same object by
replacing ``Detector.load``.
"""

import doctest
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from qualcode import pseudonym_key
from qualcode import pseudonymise as pseudo
from qualcode.store import coding as store_coding

REPO = Path(__file__).resolve().parents[1]
TRANSCRIPTS = REPO / "transcripts"
PASSPHRASE = "correct horse battery"

# These tests read the project with plain sqlite3 to compare it row for row and byte for byte.
pytestmark = pytest.mark.sqlite_only(reason="compares the SQLite file row for row and byte for byte")


@pytest.fixture(scope="session")
def detector():
    """deduce, loaded once per test session (seconds; minutes on its first use after install)."""
    return pseudo.Detector.load()


@pytest.fixture
def shared_detector(monkeypatch, detector):
    """Commands run in-process get the session's deduce instead of loading their own."""
    monkeypatch.setattr(pseudo.Detector, "load", classmethod(lambda cls, progress=None: detector))
    return detector


def snapshot(path: Path) -> dict:
    """What pseudonymising must keep in step, read with plain sqlite3: documents by content
    hash, each coding's text by guid, memos by guid, speaker labels by document hash."""
    with sqlite3.connect(path) as conn:
        documents = {sha: (name, text, source) for sha, name, text, source in
                     conn.execute("SELECT sha256, name, text, source_file FROM documents")}
        codings = {guid: text[start if start is not None else seg_start:end if end is not None else seg_end]
                   for guid, start, end, seg_start, seg_end, text in conn.execute(
                       "SELECT c.guid, c.start, c.end, s.start, s.end, d.text FROM codings c "
                       "JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id")}
        memos = dict(conn.execute("SELECT guid, text FROM memos"))
        speakers = {}
        for sha, speaker in conn.execute("SELECT d.sha256, t.speaker FROM turns t JOIN documents d ON d.id = t.document_id "
                                         "ORDER BY t.document_id, t.number"):
            speakers.setdefault(sha, []).append(speaker)
        attributes = sorted(conn.execute("SELECT d.sha256, a.key, a.value FROM document_attributes a "
                                         "JOIN documents d ON d.id = a.document_id"))
    return {"documents": documents, "codings": codings, "memos": memos, "speakers": speakers, "attributes": attributes}


def add_passages(project) -> None:
    """Passage codings (REFI-QDA imports make them) around and right after a planted name."""
    with project.store.reading() as conn:
        rows = conn.exec_driver_sql(
            "SELECT s.id, s.start, d.text FROM segments s JOIN documents d ON d.id = s.document_id "
            "WHERE d.name = 'cl-maasdelta-01'").all()
    target = next((sid, start, text) for sid, start, text in rows if "mevrouw Van Dijk" in text[start:])
    sid, _, text = target
    at = text.index("mevrouw Van Dijk")
    passages = [(at - 12, at + len("mevrouw Van Dijk") + 5), (at + len("mevrouw Van Dijk"), at + len("mevrouw Van Dijk") + 20)]
    with project.store.atomic("test.passages") as conn:
        store_coding.insert_codings(conn, [{"segment_id": sid, "code_id": "KG-REL", "coder": "anna", "start": start,
                                            "end": end} for start, end in passages])


@pytest.fixture(scope="module")
def pseudonymised(tmp_path_factory, new_project_file, detector):
    """The samples imported with their attributes, coded by both reference coders, with memos
    (two naming planted persons) and passage codings, then pseudonymised: (folder, project
    path, key path, snapshot before, snapshot after, result)."""
    from qualcode import Project

    folder = tmp_path_factory.mktemp("pseudonymised")
    (folder / "study").mkdir()
    shutil.copyfile(new_project_file, folder / "study" / new_project_file.name)
    with Project(folder / "study") as project:
        project.import_files([TRANSCRIPTS], attributes_csv=TRANSCRIPTS / "cases.csv")
        project.apply_codings(TRANSCRIPTS / "reference-coding.csv")
        project.add_memo("Mijn buurvrouw, mevrouw Van Dijk: sterk citaat over vertrouwen", segment="cl-maasdelta-01:5",
                         author="anna")
        project.add_memo("Vergelijk met Gerard Mulder in Kromhout", document="km-kromhout-01", author="bram")
        add_passages(project)
        before = snapshot(project.path)
        result = project.pseudonymise(key=folder / "study.key", passphrase=PASSPHRASE, detector=detector)
        after = snapshot(project.path)
        path = project.path
    return folder, path, folder / "study.key", before, after, result


def originals(key_path: Path) -> dict[str, str]:
    key = pseudonym_key.read(key_path, PASSPHRASE, json.loads(key_path.read_text())["project"])
    return {entry["original"]: entry["tag"] for entry in key.entries}


# ---- detection ---------------------------------------------------------------------------------

def test_the_module_examples_run():
    for module in (pseudo, pseudonym_key):
        assert doctest.testmod(module).failed == 0


def test_iban_needs_its_mod_97_check_and_bsn_its_11_test(detector):
    found = {text[f.start:f.end]: f.category for text in [
        "rekening NL91 ABNA 0417 1643 00 en NL92 ABNA 0417 1643 00; BSN 123456782, geen BSN 123456789"]
        for f in detector.find(text)}
    assert found["NL91 ABNA 0417 1643 00"] == "IBAN"
    assert "NL92 ABNA 0417 1643 00" not in found
    assert found["123456782"] == "BSN"
    assert found.get("123456789") != "BSN"


def test_deduce_spans_are_split_into_qualcode_categories(detector):
    text = "Mevrouw Jansen woont aan de Dorpsstraat 12, 3011 AB Rotterdam; bel 078-6142093 of mail j.kok@hotmail.com."
    found = [(text[f.start:f.end], f.category) for f in detector.find(text)]
    assert found == [("Jansen", "PERSOON"), ("Dorpsstraat 12", "ADRES"), ("3011 AB", "POSTCODE"), ("Rotterdam", "PLAATS"),
                     ("078-6142093", "TELEFOON"), ("j.kok@hotmail.com", "EMAIL")]


def test_the_longest_whole_word_original_is_replaced_and_in_identifiers_any_case():
    swap = pseudo.Substitution({"Van": "[PERSOON-1]", "Van Dijk": "[PERSOON-2]", "Dijk": "[PERSOON-3]", "06-1234": "[TELEFOON-1]"})
    assert swap.prose("Van Dijk, Van Dijkstra en mevrouw Van Dijk_x; VanDijk bel 06-12345 of 06-1234.") == (
        "[PERSOON-2], [PERSOON-1] Dijkstra en mevrouw [PERSOON-1] Dijk_x; VanDijk bel 06-12345 of [TELEFOON-1].")
    assert swap.identifier("van-dijk.docx vandijk van_dijk VAN DIJK") == "persoon-1-persoon-3.docx vandijk van_dijk persoon-2"


def test_speaker_labels_that_name_a_role_are_not_names():
    assert pseudo.person_names("Lisa Vermeulen") == ["Lisa Vermeulen", "Lisa", "Vermeulen"]
    assert [pseudo.person_names(label) for label in ("Interviewer", "Klantmanager", "Spreker 2", "R", "B")] == [[]] * 5


def test_keep_also_and_a_saved_decision_list_decide_what_is_replaced(project, make_document, detector, tmp_path):
    make_document("km01", [("I", "interviewer", "Waar werkte je?"),
                           ("R", "respondent", "Ik sprak met Mirjam Vos uit Gouda over de Rabobank.")])
    listed = project.pseudonymise(key=None, detector=detector, dry_run=True, keep=["Gouda"], also=["Rabobank=ORGANISATIE"],
                                  save_decisions=tmp_path / "decisions.yaml")
    hits = [(hit.original, hit.category, hit.tag, hit.source) for hit in listed.hits]
    assert hits == [("Mirjam Vos", "PERSOON", "[PERSOON-1]", "deduce"), ("Rabobank", "ORGANISATIE", "[ORGANISATIE-1]", "also")]
    assert listed.hits[0].context == "Ik sprak met Mirjam Vos uit Gouda over de Rabobank."
    assert (tmp_path / "decisions.yaml").stat().st_mode & 0o777 == 0o600
    again = project.pseudonymise(key=None, detector=detector, dry_run=True, decisions=tmp_path / "decisions.yaml")
    assert [(hit.original, hit.category) for hit in again.hits] == [("Mirjam Vos", "PERSOON"), ("Rabobank", "ORGANISATIE")]
    assert "Gouda" in project.transcript("km01")["text"].iloc[1]  # a dry run changes nothing


def test_a_word_list_names_categories(project, make_document, detector, tmp_path):
    make_document("km01", [("R", "respondent", "Bij Kringloop Noord werkt Bep, ook in de Kromme Hoek.")])
    (tmp_path / "names.txt").write_text("# ons eigen lijstje\nBep\nORGANISATIE: Kringloop Noord\nPLAATS: Kromme Hoek\n",
                                        encoding="utf-8")
    listed = project.pseudonymise(key=None, detector=detector, dry_run=True, names=tmp_path / "names.txt")
    assert [(hit.original, hit.tag) for hit in listed.hits] == [
        ("Kringloop Noord", "[ORGANISATIE-1]"), ("Bep", "[PERSOON-1]"), ("Kromme Hoek", "[PLAATS-1]")]


# ---- the pseudonymised samples -------------------------------------------------------------------

def test_every_coding_keeps_the_pseudonymised_form_of_its_text(pseudonymised):
    _, _, key, before, after, _ = pseudonymised
    swap = pseudo.Substitution(originals(key))
    assert set(after["codings"]) == set(before["codings"])
    assert len(before["codings"]) > 1300
    changed = 0
    for guid, text in before["codings"].items():
        assert after["codings"][guid] == swap.prose(text), guid
        changed += after["codings"][guid] != text
    assert changed > 20
    passages = [text for guid, text in after["codings"].items() if "[PERSOON-" in text and len(text) < 40]
    assert passages, "the passage around the planted name holds its tag"


def test_memos_speakers_attributes_and_names_are_pseudonymised(pseudonymised):
    _, _, key, before, after, result = pseudonymised
    tags = originals(key)
    assert sorted(after["memos"].values()) == sorted([
        f"Mijn buurvrouw, mevrouw {tags['Van Dijk']}: sterk citaat over vertrouwen",
        f"Vergelijk met {tags['Gerard Mulder']} in {tags['Kromhout']}",
        *(text for text in before["memos"].values() if "Van Dijk" not in text and "Kromhout" not in text)])
    teams = next(sha for sha, (name, _, _) in before["documents"].items() if name == "cl-maasdelta-01")
    assert after["speakers"][teams][:2] == [tags["Eva Jansen"], tags["Ronald Kuipers"]]
    assert after["documents"][teams][0] == "cl-" + tags["Maasdelta"].strip("[]").lower() + "-01"
    assert after["documents"][teams][2].endswith("/cl-" + tags["Maasdelta"].strip("[]").lower() + "-01.docx")
    municipality = {sha: value for sha, key_, value in after["attributes"] if key_ == "municipality"}
    assert municipality[teams] == tags["Maasdelta"]
    assert result.renamed["cl-maasdelta-01"] == after["documents"][teams][0]


def test_one_original_gets_one_tag_in_every_document(pseudonymised):
    _, _, key, _, after, _ = pseudonymised
    tags = originals(key)
    assert len(set(tags.values())) == len(tags)
    holding = [name for name, text, _ in after["documents"].values() if tags["Maasdelta"] in text]
    assert len(holding) >= 3


def audit_text(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return "\n".join(f"{target} {detail}" for target, detail in conn.execute("SELECT target, detail FROM audit"))


def exports(project, folder: Path) -> list[Path]:
    """Every export a project can make, written into ``folder``."""
    folder.mkdir()
    project.export_matrix(folder / "themes.csv", codes="top")
    project.export_matrix(folder / "themes.xlsx")
    project.quotes(folder / "quotes.docx", memos=True)
    project.quotes(folder / "quotes.csv")
    project.export_refi_project(folder / "study.qdpx")
    project.codings().to_csv(folder / "codings.csv")
    project.framework().to_csv(folder / "framework.csv")
    return sorted(path for path in folder.iterdir() if path.is_file())


def readable(path: Path) -> bytes:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as packed:
            return b"\n".join(packed.read(name) for name in packed.namelist())
    return path.read_bytes()


def test_no_original_remains_in_the_file_the_audit_log_or_any_export(pseudonymised):
    from qualcode import Project

    folder, path, key, _, _, result = pseudonymised
    assert result.scrubbed
    found = originals(key)
    with Project(path) as project:
        written = exports(project, folder / "exports")
    places = [original for original, tag in found.items() if tag.startswith("[PLAATS")]
    words = [re.escape(original.encode("utf-8")) for original in found]
    words += [re.escape(place.lower().encode("utf-8")) for place in places]
    pattern = re.compile(rb"(?<![A-Za-z])(?:" + b"|".join(words) + rb")(?![A-Za-z])")
    files = [path, *path.parent.glob(path.name + "-*"), *written]
    assert len(written) >= 7
    for file in files:
        assert pattern.findall(readable(file)) == [], file
    assert pattern.findall(audit_text(path).encode("utf-8")) == []


def test_the_audit_log_still_verifies_and_records_the_rewrite(pseudonymised):
    from qualcode import Project

    with Project(pseudonymised[1]) as project:
        assert project.verify_log().ok
        actions = [action for action in project.log()["action"] if action != "export"]  # other tests export
    assert actions[-2:] == ["pseudonymise", "audit.rewrite"]


def test_the_key_file_is_the_owners_and_names_its_project(pseudonymised):
    _, path, key, _, _, _ = pseudonymised
    assert key.stat().st_mode & 0o777 == 0o600
    header = json.loads(key.read_text())
    with sqlite3.connect(path) as conn:
        held = dict(conn.execute("SELECT key, value FROM meta"))
    assert header["project"] == held["project.id"] and header["id"] == held["pseudonym.key"]
    assert "Maasdelta" not in key.read_text()


def copy_of(pseudonymised, tmp_path) -> Path:
    shutil.copytree(pseudonymised[1].parent, tmp_path / "study")
    return tmp_path / "study" / pseudonymised[1].name


def test_pseudonymising_twice_changes_nothing_and_never_tags_a_tag(pseudonymised, tmp_path, detector):
    from qualcode import Project

    path = copy_of(pseudonymised, tmp_path)
    key = tmp_path / "study.key"
    shutil.copyfile(pseudonymised[2], key)
    with Project(path) as project:
        result = project.pseudonymise(key=key, passphrase=PASSPHRASE, detector=detector)
        heads = project.status()["audit_head"]
    assert (result.documents, result.memos, result.audit_entries, result.new_tags) == (0, 0, 0, 0)
    assert snapshot(path) == pseudonymised[4]
    assert all("[[" not in text for _, text, _ in snapshot(path)["documents"].values())
    assert heads == Project(pseudonymised[1]).status()["audit_head"]


def test_a_later_document_gets_the_tags_the_key_already_holds(pseudonymised, tmp_path, detector):
    from qualcode import Project

    path = copy_of(pseudonymised, tmp_path)
    key = tmp_path / "study.key"
    shutil.copyfile(pseudonymised[2], key)
    tags = originals(key)
    late = tmp_path / "late.txt"
    late.write_text("I: Wie was er bij?\n\nR: Eva Jansen en Gerard Mulder, in Maasdelta. En Truus Hogenboom.\n", encoding="utf-8")
    with Project(path) as project:
        project.import_files([late])
        result = project.pseudonymise(["late"], key=key, passphrase=PASSPHRASE, detector=detector)
        text = project.transcript("late")["text"].iloc[-1]
    assert text == (f"{tags['Eva Jansen']} en {tags['Gerard Mulder']}, in {tags['Maasdelta']}. "
                    f"En [PERSOON-{sum(t.startswith('[PERSOON') for t in tags.values()) + 1}].")
    assert result.new_tags == 1


def test_depseudonymise_writes_a_copy_with_the_originals_and_leaves_the_project(pseudonymised, tmp_path):
    from qualcode import Project

    _, path, key, before, after, _ = pseudonymised
    with Project(path) as project:
        done = project.depseudonymise(key=key, passphrase=PASSPHRASE, to=tmp_path / "originals.sqlite")
    assert done["documents"] == 11
    restored = snapshot(tmp_path / "originals.sqlite")
    assert restored["documents"] == before["documents"]
    assert restored["codings"] == before["codings"]
    assert restored["memos"] == before["memos"]
    assert restored["speakers"] == before["speakers"]
    assert restored["attributes"] == before["attributes"]
    assert snapshot(path) == after
    assert (tmp_path / "originals.sqlite").stat().st_mode & 0o777 == 0o600


# ---- the command line ----------------------------------------------------------------------------

def file_state(path: Path) -> str:
    """The project's content as a hash of its rows (its bytes change when SQLite only reads)."""
    with sqlite3.connect(path) as conn:
        return hashlib.sha256(repr([conn.execute(f"SELECT * FROM {table}").fetchall() for table in
                                    ("documents", "turns", "segments", "codings", "memos", "audit", "meta")]).encode()).hexdigest()


@pytest.mark.parametrize("case,message", [
    ("wrong passphrase", "{key}: wrong passphrase, or the key file was damaged; nothing changed"),
    ("damaged", "{key}: not a readable qualcode key file (damaged or another kind of file); nothing changed; use your backup copy of the key"),
    ("another project", "{key}: this key belongs to another project (other-project, not {project}); nothing changed; give the key made for this project"),
    ("new key for a pseudonymised project", "this project was pseudonymised with key {key_id}: give that key file with --key ({key} does not exist), so that tags stay the same"),
])
def test_a_bad_key_is_refused_with_one_line_and_nothing_changed(pseudonymised, tmp_path, cli, case, message):
    path = copy_of(pseudonymised, tmp_path)
    key = tmp_path / "given.key"
    passphrase = PASSPHRASE
    header = json.loads(pseudonymised[2].read_text())
    if case == "wrong passphrase":
        shutil.copyfile(pseudonymised[2], key)
        passphrase = "wrong"
    elif case == "damaged":
        key.write_text(pseudonymised[2].read_text()[:200], encoding="utf-8")
    elif case == "another project":
        pseudonym_key.write(key, pseudonym_key.Key(project="other-project"), PASSPHRASE)
    state = file_state(path)
    for command in (["pseudonymise"], ["depseudonymise", "--to", tmp_path / "copy.sqlite"]):
        if case == "new key for a pseudonymised project" and command[0] == "depseudonymise":
            continue
        result = cli(*command, "--key", key, "--project", path, env={"QUALCODE_KEY_PASSPHRASE": passphrase})
        assert result.exit_code == 2
        assert result.stderr == "qualcode: error: " + message.format(key=key, project=header["project"],
                                                                     key_id=header["id"]) + "\n"
        assert file_state(path) == state
        assert not (tmp_path / "copy.sqlite").exists()


def test_dry_run_lists_hits_as_json_and_changes_nothing(project, make_document, cli, shared_detector):
    make_document("km01", [("Eva de Wit", "respondent", "Mijn collega Sanne Bakker belde, 06-41729385.")],
                  attributes={"municipality": "Veenstad"})
    state = file_state(project.path)
    result = cli("pseudonymise", "--dry-run", "--format", "json", "--project", project.path)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [(h["where"], h["original"], h["category"], h["tag"]) for h in hits] == [
        ("text", "Sanne Bakker", "PERSOON", "[PERSOON-2]"), ("text", "06-41729385", "TELEFOON", "[TELEFOON-1]"),
        ("speaker", "Eva de Wit", "PERSOON", "[PERSOON-1]"), ("attribute municipality", "Veenstad", "PLAATS", "[PLAATS-1]")]
    assert hits[0]["context"] == "Mijn collega Sanne Bakker belde, 06-41729385."
    assert file_state(project.path) == state


def test_import_pseudonymise_leaves_no_name_in_what_was_imported(tmp_path, cli, shared_detector):
    cli("init", tmp_path / "study")
    result = cli("import", TRANSCRIPTS / "mg-veenstad-02.txt", "--attr", "municipality=Veenstad", "--interviewer",
                 "Lisa Vermeulen", "--pseudonymise", "--key", tmp_path / "study.key", "--project", tmp_path / "study",
                 env={"QUALCODE_KEY_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert "pseudonymised 1 documents and 0 memos" in result.stdout
    shown = cli("documents", "--format", "json", "--project", tmp_path / "study")
    [row] = json.loads(shown.stdout)
    assert (row["name"], row["speakers"], row["municipality"]) == (
        "mg-plaats-1-02", "[PERSOON-1] (interviewer), [PERSOON-2]", "[PLAATS-1]")
    raw = b"".join(p.read_bytes() for p in (tmp_path / "study").glob("qualcode.sqlite*"))
    assert not re.search(rb"Hoekstra|Vermeulen|Veenstad|veenstad|Meppel|161803398", raw)


def test_import_with_a_wrong_passphrase_imports_nothing(pseudonymised, tmp_path, cli):
    path = copy_of(pseudonymised, tmp_path)
    state = file_state(path)
    result = cli("import", TRANSCRIPTS / "mg-veenstad-02.txt", "--pseudonymise", "--key", pseudonymised[2],
                 "--project", path, env={"QUALCODE_KEY_PASSPHRASE": "wrong"})
    assert result.exit_code == 2
    assert result.stderr == f"qualcode: error: {pseudonymised[2]}: wrong passphrase, or the key file was damaged; nothing changed\n"
    assert file_state(path) == state


def test_the_demo_runs_pseudonymised(tmp_path, cli, shared_detector):
    result = cli("demo", tmp_path / "demo", "--pseudonymise", env={"QUALCODE_KEY_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert "== 3b. names and numbers replaced by tags" in result.stdout
    held = re.compile(rb"(?<![A-Za-z])(?:Maasdelta|Veenstad|Kromhout|Eva Jansen|Peter Hoekstra|Dordrecht|Hendriks|"
                      rb"maasdelta|veenstad|kromhout)(?![A-Za-z])")
    survey_joined = {"themes-survey.sav"}  # carries the survey file's own municipality column
    for file in (tmp_path / "demo").rglob("*"):
        if file.is_file() and file.name not in survey_joined and file.suffix != ".key":
            assert not held.search(readable(file)), file


def test_deduce_and_cryptography_load_only_where_they_are_used():
    code = ("import sys\nimport qualcode.project, qualcode.cli.pseudonymise, qualcode.cli.ingest\n"
            "print(sorted(m for m in ('deduce', 'docdeid', 'cryptography') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip() == "[]"
