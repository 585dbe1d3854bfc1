"""Selection positions: which unit a producer counted in, and the same place in qualcode's text.

The standard counts Unicode code points of the source file, so a CRLF is two. NVivo counts
UTF-16 code units (an emoji is two) and does not count the byte-order mark. qualcode stores
text with ``\\n`` line endings, so every position is mapped from the file's text to the
normalised one. The unit comes from the project's ``origin`` and is checked: the candidate under
which most selections start and end at word boundaries wins, the origin's unit on a tie.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

SPECIAL = re.compile("\r\n|[\U00010000-\U0010FFFF]")


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


def _has_special(raw: str) -> bool:
    return SPECIAL.search(raw) is not None


def convert(raw: str, unit: Unit):
    """A function from a position counted in ``unit`` in ``raw`` to a code point in
    ``normalise(raw)``; it returns None for a position outside the text or inside a surrogate pair.

    Positions shift only at CRLFs and characters beyond the BMP, so only those are listed.
    """
    starts, marks = [], []
    extra = removed = 0
    for match in SPECIAL.finditer(raw):
        crlf = match.group() == "\r\n"
        width = (2 if unit.crlf_two else 1) if crlf else (2 if unit.utf16 else 1)
        starts.append(match.start() + extra)
        marks.append((match.start() + extra, width, match.start() - removed, crlf))
        extra += width - len(match.group())
        removed += len(match.group()) - 1
    total = len(raw) + extra

    def mapped(position: int) -> int | None:
        if not 0 <= position <= total:
            return None
        index = bisect.bisect_right(starts, position) - 1
        if index < 0:
            return position
        begin, width, normal, crlf = marks[index]
        if position == begin or (crlf and position < begin + width):
            return normal
        if position < begin + width:
            return None
        return normal + 1 + position - begin - width

    return mapped


def at_boundary(text: str, position: int) -> bool:
    return position <= 0 or position >= len(text) or not (text[position - 1].isalnum() and text[position].isalnum())


def choose_unit(spans: list[tuple[str, list[tuple[int, int]]]], origin: str) -> tuple[Unit, dict[Unit, float]]:
    """The unit the selections were counted in; ``spans`` holds (raw text, [(start, end)]) per source.

    Returns the unit and each candidate's share of boundaries hit (-1 when a position does not fit).
    """
    preferred = NVIVO if "nvivo" in (origin or "").lower() else STANDARD
    order = [preferred, *(unit for unit in UNITS if unit != preferred)]
    if not any(_has_special(raw) for raw, found in spans if found):
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
