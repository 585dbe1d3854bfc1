"""A coder's work list: the segments of a selection, their surrounding turns and their state.

What the keyboard coder reads, shaped so that moving to the next segment costs one small query:
``items(rows) -> list[Item]`` holds the whole selection (text, speaker and time included);
a document's turns (``Turn``) are read once, and :func:`context` picks the turns around a segment
from them; ``segment_state(codings, reviewed, memos, coder) -> SegmentState`` is one segment's
codings, review mark and memos. :data:`ORDERS` holds the orderings of a work list by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field



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
    partial: bool = False  # only passages inside the segment carry the code (coded elsewhere)


@dataclass
class SegmentState:
    """What one segment holds: codings (the coder's own first), whether the coder reviewed it,
    and its memos as (author, text)."""

    reviewed: bool = False
    codings: list[Coding] = field(default_factory=list)
    memos: list[tuple[str, str]] = field(default_factory=list)

    def codes_of(self, coder: str) -> list[str]:
        return [c.code_id for c in self.codings if c.coder == coder]


def items(rows: list[dict]) -> list[Item]:
    """Work-list items from segment rows (:func:`qualcode.store.reads.segment_rows`)."""
    return [
        Item(
            segment_id=row["segment_id"], ref=row["ref"], document=row["document"], number=row["segment"],
            speaker=row["speaker"], time_start=row["time_start"], start=row["start"], end=row["end"], text=row["text"],
        )
        for row in rows
    ]


def context(document_turns: list[Turn], item: Item, before: int = 2, after: int = 1) -> tuple[list[Turn], list[Turn]]:
    """The turns just before and just after a segment (interviewer turns included).

    >>> t = [Turn("I", "interviewer", 0.0, 0, 5, "Vraag"), Turn("R", "respondent", 5.0, 7, 12, "Antwoord")]
    >>> context(t, Item(1, "d:1", "d", 1, "R", 5.0, 7, 12, "Antwoord"))
    ([Turn(speaker='I', role='interviewer', time_start=0.0, start=0, end=5, text='Vraag')], [])
    """
    earlier = [turn for turn in document_turns if turn.end <= item.start]
    later = [turn for turn in document_turns if turn.start >= item.end]
    return earlier[-before:] if before else [], later[:after]


def segment_state(codings: list[dict], reviewed: bool, memos: list[tuple[str, str]], coder: str) -> SegmentState:
    """A segment's state from its codings (coder, code_id, origin), the coder's review mark and
    its memos (author, text); the coder's own codings first."""
    found = [Coding(**row) for row in codings]
    return SegmentState(reviewed=reviewed, codings=sorted(found, key=lambda c: c.coder != coder), memos=memos)


Ordering = Callable[[list[Item], set[int]], list[Item]]


def in_document_order(items: list[Item], reviewed: set[int]) -> list[Item]:
    return list(items)


def unreviewed_first(items: list[Item], reviewed: set[int]) -> list[Item]:
    """Segments the coder has not looked at yet, then the rest, each in document order."""
    return sorted(items, key=lambda item: item.segment_id in reviewed)


# name -> ordering(items, ids the coder reviewed); an ordering that needs a model (the
# suggestions' "uncertain") is passed to the coder app as a callable of the same shape.
ORDERS: dict[str, Ordering] = {"document": in_document_order, "uncoded": unreviewed_first}
