"""Reading transcript files: ``read(path) -> Transcript``, through a registry of readers by suffix.

Each reader turns the file's bytes into :class:`qualcode.turns.Line` objects (paragraph lines,
table rows with their cells apart, subtitle cues); :func:`qualcode.layouts.detect` names the
layout (with a confidence and its evidence, or as forced with ``layout=``) and
:func:`qualcode.turns.build` reads the speakers by that layout's rules. :func:`inspect` reports
what a file would give, storing nothing. Files are checked before anything parses them: size, zip structure and unpacked size
(zip bombs), encrypted and legacy Word files, XML that declares a DTD or entities (never
resolved). A file that fails a check raises :class:`~qualcode.errors.BadFile` with one line
saying what to do. Example::

    >>> from qualcode.ingest import read                               # doctest: +SKIP
    >>> transcript = read("transcripts/km-maasdelta-01.docx")
    >>> [(t.speaker, t.role) for t in transcript.turns[:2]]
    [('I', 'interviewer'), ('R', 'respondent')]
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import BadFile
from qualcode.inputfile import ZIP_DAMAGE, xml_text
from qualcode.layouts import Detection, cut_meet, detect, expectations
from qualcode.turns import Line, Turn, build, prepare, seconds

MAX_FILE_BYTES = 100 * 2**20
MAX_PART_BYTES = 64 * 2**20
MAX_UNPACKED_BYTES = 256 * 2**20
MAX_RATIO = 100
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADER_PART = re.compile(r"word/(header|footer)\d*\.xml")
HEADING_STYLE = re.compile(r"^(?:title|titel|subtitle|ondertitel|heading|kop)", re.I)
MAX_NESTING = 100  # content controls (w:sdt) and custom XML inside each other; Word nests a few


@dataclass
class Transcript:
    """A transcript as read: the clean codable text, its speaker turns (offsets into ``text``),
    the non-speech found in the file, and warnings the user should see."""

    name: str
    source: str
    sha256: str
    text: str
    turns: list[Turn]
    metadata: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    detection: Detection | None = None

    def turn_text(self, turn: Turn) -> str:
        return self.text[turn.start:turn.end]


@dataclass(frozen=True)
class Reader:
    """How one file type is read: ``lines(path, data, metadata, warnings) -> list[Line]``."""

    suffix: str
    description: str
    lines: Callable[[Path, bytes, dict, list], list[Line]]
    joiner: str = "\n\n"
    cues: bool = False


# ---- safety checks ----------------------------------------------------------------------

def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise BadFile(path, f"is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB qualcode reads; "
                            "split the transcript into smaller files")


def _ole_problem(data: bytes) -> str:
    if "EncryptionInfo".encode("utf-16-le") in data:
        return "is password-protected (encrypted); remove the password in Word and import again"
    return "is a legacy Word 97-2003 document (.doc); open it in Word, save it as .docx and import again"


def _open_zip(path: Path, data: bytes) -> zipfile.ZipFile:
    if data.startswith(OLE_MAGIC):
        raise BadFile(path, _ole_problem(data))
    if not data.startswith(b"PK"):
        raise BadFile(path, "is not a Word .docx file (not a zip archive); open it in Word, save it as .docx and import again")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except ZIP_DAMAGE:
        raise BadFile(path, "is damaged or incomplete (a broken zip archive); copy the file again or re-save it in Word") from None
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART_BYTES or (info.file_size > 2**20 and ratio > MAX_RATIO):
            raise BadFile(path, f"unpacks to {info.file_size / 2**20:.0f} MB in {info.filename} (compressed "
                                f"{info.compress_size / 2**10:.0f} kB), which looks like a zip bomb; qualcode refuses it; "
                                "re-save the transcript in Word")
        if total > MAX_UNPACKED_BYTES:
            raise BadFile(path, f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB in all, which looks like a zip "
                                "bomb; qualcode refuses it; re-save the transcript in Word")
    if "word/document.xml" not in archive.namelist():
        raise BadFile(path, "is a zip archive but not a Word document (no word/document.xml); save it as .docx in Word")
    return archive


def _unpack(path: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    """One member's bytes; a damaged, encrypted or oddly compressed member is refused, not raised."""
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise BadFile(path, f"is encrypted ({name} needs a password); remove the password in Word and import again")
    try:
        with archive.open(info) as handle:
            raw = handle.read(MAX_PART_BYTES + 1)
    except NotImplementedError as exc:  # an unknown compression method, patched data, strong encryption
        raise BadFile(path, f"{name} is stored in a way qualcode cannot unpack ({exc}); re-save the transcript in Word") from None
    except ZIP_DAMAGE:
        raise BadFile(path, f"is damaged or incomplete ({name} cannot be unpacked); copy the file again or re-save it in Word") from None
    if len(raw) > MAX_PART_BYTES:
        raise BadFile(path, f"{name} unpacks to more than {MAX_PART_BYTES // 2**20} MB, which looks like a zip bomb; qualcode refuses it; re-save the transcript in Word")
    return raw


def _check_nesting(path: Path, name: str, root) -> None:
    """Refuse content controls nested deeper than any Word file has them (they are read recursively)."""
    for element in root.iter(W + "sdt", W + "customXml"):
        if sum(1 for _ in element.iterancestors(W + "sdt", W + "customXml")) >= MAX_NESTING:
            raise BadFile(path, f"{name} nests content controls more than {MAX_NESTING} deep, which no Word file does; "
                                "re-save it in Word and import again")


def _xml_part(path: Path, archive: zipfile.ZipFile, name: str):
    """Parse one XML part of a .docx, refusing any DTD or entity declaration before parsing.

    ``huge_tree`` lets a paragraph hold more than libxml2's 10 MB per text node (a whole
    interview pasted as one paragraph); it is safe here because nothing declares entities (refused
    above), none are resolved, no DTD is loaded and nothing is fetched."""
    from lxml import etree  # noqa: PLC0415 - only .docx files need it

    raw = _unpack(path, archive, name)
    text = xml_text(path, name, raw)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise BadFile(path, f"{name} declares a DTD or XML entities, which qualcode never resolves; re-save it in Word and import again")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise BadFile(path, f"{name} is not well-formed XML ({' '.join(exc.msg.split())}); re-save it in Word and import again") from None
    _check_nesting(path, name, root)
    return root


# ---- Word --------------------------------------------------------------------------------

_R, _RPR, _B, _T, _TAB, _BR, _CR, _NBH = (W + tag for tag in ("r", "rPr", "b", "t", "tab", "br", "cr", "noBreakHyphen"))
_PIECES = {_TAB: "\t", _NBH: "-"}


def _paragraph_lines(p) -> list[tuple[str, bool]]:
    """A paragraph's lines (split on line breaks) and whether each is bold throughout."""
    lines: list[list] = [[[], True, False]]
    for run in p.iter(_R):
        bold = False
        for child in run:
            tag = child.tag
            if tag == _T:
                piece = child.text or ""
            elif tag == _RPR:
                found = child.find(_B)
                bold = found is not None and found.get(W + "val", "true") not in ("0", "false", "off")
                continue
            elif tag == _BR or tag == _CR:
                lines.append([[], True, False])
                continue
            elif tag in _PIECES:
                piece = _PIECES[tag]
            else:
                continue
            line = lines[-1]
            line[0].append(piece)
            if not piece.isspace() and piece:
                line[1] = line[1] and bold
                line[2] = True
    return [("".join(parts), bold and seen) for parts, bold, seen in lines]


def _is_heading(p) -> bool:
    props = p[0] if len(p) else None
    style = props.find(W + "pStyle") if props is not None and props.tag == W + "pPr" else None
    return style is not None and bool(HEADING_STYLE.match(style.get(W + "val", "")))


def _cell_text(cell) -> str:
    return "\n".join(text for p in cell.iter(W + "p") for text, _ in _paragraph_lines(p))


def _body_lines(body, out: list[Line], counter: list[int]) -> None:
    for element in body:
        tag = element.tag
        if tag == W + "p":
            counter[0] += 1
            heading = _is_heading(element)
            out.extend(Line(text, block=counter[0], bold=bold, heading=heading) for text, bold in _paragraph_lines(element))
        elif tag == W + "tbl":
            counter[0] += 1
            table = counter[0]
            for row in element.iter(W + "tr"):
                counter[0] += 1
                cells = tuple(_cell_text(cell) for cell in row.iterchildren(W + "tc"))
                out.append(Line("\t".join(cells), block=counter[0], cells=cells, table=table))
        elif tag in (W + "sdt", W + "customXml", W + "sdtContent"):
            content = element.find(W + "sdtContent") if tag == W + "sdt" else element
            if content is not None:  # a content control may be empty
                _body_lines(content, out, counter)


def _docx_lines(path: Path, data: bytes, metadata: dict, warnings: list) -> list[Line]:
    archive = _open_zip(path, data)
    names = archive.namelist()
    for name in names:
        if name in ("word/document.xml", "docProps/core.xml") or HEADER_PART.fullmatch(name):
            part = _xml_part(path, archive, name)
            if HEADER_PART.fullmatch(name):
                text = "\n".join(t for p in part.iter(W + "p") for t, _ in _paragraph_lines(p) if t.strip())
                if text:
                    metadata.setdefault("headers" if "header" in name else "footers", []).append(text)
            elif name == "docProps/core.xml":
                props = {el.tag.rsplit("}", 1)[-1]: el.text.strip() for el in part
                         if isinstance(el.tag, str) and el.text and el.text.strip()}
                if props:
                    metadata["properties"] = props
            elif name == "word/document.xml":
                document = part
    body = document.find(W + "body")
    lines: list[Line] = []
    if body is not None:
        _body_lines(body, lines, [0])
    return lines


# ---- text, WebVTT, SubRip ----------------------------------------------------------------

def decode(path: Path, data: bytes, warnings: list) -> str:
    """UTF-8 (with or without BOM); Windows-1252 only with a warning; anything else refused."""
    if b"\x00" in data[:4096]:
        raise BadFile(path, "is not a text file (it holds binary data); export the transcript as UTF-8 text and import again")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise BadFile(path, "is neither UTF-8 nor Windows-1252 text; save it as UTF-8 and import again") from None
    warnings.append(f"{path}: not UTF-8; read as Windows-1252 (cp1252); check accented letters, or save it as UTF-8 and import again with --replace")
    return text


MARKDOWN_HEADING = re.compile(r"#{1,6}\s")


def _text_lines(path: Path, data: bytes, metadata: dict, warnings: list) -> list[Line]:
    text = decode(path, data, warnings).replace("\r\n", "\n").replace("\r", "\n")
    lines, block, markdown = [], 0, path.suffix.lower() == ".md"
    for raw in text.split("\n"):
        if not raw.strip():
            block += 1
            continue
        if markdown:
            if MARKDOWN_HEADING.match(raw):
                metadata.setdefault("headings", []).append(raw.lstrip("#").strip())
                continue
            raw = raw.replace("**", "").replace("__", "")
        lines.append(Line(raw, block=block))
    return lines


CUE_TIMING = re.compile(r"^\s*(?P<a>[\d:.,]+)\s*-->\s*(?P<b>[\d:.,]+)")
VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+(?P<name>[^>]*)>")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _cue_lines(path: Path, data: bytes, metadata: dict, warnings: list) -> list[Line]:
    """WebVTT and SubRip: one block per cue; ``<v Name>`` gives the speaker, times the cue's."""
    text = decode(path, data, warnings).replace("\r\n", "\n").replace("\r", "\n")
    lines: list[Line] = []
    for number, block in enumerate(re.split(r"\n\s*\n", text.strip())):
        rows = block.split("\n")
        timing = next((i for i, row in enumerate(rows) if CUE_TIMING.match(row)), None)
        if timing is None:
            head = rows[0].strip()
            if head.startswith("WEBVTT"):
                title = " ".join([head[6:].strip(" -"), *rows[1:]]).strip()
                if title:
                    metadata["title"] = title
            elif head.startswith("NOTE"):
                metadata.setdefault("notes", []).append(" ".join([head[4:].strip(), *rows[1:]]).strip())
            elif not head.startswith(("STYLE", "REGION")):
                metadata.setdefault("dropped", []).append(block.strip())
            continue
        found = CUE_TIMING.match(rows[timing])
        start, end = seconds(found["a"]), seconds(found["b"])
        payload = "\n".join(rows[timing + 1:])
        pieces = VOICE.split(payload)
        speaker = None
        texts = [(None, pieces[0])] + [(pieces[i], pieces[i + 1]) for i in range(1, len(pieces), 2)]
        for part, (name, said) in enumerate(texts):
            if name is not None:
                speaker = html.unescape(name).strip().lstrip("/\\-. ").strip() or None
            said = html.unescape(TAG.sub("", said)).strip()
            if said:
                for i, row in enumerate(said.split("\n")):
                    lines.append(Line(row, block=number * 100 + part, speaker=speaker,
                                      time_start=start if i == 0 else None, time_end=end))
    return lines


READERS: dict[str, Reader] = {
    ".docx": Reader(".docx", "Word: label prefixes, bold label paragraphs, name-and-time headers (Otter, Teams, "
                             "Word Transcribe), time lines then `Name: text` (Amberscript, Meet), tables, f4 end times",
                    _docx_lines),
    ".txt": Reader(".txt", "Plain text (UTF-8; Windows-1252 with a warning): Otter, noScribe, aTrain, `[idN]` and label layouts",
                   _text_lines),
    ".md": Reader(".md", "Markdown: as plain text; `#` headings are metadata, `**bold**` labels are read", _text_lines),
    ".vtt": Reader(".vtt", "WebVTT (Teams/Stream, noScribe, Zoom): cue times, `<v Name>` voices, `Name: text` cues",
                   _cue_lines, joiner=" ", cues=True),
    ".srt": Reader(".srt", "SubRip subtitles: cue times, `Name: text` cues", _cue_lines, joiner=" ", cues=True),
}
def format_table() -> str:
    """The README's table of supported files, made from the registry so the two cannot drift."""
    rows = [f"| `{suffix}` | {reader.description} |" for suffix, reader in sorted(READERS.items())]
    return "\n".join(["| File | What is read |", "|------|--------------|", *rows])


REFUSED_SUFFIXES = {
    ".doc": "is a legacy Word 97-2003 document (.doc); open it in Word, save it as .docx and import again",
}


def read(path: str | Path, *, interviewers=(), layout: str | None = None) -> Transcript:
    """Read one transcript file, detecting its layout unless ``layout`` names one (see
    :data:`qualcode.layouts.LAYOUTS`); raises :class:`BadFile` with what to do when it cannot."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise BadFile(path, REFUSED_SUFFIXES[suffix])
    reader = READERS.get(suffix)
    if reader is None:
        raise BadFile(path, f"is not a transcript type qualcode reads; use one of {', '.join(sorted(READERS))}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadFile(path, f"cannot be read ({exc.strerror}); check the path") from None
    _check_size(path, size)
    data = path.read_bytes()
    metadata: dict = {}
    warnings: list[str] = []
    prepared = prepare(reader.lines(path, data, metadata, warnings))
    detection = detect(prepared, interviewers=interviewers, cues=reader.cues, layout=layout)
    cut_meet(prepared, detection)
    text, turns, found, more, speakers = build(prepared, interviewers=interviewers, joiner=reader.joiner,
                                               rules=detection.rules)
    if not text.strip():
        raise BadFile(path, "holds no transcript text; check that it is the right file")
    if speakers != detection.rules.speakers:
        detection = Detection("bold-turns" if speakers == "bold" else "paragraphs", 0.0,
                              [*detection.evidence, f"no labels of the {detection.layout} layout found"], rules=detection.rules)
    more += expectations(detection, turns, text, {**metadata, **found})
    return Transcript(path.stem, str(path), hashlib.sha256(data).hexdigest(), text, turns,
                      {**metadata, **found}, warnings + [f"{path}: {w}" for w in more], detection)


def inspect(path: str | Path, *, interviewers=(), layout: str | None = None, first: int = 3) -> dict:
    """What importing ``path`` would store, without storing anything: the layout with its
    confidence and evidence, the speakers with role and turn count, the first turns, what went
    to metadata, and the warnings. Raises :class:`BadFile` as :func:`read` does.

    >>> inspect("transcripts/km-maasdelta-01.docx")["layout"]         # doctest: +SKIP
    {'name': 'label-prefix', 'confidence': 1.0, 'forced': False, 'evidence': [...]}
    """
    transcript = read(path, interviewers=interviewers, layout=layout)
    detection = transcript.detection
    speakers: dict[str, dict] = {}
    for turn in transcript.turns:
        entry = speakers.setdefault(turn.speaker, {"speaker": turn.speaker, "role": turn.role, "turns": 0})
        entry["turns"] += 1
    return {
        "file": str(path),
        "layout": {"name": detection.layout, "confidence": detection.confidence, "forced": detection.forced,
                   "evidence": detection.evidence},
        "speakers": list(speakers.values()),
        "turns": len(transcript.turns),
        "first_turns": [{"speaker": t.speaker, "role": t.role, "time": t.time_start, "text": transcript.turn_text(t)}
                        for t in transcript.turns[:first]],
        "metadata": transcript.metadata,
        "warnings": [w.removeprefix(f"{path}: ") for w in transcript.warnings],
    }
