"""Segmentation: units, interviewer turns, markers that never split, exact offsets."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.errors import BadInput
from qualcode.ingest import Transcript
from qualcode.segment import MARKER, split
from qualcode.turns import Line, parse


def transcript_of(*lines, interviewers=()):
    text, turns, metadata, _ = parse([Line(line, block=i) for i, line in enumerate(lines)], interviewers=interviewers)
    return Transcript("t", "t.txt", "0" * 64, text, turns, metadata)


INTERVIEW = transcript_of(
    "I: Hoe gaat het met je caseload?",
    "R: Ik heb er honderdtwintig. (lacht) Dat is veel.",
    "Vroeger waren het er zestig (unv.) denk ik. Mijn collega [naam 1] zei: het kon. En toen //I: Ja. // was het klaar.",
    "I: Dank je.",
)


def texts(segments):
    return [(s.speaker, s.text) for s in segments]


def test_turns_are_the_units_and_interviewer_turns_are_left_out():
    assert texts(split(INTERVIEW, "turn")) == [(
        "R", "Ik heb er honderdtwintig. (lacht) Dat is veel.\n\nVroeger waren het er zestig (unv.) denk ik. Mijn collega "
             "[naam 1] zei: het kon. En toen //I: Ja. // was het klaar.",
    )]
    with_interviewer = split(INTERVIEW, "turn", include_interviewer=True)
    assert [(s.speaker, s.turn) for s in with_interviewer] == [("I", 0), ("R", 1), ("I", 2)]


def test_paragraphs_split_on_blank_lines_only():
    assert texts(split(INTERVIEW, "paragraph")) == [
        ("R", "Ik heb er honderdtwintig. (lacht) Dat is veel."),
        ("R", "Vroeger waren het er zestig (unv.) denk ik. Mijn collega [naam 1] zei: het kon. En toen //I: Ja. // was het klaar."),
    ]


def test_sentences_never_break_inside_markers_and_end_after_dutch_abbreviation_words():
    assert texts(split(INTERVIEW, "sentence")) == [
        ("R", "Ik heb er honderdtwintig."),
        ("R", "(lacht) Dat is veel."),
        ("R", "Vroeger waren het er zestig (unv.) denk ik."),
        ("R", "Mijn collega [naam 1] zei: het kon."),
        ("R", "En toen //I: Ja. // was het klaar."),
    ]
    for segment in split(INTERVIEW, "sentence"):
        assert INTERVIEW.text[segment.start:segment.end] == segment.text


def test_unknown_unit_and_missing_model():
    with pytest.raises(BadInput) as caught:
        split(INTERVIEW, "word")
    assert str(caught.value) == "unknown unit 'word': use one of turn, sentence, paragraph"
    with pytest.raises(BadInput) as caught:
        split(INTERVIEW, "sentence", model="nl_core_news_zz")
    assert str(caught.value) == (
        "spaCy pipeline 'nl_core_news_zz' is not installed; qualcode never downloads one: install it yourself "
        "(python -m spacy download nl_core_news_zz) or leave out --model"
    )


WORDS = st.sampled_from([
    "ik", "werk", "bij", "de", "gemeente", "klant", "Participatiewet", "kon.", "dhr.", "ja,", "nee.", "echt?", "zo!",
    "(lacht)", "(...)", "(.)", "(5)", "(unv.)", "[onverstaanbaar]", "[naam]", "[naam 1]", "//mhm//", "XXX", "café", "é",
    "#00:01:17-0#", "[00:00:12]", "{00:01:00}", "\t", "Ronald:", "//R: ja. //",
])
TURN = st.tuples(st.sampled_from(["I", "R", "B", "Interviewer"]),
                 st.lists(st.lists(WORDS, min_size=1, max_size=12).map(" ".join), min_size=1, max_size=3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TURN, min_size=1, max_size=6), st.sampled_from(["turn", "paragraph", "sentence"]), st.booleans())
def test_offsets_are_exact_for_random_transcripts(turns, unit, include_interviewer):
    lines = []
    for speaker, paragraphs in turns:
        lines.append(f"{speaker}: {paragraphs[0]}")
        lines.extend(paragraphs[1:])
    transcript = transcript_of(*lines)
    for turn in transcript.turns:
        piece = transcript.turn_text(turn)
        assert piece == piece.strip() and piece
        assert "[00:00:12]" not in piece and "{00:01:00}" not in piece
    segments = split(transcript, unit, include_interviewer=include_interviewer)
    previous_end = 0
    for segment in segments:
        assert transcript.text[segment.start:segment.end] == segment.text
        assert segment.text == segment.text.strip() and segment.text
        turn = transcript.turns[segment.turn]
        assert turn.start <= segment.start < segment.end <= turn.end and segment.start >= previous_end
        assert include_interviewer or turn.role == "respondent"
        previous_end = segment.end
        for marker in MARKER.finditer(transcript.text, turn.start, turn.end):
            assert not marker.start() < segment.start < marker.end()
            assert not marker.start() < segment.end < marker.end()
