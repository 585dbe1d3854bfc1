"""Retrieval: the segments that match codes, coders, attributes and words, with their codes.

Takes what the store read (``Found``), a :class:`~qualcode.selection.Selection` and ``Filters``,
gives rows (``find(found, selection, filters) -> rows``): each row is a segment from
:func:`qualcode.store.reads.segment_rows` plus its document's attributes and its codes per coder. A code includes its sub-codes unless ``exact``; text search ignores case and
accents (Unicode decomposition, done in Python so it runs the same on every database).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from qualcode.codebook import with_descendants
from qualcode.errors import UnknownItem
from qualcode.selection import Selection


@dataclass
class Filters:
    """What to look for beyond the :class:`~qualcode.selection.Selection` (whose ``codes`` are
    the any-of codes); every filter given must hold."""

    all_of: list[str] = field(default_factory=list)
    none_of: list[str] = field(default_factory=list)
    exact: bool = False
    uncoded: bool = False
    text: str | None = None


@dataclass
class Found:
    """What retrieval reads from the store: the selected segment rows, the codes per segment
    and coder (of the selection's coder, or all), documents' attributes, coders and code tree."""

    rows: list[dict]
    applied: dict[int, dict[str, list[str]]]
    attributes: dict[str, dict[str, str]]
    keys: list[str]
    coders: list[str]
    parents: dict[str, str | None]
    # segment id -> code id -> coder -> passages inside the segment (codes coded on part of it)
    passages: dict[int, dict[str, dict[str, list[tuple[int, int]]]]] = field(default_factory=dict)


COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """``text`` without case or accents: 'Één Cliënt' and 'een client' fold alike.

    Decomposes (NFKD) and drops the combining diacritical marks, with one regular expression
    rather than a Python loop per character (fast enough for thousands of segments).
    """
    return COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def format_codes(by_coder: dict[str, list[str]], per_coder: bool) -> str:
    """Codes of a segment as text: 'KD-OVL, KV-LEER', or per coder 'anna: KV-LEER | bram: KT-WET'."""
    if not per_coder:
        return ", ".join(code for codes_ in by_coder.values() for code in codes_)
    return " | ".join(f"{name}: {', '.join(codes_)}" for name, codes_ in sorted(by_coder.items()))


def format_passages(passages: dict[str, dict[str, list[tuple[int, int]]]], row: dict, per_coder: bool) -> str:
    """The passages coded on part of a segment, each as 'CODE "its words"' (per coder 'anna: CODE
    "..."'), so a coding made on a span in another program shows what it covers.

    >>> format_passages({"KV": {"anna": [(13, 18)]}}, {"text": "Ik leer elke dag.", "start": 10}, True)
    'anna: KV "leer "'
    """
    return " | ".join(
        f'{name + ": " if per_coder else ""}{code_id} "{row["text"][start - row["start"]:end - row["start"]]}"'
        for code_id, by_coder in sorted(passages.items())
        for name, spans in sorted(by_coder.items())
        for start, end in spans
    )


def _matches(held: set[str], groups: list[set[str]], any_set: set[str] | None, none_set: set[str]) -> bool:
    if any(not (held & group) for group in groups):
        return False
    if any_set is not None and not (held & any_set):
        return False
    return not (held & none_set)


def find(found: Found, selection: Selection, filters: Filters) -> list[dict]:
    """The matching segments in document order, each with ``codes`` (text, per coder when the
    project has several and no coder is asked for), ``passages`` (the codes that cover only part
    of it, with the words they cover), ``codes_by_coder`` and its document's attributes."""
    if selection.coder and selection.coder not in found.coders:
        raise UnknownItem("coder", selection.coder, found.coders, "see 'qualcode status'")
    per_coder = selection.coder is None and len(found.coders) > 1

    def expand(code_ids) -> set[str]:
        for code_id in code_ids:
            if code_id not in found.parents:
                raise UnknownItem("code", code_id, found.parents, "see 'qualcode codebook show'")
        return set(code_ids) if filters.exact else with_descendants(found.parents, code_ids)

    groups = [expand([code_id]) for code_id in filters.all_of]
    any_set = expand(selection.codes) if selection.codes else None
    none_set = expand(filters.none_of) if filters.none_of else set()
    words = fold(filters.text).split() if filters.text else []
    rows = []
    for row in found.rows:
        by_coder = found.applied.get(row["segment_id"], {})
        held = {code for codes_ in by_coder.values() for code in codes_}
        if filters.uncoded and held:
            continue
        if not _matches(held, groups, any_set, none_set):
            continue
        if words and not all(word in fold(row["text"]) for word in words):
            continue
        row["attributes"] = found.attributes.get(row["document"], {})
        row["codes_by_coder"] = by_coder
        row["codes"] = format_codes(by_coder, per_coder)
        row["passages"] = format_passages(found.passages.get(row["segment_id"], {}), row, per_coder)
        rows.append(row)
    return rows


def format_time(seconds: float | None) -> str:
    """A recording time as m:ss or h:mm:ss; empty when the transcript had none."""
    if seconds is None or seconds != seconds:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
