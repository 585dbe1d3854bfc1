import json

import pytest

from qualcode.errors import UnknownItem
from sample_coding import build


@pytest.fixture
def coded(project, make_document):
    build(project, make_document)
    return project


def test_memo_add_on_each_target_then_list_and_filter(coded, cli):
    where = ("--project", coded.path)
    assert cli("memo", "add", "Mooi citaat", "--segment", "km01:1", "--coder", "anna", *where).output == "memo 1 added\n"
    cli("memo", "add", "Respondent was moe", "--doc", "km01", "--coder", "anna", *where)
    cli("memo", "add", "Grens met KD-OVL", "--code", "KV-LEER", "--coder", "bram", *where)
    cli("memo", "add", "Eerste ronde klaar", "--project-wide", "--author", "bram", *where)
    cli("memo", "add", "Ander document", "--segment", "cl01:2", "--coder", "bram", *where)
    listed = json.loads(cli("memo", "list", "--format", "json", *where).output)
    assert [(m["id"], m["target_type"], m["target"], m["author"]) for m in listed] == [
        (1, "segment", "km01:1", "anna"), (2, "document", "km01", "anna"), (3, "code", "KV-LEER", "bram"),
        (4, "project", "", "bram"), (5, "segment", "cl01:2", "bram"),
    ]
    assert coded.memos(document="km01")["text"].tolist() == ["Mooi citaat", "Respondent was moe"]
    assert coded.memos(code="KV-LEER")["text"].tolist() == ["Grens met KD-OVL"]
    shown = cli("memo", "show", "3", *where).output.splitlines()
    assert shown[0] == "memo 3 on code KV-LEER"
    assert shown[1].startswith("by bram, 20")
    assert shown[3] == "Grens met KD-OVL"


def test_memo_add_needs_exactly_one_target(coded, cli):
    result = cli("memo", "add", "x", "--doc", "km01", "--code", "KV", "--coder", "anna", "--project", coded.path)
    assert result.exit_code == 2
    assert "give exactly one of --doc, --segment, --code or --project-wide" in result.output
    assert coded.memos().empty


def test_unknown_memo_and_document_are_named(coded):
    with pytest.raises(UnknownItem, match=r"^unknown memo '7': there is no memo yet; see 'qualcode memo list'$"):
        coded.memo(7)
    with pytest.raises(UnknownItem, match=r"^unknown document 'km02': did you mean km01\?; see 'qualcode documents'$"):
        coded.memos(document="km02")
