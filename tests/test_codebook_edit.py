import json

import pytest
import sqlalchemy as sa

from qualcode.errors import BadInput, Conflict
from qualcode.store import audit, codes, codings, memos
from sample_coding import build


@pytest.fixture
def coded(project, make_document):
    build(project, make_document)
    return project


def counts(project):
    with project.store.reading() as conn:
        return dict(conn.execute(sa.select(codings.c.code_id, sa.func.count()).group_by(codings.c.code_id)).all())


def parent_of(project, code_id):
    with project.store.reading() as conn:
        return conn.execute(sa.select(codes.c.parent_id).where(codes.c.id == code_id)).scalar()


def audit_entries(project, action):
    with project.store.reading() as conn:
        rows = conn.execute(sa.select(audit.c.target, audit.c.detail).where(audit.c.action == action)).all()
    return [(target, json.loads(detail)) for target, detail in rows]


BEFORE = {"KV-LEER": 2, "KD-OVL": 1, "KT-WET": 3, "ROL-CTRL": 1, "KG-REL": 1}


def test_merge_moves_codings_and_collapses_duplicates(coded, cli):
    assert counts(coded) == BEFORE
    result = cli("codes", "merge", "KD-OVL", "KT-WET", "--into", "KV-LEER", "--project", coded.path)
    assert result.output == "merged KD-OVL, KT-WET into KV-LEER: 3 codings moved, 1 duplicates collapsed\n"
    assert counts(coded) == {"KV-LEER": 5, "ROL-CTRL": 1, "KG-REL": 1}
    assert coded.codings(coder="bram")[["document", "segment", "code"]].values.tolist() == [
        ["cl01", 2, "KV-LEER"], ["km01", 1, "KV-LEER"], ["km01", 2, "KV-LEER"],
    ]
    assert {"KD-OVL", "KT-WET"}.isdisjoint(coded.codebook().ids())
    (target, detail), _ = audit_entries(coded, "code.merge")
    assert (target, detail["into"], detail["moved"], detail["collapsed"], detail["code"]["name"]) == (
        "KD-OVL", "KV-LEER", 0, 1, "Sharing in structured meetings")


def test_merge_takes_sub_codes_and_memos_along(coded):
    coded.add_memo("Overlapt met KV", code="KD", author="anna")
    coded.merge_codes(["KD"], "KV")
    assert [parent_of(coded, c) for c in ("KD-COL", "KD-OVL", "KD-EXT")] == ["KV", "KV", "KV"]
    assert counts(coded) == BEFORE
    assert coded.memos(code="KV")["text"].tolist() == ["Overlapt met KV"]
    assert len(coded.codebook().ids()) == 62


def test_merge_refuses_its_own_sub_code_and_itself(coded):
    with pytest.raises(Conflict, match=r"^cannot merge KV into its own sub-code KV-LEER; move KV-LEER out first with 'qualcode codes move KV-LEER --top'$"):
        coded.merge_codes(["KV"], "KV-LEER")
    with pytest.raises(BadInput, match=r"^cannot merge KV into itself; leave it out of the sources$"):
        coded.merge_codes(["KV", "KT"], "KV")
    assert counts(coded) == BEFORE and len(coded.codebook().ids()) == 63


def test_rename_and_move_keep_codings(coded, cli):
    where = ("--project", coded.path)
    assert cli("codes", "rename", "KV-LEER", "Leren in de praktijk", *where).output == (
        "KV-LEER: renamed from 'Learning from practice and feedback' to 'Leren in de praktijk'\n")
    assert cli("codes", "move", "KV-LEER", "--under", "KD", *where).output == "moved KV-LEER under KD\n"
    assert parent_of(coded, "KV-LEER") == "KD"
    assert cli("codes", "move", "KV-LEER", "--top", *where).output == "moved KV-LEER to the top\n"
    assert parent_of(coded, "KV-LEER") is None
    assert counts(coded) == BEFORE
    table = coded.codes().set_index("id")
    assert (table.loc["KV-LEER", "name"], table.loc["KV-LEER", "depth"], table.loc["KV-LEER", "codings"]) == ("Leren in de praktijk", 0, 2)
    assert [d["to"] for _, d in audit_entries(coded, "code.move")] == ["KD", None]


def test_move_refuses_cycles_and_needs_one_target(coded, cli):
    with pytest.raises(Conflict, match=r"^cannot move KV under KV-LEER: KV-LEER is KV or one of its sub-codes; move KV-LEER elsewhere first$"):
        coded.move_code("KV", "KV-LEER")
    result = cli("codes", "move", "KV", "--project", coded.path)
    assert result.exit_code == 2 and "give exactly one of --under PARENT or --top" in result.output


def test_add_a_code_under_a_parent(coded, cli):
    result = cli("codes", "add", "KV-PEER", "--name", "Learning from peers", "--under", "KV",
                 "--definition", "Leren van collega's", "--project", coded.path)
    assert result.output == "added KV-PEER Learning from peers under KV\n"
    kv = next(code for code in coded.codebook().codes if code.id == "KV")
    assert [child.id for child in kv.children][-1] == "KV-PEER"
    assert kv.children[-1].definition == "Leren van collega's"
    with pytest.raises(Conflict, match=r"^code KV-PEER already exists"):
        coded.add_code("KV-PEER", "again")
    with pytest.raises(BadInput, match=r"^code id '9X' must start with a letter"):
        coded.add_code("9X", "bad")


def test_delete_is_refused_with_codings_and_force_keeps_them_in_the_log(coded, cli):
    where = ("--project", coded.path)
    refused = cli("codes", "delete", "KT-WET", *where)
    assert refused.exit_code == 2
    assert refused.output == (
        "qualcode: error: code KT-WET has 3 codings; merge it into another code with "
        "'qualcode codes merge KT-WET --into DEST', or pass --force to delete them (they stay in the audit log)\n"
    )
    assert counts(coded) == BEFORE
    coded.add_memo("Te breed", code="KT-WET", author="anna")
    forced = cli("codes", "delete", "KT-WET", "--force", *where)
    assert forced.output == "deleted KT-WET and its 3 codings (kept in the audit log)\n"
    assert "KT-WET" not in counts(coded)
    [(target, detail)] = audit_entries(coded, "code.delete")
    assert target == "KT-WET"
    assert [(c["ref"], c["coder"]) for c in detail["codings"]] == [("cl01:2", "bram"), ("km01:2", "anna"), ("km01:2", "bram")]
    assert [m["text"] for m in detail["memos"]] == ["Te breed"]
    assert detail["code"]["name"].startswith("Applying law")
    with coded.store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(memos).where(memos.c.target_id == "KT-WET")).scalar() == 0


def test_delete_refuses_a_code_with_sub_codes(coded):
    with pytest.raises(Conflict, match=r"^code ROL has sub-codes \(ROL-HULP, ROL-CTRL, ROL-BEIDE, ROL-REGIE\); move, merge or delete them first$"):
        coded.delete_code("ROL", force=True)


def test_merge_logs_which_codings_moved_and_which_collapsed(coded):
    coded.add_memo("Overlapt met KV", code="KD-OVL", author="anna")
    coded.merge_codes(["KD-OVL"], "KV-LEER")
    [(target, detail)] = audit_entries(coded, "code.merge")
    assert (target, detail["moved_codings"], detail["children_moved"]) == ("KD-OVL", [], [])
    [collapsed] = detail["collapsed_codings"]
    assert (collapsed["ref"], collapsed["coder"], collapsed["origin"]) == ("km01:1", "bram", "manual")
    assert len(detail["memos_moved"]) == 1


def test_codebook_load_logs_the_dropped_codes_and_keeps_their_memos_on_the_project(coded, tmp_path):
    from qualcode import codebook

    coded.add_memo("Een notitie over VB", code="VB-MOTI", author="anna")
    book = coded.codebook()
    vb = next(code for code in book.codes if code.id == "VB")
    vb.children = [child for child in vb.children if child.id != "VB-MOTI"]
    edited = tmp_path / "edited.yaml"
    edited.write_text(codebook.dump(book))
    assert coded.load_codebook(edited).removed == ["VB-MOTI"]
    [(target, detail)] = [entry for entry in audit_entries(coded, "code.delete")]
    assert (target, detail["via"], detail["code"]["id"], detail["code"]["parent_id"]) == ("VB-MOTI", "codebook load", "VB-MOTI", "VB")
    assert [(m["text"], m["target_type"], m["author"]) for m in detail["memos_to_project"]] == [
        ("Een notitie over VB", "code", "anna")]
    memos_now = coded.memos()
    assert memos_now[["target_type", "author", "text"]].values.tolist() == [
        ["project", "anna", f"[on code VB-MOTI ({detail['code']['name']}), removed by loading {edited}]\nEen notitie over VB"]]


def test_codes_commands_name_the_coder_as_actor(coded, cli, monkeypatch):
    cli("codes", "add", "KV-X", "--name", "Iets nieuws", "--coder", "carla", "--project", coded.path)
    monkeypatch.setenv("QUALCODE_CODER", "dirk")
    cli("codes", "rename", "KV-X", "Iets anders", "--project", coded.path)
    monkeypatch.delenv("QUALCODE_CODER")
    coded.remember_coder("anna")
    cli("codes", "move", "KV-X", "--top", "--project", coded.path)
    log = coded.log(action="code.")
    assert log[["action", "actor"]].values.tolist()[-3:] == [["code.add", "carla"], ["code.rename", "dirk"], ["code.move", "anna"]]


def test_with_no_coder_known_the_entry_says_it_is_the_operating_system_user(coded, cli):
    from qualcode.store import default_actor

    cli("codes", "add", "KV-Y", "--name", "Nog iets", "--project", coded.path)
    entry = coded.log(action="codes.add").iloc[-1]
    assert (entry["actor"], json.loads(entry["detail"])) == (default_actor(), {"actor": "operating-system user: no coder named"})
