"""Which layout a transcript is in, how sure, and why: ``detect(prepared) -> Detection``.

Sits between a reader's lines and :func:`qualcode.turns.build`. Each layout is a family seen in
real exports (Teams, Otter, Google Meet, a typist's label paragraphs, label prefixes, tables,
subtitles); detection counts which label rule matched how many lines and picks the family that
explains the file, with a confidence and that evidence in words. A file whose labels are not
those of an interview (many distinct labels, most seen once, as in social-media comments) or
that has none is read as paragraphs by one speaker, with a warning; never as invented speakers.
After reading, :func:`expectations` names what an interview usually is and this file is not.
Example::

    >>> from qualcode.turns import Line, prepare
    >>> prepared = prepare([Line("I: Wat doe je?", block=0), Line("R: Ik werk.", block=1),
    ...                     Line("I: Waar?", block=2), Line("R: Hier.", block=3)])
    >>> detection = detect(prepared)
    >>> detection.layout, detection.confidence
    ('label-prefix', 1.0)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from qualcode.errors import BadInput
from qualcode.turns import INTERVIEWER_LABELS, KNOWN_LABEL, PAREN_TAIL, Line, Prepared, Rules, bold_blocks, plausible, prepare

HEADER_FORMS = frozenset({"header", "timed"})
LOW_CONFIDENCE = 0.6
MAX_SPEAKERS = 12
METADATA_WORDS = 50
TURN_WORDS = 2000
MEET_END = re.compile(r"^transcription ended after\b", re.I)
MEET_MARK = re.compile(r"^(?:transcription ended after\b|notes by gemini\b|📖 transcript$|transcript$)", re.I)
OTTER_MARK = re.compile(r"^(?:summary keywords|speakers)$|\w.*•\s*\d{1,2}:\d{2}", re.I)
TEAMS_GAP = re.compile(r"\S {3,}\d{1,2}:\d{2}(?::\d{2})?$")
TEAMS_MARK = re.compile(r"\b(?:started|stopped) transcription$|\btranscriptie (?:is )?(?:gestart|gestopt)", re.I)


@dataclass(frozen=True)
class Layout:
    """A family of transcript layouts: its name (for ``--layout``), what it is, how it is read."""

    name: str
    description: str
    rules: Rules = Rules()


LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (
    Layout("teams", "Teams .docx: `Name   0:04` headers with the speech after line breaks; title, date and "
                    "started/stopped lines to metadata", Rules(forms=HEADER_FORMS)),
    Layout("otter", "Otter: `Name (role)  00:00` headers; title, `date • duration`, SUMMARY KEYWORDS and SPEAKERS "
                    "to metadata", Rules(forms=HEADER_FORMS)),
    Layout("time-header", "`00:00:05 Speaker 1` or `[00:00:05] Speaker 1` header lines (Word Transcribe)",
           Rules(forms=HEADER_FORMS)),
    Layout("meet", "a time line, then `Name: text` (Google Meet / Gemini notes, Amberscript); text before the first "
                   "time and from \"Transcription ended\" on to metadata", Rules(forms=frozenset({"colon"}))),
    Layout("label-prefix", "a label before the speech: `I: ...`, `Speaker 1: ...`, `[id1] ...`"),
    Layout("label-paragraph", "a label alone in its paragraph, often bold: `Interviewer (Eva)`, `MS-1030`, `R3`"),
    Layout("table", "table rows: `time | speaker | text`, `speaker | text`, or `time | text` (each timed row a turn)"),
    Layout("subtitles", "WebVTT or SubRip cues: `<v Name>` voices or `Name: text`, cue times"),
    Layout("bold-turns", "no labels; bold paragraphs are the interviewer's, the others the respondent's",
           Rules(speakers="bold")),
    Layout("paragraphs", "not an interview, or no consistent labels: paragraphs by one speaker",
           Rules(speakers="paragraphs")),
)}


@dataclass
class Detection:
    """The layout a file was read by, how sure (0-1), and the evidence, one rule per line."""

    layout: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    forced: bool = False
    rules: Rules = Rules()

    def __str__(self) -> str:
        how = "forced with --layout" if self.forced else f"confidence {self.confidence:.2f}"
        return f"{self.layout} ({how})"


def check_layout(name: str | None) -> None:
    """Raise BadInput for a ``--layout`` that names no layout."""
    if name is not None and name not in LAYOUTS:
        raise BadInput(f"unknown layout {name!r}: use one of {', '.join(LAYOUTS)}")


def layout_table() -> str:
    """The README's table of layouts, made from the registry so the two cannot drift."""
    rows = [f"| `{layout.name}` | {layout.description} |" for layout in LAYOUTS.values()]
    return "\n".join(["| Layout | What it is |", "|--------|------------|", *rows])


@dataclass
class _Found:
    """What the lines show, counted once."""

    lines: int
    labels: dict[str, list]  # layout name -> the label probes its rule matched
    pairs: list  # `Name:` label probes right after a time line (the meet layout)
    marks: Counter
    table_rows: int
    table_speakers: set
    timed_rows: int


def _found(prepared: Prepared, interviewers) -> _Found:
    probes = prepared.probes
    believed = prepared.believed(interviewers)
    solid = [p for p in probes if p.kind != "blank"]
    labels: dict[str, list] = {name: [] for name in ("teams", "time-header", "label-prefix", "label-paragraph")}
    pairs, marks = [], Counter()
    previous = None
    for p in probes:
        if p.kind == "blank":
            continue
        text = p.line.text.strip()
        if len(text) < 80:  # a tool's mark is a short line; long ones are speech
            marks["meet"] += bool(MEET_MARK.match(text))
            marks["otter"] += bool(OTTER_MARK.search(text))
        if p.kind == "label" and p.line.speaker is None and (p.label.casefold() in believed or (p.strong and plausible(p))):
            if p.form in HEADER_FORMS:
                leading = text[:1].isdigit() or text[:1] == "["
                labels["time-header" if leading else "teams"].append(p)
                if not leading and TEAMS_GAP.search(text):
                    marks["teams"] += 1
            elif p.form in ("colon", "bracket"):
                labels["label-prefix"].append(p)
                if previous is not None and previous.kind == "time" and p.form == "colon":
                    pairs.append(p)
            elif p.form == "alone":
                labels["label-paragraph"].append(p)
        previous = p
    marks["teams"] += sum(1 for text in prepared.metadata.get("dropped", []) if TEAMS_MARK.search(text))
    table = [line for line in prepared.lines if line.table is not None and line.text.strip()]
    return _Found(
        lines=len(solid), labels=labels, pairs=pairs, marks=marks,
        table_rows=len({line.block for line in table}),
        table_speakers={line.speaker for line in table if line.speaker},
        timed_rows=sum(1 for line in table if line.time_start is not None),
    )


def _labelled(found: _Found) -> tuple[str, list] | None:
    """The label layout that explains the most lines, or None."""
    colon = sum(1 for p in found.labels["label-prefix"] if p.form == "colon")
    if found.pairs and (found.marks["meet"] or len(found.pairs) >= 0.5 * colon):
        return "meet", found.pairs
    name, probes = max(found.labels.items(), key=lambda item: len(item[1]))
    if not probes:
        return None
    if name == "teams" and not found.marks["teams"] and (found.marks["otter"] or len(probes) >= 2):
        name = "otter"
    return name, probes


def _consistency(name: str, probes: list, found: _Found) -> tuple[float, list[str], str | None]:
    """Confidence and evidence for a label layout; a reason when the labels are not an interview's."""
    counts = Counter(p.label.casefold() for p in probes)
    once = [label for label, n in counts.items() if n == 1]
    marked = found.marks[name] if name in ("teams", "otter", "meet") else 0
    evidence = [f"{len(probes)} of {found.lines} lines match the {name} rule, "
                f"{len(counts)} distinct labels ({len(once)} seen once)"]
    if marked:
        evidence.append(f"{marked} line(s) typical of {name} exports")
    if len(counts) > MAX_SPEAKERS:
        return 0.0, evidence, f"{len(counts)} distinct labels, more than the {MAX_SPEAKERS} an interview has"
    if len(counts) >= 4 and len(once) > len(counts) / 2:
        return 0.0, evidence, f"{len(once)} of {len(counts)} labels appear once"
    if len(probes) < 2 and not marked and not _known(probes[0].label.casefold()):
        return 0.0, evidence, "a single label line"
    confidence = sum(n for label, n in counts.items() if n > 1 or _known(label)) / len(probes)
    if len(probes) <= 3:
        confidence = max(confidence, 0.7)
        evidence.append("a short text")
    if marked or name in ("teams", "otter", "time-header"):
        confidence = max(confidence, 0.95 if marked else 0.8)
    if len(probes) < 0.05 * found.lines:
        confidence = min(confidence, 0.4)
        evidence.append(f"few label lines among {found.lines} lines")
    return round(confidence, 2), evidence, None


def _known(label: str) -> bool:
    base = PAREN_TAIL.sub("", label)
    return base in INTERVIEWER_LABELS or bool(KNOWN_LABEL.match(base))


def detect(prepared: Prepared, *, interviewers=(), cues: bool = False, layout: str | None = None) -> Detection:
    """The layout of prepared lines, or ``layout`` forced (raises BadInput for an unknown name)."""
    found = _found(prepared, interviewers)
    if layout is not None:
        check_layout(layout)
        also = _once(layout, found)
        return Detection(layout, 1.0, ["forced with --layout"], forced=True, rules=_rules(layout, also))
    if cues:
        voiced = sum(1 for line in prepared.lines if line.speaker)
        return Detection("subtitles", 1.0, [f"{len(prepared.lines)} cue lines, {voiced} with a voice"], rules=LAYOUTS["subtitles"].rules)
    if found.table_speakers:
        return Detection("table", 1.0, [f"{found.table_rows} table rows; a speaker column names "
                                        f"{len(found.table_speakers)} speakers"])
    labelled = _labelled(found)
    if labelled is not None:
        name, probes = labelled
        confidence, evidence, refused = _consistency(name, probes, found)
        if refused is None:
            return Detection(name, confidence, evidence, rules=_rules(name, _once(name, found)))
        evidence.append(f"not read as speakers: {refused}")
    else:
        evidence = ["no speaker label rule matched"]
    if bold_blocks(prepared.lines):
        return Detection("bold-turns", LOW_CONFIDENCE, [*evidence, "bold and plain paragraphs alternate"],
                         rules=LAYOUTS["bold-turns"].rules)
    if found.timed_rows:
        evidence.append(f"{found.table_rows} table rows, {found.timed_rows} with a time and no speaker column")
        return Detection("table", 0.8, evidence, rules=LAYOUTS["paragraphs"].rules)
    return Detection("paragraphs", 0.0, evidence, rules=LAYOUTS["paragraphs"].rules)


def _once(name: str, found: _Found) -> frozenset[str]:
    """Labels the layout believes when seen once: a name-and-time header, a `Name:` after a time line."""
    if name in ("teams", "otter", "time-header"):
        return frozenset(p.label.casefold() for p in found.labels["teams"] + found.labels["time-header"])
    if name == "meet":
        return frozenset(p.label.casefold() for p in found.pairs)
    return frozenset()


def _rules(name: str, also: frozenset[str]) -> Rules:
    base = LAYOUTS[name].rules
    return Rules(forms=base.forms, also=also, speakers=base.speakers)


def cut_meet(prepared: Prepared, detection: Detection) -> None:
    """Meet notes: the summary before the first timed turn and the trailer from "Transcription
    ended" on are metadata, never speech."""
    if detection.layout != "meet":
        return
    probes = prepared.probes
    first = next((i for i in range(len(probes) - 1) if probes[i].kind == "time" and probes[i + 1].kind == "label"
                  and probes[i + 1].form == "colon" and probes[i + 1].label.casefold() in detection.rules.also), 0)
    end = next((i for i, p in enumerate(probes) if MEET_END.match(p.line.text.strip())), len(probes))
    for key, chunk in (("preamble", probes[:first]), ("trailer", probes[end:])):
        texts = [p.line.text.strip() for p in chunk if p.line.text.strip()]
        if texts:
            prepared.metadata.setdefault(key, []).extend(texts)
    prepared.probes = probes[first:end]
    prepared.lines = prepared.lines[first:end]


def expectations(detection: Detection, turns, text: str, metadata: dict) -> list[str]:
    """Warnings where the file breaks what usually holds for an interview, or detection was unsure."""
    hint = "check with 'qualcode inspect' and force a layout with --layout NAME"
    if detection.layout == "paragraphs" and not detection.forced:
        return [f"no consistent speaker labels ({'; '.join(detection.evidence)}); read as paragraphs by one "
                f"speaker; {hint} if it is an interview"]
    warnings = []
    if not detection.forced and detection.confidence < LOW_CONFIDENCE and detection.layout != "bold-turns":
        warnings.append(f"layout {detection.layout} detected with low confidence {detection.confidence:.2f} "
                        f"({'; '.join(detection.evidence)}); {hint}")
    counts = Counter(t.speaker for t in turns)
    if len(counts) == 1 and detection.layout != "paragraphs":
        warnings.append(f"one speaker only ({next(iter(counts))}); if more people speak, {hint}")
    if len(counts) > 1 and len(turns) >= 6:
        warnings.extend(f"speaker label {label!r} appears once; check that it is a speaker" for label, n in counts.items() if n == 1)
    words = sum(len(str(item).split()) for key in ("preamble", "trailer", "headings") for item in metadata.get(key, []))
    if words > METADATA_WORDS:
        warnings.append(f"{words} words went to metadata, not to the text to code; see them with 'qualcode inspect'")
    for number, turn in enumerate(turns, 1):
        if turn.end - turn.start < 2 * TURN_WORDS:  # too short to hold that many words; spares the split
            continue
        length = len(text[turn.start:turn.end].split())
        if length > TURN_WORDS:
            warnings.append(f"turn {number} ({turn.speaker}) has {length} words, more than {TURN_WORDS}; a speaker "
                            f"label may have been missed; {hint}")
    return warnings


def detect_text(text: str) -> Detection:
    """The layout of plain text as other programs hold it (a REFI-QDA source): lines, blank-line paragraphs."""
    lines, block = [], 0
    for raw in text.split("\n"):
        if raw.strip():
            lines.append(Line(raw, block=block))
        else:
            block += 1
    return detect(prepare(lines))
