"""One Selection, one KEY=VALUE parser, one rule for a filter that matches nothing."""

import pytest

from qualcode.errors import BadInput, UnknownItem
from qualcode.selection import Selection, check_attributes, matching_documents, parse_pairs, parse_segment_ref, ref

VALUES = {"role": {"client", "klantmanager"}, "municipality": {"Veenstad", "Maasdelta"}}


def test_pairs_are_parsed_once_with_one_message():
    assert parse_pairs(["role=client", " municipality = Veenstad "]) == {"role": "client", "municipality": "Veenstad"}
    assert parse_pairs(()) == {}
    for bad in ("role", "=client", "role=", "1role=x"):
        with pytest.raises(BadInput) as caught:
            parse_pairs([bad])
        assert str(caught.value) == f"bad --attr {bad!r}: write KEY=VALUE, e.g. --attr role=klantmanager"


def test_an_unknown_key_or_a_value_no_document_has_is_an_error_naming_the_valid_ones():
    check_attributes({"role": "CLIENT", "municipality": "veenstad"}, VALUES)
    with pytest.raises(UnknownItem) as caught:
        check_attributes({"rol": "client"}, VALUES)
    assert str(caught.value) == "unknown attribute 'rol': did you mean role?; see 'qualcode documents'"
    with pytest.raises(UnknownItem) as caught:
        check_attributes({"role": "klantmanger"}, VALUES)
    assert str(caught.value) == "unknown role value 'klantmanger': did you mean klantmanager?; see 'qualcode documents'"
    with pytest.raises(UnknownItem) as caught:
        check_attributes({"municipality": "Rotterdam"}, VALUES)
    assert str(caught.value) == "unknown municipality value 'Rotterdam': known: Maasdelta, Veenstad; see 'qualcode documents'"


def test_documents_match_every_pair_ignoring_case():
    rows = [(1, "role", "client"), (1, "municipality", "Veenstad"), (2, "role", "Client"), (2, "municipality", "Maasdelta"),
            (3, "role", "klantmanager")]
    assert matching_documents({"role": "CLIENT"}, rows) == {1, 2}
    assert matching_documents({"role": "client", "municipality": "veenstad"}, rows) == {1}


def test_a_segment_reference_is_written_and_read_in_one_place():
    assert ref("km-01", 12) == "km-01:12"
    assert parse_segment_ref(" km-01:12 ") == ("km-01", 12)
    assert Selection.of(["km-01"], None, coder="anna") == Selection(documents=("km-01",), attributes={}, coder="anna")


def test_every_filtering_method_refuses_a_value_no_document_has(project, make_document):
    make_document("km01", [("R", "respondent", "Ik werk hier.")], {"role": "klantmanager"})
    make_document("cl01", [("R", "respondent", "Ik zoek werk.")], {"role": "client"})
    project.tag("km01:1", [], coder="anna")
    project.tag("km01:1", [], coder="bram")
    line = "unknown role value 'klantmanger': did you mean klantmanager?; see 'qualcode documents'"
    calls = [
        lambda: project.segments(attributes={"role": "klantmanger"}),
        lambda: project.worklist(attributes={"role": "klantmanger"}),
        lambda: project.agreement(attributes={"role": "klantmanger"}),
        lambda: project.matrix(attributes={"role": "klantmanger"}),
    ]
    for call in calls:
        with pytest.raises(UnknownItem) as caught:
            call()
        assert str(caught.value) == line
    assert project.segments(attributes={"role": "Klantmanager"})["ref"].tolist() == ["km01:1"]


def test_the_segments_command_refuses_a_typo_with_exit_2(project, make_document, cli):
    make_document("km01", [("R", "respondent", "Ik werk hier.")], {"role": "klantmanager"})
    result = cli("segments", "--attr", "role=klantmanger", "--project", project.path)
    assert result.exit_code == 2
    assert result.stderr == "qualcode: error: unknown role value 'klantmanger': did you mean klantmanager?; see 'qualcode documents'\n"
