import json

import pytest

from qualcode.errors import UnknownItem
from qualcode.retrieval import fold, format_time
from sample_coding import build


@pytest.fixture
def coded(project, make_document):
    build(project, make_document)
    return project


def refs(table):
    return table["ref"].tolist()


def test_a_code_includes_its_sub_codes_unless_exact(coded):
    assert refs(coded.segments(codes=["KV"])) == ["km01:1"]
    assert refs(coded.segments(codes=["KV"], exact=True)) == []
    assert refs(coded.segments(codes=["KT"])) == ["cl01:2", "km01:2"]
    assert refs(coded.segments(codes=["KT-WET"], exact=True)) == ["cl01:2", "km01:2"]


def test_boolean_code_filters(coded):
    assert refs(coded.segments(all_of=["KT", "ROL"])) == ["km01:2"]
    assert refs(coded.segments(all_of=["KT", "ROL"], coder="bram")) == []
    assert refs(coded.segments(any_of=["KG", "KD"])) == ["cl01:1", "km01:1"]
    assert refs(coded.segments(none_of=["KT"])) == ["cl01:1", "km01:1"]
    assert refs(coded.segments(codes=["KV"], any_of=["KT"])) == ["cl01:2", "km01:1", "km01:2"]
    assert refs(coded.segments(all_of=["KV"], none_of=["KD"])) == []


def test_coder_and_uncoded(coded):
    assert refs(coded.segments(codes=["KT"], coder="anna")) == ["km01:2"]
    assert refs(coded.segments(uncoded=True)) == []
    assert refs(coded.segments(uncoded=True, coder="anna")) == ["cl01:2"]
    assert refs(coded.segments(uncoded=True, coder="bram")) == ["cl01:1"]
    with pytest.raises(UnknownItem, match=r"^unknown coder 'ana': did you mean anna\?; see 'qualcode status'$"):
        coded.segments(coder="ana")


def test_text_search_ignores_case_and_accents(coded):
    assert fold("Écht Cliënt") == "echt client"
    assert refs(coded.segments(text="ECHT")) == ["cl01:1", "cl01:2"]
    assert refs(coded.segments(text="sanctie gemeente")) == ["cl01:2"]
    assert refs(coded.segments(text="sanctie collega")) == []
    assert refs(coded.segments(text="participatiewet", attributes={"role": "client"})) == []


def test_rows_carry_attributes_and_codes_per_coder(coded):
    table = coded.segments().set_index("ref")
    assert table.loc["km01:1", "codes"] == "anna: KV-LEER | bram: KD-OVL, KV-LEER"
    assert table.loc["cl01:1", "codes"] == "anna: KG-REL"
    assert table.loc["cl01:2", "codes"] == "bram: KT-WET"
    assert (table.loc["cl01:2", "role"], table.loc["cl01:2", "municipality"]) == ("client", "Veenstad")
    assert coded.segments(coder="anna").set_index("ref").loc["km01:1", "codes"] == "KV-LEER"


def test_segments_command_as_json_for_clients_only(coded, cli):
    result = cli("segments", "--code", "KT", "--attr", "role=client", "--format", "json", "--project", coded.path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{
        "ref": "cl01:2", "document": "cl01", "segment": 2, "speaker": "R", "time": "0:30",
        "text": "Ik kreeg een Sanctie; ik was écht boos op de Gemeente.",
        "municipality": "Veenstad", "role": "client", "codes": "bram: KT-WET", "passages": "",
    }]


def test_segments_command_takes_comma_lists_and_shows_a_table(coded, cli):
    result = cli("segments", "--any-of", "KG,KD", "--none-of", "KV", "--project", coded.path)
    assert result.exit_code == 0
    assert "cl01:1" in result.output and "km01:1" not in result.output
    bad = cli("segments", "--attr", "role", "--project", coded.path)
    assert bad.exit_code == 2
    assert bad.output.strip() == "qualcode: error: bad --attr 'role': write KEY=VALUE, e.g. --attr role=klantmanager"


def test_format_time():
    assert [format_time(s) for s in (None, 5.0, 75.9, 3725.0)] == ["", "0:05", "1:15", "1:02:05"]


def test_a_segment_reference_stands_wherever_a_document_does(coded):
    assert refs(coded.segments(["km01:2", "cl01"])) == ["cl01:1", "cl01:2", "km01:2"]
    assert [item.ref for item in coded.worklist(["cl01:2"])] == ["cl01:2"]
    with pytest.raises(UnknownItem):
        coded.segments(["nope:1"])
