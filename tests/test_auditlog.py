import json

import pytest

from qualcode.auditlog import parse_since
from qualcode.errors import BadInput
from sample_coding import build


@pytest.fixture
def coded(project, make_document):
    build(project, make_document)
    return project


def test_log_filters_by_coder_and_action(coded):
    anna = coded.log(coder="anna", action="coding")
    assert anna["action"].tolist() == ["coding.add"] * 4
    assert sorted(json.loads(d)["code"] for d in anna["detail"]) == ["KG-REL", "KT-WET", "KV-LEER", "ROL-CTRL"]
    assert coded.log(coder="bram", action="review")["action"].tolist() == ["review.add"] * 3
    assert coded.log(coder="anna", action="review")["action"].tolist() == ["review.add"] * 3 + ["review", "review.add"]
    assert coded.log(action="codebook.load")["target"].str.endswith("professioneel-handelen.yaml").tolist() == [True]


def test_log_since_a_date(coded):
    everything = coded.log()
    assert len(coded.log(since="2000-01-01")) == len(everything)
    assert coded.log(since="2999-01-01").empty
    assert parse_since("2026-11-27") == "2026-11-27T00:00:00+00:00"
    assert parse_since("2026-11-27T15:00+01:00") == "2026-11-27T14:00:00+00:00"
    with pytest.raises(BadInput, match=r"^bad --since '27-11-2026': write a date such as 2026-11-27, or 2026-11-27T14:00$"):
        coded.log(since="27-11-2026")


def test_log_command_as_json(coded, cli):
    coded.merge_codes(["KD-OVL"], "KV-LEER")
    result = cli("log", "--action", "code.merge", "--format", "json", "--project", coded.path)
    [entry] = json.loads(result.output)
    assert (entry["action"], entry["target"], json.loads(entry["detail"])["collapsed"]) == ("code.merge", "KD-OVL", 1)


def test_log_names_segments_as_doc_n(coded):
    coded.add_memo("streng", segment="km01:2", author="anna")
    anna = coded.log(coder="anna", action="coding")
    assert sorted(anna["target"]) == ["cl01:1", "km01:1", "km01:2", "km01:2"]
    assert coded.log(action="memo.add")["target"].tolist() == ["segment:km01:2"]
