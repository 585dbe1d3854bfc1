"""Privacy: the audit log's one rewrite, erasure (forget), private files, attribution."""

import json
import sqlite3

import pytest
import sqlalchemy as sa

from qualcode.auditlog import entry_hash
from qualcode.store import audit
from qualcode.store.log import rewrite
from sample_coding import build


@pytest.fixture
def coded(project, make_document):
    build(project, make_document)
    return project


def audit_table(project) -> list[dict]:
    with project.store.reading() as conn:
        return [dict(row) for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings()]


def missing_triggers(project) -> list[str]:
    from qualcode.store.reads import missing_audit_triggers

    with project.store.reading() as conn:
        return missing_audit_triggers(conn)


# ---- the audit log's one rewrite -------------------------------------------------------------

def test_rewrite_replaces_payloads_rechains_and_logs_itself(coded):
    before = audit_table(coded)
    coding = next(row for row in before if row["action"] == "coding.add")
    memo_target = before[-1]
    with coded.store.atomic("test.rewrite") as conn:
        changed = rewrite(coded.store, conn, {
            coding["id"]: {"detail": {"erased": "tombstone"}},
            memo_target["id"]: {"target": "[PERSOON-1]", "detail": memo_target["detail"].replace("a", "b")},
        }, target="test", detail={"reason": "a test"})
    assert changed == 2
    after = audit_table(coded)
    by_id = {row["id"]: row for row in after}
    assert json.loads(by_id[coding["id"]]["detail"]) == {"erased": "tombstone"}
    assert by_id[coding["id"]]["target"] == coding["target"]
    assert (by_id[memo_target["id"]]["target"], by_id[memo_target["id"]]["detail"]) == (
        "[PERSOON-1]", memo_target["detail"].replace("a", "b"))
    kept = ("id", "at", "actor", "action")
    assert [{k: row[k] for k in kept} for row in after[:len(before)]] == [{k: row[k] for k in kept} for row in before]
    assert after[:coding["id"] - 1] == before[:coding["id"] - 1]  # untouched before the first change
    assert all(entry_hash(row) == row["hash"] for row in after)
    assert all(row["prev_hash"] == previous["hash"] for previous, row in zip(after, after[1:]))
    logged = after[-1]
    assert (logged["action"], logged["target"]) == ("audit.rewrite", "test")
    detail = json.loads(logged["detail"])
    previous_head = detail.pop("previous_head")
    assert detail == {"reason": "a test", "entries": sorted([coding["id"], memo_target["id"]]), "rehashed_from": coding["id"]}
    assert len(previous_head) == 64 and previous_head not in {row["hash"] for row in after}  # the head it replaced
    result = coded.verify_log()
    assert (result.ok, result.breaks, result.missing_triggers) == (True, [], [])
    assert missing_triggers(coded) == []
    coded.tag("km01:1", ["KG-REL"], coder="anna")  # the next write's tail check accepts the new head
    assert coded.verify_log().ok


@pytest.mark.sqlite_only(reason="breaks the chain by hand through the SQLite file")
def test_rewrite_keeps_an_accepted_break_visible(coded):
    with sqlite3.connect(coded.path) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET actor = 'bram' WHERE id = 7")
    conn.close()
    coded.store.accept_break = True
    coded.tag("km01:1", ["KG-REL"], coder="anna")
    coded.store.accept_break = False
    broken = [b.describe() for b in coded.verify_log().breaks]
    with coded.store.atomic("test.rewrite") as conn:
        rewrite(coded.store, conn, {3: {"detail": {"erased": "tombstone"}}}, target="test")
    result = coded.verify_log()
    assert (result.ok, [b.describe() for b in result.breaks]) == (True, broken)
    assert broken[0].startswith("entry #7: changed: its fields no longer match its hash (accepted by entry #")


def test_a_failed_rewrite_leaves_the_log_and_its_triggers_as_they_were(coded):
    before = audit_table(coded)
    with pytest.raises(RuntimeError), coded.store.atomic("test.rewrite") as conn:
        rewrite(coded.store, conn, {3: {"detail": {"erased": "tombstone"}}}, target="test")
        raise RuntimeError("stop")
    assert audit_table(coded) == before
    assert missing_triggers(coded) == []


def test_scrub_takes_rewritten_text_out_of_the_file_and_the_wal(coded):
    from qualcode.store.erase import scrub

    with coded.store.atomic("memo.add") as conn:
        coded.store.log(conn, "test.note", "x", {"text": "Zeldzaamwoord-Qwerty"})
    row = audit_table(coded)[-1]
    with coded.store.atomic("test.rewrite") as conn:
        rewrite(coded.store, conn, {row["id"]: {"detail": {}}}, target="test")
    assert scrub(coded.store) is True
    files = [path for path in coded.path.parent.iterdir() if path.name.startswith(coded.path.name)]
    assert all(b"Zeldzaamwoord-Qwerty" not in path.read_bytes() for path in files), files
    assert coded.verify_log().ok


# ---- forget: a respondent withdraws ----------------------------------------------------------

def project_bytes(project) -> dict[str, bytes]:
    """The raw bytes of the project file and its -wal and -shm files, as they are on disk."""
    return {path.name: path.read_bytes() for path in project.path.parent.iterdir() if path.name.startswith(project.path.name)}


def counts(project) -> dict:
    status = project.status()
    return {key: status[key] for key in ("documents", "segments", "codings")}


def test_forget_removes_the_document_everywhere_and_leaves_tombstones(coded):
    coded.add_memo("Sanctie-memo: zij was boos", segment="cl01:2", author="anna")
    coded.add_memo("Over het hele gesprek met cl01", document="cl01", author="bram")
    coded.add_memo("km01 blijft", segment="km01:1", author="anna")
    before = audit_table(coded)
    done = coded.forget("cl01", reason="consent withdrawn")
    assert done.removed == {"codings": 2, "reviews": 3, "decisions": 0, "memos": 2, "attributes": 2,
                            "segments": 2, "turns": 4, "documents": 1}
    assert (done.exports, done.scrubbed) == ([], True)
    assert counts(coded) == {"documents": 1, "segments": 2, "codings": 6}
    assert coded.documents()["name"].tolist() == ["km01"]
    after = audit_table(coded)
    stones = [row for row in after if row["target"] == "forgotten"]
    assert len(stones) == done.entries
    assert {json.loads(row["detail"])["forgotten"] for row in stones} == {f"document:{done.guid}"}
    assert sorted({row["action"] for row in stones}) == [
        "coding.add", "document.add", "memo.add", "review", "review.add", "tag", "test.add_document"]
    forget_entry, rewrite_entry = after[-2], after[-1]
    assert (forget_entry["action"], forget_entry["target"], json.loads(forget_entry["detail"])["reason"]) == (
        "forget", f"document:{done.guid}", "consent withdrawn")
    assert (rewrite_entry["action"], json.loads(rewrite_entry["detail"])["removed"]) == ("audit.rewrite", done.removed)
    untouched = [row for row in before if row["id"] not in {s["id"] for s in stones}]
    assert all((row["target"], row["detail"]) == (after[row["id"] - 1]["target"], after[row["id"] - 1]["detail"])
               for row in untouched)
    assert coded.verify_log().ok
    if coded.store.on_server:
        return  # the bytes of the server's files are the server's (see the README); the rest held on both
    raw = b"".join(project_bytes(coded).values())
    for phrase in ("Sanctie", "Mijn klantmanager luistert", "Veenstad", "cl01", "Over het hele gesprek"):
        assert phrase.encode() not in raw, phrase
    assert b"km01 blijft" in raw and b"Maasdelta" in raw


def test_forget_refuses_a_reason_that_names_the_document_and_an_unknown_document(coded):
    from qualcode.errors import BadInput, UnknownItem

    before = audit_table(coded)
    with pytest.raises(BadInput, match=r"^the --reason names the document it forgets; say why without naming it "
                                       r"\(e\.g\. \"consent withdrawn\"\): the audit log keeps the reason$"):
        coded.forget("cl01", reason="cl01 withdrew")
    with pytest.raises(UnknownItem, match=r"^unknown document 'cl02': did you mean cl01\?"):
        coded.forget("cl02", reason="consent withdrawn")
    assert audit_table(coded) == before


def test_forget_command_asks_first_and_lists_earlier_exports(coded, cli, tmp_path):
    coded.quotes(tmp_path / "quotes.csv")
    refused = cli("forget", "cl01", "--reason", "consent withdrawn", "--project", coded.path, input="n\n")
    assert refused.exit_code == 1 and counts(coded)["documents"] == 2
    done = cli("forget", "cl01", "--reason", "consent withdrawn", "--yes", "--project", coded.path)
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith("forgot cl01 (now document:")
    assert lines[0].endswith("removed 2 codings, 3 reviews, 0 decisions, 0 memos, 2 attributes, 2 segments, 4 turns, "
                             "1 documents; 10 audit entries became tombstones")
    assert lines[1] == "exports made earlier that hold it; delete them (and any copies) yourself:"
    assert lines[2].endswith(f" quotes by {coded.store.acting()}: {tmp_path / 'quotes.csv'}")
    assert counts(coded)["documents"] == 1


# ---- private files ---------------------------------------------------------------------------

def mode(path) -> str:
    return oct(path.stat().st_mode & 0o777)


@pytest.mark.sqlite_only(reason="about the SQLite file's mode; a server keeps its own files")
@pytest.mark.parametrize("asked, expected", [(None, "0o600"), ("0640", "0o640")])
def test_the_project_file_and_its_wal_and_shm_get_the_private_mode(tmp_path, monkeypatch, asked, expected):
    from qualcode import Project

    if asked:
        monkeypatch.setenv("QUALCODE_FILE_MODE", asked)
    with Project.init(tmp_path / "study") as made:
        made.add_code("X", "x")
        files = {path.name: mode(path) for path in made.path.parent.iterdir()}
        made.copy_to(tmp_path / "copy")
    assert files == {"qualcode.sqlite": expected, "qualcode.sqlite-wal": expected, "qualcode.sqlite-shm": expected}
    assert mode(tmp_path / "copy" / "qualcode.sqlite") == expected


@pytest.mark.sqlite_only(reason="the mode is checked where a file is made; a server project's init makes none")
def test_a_file_mode_the_owner_cannot_read_is_refused(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("QUALCODE_FILE_MODE", "0044")
    result = cli("init", tmp_path / "study")
    assert (result.exit_code, result.output) == (2, "qualcode: error: QUALCODE_FILE_MODE='0044': give an octal file mode "
                                                    "the owner can read and write, e.g. 0600 or 0640\n")
    assert not (tmp_path / "study" / "qualcode.sqlite").exists()


def test_exports_are_private_and_those_with_quotes_or_attributes_say_so(coded, tmp_path):
    import zipfile

    import docx
    import openpyxl

    from qualcode.outputfile import PERSONAL_DATA

    out = tmp_path / "exports"
    out.mkdir()
    (out / "quotes.csv").write_text("an older, world-readable file\n")
    (out / "quotes.csv").chmod(0o644)
    coded.quotes(out / "quotes.csv")
    coded.quotes(out / "quotes.docx")
    coded.export_matrix(out / "matrix.sav")
    coded.export_matrix(out / "framework.xlsx", frame=coded.framework(quotes=1))
    coded.export_matrix(out / "cooccurrence.csv", frame=coded.cooccurrence())
    coded.export_refi_project(out / "study.qdpx")
    coded.export_codebook(out / "codebook.yaml")
    written = {path.name: mode(path) for path in out.iterdir()}
    assert written == dict.fromkeys([
        "quotes.csv", "quotes.docx", "matrix.sav", "matrix.sav.dictionary.csv", "matrix.sav.dictionary.json", "matrix.sav.R",
        "matrix.sav.do", "framework.xlsx", "framework.xlsx.dictionary.csv", "framework.xlsx.dictionary.json",
        "cooccurrence.csv", "cooccurrence.csv.dictionary.csv", "cooccurrence.csv.dictionary.json", "study.qdpx",
        "codebook.yaml"], "0o600")
    assert (out / "quotes.csv").read_text().splitlines()[0] == "code,code_name,ref,document,speaker,time,text,coders,memos"
    assert docx.Document(out / "quotes.docx").core_properties.comments == PERSONAL_DATA
    assert openpyxl.load_workbook(out / "framework.xlsx").properties.description == PERSONAL_DATA
    assert json.loads((out / "matrix.sav.dictionary.json").read_text())["personal_data"] == PERSONAL_DATA
    assert "personal_data" not in json.loads((out / "cooccurrence.csv.dictionary.json").read_text())
    with zipfile.ZipFile(out / "study.qdpx") as archive:
        assert archive.comment == PERSONAL_DATA.encode()
        assert archive.read("project.qde").splitlines()[1] == f"<!-- {PERSONAL_DATA} -->".encode()
    kinds = [(row["target"], json.loads(row["detail"])["files"]) for row in audit_table(coded) if row["action"] == "export"]
    assert kinds[0] == ("quotes", [str(out / "quotes.csv")]) and kinds[-1] == ("codebook", [str(out / "codebook.yaml")])
    assert [kind for kind, _files in kinds] == ["quotes", "quotes", "matrix", "framework", "cooccurrence",
                                                "REFI-QDA project", "codebook"]


# ---- quotes name no attribute unless asked -------------------------------------------------

def test_quotes_and_framework_name_only_the_attributes_asked_for(coded, tmp_path, cli):
    import csv

    from qualcode.errors import UnknownItem

    plain = coded.quotes(tmp_path / "plain.csv")
    assert {quote.attribution() for section in plain for quote in section.quotes} >= {"km01:1, R, 0:10; coded by anna, bram"}
    assert all(quote.attributes == {} for section in plain for quote in section.quotes)
    result = cli("quotes", "--attr-show", "role", "--out", tmp_path / "role.csv", "--project", coded.path)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "role.csv").open(encoding="utf-8")))
    assert "municipality" not in rows[0] and {row["ref"]: row["role"] for row in rows}["cl01:1"] == "client"
    framework = coded.framework(quotes=1)
    assert not framework.apply(lambda column: column.str.contains("Maasdelta|Veenstad|role")).any().any()
    shown = coded.framework(quotes=1, show_attributes=["role"])
    assert shown.loc["cl01", "KG"] == "\u201cMijn klantmanager luistert echt naar me.\u201d (cl01:1; role: client)"
    with pytest.raises(UnknownItem, match=r"^unknown attribute 'rol': did you mean role\?"):
        coded.quotes(tmp_path / "x.csv", show_attributes=["rol"])
    wrong = cli("framework", "--attr-show", "rol", "--out", tmp_path / "f.xlsx", "--project", coded.path)
    assert (wrong.exit_code, wrong.output) == (2, "qualcode: error: unknown attribute 'rol': did you mean role?; see "
                                                  "'qualcode documents'\n")


@pytest.mark.sqlite_only(reason="reads the SQLite file's bytes; a server keeps its own files")
def test_forget_on_the_demo_leaves_no_sentence_of_the_transcript_in_the_files(demo_run, tmp_path, cli):
    import shutil

    from qualcode import Project

    folder = tmp_path / "demo"
    shutil.copytree(demo_run[0], folder)
    with Project(folder) as demo:
        def sentences(name):
            return [part[:40] for text in demo.transcript(name)["text"] for part in text.split(". ") if len(part) > 40]
        before = b"".join(project_bytes(demo).values())
        # A long text runs over several pages of the file, so a few sentences are cut by page headers.
        gone = [sentence for sentence in sentences("cl-veenstad-01") if sentence.encode() in before]
        kept = [sentence for sentence in sentences("km-veenstad-01") if sentence.encode() in before]
        assert len(gone) > 80 and len(kept) > 80
    result = cli("forget", "cl-veenstad-01", "--reason", "consent withdrawn", "--yes", "--project", folder)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "exports made earlier that hold it; delete them (and any copies) yourself:"
    listed = [line.strip().split(" ", 1)[1].split(" by ")[0] for line in lines[2:]]
    assert listed == ["matrix"] * 3 + ["survey join", "joint display", "REFI-QDA project", "report"]  # not the .qdc
    assert lines[7].endswith("/exports/demo.qdpx")
    with Project(folder) as demo:
        after = b"".join(project_bytes(demo).values())
        assert [sentence for sentence in gone if sentence.encode() in after] == []
        assert b"cl-veenstad-01" not in after
        assert all(sentence.encode() in after for sentence in kept)
        assert demo.verify_log().ok and "cl-veenstad-01" not in demo.documents()["name"].tolist()
