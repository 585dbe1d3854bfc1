"""Render the fictional sample interviews into the transcript layouts real tools write.

Each interview is written once, in ``transcripts/source/<stem>.yaml`` (speech, start times,
reference codes of two coders). This script renders it in the layout the source names, so the
importer meets every layout with known speakers, times and text, and so the samples, the case
attributes (``cases.csv``) and the reference coding (``reference-coding.csv``) cannot drift apart.

Run from the repository root::

    python transcripts/build_samples.py

Output is deterministic: fixed core properties and zip timestamps, so an unchanged source
rebuilds to identical bytes. All interviews are fictional; no real persons.
"""

import csv
import datetime as dt
import io
import re
import uuid
import zipfile
from pathlib import Path

import docx
import yaml

from qualcode.selection import fingerprint
from qualcode.turns import INTERVIEWER_LABELS

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"
AUTHOR = "qualcode samples"
NOTICE = "Fictief interview, geschreven voor qualcode; geen echte personen."
MEETING_START = dt.time(10, 2)
WORDS_PER_SECOND = 2.4
MONTHS_NL = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december"]
DAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
CASE_COLUMNS = ["file", "respondent_id", "role", "municipality", "contract",
                "years_experience", "interview_date", "interviewer"]
CODING_COLUMNS = ["document", "segment", "fingerprint", "coder", "code", "memo"]


# --- times and text ---------------------------------------------------------------------

def seconds(hms):
    """'00:01:17' -> 77; the sources keep times as text so YAML cannot misread them."""
    h, m, s = (int(part) for part in hms.split(":"))
    return h * 3600 + m * 60 + s


def hms(total):
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def clock(total):
    """Teams and Otter drop leading zeros: 0:04, 12:31, 1:02:03."""
    h, rest = divmod(total, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def spoken_seconds(text):
    return round(len(text.split()) / WORDS_PER_SECOND)


def end_times(turns):
    """A turn ends where the next one starts; the last one after its estimated speaking time."""
    starts = [seconds(t["time"]) for t in turns]
    return starts[1:] + [starts[-1] + spoken_seconds(turns[-1]["text"]) + 2]


def paragraphs(text):
    """A blank line inside a turn is a paragraph break; a single newline is a soft break."""
    return text.split("\n\n")


def flat(text):
    return " ".join(text.split())


def label(src, turn):
    return src["speakers"][turn["speaker"]]


# --- Word documents ---------------------------------------------------------------------

def new_document(src):
    """A document whose metadata says what it is and never changes between runs."""
    document = docx.Document()
    props = document.core_properties
    stamp = dt.datetime.combine(src["attributes"]["interview_date"], dt.time(12, 0))
    props.title = src["title"]
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.comments = NOTICE
    props.created = props.modified = stamp
    props.revision = 1
    return document


def add_lines(paragraph, lines):
    """Write lines into one paragraph separated by line breaks (w:br)."""
    for i, line in enumerate(lines):
        run = paragraph.add_run()
        if i:
            run.add_break()
        run.add_text(line)
    return paragraph


def add_speech(document, text, prefix=""):
    """One paragraph per paragraph of the turn; the prefix goes on the first only."""
    for i, para in enumerate(paragraphs(text)):
        add_lines(document.add_paragraph(), ((prefix if i == 0 else "") + para).split("\n"))


def save_docx(document, path):
    """Save with the zip entries dated like the core properties, so reruns are byte-identical."""
    buffer = io.BytesIO()
    document.save(buffer)
    stamp = document.core_properties.modified.timetuple()[:6]
    with zipfile.ZipFile(buffer) as packed, zipfile.ZipFile(path, "w") as out:
        for item in packed.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=stamp)
            out.writestr(entry, packed.read(item.filename), compress_type=zipfile.ZIP_DEFLATED)


def render_label_prefix(src, path):
    """`I: text` per turn; continuation paragraphs carry no label."""
    document = new_document(src)
    for turn in src["turns"]:
        add_speech(document, turn["text"], prefix=f"{label(src, turn)}: ")
    save_docx(document, path)


def render_bold_label(src, path):
    """Label alone in a bold paragraph, split over two runs as Word's edit history leaves it."""
    document = new_document(src)
    section = document.sections[0]
    respondent = src["attributes"]["respondent_id"]
    section.header.paragraphs[0].text = f"Respondent {respondent} (fictief interview)"
    section.footer.paragraphs[0].text = "Getranscribeerd door [naam], fictief voorbeeld qualcode"
    for turn in src["turns"]:
        name = label(src, turn)
        head = document.add_paragraph()
        for part in (name[:5], name[5:]):
            head.add_run(part).bold = True
        add_speech(document, turn["text"])
    save_docx(document, path)


def render_f4(src, path):
    """f4/f5: the END time of the utterance closes the paragraph, tenths after the dash."""
    document = new_document(src)
    for i, (turn, end) in enumerate(zip(src["turns"], end_times(src["turns"]))):
        paras = paragraphs(turn["text"])
        paras[0] = f"{label(src, turn)}: {paras[0]}"
        paras[-1] = f"{paras[-1]} #{hms(end)}-{i * 3 % 10}#"
        for para in paras:
            add_lines(document.add_paragraph(), para.split("\n"))
    save_docx(document, path)


def meeting_date(src):
    day = src["attributes"]["interview_date"]
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}, {MEETING_START:%H:%M}"


def render_teams_docx(src, path):
    """Teams .docx: a title paragraph, then the whole meeting in ONE paragraph of w:br lines."""
    document = new_document(src)
    turns = src["turns"]
    duration = end_times(turns)[-1]
    host = src["speakers"]["interviewer"]
    add_lines(document.add_paragraph(),
              [src["title"], meeting_date(src), f"{duration // 60}m {duration % 60}s"])
    lines = [f"{host} started transcription"]
    for turn in turns:
        lines.append(f"{label(src, turn)}   {clock(seconds(turn['time']))}")
        lines.extend(flat(p) for p in paragraphs(turn["text"]))
    lines.append(f"{host} stopped transcription")
    add_lines(document.add_paragraph(), lines)
    save_docx(document, path)


def render_table(src, path):
    """Tijd | Spreker | Tekst, one row per turn, with one empty spacer row mid-table."""
    document = new_document(src)
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, ["Tijd", "Spreker", "Tekst"]):
        cell.text = heading
    spacer_after = len(src["turns"]) // 2
    for i, turn in enumerate(src["turns"]):
        time_cell, speaker_cell, text_cell = table.add_row().cells
        time_cell.text = turn["time"]
        speaker_cell.text = label(src, turn)
        for j, para in enumerate(paragraphs(turn["text"])):
            target = text_cell.paragraphs[0] if j == 0 else text_cell.add_paragraph()
            add_lines(target, para.split("\n"))
        if i == spacer_after:
            table.add_row()
    save_docx(document, path)


def render_amberscript(src, path):
    """Amberscript text export: a time-only paragraph, then `Name: text`, then a blank line."""
    document = new_document(src)
    for turn in src["turns"]:
        document.add_paragraph(turn["time"])
        add_speech(document, turn["text"], prefix=f"{label(src, turn)}: ")
        document.add_paragraph()
    save_docx(document, path)


def render_word_transcribe(src, path):
    """Word's Transcribe: `00:00:05 Spreker 1` on its own line, the speech below it."""
    document = new_document(src)
    for turn in src["turns"]:
        document.add_paragraph(f"{turn['time']} {label(src, turn)}")
        add_speech(document, turn["text"])
    save_docx(document, path)


# --- text files -------------------------------------------------------------------------

def vtt_time(ms):
    return f"{hms(ms // 1000)}.{ms % 1000:03d}"


def split_cues(text, parts):
    """Cut a turn at sentence ends into about equal parts, as Teams cuts long utterances."""
    sentences = re.split(r"(?<=[.?!])\s+", flat(text))
    parts = min(parts, len(sentences))
    target = len(flat(text).split()) / parts
    chunks, current = [], []
    for i, sentence in enumerate(sentences):
        current.append(sentence)
        left, needed = len(sentences) - i - 1, parts - 1 - len(chunks)
        full = len(" ".join(current).split()) >= target
        if needed and left >= needed and (full or left == needed):
            chunks.append(" ".join(current))
            current = []
    return chunks + [" ".join(current)]


def render_vtt(src, path):
    """Teams WebVTT: GUID/n-k cue ids, <v Name> voices with non-ASCII as character references."""
    guid = uuid.uuid5(uuid.NAMESPACE_URL, f"qualcode-samples/{src['stem']}")
    turns = src["turns"]
    starts = [seconds(t["time"]) * 1000 + i * 137 % 1000 for i, t in enumerate(turns)]
    ends = starts[1:] + [end_times(turns)[-1] * 1000]
    blocks = ["WEBVTT", f"NOTE\n{NOTICE}"]
    for n, (turn, start, end) in enumerate(zip(turns, starts, ends), start=1):
        words = len(turn["text"].split())
        chunks = split_cues(turn["text"], 1 if words <= 35 else 2 if words <= 75 else 3)
        voice = label(src, turn).encode("ascii", "xmlcharrefreplace").decode("ascii")
        cursor = start
        for k, chunk in enumerate(chunks):
            share = len(chunk.split()) / words
            stop = end if k == len(chunks) - 1 else cursor + round((end - start) * share)
            blocks.append(f"{guid}/{n}-{k}\n{vtt_time(cursor)} --> {vtt_time(stop)}\n"
                          f"<v {voice}>{chunk}</v>")
            cursor = stop
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


def render_otter(src, path):
    """Otter .txt: preamble (title, date • duration, keywords, speakers), then `Name  0:49`."""
    day = src["attributes"]["interview_date"]
    turns = src["turns"]
    speakers = list(dict.fromkeys(label(src, t) for t in turns))
    start = MEETING_START
    stamp = (f"{DAYS_EN[day.weekday()]}, {day.month}/{day.day} "
             f"{start.hour % 12 or 12}:{start.minute:02d}{'AM' if start.hour < 12 else 'PM'}")
    blocks = [f"{src['title']}\n{stamp} • {clock(end_times(turns)[-1])}",
              "SUMMARY KEYWORDS\n" + ", ".join(src.get("keywords", [])),
              "SPEAKERS\n" + ", ".join(speakers)]
    for turn in turns:
        speech = "\n".join(flat(p) for p in paragraphs(turn["text"]))
        blocks.append(f"{label(src, turn)}  {clock(seconds(turn['time']))}\n{speech}")
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


RENDERERS = {
    "docx-label-prefix": (".docx", render_label_prefix),
    "docx-bold-label": (".docx", render_bold_label),
    "docx-f4": (".docx", render_f4),
    "docx-teams": (".docx", render_teams_docx),
    "docx-table": (".docx", render_table),
    "docx-amberscript": (".docx", render_amberscript),
    "docx-word-transcribe": (".docx", render_word_transcribe),
    "vtt-teams": (".vtt", render_vtt),
    "txt-otter": (".txt", render_otter),
}


# --- sources, cases and reference coding --------------------------------------------------

def load(path):
    """Read one source and refuse what would render a misleading sample."""
    src = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 20x faster
    if src["layout"] not in RENDERERS:
        raise ValueError(f"{path.name}: unknown layout {src['layout']!r}; "
                         f"choose one of {', '.join(RENDERERS)}")
    speakers = [t["speaker"] for t in src["turns"]]
    for i, (a, b) in enumerate(zip(speakers, speakers[1:]), start=2):
        if a == b:
            raise ValueError(f"{path.name}: turn {i} repeats speaker {b!r}; turns must alternate")
    return src


def output_name(src):
    return src["stem"] + RENDERERS[src["layout"]][0]


def interviewer_label(src):
    """The interviewer's label when qualcode does not know it for one (a name, "Spreker 1"), so
    the import with cases.csv reads who asked; empty for "I", "Interviewer" and the like."""
    found = src["speakers"]["interviewer"]
    return "" if found.casefold() in INTERVIEWER_LABELS else found


def write_cases(sources, path):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CASE_COLUMNS)
        for src in sources:
            row = {**src["attributes"], "file": output_name(src), "interviewer": interviewer_label(src)}
            writer.writerow(["" if row[c] is None else row[c] for c in CASE_COLUMNS])


def coding_rows(src):
    """Segment = 1-based respondent turn; a coder who applied nothing gets one empty row. The
    fingerprint is qualcode's of the turn's text, which every layout renders and the importer
    reads back word for word, so ``apply`` can check each row still means the same text."""
    respondent_turns = (t for t in src["turns"] if t["speaker"] == "respondent")
    for segment, turn in enumerate(respondent_turns, start=1):
        print_ = fingerprint(turn["text"])
        for coder, codes in sorted(turn["codes"].items()):
            memo = turn.get("memos", {}).get(coder, "")
            for i, code in enumerate(codes or [""]):
                yield [src["stem"], segment, print_, coder, code, memo if i == 0 else ""]


def write_reference_coding(sources, path):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CODING_COLUMNS)
        for src in sources:
            writer.writerows(coding_rows(src))


def main():
    sources = [load(path) for path in sorted(SOURCE.glob("*.yaml"))]
    for src in sources:
        RENDERERS[src["layout"]][1](src, HERE / output_name(src))
        print(f"wrote {output_name(src)}")
    write_cases(sources, HERE / "cases.csv")
    write_reference_coding(sources, HERE / "reference-coding.csv")
    print("wrote cases.csv, reference-coding.csv")


if __name__ == "__main__":
    main()
