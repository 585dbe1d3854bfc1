"""From the lines of a transcript to speaker turns: layout detection, labels, timestamps.

Takes the flat lines a reader in :mod:`qualcode.ingest` found (paragraph lines, table rows,
subtitle cues) and gives ``(text, turns, metadata, warnings)``: the clean codable text of all
turns joined by blank lines, and turns whose offsets index into it exactly. Every layout of
``transcript-formats.md`` is recognised from the text itself (bold only as a hint): label
prefixes, labels alone on a line, label-and-time headers, time lines before ``Name: text``,
tables, cues, and prose without labels. Timestamps become turn times and leave the text;
annotations such as ``(lacht)`` or ``[naam]`` stay.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# A turn as read is a turn as stored: speaker, role, offsets into the text, times in seconds.
from qualcode.store import NewTurn as Turn

INTERVIEWER_LABELS = {"i", "int", "interviewer", "interviewster", "interviewer 1", "iv", "onderzoeker", "i1", "i2"}
KNOWN_LABEL = re.compile(
    r"^(?:[a-z]{1,2}\d{0,2}|s\d{1,2}|sp\d{1,2}|id\d{1,2}|(?:speaker|spreker|spk)[ _]?\d{1,2}"
    r"|respondent|geïnterviewde|geinterviewde|interviewee|deelnemer|klantmanager|cliënt|client|manager"
    r"|teamleider|int|interviewer|interviewster|onderzoeker)(?: ?\d{1,2})?$"
)
ANNOTATION_WORDS = re.compile(
    r"^(?:naam|name|gemeente|organisatie|plaats|stad|bedrijf|onverstaanbaar|inaudible|crosstalk|unv|lacht|"
    r"stilte|pauze|\.+|…|\d+)(?: \d+)?$"
)

_T = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?"
_DOTTED = r"\d{1,2}\.\d{2}(?:\.\d{2})?"
_MINSEC = r"(?:\d+h\s*)?\d+m\s*\d+s"
LEADING_TIME = re.compile(
    rf"^(?:\[(?P<a>{_T}|{_DOTTED})\]|\{{(?P<b>{_T})\}}|#(?P<c>{_T})(?:-\d)?#|(?P<d>{_T})|(?P<e>{_MINSEC})):?"
    rf"(?P<gap>\s*(?:-\s+)?)"
)
TRAILING_F4 = re.compile(rf"\s*#(?P<t>{_T})(?:-(?P<tenth>\d))?#\s*$")
INLINE_TIME = re.compile(rf"\s*(?:\[(?:{_T}|{_DOTTED})\]|\{{{_T}\}}|#{_T}(?:-\d)?#)")
HEADER = re.compile(rf"^(?P<label>\S.{{0,39}}?)(?:\s{{2,}}|\t)\(?(?P<t>{_T})\)?$")
TIMED = re.compile(rf"^(?P<label>\S.{{0,39}}?) (?P<t>{_T})$")
COLON_LABEL = re.compile(r"^(?P<label>[^\W\d_][^:\n]{0,39}?)\s*:(?:\s+|$)(?P<rest>.*)$", re.S)
BRACKET_LABEL = re.compile(r"^\[(?P<label>[^\W\d_][\w ]{0,19})\]\s+(?P<rest>\S.*)$", re.S)
NOISE = re.compile(
    r"^(?:.{1,80}\b(?:started|stopped) transcription|.{1,80}\btranscriptie (?:is )?(?:gestart|gestopt|beëindigd)"
    r"|transcribed by\b.*|getranscribeerd (?:door|met)\b.*|webvtt\b.*)$",
    re.I,
)
PARTICLES = {"de", "van", "der", "den", "het", "ter", "ten", "'t", "la", "le", "von", "da", "di", "du", "el", "op"}
DISCOURSE = {
    "kortom", "dus", "nou", "maar", "en", "ja", "nee", "oké", "ok", "want", "toen", "daarna", "bijvoorbeeld",
    "conclusie", "vraag", "antwoord", "noot", "opmerking", "let op", "note", "ps", "nb", "tip", "datum", "tijd",
    "plaats", "locatie", "duur", "onderwerp", "thema", "titel", "date", "time", "location", "duration", "title",
}
SENTENCE_PUNCT = re.compile(r"[.?!,;\"“”()]")
# `Interviewer (Eva)`, `Eva Jansen (gemeente)`: a label may end in one parenthetical (a name or a role)
PAREN_TAIL = re.compile(r"\s+\([^()]{1,30}\)$")
ID_LABEL = re.compile(r"\w+_\d+|[A-Z]{1,4}-?\d{1,5}")  # SPEAKER_01, MS-1030, R3, KM02: a participant id
SEPARATOR = re.compile(r"^[-_*=~•·–—#+ ]{3,}$")
SEPARATOR_START = frozenset("-_*=~•·–—#+")
MINSEC = re.compile(r"(?:(\d+)h\s*)?(\d+)m\s*(\d+)s")
TENTHS = re.compile(r"(.+)-(\d)")
SPACES = re.compile(r"[ \t]{2,}")


@dataclass
class Line:
    """One line of a transcript as its reader found it.

    Lines of one ``block`` (a paragraph, a cue, a table row) belong together. ``speaker`` and the
    times are set when the file's structure states them (a cue's voice, a table's column);
    ``cells`` holds a table row with its cells apart.
    """

    text: str
    block: int = 0
    speaker: str | None = None
    time_start: float | None = None
    time_end: float | None = None
    bold: bool = False
    heading: bool = False
    cells: tuple[str, ...] | None = None
    table: int | None = None


@dataclass
class _Unit:
    speaker: str
    time_start: float | None = None
    time_end: float | None = None
    parts: list[tuple[int, str]] = field(default_factory=list)
    timed_row: bool = False  # a table row with its own time: its own turn, so the time is kept


@dataclass
class _Probe:
    line: Line
    kind: str  # blank | time | label | text
    label: str | None = None
    rest: str = ""
    time: float | None = None
    time_end: float | None = None
    strong: bool = True  # a colon, brackets, a time or bold mark the label; a bare short line does not
    form: str = ""  # header | timed | colon | bracket | alone


def seconds(stamp: str) -> float | None:
    """Seconds from any timestamp shape in the formats file (``0:0:5.100``, ``19m 13s``, ``01.02.03``)."""
    stamp = stamp.strip().strip("[]{}#:").replace(",", ".")
    minsec = MINSEC.fullmatch(stamp)
    if minsec:
        return float(int(minsec[1] or 0) * 3600 + int(minsec[2]) * 60 + int(minsec[3]))
    tenths = TENTHS.fullmatch(stamp)
    if tenths:
        return (seconds(tenths[1]) or 0) + int(tenths[2]) / 10
    if ":" not in stamp:
        stamp = stamp.replace(".", ":")
    parts = stamp.split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    total = 0.0
    for value in values:
        total = total * 60 + value
    return total


def role_of(label: str, interviewers) -> str:
    key = label.casefold()
    base = PAREN_TAIL.sub("", key)
    return "interviewer" if {key, base} & (INTERVIEWER_LABELS | set(interviewers)) else "respondent"


def _is_label(candidate: str) -> bool:
    bare = PAREN_TAIL.sub("", candidate) if candidate.endswith(")") else candidate
    words = bare.split()
    return (0 < len(words) <= 4 and len(candidate) <= 48 and not SENTENCE_PUNCT.search(bare)
            and any(c.isalnum() for c in bare))


def _stamp(found: re.Match) -> float | None:
    return seconds(next(v for k, v in found.groupdict().items() if v and k != "gap"))


def _label_probe(line: Line, text: str, time: float | None, time_end: float | None) -> _Probe | None:
    """The line as a speaker label, if it has a label's shape (acceptance comes later)."""
    short = len(text) <= 60
    header = short and HEADER.match(text)
    form = "header"
    if short and not header:
        header, form = TIMED.match(text), "timed"
    if header and _is_label(header["label"].replace(",", " ")):  # `Jansen, Eva   0:04`: a comma is no sentence here
        return _Probe(line, "label", header["label"].strip(), "", seconds(header["t"]), time_end, form=form)
    for form, pattern in (("colon", COLON_LABEL), ("bracket", BRACKET_LABEL)):
        if (form == "colon" and ":" not in text[:42]) or (form == "bracket" and text[0] != "["):
            continue
        found = pattern.match(text)
        if found and _is_label(found["label"]) and not ANNOTATION_WORDS.match(found["label"].casefold()):
            rest = found["rest"].strip()
            inner = LEADING_TIME.match(rest)
            if inner and rest[inner.end():]:
                time = time if time is not None else _stamp(inner)
                rest = rest[inner.end():]
            return _Probe(line, "label", found["label"].strip(), rest, time, time_end, form=form)
    if short and _is_label(text) and not ANNOTATION_WORDS.match(text.casefold()):
        form = "header" if time is not None else "alone"
        return _Probe(line, "label", text, "", time, time_end, strong=time is not None or line.bold, form=form)
    return None


def _probe(line: Line) -> _Probe:
    text = line.text.strip().replace("\t", " ") if line.cells is None else line.text.strip()
    if not text or (text[0] in SEPARATOR_START and SEPARATOR.match(text)):
        return _Probe(line, "blank")
    time_end = None
    f4 = TRAILING_F4.search(text) if text.endswith("#") else None
    if f4:
        time_end = seconds(f4["t"]) + (int(f4["tenth"]) / 10 if f4["tenth"] else 0)
        text = text[: f4.start()]
    time = None
    dashed = False
    lead = LEADING_TIME.match(text)
    if lead and (lead.end() == len(text) or lead["gap"] or not text[lead.end()].isdigit()):
        time = _stamp(lead)
        dashed = "-" in lead["gap"]
        text = text[lead.end():]
    if not text:
        return _Probe(line, "time", time=time, time_end=time_end)
    if line.speaker is None and not dashed:
        found = _label_probe(line, text, time, time_end)
        if found is not None:
            return found
    return _Probe(line, "text", rest=text, time=time, time_end=time_end)


def _name_like(label: str) -> bool:
    words = PAREN_TAIL.sub("", label).split()
    return any(w[0].isupper() for w in words) and all(
        w[0].isupper() or w[0].isdigit() or w.casefold() in PARTICLES for w in words
    )


def plausible(p: _Probe) -> bool:
    """A label that looks like a speaker: a known label shape or a name (``Eva Jansen``, ``MS-1030``)."""
    key = PAREN_TAIL.sub("", p.label.casefold())
    return key not in DISCOURSE and (bool(KNOWN_LABEL.match(key)) or _name_like(p.label))


def accepted_labels(probes: list[_Probe], interviewers) -> set[str]:
    """Labels to believe. A word and a colon is a label when it recurs, is a known label, or has
    the form the file's other labels have and looks like a name; a bare short line only when it
    is a known label shape (``SPEAKER_01``) in a file full of them."""
    labels = [p for p in probes if p.kind == "label"]

    def bare_known(p):
        base = PAREN_TAIL.sub("", p.label)
        return p.label[0].isupper() and bool(
            KNOWN_LABEL.match(base.casefold()) or ID_LABEL.fullmatch(base) or (base != p.label and _name_like(base)))

    counts = Counter(p.label.casefold() for p in labels if p.strong)
    established = Counter(p.form for p in labels if p.strong and plausible(p))
    interviewer_keys = INTERVIEWER_LABELS | set(interviewers)
    bare = sum(1 for p in labels if not p.strong and bare_known(p))
    accepted = set()
    for p in labels:
        key = p.label.casefold()
        if key in interviewer_keys or PAREN_TAIL.sub("", key) in interviewer_keys:
            accepted.add(key)
        elif not p.strong:
            if bare >= 2 and bare_known(p):
                accepted.add(key)
        elif key in DISCOURSE:
            continue
        elif counts[key] >= 2 or KNOWN_LABEL.match(key) or (established[p.form] >= 2 and plausible(p)):
            accepted.add(key)
    return accepted


def _table_lines(lines: list[Line], metadata: dict) -> list[Line]:
    """Table rows become lines with the speaker and time their columns state."""
    out: list[Line] = []
    rows_of: dict[int, list[Line]] = {}
    for line in lines:
        if line.cells is None:
            out.append(line)
            continue
        if line.table not in rows_of:
            rows_of[line.table] = []
            out.append(Line("", table=line.table, cells=()))
        rows_of[line.table].append(line)
    result: list[Line] = []
    for line in out:
        if line.cells == ():
            result.extend(_one_table(rows_of[line.table], metadata))
        else:
            result.append(line)
    return result


def _column_roles(rows: list[tuple[str, ...]]) -> tuple[int | None, int | None, int]:
    width = max(len(r) for r in rows)
    columns = [[r[i].strip() for r in rows if i < len(r) and r[i].strip()] for i in range(width)]
    time_col = next(
        (i for i, values in enumerate(columns)
         if values and sum(bool(re.fullmatch(rf"{_T}|{_MINSEC}:?|\[{_T}\]", v)) for v in values) >= 0.6 * len(values)),
        None,
    )
    others = [i for i in range(width) if i != time_col and columns[i]]
    text_col = max(others, key=lambda i: sum(len(v) for v in columns[i]))
    speaker_col = next(
        (i for i in others if i != text_col and sum(len(v) for v in columns[i]) / len(columns[i]) <= 40), None
    )
    return time_col, speaker_col, text_col


HEADER_WORDS = {"tijd", "time", "tijdcode", "timestamp", "spreker", "speaker", "naam", "name", "tekst", "text",
                "transcript", "transcriptie", "wie", "who", "uitspraak", "begin", "start"}


def _one_table(rows: list[Line], metadata: dict) -> list[Line]:
    cells = [r.cells for r in rows if any(c.strip() for c in r.cells)]
    if cells and all(c.strip().rstrip(":").casefold() in HEADER_WORDS for c in cells[0] if c.strip()):
        metadata.setdefault("table_header", list(cells[0]))
        cells = cells[1:]
    if not cells:
        return []
    if max(len(r) for r in cells) == 1:
        return [Line(part, block=rows[0].block * 1000 + i, table=rows[0].table)
                for i, r in enumerate(cells) for part in r[0].split("\n")]
    time_col, speaker_col, text_col = _column_roles(cells)
    def cell(row: tuple[str, ...], i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    lines, speaker = [], None
    for number, row in enumerate(cells):
        speaker = cell(row, speaker_col).rstrip(":") or speaker if speaker_col is not None else None
        stamp = seconds(cell(row, time_col)) if cell(row, time_col) else None
        for i, part in enumerate(cell(row, text_col).split("\n")):
            lines.append(Line(part, block=rows[0].block * 1000 + number, speaker=speaker,
                              time_start=stamp if i == 0 else None, table=rows[0].table))
    return lines


def _clean(text: str) -> str:
    """Codable text: mid-turn timestamps out, tabs and runs of spaces as one space."""
    if "[" in text or "{" in text or "#" in text:
        text = INLINE_TIME.sub(" ", text)
    if "  " in text or "\t" in text or text != text.strip():
        text = SPACES.sub(" ", text.replace("\t", " ")).strip()
    return text


def _units(probes: list[_Probe], accepted: set[str], metadata: dict, forms: frozenset[str] | None) -> list[_Unit]:
    units: list[_Unit] = []
    current: _Unit | None = None
    pending: float | None = None
    pending_at: int | None = None  # where a time line waiting for its unit sits in the preamble
    last_block = None
    preamble = metadata.setdefault("preamble", [])
    for probe in probes:
        line = probe.line
        if probe.kind == "blank":
            continue
        if probe.kind == "time":
            pending = probe.time
            if current is not None and probe.time_end is not None:
                current.time_end = probe.time_end
            if current is None:
                pending_at = len(preamble)
                preamble.append(line.text.strip())
            continue
        starts = probe.kind == "label" and probe.label.casefold() in accepted and (forms is None or probe.form in forms)
        if starts or (line.speaker is not None and line.block != last_block):
            time = probe.time if probe.time is not None else line.time_start
            if time is None and pending is not None:
                time = pending
                if current is None and pending_at is not None:
                    del preamble[pending_at]
            current = _Unit(probe.label if starts else line.speaker, time,
                            probe.time_end if probe.time_end is not None else line.time_end,
                            timed_row=line.table is not None and time is not None)
            units.append(current)
            pending = pending_at = None
            text = probe.rest if starts else (probe.rest or line.text.strip())
        else:
            text = probe.rest if probe.kind == "text" else line.text.strip()
            first_time = probe.time if probe.time is not None else line.time_start
            if first_time is not None and current is not None and not current.parts and current.time_start is None:
                current.time_start = first_time
            if probe.time_end is not None and current is not None:
                current.time_end = probe.time_end
        last_block = line.block
        if current is None:
            preamble.append(line.text.strip())
        elif line.heading and not starts:
            metadata.setdefault("headings", []).append(line.text.strip())
        elif text := _clean(text):
            current.parts.append((line.block, text))
    if not preamble:
        del metadata["preamble"]
    return units


def _is_noise(text: str) -> bool:
    """A tool's line (transcription started, transcribed by ...); every NOISE line names
    "transcri" or starts with WEBVTT, and testing that first spares NOISE's scan of each line."""
    folded = text[:120].casefold()
    return ("transcri" in folded or folded.startswith("webvtt")) and bool(NOISE.match(text))


@dataclass(frozen=True)
class Rules:
    """How a layout turns its lines into turns: which label ``forms`` start a turn (None: every
    form), which labels to believe even when seen once (``also``, casefolded), and where the
    speakers come from: ``labels``, ``bold`` paragraphs (interviewer) or ``paragraphs`` (one
    speaker, a turn per paragraph or table row)."""

    forms: frozenset[str] | None = None
    also: frozenset[str] = frozenset()
    speakers: str = "labels"


@dataclass
class Prepared:
    """Lines ready to read: tables flattened, tool noise dropped, each line probed once."""

    lines: list[Line]
    probes: list[_Probe]
    metadata: dict
    _believed: dict = field(default_factory=dict)

    def believed(self, interviewers) -> set[str]:
        """The labels to believe by :func:`accepted_labels`, worked out once per interviewer set."""
        key = frozenset(label.casefold() for label in interviewers)
        if key not in self._believed:
            self._believed[key] = accepted_labels(self.probes, key)
        return self._believed[key]


def prepare(lines: list[Line]) -> Prepared:
    metadata: dict = {}
    kept = []
    for line in _table_lines(lines, metadata):
        if line.speaker is None and _is_noise(line.text.strip()):
            metadata.setdefault("dropped", []).append(line.text.strip())
        else:
            kept.append(line)
    return Prepared(kept, [_probe(line) for line in kept], metadata)


def build(prepared: Prepared, *, interviewers=(), joiner: str = "\n\n", rules: Rules = Rules()):
    """Turns from prepared lines: ``(text, turns, metadata, warnings, speakers)``; ``speakers``
    says where they came from in the end (``labels``, ``bold`` or ``paragraphs``)."""
    interviewers = {label.casefold() for label in interviewers}
    probes, kept, metadata = prepared.probes, prepared.lines, prepared.metadata
    accepted = prepared.believed(interviewers) | rules.also if rules.speakers == "labels" else set()
    if rules.forms is not None:
        accepted &= {p.label.casefold() for p in probes if p.kind == "label" and p.form in rules.forms}
    mode = rules.speakers
    if mode == "labels" and not accepted and not any(line.speaker for line in kept):
        mode = "bold" if bold_blocks(kept) else "paragraphs"
    notes = []
    if mode != "labels":
        for probe in probes:
            if probe.kind == "label":
                probe.kind, probe.rest = "text", probe.line.text.strip()
        one_block = len({line.block for line in kept}) == 1
        for number, line in enumerate(kept):
            line.speaker = ("Interviewer" if line.bold else "Respondent") if mode == "bold" else "Respondent"
            if one_block and mode == "paragraphs":
                line.block = number  # text without blank lines: each line is a paragraph
        if mode == "bold":
            notes.append("no speaker labels; bold paragraphs are read as the interviewer's turns, the others as the respondent's")
    units = [u for u in _units(probes, accepted, metadata, rules.forms) if u.parts]
    text, turns, metadata, warnings = _assemble(units, interviewers, joiner, metadata, merge=mode != "paragraphs")
    return text, turns, metadata, notes + warnings, mode


def parse(lines: list[Line], *, interviewers=(), joiner: str = "\n\n") -> tuple[str, list[Turn], dict, list[str]]:
    """Turns from lines with every label form believed: ``(text, turns, metadata, warnings)``;
    ``joiner`` separates units of one turn."""
    text, turns, metadata, warnings, _ = build(prepare(lines), interviewers=interviewers, joiner=joiner)
    return text, turns, metadata, warnings


def bold_blocks(lines: list[Line]) -> bool:
    """Some typists bold the whole interviewer turn and write no labels: two bold and two plain
    paragraphs or more."""
    bold = {line.block for line in lines if line.text.strip() and line.bold}
    plain = {line.block for line in lines if line.text.strip() and not line.bold}
    return len(bold) >= 2 and len(plain) >= 2


def _assemble(units: list[_Unit], interviewers, joiner: str, metadata: dict, *, merge: bool = True):
    merged: list[_Unit] = []
    for unit in units:
        if merge and merged and not unit.timed_row and merged[-1].speaker.casefold() == unit.speaker.casefold():
            previous = merged[-1]
            previous.parts.append((None, ""))
            previous.parts.extend(unit.parts)
            previous.time_end = unit.time_end if unit.time_end is not None else previous.time_end
        else:
            merged.append(unit)
    pieces, turns, offset = [], [], 0
    for unit in merged:
        piece = _join(unit.parts, joiner)
        turns.append(Turn(unit.speaker, role_of(unit.speaker, interviewers), offset, offset + len(piece),
                          unit.time_start, unit.time_end))
        pieces.append(piece)
        offset += len(piece) + 2
    text = "\n\n".join(pieces)
    warnings = []
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    if len(speakers) > 1 and all(t.role == "respondent" for t in turns):
        warnings.append(
            f"no interviewer recognised among the speakers {', '.join(speakers)}; all their turns are coding "
            "units; name the interviewer with --interviewer LABEL and import again with --replace"
        )
    return text, turns, metadata, warnings


def _join(parts: list[tuple[int | None, str]], joiner: str) -> str:
    """Lines of one block join with a newline, blocks with ``joiner``; ``None`` marks a merge of units."""
    out: list[str] = []
    previous = None
    for block, piece in parts:
        if block is None:
            previous = None
            continue
        if out:
            out.append("\n" if block == previous else joiner)
        out.append(piece)
        previous = block
    return "".join(out).strip()
