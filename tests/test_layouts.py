"""Layout detection: the evidence, the expectations that warn, forcing a layout."""

import pytest

from conftest import REPO
from qualcode.errors import BadInput
from qualcode.ingest import read
from qualcode.layouts import layout_table
from transcript_files import docx_file

HINT = "check with 'qualcode inspect' and force a layout with --layout NAME"


def warnings_of(transcript, path):
    return [w.removeprefix(f"{path}: ") for w in transcript.warnings]


def test_readme_layout_table_is_the_layout_registry():
    assert layout_table() in (REPO / "README.md").read_text(encoding="utf-8")


def test_few_labels_in_long_prose_is_low_confidence_and_a_long_turn_is_named(tmp_path):
    prose = ["Dit is een lange beschouwing over het werk van klantmanagers in de gemeente. " * 2] * 100
    path = docx_file(tmp_path / "essay.docx", ["I: Wat vindt u?", "R: Dit.", *prose, "I: Dank u.", "R: Graag."])
    transcript = read(path)
    assert str(transcript.detection) == "label-prefix (confidence 0.40)"
    assert warnings_of(transcript, path) == [
        "layout label-prefix detected with low confidence 0.40 (4 of 104 lines match the label-prefix rule, 2 distinct "
        f"labels (0 seen once); few label lines among 104 lines); {HINT}",
        f"turn 2 (R) has 2601 words, more than 2000; a speaker label may have been missed; {HINT}",
    ]


def test_a_label_seen_once_among_many_turns_is_named(tmp_path):
    path = docx_file(tmp_path / "t.docx", ["I: Een?", "R: Ja.", "I: Twee?", "R: Ja.", "I: Drie?", "Kees Vos: Nee.", "R: Toch wel."])
    transcript = read(path)
    assert [t.speaker for t in transcript.turns] == ["I", "R", "I", "R", "I", "Kees Vos", "R"]
    assert warnings_of(transcript, path) == ["speaker label 'Kees Vos' appears once; check that it is a speaker"]


def test_a_forced_layout_whose_labels_are_absent_reads_paragraphs(tmp_path):
    path = docx_file(tmp_path / "t.docx", ["I: Wat doet u?", "R: Ik werk.", "I: Waar?", "R: Hier."])
    transcript = read(path, layout="teams")
    assert [(t.speaker, transcript.turn_text(t)) for t in transcript.turns][:2] == [
        ("Respondent", "I: Wat doet u?"), ("Respondent", "R: Ik werk.")]
    assert transcript.detection.layout == "paragraphs"
    assert transcript.detection.evidence == ["forced with --layout", "no labels of the teams layout found"]
    with pytest.raises(BadInput) as caught:
        read(path, layout="zoom")
    assert str(caught.value) == ("unknown layout 'zoom': use one of teams, otter, time-header, meet, label-prefix, "
                                 "label-paragraph, table, subtitles, bold-turns, paragraphs")
