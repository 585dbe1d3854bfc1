"""A coder's work list: the segments of a selection, their surrounding turns and their state.

What the keyboard coder reads, shaped so that moving to the next segment costs one small query:
``select(conn, documents, attributes) -> list[Item]`` loads the whole selection once (text,
speaker and time included); ``turns_of(conn, document) -> list[Turn]`` loads one document's turns
once, and :func:`context` picks the turns around a segment from them;
``segment_state(conn, segment_id, coder, others) -> SegmentState`` reads the codings, review
mark and memos of one segment. :data:`ORDERS` holds the orderings of a work list by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from qualcode.store import codings, documents, memos, reviews, turns
from qualcode.store import segment as store_segment


@dataclass(frozen=True)
class Item:
    """One segment of the work list."""

    segment_id: int
    ref: str
    document: str
    number: int
    speaker: str | None
    time_start: float | None
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Turn:
    speaker: str
    role: str
    time_start: float | None
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Coding:
    coder: str
    code_id: str
    origin: str


@dataclass
class SegmentState:
    """What one segment holds: codings (the coder's own first), whether the coder reviewed it,
    and its memos as (author, text)."""

    reviewed: bool = False
    codings: list[Coding] = field(default_factory=list)
    memos: list[tuple[str, str]] = field(default_factory=list)

    def codes_of(self, coder: str) -> list[str]:
        return [c.code_id for c in self.codings if c.coder == coder]


def select(conn: sa.Connection, documents_: list[str] | None = None, attributes: dict[str, str] | None = None) -> list[Item]:
    """The segments of the selection in document order, with one query."""
    return [
        Item(
            segment_id=row["segment_id"], ref=row["ref"], document=row["document"], number=row["segment"],
            speaker=row["speaker"], time_start=row["time_start"], start=row["start"], end=row["end"], text=row["text"],
        )
        for row in store_segment.segment_rows(conn, documents_=documents_, attributes=attributes)
    ]


def reviewed_by(conn: sa.Connection, coder: str) -> set[int]:
    """Ids of every segment ``coder`` has looked at."""
    return set(conn.execute(sa.select(reviews.c.segment_id).where(reviews.c.coder == coder)).scalars())


def turns_of(conn: sa.Connection, document: str) -> list[Turn]:
    """A document's turns in order, with their text (cut in Python: SQLite's substr walks the
    text from its start for every turn)."""
    found = conn.execute(sa.select(documents.c.id, documents.c.text).where(documents.c.name == document)).first()
    if found is None:
        return []
    document_id, text = found
    query = (
        sa.select(turns.c.speaker, turns.c.role, turns.c.time_start, turns.c.start, turns.c.end)
        .where(turns.c.document_id == document_id)
        .order_by(turns.c.number)
    )
    return [Turn(**row, text=text[row["start"]:row["end"]]) for row in conn.execute(query).mappings()]


def context(document_turns: list[Turn], item: Item, before: int = 2, after: int = 1) -> tuple[list[Turn], list[Turn]]:
    """The turns just before and just after a segment (interviewer turns included).

    >>> t = [Turn("I", "interviewer", 0.0, 0, 5, "Vraag"), Turn("R", "respondent", 5.0, 7, 12, "Antwoord")]
    >>> context(t, Item(1, "d:1", "d", 1, "R", 5.0, 7, 12, "Antwoord"))
    ([Turn(speaker='I', role='interviewer', time_start=0.0, start=0, end=5, text='Vraag')], [])
    """
    earlier = [turn for turn in document_turns if turn.end <= item.start]
    later = [turn for turn in document_turns if turn.start >= item.end]
    return earlier[-before:] if before else [], later[:after]


def segment_state(conn: sa.Connection, segment_id: int, coder: str, others: bool = False) -> SegmentState:
    """Codings (only the coder's own unless ``others``), review mark and memos of one segment."""
    query = sa.select(codings.c.coder, codings.c.code_id, codings.c.origin).where(codings.c.segment_id == segment_id)
    if not others:
        query = query.where(codings.c.coder == coder)
    found = [Coding(**row) for row in conn.execute(query.order_by(codings.c.id)).mappings()]
    reviewed = conn.execute(
        sa.select(reviews.c.segment_id).where(reviews.c.segment_id == segment_id, reviews.c.coder == coder)
    ).first() is not None
    notes = conn.execute(
        sa.select(memos.c.author, memos.c.text)
        .where(memos.c.target_type == "segment", memos.c.target_id == str(segment_id))
        .order_by(memos.c.id)
    ).all()
    return SegmentState(
        reviewed=reviewed,
        codings=sorted(found, key=lambda c: c.coder != coder),
        memos=[tuple(note) for note in notes],
    )


Ordering = Callable[[list[Item], set[int]], list[Item]]


def in_document_order(items: list[Item], reviewed: set[int]) -> list[Item]:
    return list(items)


def unreviewed_first(items: list[Item], reviewed: set[int]) -> list[Item]:
    """Segments the coder has not looked at yet, then the rest, each in document order."""
    return sorted(items, key=lambda item: item.segment_id in reviewed)


# name -> ordering(items, ids the coder reviewed); an ordering that needs a model (the
# suggestions' "uncertain") is passed to the coder app as a callable of the same shape.
ORDERS: dict[str, Ordering] = {"document": in_document_order, "uncoded": unreviewed_first}
