"""Coding units: ``split(transcript, unit) -> list[Segment]``, by turn, paragraph or sentence.

Segments carry character offsets into the transcript text (``text[start:end] == segment.text``).
Sentences come from spaCy: ``spacy.blank("nl")`` with a rule-based sentencizer, or an installed
trained pipeline named with ``--model`` (never downloaded). Annotations and anonymisation
markers (``(lacht)``, ``(unv.)``, ``[naam]``, ``//mhm//``) are merged into single tokens first,
so a sentence never ends inside one. Interviewer turns are not coding units unless asked for.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from qualcode.errors import BadInput

UNITS = ("turn", "sentence", "paragraph")
MARKER = re.compile(r"//[^/\n]{1,200}?//|\((?:[^()\n]{0,30})\)|\[[^\[\]\n]{0,40}\]|\{[^{}\n]{0,40}\}|\bXXX\b")
TITLES = {"dhr", "mevr", "mw", "mr", "dr", "drs", "ir", "ing", "prof", "st", "bijv", "bv", "o.a", "i.p.v", "t.a.v"}
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


@dataclass
class Segment:
    """One coding unit: ``turn`` is the 0-based index of its turn in the transcript."""

    unit: str
    start: int
    end: int
    speaker: str
    turn: int
    text: str


def _protect_markers(doc):
    """Merge every annotation or marker into one token, which no sentencizer splits or ends on."""
    from spacy.util import filter_spans  # noqa: PLC0415 - spaCy loads only when sentences are asked for

    spans = [doc.char_span(m.start(), m.end(), alignment_mode="expand") for m in MARKER.finditer(doc.text)]
    with doc.retokenize() as retokenizer:
        for span in filter_spans([s for s in spans if s is not None and len(s) > 1]):
            retokenizer.merge(span)
    return doc


def _abbreviation_ends(doc):
    """Dutch tokenizer exceptions keep ``kon.`` or ``wet.`` whole; before a capital they end a sentence."""
    for token, following in zip(doc[:-1], doc[1:]):
        word = token.text[:-1]
        if (token.text.endswith(".") and len(word) > 1 and word.isalpha() and word.islower()
                and word not in TITLES and following.text[:1].isupper()):
            following.is_sent_start = True
    return doc


@functools.lru_cache(maxsize=4)
def pipeline(model: str | None = None):
    """The spaCy pipeline for sentences, loaded once per process: blank Dutch, or ``model``."""
    import spacy  # noqa: PLC0415 - slow to import; only sentence segmentation needs it
    from spacy.language import Language  # noqa: PLC0415

    if "qualcode_markers" not in Language.factories:
        Language.component("qualcode_markers", func=_protect_markers)
        Language.component("qualcode_abbreviations", func=_abbreviation_ends)
    if model is None:
        nlp = spacy.blank("nl")
    else:
        try:
            nlp = spacy.load(model)
        except OSError:
            raise BadInput(
                f"spaCy pipeline {model!r} is not installed; qualcode never downloads one: install it "
                f"yourself (python -m spacy download {model}) or leave out --model"
            ) from None
    nlp.add_pipe("qualcode_markers", first=True)
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("qualcode_abbreviations")
    return nlp


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(text: str, start: int, end: int):
    cursor = start
    for found in PARAGRAPH_BREAK.finditer(text, start, end):
        yield cursor, found.start()
        cursor = found.end()
    yield cursor, end


def split(transcript, unit: str = "turn", *, include_interviewer: bool = False, model: str | None = None) -> list[Segment]:
    """Segments of the transcript's coding turns in document order."""
    if unit not in UNITS:
        raise BadInput(f"unknown unit {unit!r}: use one of {', '.join(UNITS)}")
    text = transcript.text
    chosen = [(i, t) for i, t in enumerate(transcript.turns) if include_interviewer or t.role != "interviewer"]
    if unit == "turn":
        spans = [(i, t.start, t.end) for i, t in chosen]
    elif unit == "paragraph":
        spans = [(i, a, b) for i, t in chosen for a, b in _paragraphs(text, t.start, t.end)]
    else:
        nlp = pipeline(model)
        docs = nlp.pipe(text[t.start:t.end] for _, t in chosen)
        spans = [(i, t.start + s.start_char, t.start + s.end_char) for (i, t), doc in zip(chosen, docs) for s in doc.sents]
    segments = []
    for i, a, b in spans:
        a, b = _trimmed(text, a, b)
        if a < b:
            turn = transcript.turns[i]
            segments.append(Segment(unit, a, b, turn.speaker, i, text[a:b]))
    return segments
