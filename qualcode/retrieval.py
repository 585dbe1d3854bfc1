"""Retrieval: the segments that match codes, coders, attributes and words, with their codes.

Takes filters (``Filters``), gives rows (``find(conn, filters) -> (rows, attribute_keys)``): each
row is a segment from :func:`qualcode.coding.segment_rows` plus its document's attributes and
its codes per coder. A code includes its sub-codes unless ``exact``; text search ignores case and
accents (Unicode decomposition, done in Python so it runs the same on every database).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa

from qualcode.codebook import with_descendants
from qualcode.store.codebook import code_parents
from qualcode.store.codebook import check_codes
from qualcode.store.segment import segment_rows
from qualcode.errors import UnknownItem
from qualcode.store import coders, codings, document_attributes, documents


@dataclass
class Filters:
    """What to look for; every filter given must hold (``any_of`` within itself is an or)."""

    documents: list[str] | None = None
    speaker: str | None = None
    attributes: dict[str, str] | None = None
    all_of: list[str] = field(default_factory=list)
    any_of: list[str] = field(default_factory=list)
    none_of: list[str] = field(default_factory=list)
    exact: bool = False
    coder: str | None = None
    uncoded: bool = False
    text: str | None = None


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


def codes_by_segment(conn: sa.Connection, coder: str | None = None) -> dict[int, dict[str, list[str]]]:
    """segment id -> coder -> code ids (sorted), for one coder or all."""
    query = sa.select(codings.c.segment_id, codings.c.coder, codings.c.code_id).order_by(codings.c.code_id)
    if coder:
        query = query.where(codings.c.coder == coder)
    found: dict[int, dict[str, list[str]]] = {}
    for segment_id, name, code_id in conn.execute(query):
        found.setdefault(segment_id, {}).setdefault(name, []).append(code_id)
    return found


def attributes_by_document(conn: sa.Connection) -> tuple[dict[str, dict[str, str]], list[str]]:
    """document name -> {key: value}, and every attribute key in first-seen order."""
    query = (
        sa.select(documents.c.name, document_attributes.c.key, document_attributes.c.value)
        .join(documents, documents.c.id == document_attributes.c.document_id)
        .order_by(documents.c.name, document_attributes.c.key)
    )
    found: dict[str, dict[str, str]] = {}
    keys: dict[str, None] = {}
    for name, key, value in conn.execute(query):
        found.setdefault(name, {})[key] = value
        keys[key] = None
    return found, list(keys)


def _matches(held: set[str], groups: list[set[str]], any_set: set[str] | None, none_set: set[str]) -> bool:
    if any(not (held & group) for group in groups):
        return False
    if any_set is not None and not (held & any_set):
        return False
    return not (held & none_set)


def find(conn: sa.Connection, filters: Filters) -> tuple[list[dict], list[str]]:
    """The matching segments in document order, each with ``codes`` (text, per coder when the
    project has several and no ``coder`` is asked for), ``codes_by_coder`` and its document's
    attributes; also the attribute keys, for columns."""
    known = conn.execute(sa.select(coders.c.name)).scalars().all()
    if filters.coder and filters.coder not in known:
        raise UnknownItem("coder", filters.coder, known, "see 'qualcode status'")
    per_coder = filters.coder is None and len(known) > 1
    parents = code_parents(conn)

    def expand(code_ids) -> set[str]:
        check_codes(conn, code_ids)
        return set(code_ids) if filters.exact else with_descendants(parents, code_ids)

    groups = [expand([code_id]) for code_id in filters.all_of]
    any_set = expand(filters.any_of) if filters.any_of else None
    none_set = expand(filters.none_of) if filters.none_of else set()
    words = fold(filters.text).split() if filters.text else []
    applied = codes_by_segment(conn, filters.coder)
    attributes, keys = attributes_by_document(conn)
    rows = []
    for row in segment_rows(conn, documents_=filters.documents, speaker=filters.speaker, attributes=filters.attributes):
        by_coder = applied.get(row["segment_id"], {})
        held = {code for codes_ in by_coder.values() for code in codes_}
        if filters.uncoded and held:
            continue
        if not _matches(held, groups, any_set, none_set):
            continue
        if words and not all(word in fold(row["text"]) for word in words):
            continue
        row["attributes"] = attributes.get(row["document"], {})
        row["codes_by_coder"] = by_coder
        row["codes"] = format_codes(by_coder, per_coder)
        rows.append(row)
    return rows, keys


def format_time(seconds: float | None) -> str:
    """A recording time as m:ss or h:mm:ss; empty when the transcript had none."""
    if seconds is None or seconds != seconds:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
