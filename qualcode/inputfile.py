"""Reading the small files a user hands in (codebooks, codings and attributes CSVs), refused safely.

One place for the checks every such file gets: it exists, it is not absurdly large, and it is
UTF-8 (a BOM is allowed); for CSVs (:func:`read_table`): the delimiter Excel used, no column
twice, no quote left open; for zip archives (.docx, .qdpx): :data:`ZIP_DAMAGE`, what a damaged
one raises; for XML: :func:`xml_text`, decoded as its parser would. Each refusal is a :class:`BadFile` whose hint says what to do.
"""

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import BadFile


def read_utf8(path: Path, *, max_bytes: int, missing: str, too_large: str, kind: str) -> str:
    """The text of ``path``; ``missing`` and ``too_large`` complete the refusal messages, and
    ``kind`` names the file in "save the KIND as UTF-8"."""
    path = Path(path)
    if not path.is_file():
        raise BadFile(path, missing)
    if path.stat().st_size > max_bytes:
        raise BadFile(path, f"larger than {max_bytes // 1_000_000} MB; {too_large}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile(path, f"not UTF-8 text; save the {kind} as UTF-8") from None


# What zipfile and zlib raise for a damaged archive: a broken directory or local header, a bad
# CRC, a corrupt or truncated deflate stream, an offset past the end.
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)
XML_BOMS = (  # UTF-32 before UTF-16: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # C0, DEL, C1, and the Unicode line breaks


@dataclass
class Table:
    """A CSV as read: its delimiter, its header, and (from :meth:`rows`) its rows with the line
    each starts on. The table holds its text, not its rows: each call of :meth:`rows` parses
    again, so a codings table of half a million rows never sits in memory as dicts.

    A row is ``{column: value}``; fields beyond the header are under the key ``None`` (as
    :class:`csv.DictReader` does) and missing ones are None."""

    path: Path
    text: str
    delimiter: str
    header: list[str]  # as in the file: unnamed (empty) columns included
    columns: list[str]  # the named ones

    def describe(self) -> str:
        """'semicolon-separated', for the command's output."""
        return f"{DELIMITERS[self.delimiter]}-separated"

    def rows(self) -> Iterator[tuple[int, dict]]:
        """``(line, row)`` for each record below the header, in file order."""
        fields = _fields(self.path, self.text, self.delimiter)
        next(fields, None)
        named = [(i, name) for i, name in enumerate(self.header) if name]
        width = len(self.header)
        for number, values in fields:
            row = dict.fromkeys(self.columns)
            row.update((name, values[i]) for i, name in named if i < len(values))
            if len(values) > width:
                row[None] = values[width:]
            yield number, row


def sniff_delimiter(header: str) -> str:
    """The delimiter of ``DELIMITERS`` that splits the header line into the most columns;
    comma when none splits it (a one-column file). Excel writes semicolons where the decimal
    mark is a comma (Dutch, German, French settings) and tabs for "Unicode text"."""
    def columns(delimiter: str) -> int:
        try:
            return len(next(csv.reader([header], delimiter=delimiter), []))
        except csv.Error:  # a field past the size limit: the reader will refuse the file with its line
            return 0

    return max(DELIMITERS, key=columns)


def _fields(path: Path, text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, fields)`` of each row that is not empty, the header first; a quote that is never
    closed is refused with the line it opens on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for fields in reader:
            if fields:
                yield line, fields
            line = reader.line_num + 1
    except csv.Error as exc:
        if _ends_in_quotes("".join(io.StringIO(text, newline="").readlines()[line - 1:]), delimiter):
            raise BadFile(path, f"line {line}: a quote opened in this row is never closed, so the rest of the file "
                                "would be one field; close the quote (a quote inside a field is written \"\")") from None
        raise BadFile(path, f"line {line}: not a readable CSV row ({exc}); check its quotes") from None


def read_table(path: Path, text: str) -> Table:
    """Check the CSV ``text`` of ``path``: comma, semicolon or tab (found from the header line),
    a leading BOM ignored, a duplicated column refused, empty unnamed columns dropped, and a
    quote that is never closed refused with the line it opens on."""
    text = text.removeprefix("\ufeff")
    delimiter = sniff_delimiter(re.split(r"\r\n|\r|\n", text, maxsplit=1)[0])
    rows = _fields(path, text, delimiter)
    header = [field.strip() for field in next(rows, (1, []))[1]]
    # Excel leaves empty unnamed columns behind (``file;role;;``); they are dropped, not refused.
    unnamed = [i for i, name in enumerate(header) if not name]
    for number, fields in rows:
        filled = [fields[i] for i in unnamed if i < len(fields) and fields[i].strip()]
        if filled:
            raise BadFile(path, f"line {number}: {filled[0]!r} is in a column without a name; name the column in the header or remove the value")
    columns = [name for name in header if name]
    for name in columns:
        if control_character(name):
            raise BadFile(path, f"line 1: the column name {name!r} holds the control character {control_character(name)}; remove it")
    doubled = [name for name, count in Counter(columns).items() if count > 1]
    if doubled:
        raise BadFile(path, f"line 1: the column {doubled[0]!r} appears {columns.count(doubled[0])} times; keep one")
    return Table(Path(path), text, delimiter, header, columns)


def xml_text(path: Path, name: str, raw: bytes) -> str:
    """An XML file's text as an XML parser reads it (byte-order mark, else UTF-16 by its first
    bytes, else the declared encoding, else UTF-8), so a DTD cannot hide from a check in UTF-16;
    ``name`` is the member of ``path`` it came from."""
    for bom, encoding in XML_BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    if raw.startswith((b"<\x00?\x00", b"\x00<\x00?")):
        return raw.decode("utf-16-le" if raw[0] else "utf-16-be", errors="replace")
    declared = XML_ENCODING.match(raw)
    encoding = declared[1].decode("ascii") if declared else "utf-8"
    try:
        return raw.decode(encoding, errors="replace")
    except LookupError:
        raise BadFile(path, f"{name} declares the unknown encoding {encoding!r}; save it again as UTF-8") from None


def _ends_in_quotes(text: str, delimiter: str) -> bool:
    """Whether CSV ``text`` (from the start of a row) ends inside a quoted field."""
    quoted, field_start, i = False, True, 0
    while i < len(text):
        char = text[i]
        if quoted and char == '"':
            if text.startswith('"', i + 1):
                i += 1
            else:
                quoted = False
        elif not quoted and char == '"' and field_start:
            quoted = True
        field_start = not quoted and char in (delimiter, "\n", "\r")
        i += 1
    return quoted


def control_character(text: str, allowed: str = "") -> str | None:
    """The first control character (or Unicode line or paragraph separator) in ``text`` that is
    not in ``allowed``, as ``U+0000``; else None."""
    for found in CONTROL.finditer(text):
        if found.group() not in allowed:
            return f"U+{ord(found.group()):04X}"
    return None
