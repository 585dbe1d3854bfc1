"""Quotes: every coded segment under its code, for a report or a colleague, in Word or CSV.

Takes what retrieval found, the codebook and memos, gives sections (``collect(found, book, selection) -> list[Section]``: one per code in tree
order, each with its quotes), then writes them (``write_docx(sections, path)``,
``write_csv(sections, path)``). Writing never touches the project.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.codebook import Codebook, with_descendants
from qualcode.errors import BadInput, NotEnoughData, UnknownItem
from qualcode.outputfile import PERSONAL_DATA, write_atomically
from qualcode.retrieval import Filters, Found, find, format_time
from qualcode.selection import Selection
from qualcode.spreadsheet import csv_row, printable

@dataclass
class Quote:
    ref: str
    document: str
    speaker: str
    time: str
    text: str
    attributes: dict[str, str]
    coders: list[str]
    memos: list[tuple[str, str]] = field(default_factory=list)  # (author, text)

    def attribution(self) -> str:
        """'km01:3, R, 0:20; role: client, municipality: Veenstad; coded by anna'."""
        head = ", ".join(part for part in (self.ref, self.speaker, self.time) if part)
        parts = [head]
        if self.attributes:
            parts.append(", ".join(f"{key}: {value}" for key, value in self.attributes.items()))
        parts.append(f"coded by {', '.join(self.coders)}")
        return "; ".join(parts)


@dataclass
class Section:
    code: str
    name: str
    definition: str
    depth: int
    quotes: list[Quote]
    memos: list[tuple[str, str]] = field(default_factory=list)


def _pieces(who: list[str], parts: dict[str, list[tuple[int, int]]], row: dict) -> list[tuple[tuple[int, int], list[str]]]:
    """What of a segment to quote for one code: the whole segment for the coders who coded it
    whole, and each passage coded inside it (by another program) for the coders of that passage."""
    pieces: dict[tuple[int, int], list[str]] = {}
    for name in who:
        for span in parts.get(name, [(row["start"], row["end"])]):
            pieces.setdefault(span, []).append(name)
    return sorted(pieces.items())


def collect(found: Found, book: Codebook, selection: Selection, *, segment_memos: dict | None = None,
            code_memos: dict | None = None, show: tuple[str, ...] = ()) -> list[Section]:
    """A section per code (with its sub-codes when ``selection.codes`` is given) that has quotes;
    the memos (target id -> (author, text)) ride along when given. A quote carries only the
    attributes named in ``show``: by default none, so no municipality or other attribute helps
    a reader tell who said it."""
    parents = {code.id: parent for code, parent, _ in book.walk()}
    for code_id in selection.codes:
        if code_id not in parents:
            raise UnknownItem("code", code_id, parents, "see 'qualcode codebook show'")
    wanted = with_descendants(parents, selection.codes) if selection.codes else set(parents)
    rows = find(found, Selection.of(attributes=selection.attributes, coder=selection.coder), Filters())
    segment_memos, code_memos = segment_memos or {}, code_memos or {}
    sections = []
    for code, _parent, depth in book.walk():
        if code.id not in wanted:
            continue
        quotes = []
        for row in rows:
            who = sorted(name for name, held in row["codes_by_coder"].items() if code.id in held)
            parts = found.passages.get(row["segment_id"], {}).get(code.id, {})
            for (start, end), coders in _pieces(who, parts, row):
                quotes.append(Quote(
                    ref=row["ref"], document=row["document"], speaker=row["speaker"] or "",
                    time=format_time(row["time_start"]), text=row["text"][start - row["start"]:end - row["start"]],
                    attributes={key: row["attributes"][key] for key in show if key in row["attributes"]}, coders=coders, memos=segment_memos.get(str(row["segment_id"]), []),
                ))
        if quotes:
            sections.append(Section(code.id, code.name, code.definition, depth, quotes, code_memos.get(code.id, [])))
    if not sections:
        raise NotEnoughData("no coded segments match these codes and filters; code some first, or widen --code/--attr/--coder")
    return sections


def write_docx(sections: list[Section], path: Path, subtitle: str = "", raw: bool = False, rules=()) -> None:
    """A Word file: the codebook's general coding rules first (so a reader knows how the
    passages were chosen), then a heading per code with its definition, each segment a Quote
    paragraph followed by its attribution line and (when collected) memos. Word runs no
    formulas, so ``raw`` changes nothing here."""
    import docx  # noqa: PLC0415 - python-docx is only needed when writing Word

    document = docx.Document()
    quote_style_id = document.styles["Quote"].style_id
    document.add_heading("Quotes", level=0)
    if subtitle:
        document.add_paragraph(printable(subtitle))
    if rules:
        document.add_heading("Coding rules", level=1)
        for rule in rules:
            document.add_paragraph(printable(rule), style="List Number")
    for section in sections:
        document.add_heading(printable(f"{section.code} {section.name}"), level=min(section.depth + 1, 9))
        if section.definition:
            document.add_paragraph(printable(section.definition)).runs[0].italic = True
        for author, text in section.memos:
            document.add_paragraph(printable(f"Memo ({author}): {text}"))
        for quote in section.quotes:
            # Setting the style id on the XML directly: python-docx's style setter looks up the
            # default style on every call, which made a thousand quotes take seconds.
            document.add_paragraph(printable(quote.text))._p.style = quote_style_id
            document.add_paragraph(printable(quote.attribution()))
            for author, text in quote.memos:
                document.add_paragraph(printable(f"Memo ({author}): {text}"))
    document.core_properties.comments = PERSONAL_DATA
    document.save(str(path))


def write_csv(sections: list[Section], path: Path, subtitle: str = "", raw: bool = False, rules=()) -> None:
    """One row per quote under each code: code, code_name, ref, ..., coders, attributes, memos;
    formula-like text escaped unless ``raw`` (see :mod:`qualcode.spreadsheet`). A table of
    quotes has no place for the coding rules; the Word file carries them."""
    keys = list(dict.fromkeys(key for s in sections for q in s.quotes for key in q.attributes))
    columns = ["code", "code_name", "ref", "document", "speaker", "time", "text", "coders", *keys, "memos"]
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writerow(csv_row(dict(zip(columns, columns)), raw))  # attribute names from a .qdpx are free text
        for section in sections:
            for quote in section.quotes:
                writer.writerow(csv_row({
                    "code": section.code, "code_name": section.name, "ref": quote.ref, "document": quote.document,
                    "speaker": quote.speaker, "time": quote.time, "text": quote.text, "coders": ", ".join(quote.coders),
                    **quote.attributes,
                    "memos": "\n".join(f"{author}: {text}" for author, text in quote.memos),
                }, raw))


WRITERS = {".docx": write_docx, ".csv": write_csv}


def write(sections: list[Section], path: Path, subtitle: str = "", raw: bool = False, rules=()) -> None:
    """Write by the file's suffix (a key of :data:`WRITERS`); ``rules`` are the codebook's
    general coding rules."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise BadInput(f"{path}: cannot write {suffix or 'files without a suffix'} quotes; end the file name in {' or '.join(WRITERS)}")
    write_atomically(Path(path), lambda temporary: WRITERS[suffix](sections, temporary, subtitle, raw, rules))
