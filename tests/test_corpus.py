"""The conformance corpus: every file in tests/corpus/expected.yaml reads as its entry says.

Synthetic files are built by tests/corpus/synthetic.py (the shapes of real Teams, Meet, Otter,
typist and table exports, and non-interview text); bundled ones are the samples in transcripts/.
"""

import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from qualcode.ingest import read

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))
import synthetic  # noqa: E402 - lives beside the expectations, not in the test package

EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return synthetic.build(tmp_path_factory.mktemp("corpus"))


def _path(name, built):
    kind, file = name.split("/", 1)
    return built[file] if kind == "synthetic" else {"bundled": REPO / "transcripts", "real": CORPUS / "real"}[kind] / file


def _turn(transcript, turn, words):
    return [turn.speaker, turn.role, turn.time_start, transcript.turn_text(turn)[:len(words)]]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_corpus_file_reads_as_expected(name, built):
    expected = EXPECTED[name]
    path = _path(name, built)
    transcript = read(path, interviewers=expected.get("interviewers", ()))
    assert transcript.detection.layout == expected["layout"]
    wanted = expected.get("turns") or expected["first_turns"]
    count = len(expected["turns"]) if "turns" in expected else expected["turn_count"]
    assert len(transcript.turns) == count
    assert [_turn(transcript, t, w[3]) for t, w in zip(transcript.turns, wanted)] == wanted
    for key, value in expected.get("metadata", {}).items():
        assert transcript.metadata[key] == value
    warnings = [w.removeprefix(f"{path}: ") for w in transcript.warnings]
    interviewer_missing = [w for w in warnings if w.startswith("no interviewer recognised")]
    rest = [w for w in warnings if w not in interviewer_missing]
    assert len(rest) == len(expected.get("warnings", []))
    assert all(w.startswith(start) for w, start in zip(rest, expected.get("warnings", []))), rest
