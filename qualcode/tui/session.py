"""One coder's session over a work list: every action written at once, and undone exactly.

The coder screen calls this; it calls :class:`qualcode.Project` and holds no Textual code, so
the same steps can be driven from a test or a benchmark. Each action is its own transaction
(nothing to save, a crash loses nothing); :meth:`CodingSession.undo` reverses the last one:
a tag is untagged (or, if it was the coder's first look at the segment, the review mark goes
too) and the code it replaced in an exclusive group put back, a first "reviewed, no code" is
withdrawn, a removal is tagged again with its origin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qualcode.errors import BadInput
from qualcode.worklist import Item, Ordering, SegmentState, in_document_order

# suggest(segment_id) -> [(code_id, score, reason_words), ...], best first; None while its model trains
Suggest = Callable[[int], list[tuple[str, float, list[str]]] | None]


@dataclass(frozen=True)
class Step:
    """One undoable action: ``kind`` is tag, untag or review."""

    kind: str
    index: int
    code_id: str | None = None
    origin: str = "manual"
    first_review: bool = False
    replaced: tuple[tuple[str, str], ...] = ()  # (code, origin) a tag took off (an exclusive group's other child)


class CodingSession:
    """A coder working through ``items`` of ``project``; ``reviewed`` tracks their progress."""

    def __init__(self, project, items: list[Item], coder: str, *, show_others: bool = False,
                 order: Ordering = in_document_order, suggest: Suggest | None = None):
        self.project = project
        self.coder = coder
        self.show_others = show_others
        self.suggest = suggest
        self.reviewed = project.reviewed_segments(coder) & {item.segment_id for item in items}
        self.items = order(items, self.reviewed)
        self.undo_steps: list[Step] = []
        self._turns: dict[str, list] = {}
        self._suggestions: dict[int, list] = {}

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        return len(self.reviewed)

    def turns(self, item: Item) -> list:
        """The turns of the item's document, read once per document."""
        if item.document not in self._turns:
            self._turns[item.document] = self.project.turns(item.document)
        return self._turns[item.document]

    def state(self, index: int) -> SegmentState:
        return self.project.segment_state(self.items[index].segment_id, self.coder, others=self.show_others)

    def suggestions(self, index: int) -> list[tuple[str, float, list[str]]] | None:
        """The suggester's proposals for a segment, asked once per segment; none without one,
        None while the model for it is being trained."""
        if self.suggest is None:
            return []
        segment_id = self.items[index].segment_id
        if segment_id not in self._suggestions:
            found = self.suggest(segment_id)
            if found is None:
                return None
            self._suggestions[segment_id] = list(found)
        return self._suggestions[segment_id]

    def forget_suggestions(self) -> None:
        """Drop the suggestions asked so far, after the model was retrained."""
        self._suggestions.clear()

    def find(self, answer: str) -> int:
        """The position of a segment given as its number in this list or as ``DOC:N``."""
        answer = answer.strip()
        if answer.isdigit() and 1 <= int(answer) <= self.total:
            return int(answer) - 1
        for index, item in enumerate(self.items):
            if item.ref == answer:
                return index
        raise BadInput(f"no segment {answer!r} here: give a number from 1 to {self.total}, or DOC:N of a listed document")

    # ---- actions -------------------------------------------------------------------------

    def tag(self, index: int, code_id: str, origin: str = "manual") -> bool:
        """Apply a code, replacing the coder's code from another child of its exclusive group;
        False if the coder had already applied it here."""
        item = self.items[index]
        first = item.segment_id not in self.reviewed
        added, replaced = self.project.tag_replacing(item.ref, code_id, coder=self.coder, origin=origin)
        if not added:
            return False
        self.reviewed.add(item.segment_id)
        self.undo_steps.append(Step("tag", index, code_id, origin, first, tuple(replaced)))
        return True

    def untag(self, index: int, code_id: str) -> bool:
        """Remove one of the coder's codes; False if it was not applied here."""
        item = self.items[index]
        origins = {c.code_id: c.origin for c in self.state(index).codings if c.coder == self.coder}
        if code_id not in origins or not self.project.untag(item.ref, [code_id], coder=self.coder):
            return False
        self.undo_steps.append(Step("untag", index, code_id, origins[code_id]))
        return True

    def review(self, index: int) -> bool:
        """Mark the segment reviewed (with or without codes); False if it already was."""
        item = self.items[index]
        if not self.project.review(item.ref, coder=self.coder):
            return False
        self.reviewed.add(item.segment_id)
        self.undo_steps.append(Step("review", index))
        return True

    def memo(self, index: int, text: str) -> int:
        """Write a memo on the segment; memos are kept, not undone."""
        return self.project.add_memo(text, segment=self.items[index].ref, author=self.coder)

    def undo(self) -> Step | None:
        """Reverse the last action; returns it (its ``index`` is where it happened), or None."""
        if not self.undo_steps:
            return None
        step = self.undo_steps.pop()
        item = self.items[step.index]
        if step.kind == "untag":
            self.project.tag(item.ref, [step.code_id], coder=self.coder, origin=step.origin)
        elif step.kind == "review" or step.first_review:
            self.project.unreview(item.ref, coder=self.coder)
            self.reviewed.discard(item.segment_id)
        else:
            self.project.untag(item.ref, [step.code_id], coder=self.coder)
            for code_id, origin in step.replaced:
                self.project.tag(item.ref, [code_id], coder=self.coder, origin=origin)
        return step
