"""Selection positions: which unit a producer counted in, and the same place in qualcode's text.

The standard counts Unicode code points of the source file, so a CRLF is two. NVivo counts
UTF-16 code units (an emoji is two) and does not count the byte-order mark. qualcode stores
text with ``\\n`` line endings, so every position is mapped from the file's text to the
normalised one. The unit comes from the project's ``origin`` and is checked: the candidate under
which most selections start and end at word boundaries wins, the origin's unit on a tie.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    utf16: bool
    crlf_two: bool

    def __str__(self) -> str:
        counted = "UTF-16 code units" if self.utf16 else "code points"
        return f"{counted}, CRLF as {'two' if self.crlf_two else 'one'}"


STANDARD = Unit(utf16=False, crlf_two=True)
NVIVO = Unit(utf16=True, crlf_two=True)
UNITS = (STANDARD, NVIVO, Unit(utf16=False, crlf_two=False), Unit(utf16=True, crlf_two=False))


def normalise(raw: str) -> str:
    """The text as qualcode stores it: every line ending becomes ``\\n``."""
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def needs_table(raw: str) -> bool:
    return "\r\n" in raw or any(ord(ch) > 0xFFFF for ch in raw)


def position_table(raw: str, unit: Unit) -> tuple[dict[int, int], int]:
    """Map each position counted in ``unit`` in ``raw`` to a code point in ``normalise(raw)``.

    Positions inside a surrogate pair are missing from the map; the second number is the
    length of ``raw`` in ``unit``.
    """
    table: dict[int, int] = {}
    here = out = index = 0
    while index < len(raw):
        table[here] = out
        if raw[index] == "\r" and raw[index + 1: index + 2] == "\n":
            if unit.crlf_two:
                table[here + 1] = out
            here += 2 if unit.crlf_two else 1
            index += 2
        else:
            here += 2 if unit.utf16 and ord(raw[index]) > 0xFFFF else 1
            index += 1
        out += 1
    table[here] = out
    return table, here


def convert(raw: str, unit: Unit):
    """A function from a position in ``unit`` to a code point in the normalised text, or None."""
    if not needs_table(raw):
        length = len(raw)
        return lambda position: position if 0 <= position <= length else None
    table, _ = position_table(raw, unit)
    return table.get


def at_boundary(text: str, position: int) -> bool:
    return position <= 0 or position >= len(text) or not (text[position - 1].isalnum() and text[position].isalnum())


def choose_unit(spans: list[tuple[str, list[tuple[int, int]]]], origin: str) -> tuple[Unit, dict[Unit, float]]:
    """The unit the selections were counted in; ``spans`` holds (raw text, [(start, end)]) per source.

    Returns the unit and each candidate's share of boundaries hit (-1 when a position does not fit).
    """
    preferred = NVIVO if "nvivo" in (origin or "").lower() else STANDARD
    order = [preferred, *(unit for unit in UNITS if unit != preferred)]
    if not any(needs_table(raw) for raw, found in spans if found):
        return preferred, {}
    scores = {}
    for unit in order:
        hits = total = 0
        for raw, found in spans:
            if not found:
                continue
            text, mapped = normalise(raw), convert(raw, unit)
            for start, end in found:
                points = (mapped(start), mapped(end))
                if None in points:
                    hits, total = -1, 1
                    break
                hits += sum(at_boundary(text, point) for point in points)
                total += 2
            if hits < 0:
                break
        scores[unit] = hits / total if total else 0.0
    return max(order, key=lambda unit: scores[unit]), scores
