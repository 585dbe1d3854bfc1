"""Widgets of the keyboard coder. They draw what the screen hands them and post messages up;
none of them reads or writes the project."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.scalar import Scalar
from textual.fuzzy import Matcher
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from qualcode.worklist import Item, SegmentState, Turn


@dataclass(frozen=True)
class CodeEntry:
    """A code as the picker lists it."""

    id: str
    name: str
    label: str | None
    depth: int
    shortcut: str | None


def clock(seconds: float | None) -> str:
    """A recording time as m:ss or h:mm:ss; empty when unknown.

    >>> clock(75.4), clock(3725), clock(None)
    ('1:15', '1:02:05', '')
    """
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _turn_line(turn: Turn) -> Text:
    line = Text(f"{turn.speaker} {clock(turn.time_start)}".rstrip() + ": ", style="dim bold")
    line.append(turn.text, style="dim")
    return line


class SegmentView(Static):
    """The segment being coded, between the turns before and after it (dimmed).

    At least as tall as its pane, and laid out again only when the text no longer fits that
    height: a layout pass of the whole screen is the dearest part of moving to the next segment.
    """

    def show(self, item: Item, before: list[Turn], after: list[Turn]) -> None:
        parts = [_turn_line(turn) for turn in before]
        head = Text(f"{item.ref}  {item.speaker or ''} {clock(item.time_start)}".rstrip(), style="bold reverse")
        parts.append(head + Text("\n") + Text(item.text, style="bold"))
        parts.extend(_turn_line(turn) for turn in after)
        self.update(Text("\n\n").join(parts), layout=False)
        width, now, least = self.content_region.width, self.content_region.height, self.parent.content_region.height
        if least and self.styles.min_height != Scalar.from_number(least):
            self.styles.min_height = least
        needed = self.get_content_height(self.parent.size, self.app.size, width) if width else now + 1
        if needed > now or (now > least and needed != now):
            self.refresh(layout=True)


PARTIAL_MARK = "(part)"  # a span coded in another program covers only part of the segment


class CodingsPanel(Static):
    """The codes on this segment (the coder's own; others' read-only, by coder) and its memos;
    a code carried only by passages inside the segment is marked as partial."""

    def show(self, state: SegmentState, coder: str, names: dict[str, str]) -> None:
        text = Text("reviewed" if state.reviewed else "not reviewed yet", style="green" if state.reviewed else "yellow")
        mine = state.codes_of(coder)
        partial = {(c.coder, c.code_id) for c in state.codings if c.partial}
        for code_id in mine:
            text.append(f"\n  {code_id}", style="bold")
            text.append(f"  {names.get(code_id, '')}")
            if (coder, code_id) in partial:
                text.append(f"  {PARTIAL_MARK}", style="dim")
        if state.reviewed and not mine:
            text.append("\n  (no code)", style="dim")
        for other in (c for c in state.codings if c.coder != coder):
            text.append(f"\n  [{other.coder}] {other.code_id}", style="dim italic")
            if other.partial:
                text.append(f" {PARTIAL_MARK}", style="dim")
        for author, memo in state.memos:
            text.append(f"\nmemo ({author}): ", style="cyan")
            text.append(memo)
        self.update(text, layout=False)


class SuggestionsPanel(Static):
    """Numbered proposals of the suggester; key N accepts proposal N."""

    def show(self, suggestions: list[tuple[str, float, list[str]]] | None, names: dict[str, str]) -> None:
        if suggestions is None:
            self.update(Text("learning from the coding ...", style="dim"), layout=False)
            return
        if not suggestions:
            self.update(Text("no suggestions", style="dim"), layout=False)
            return
        lines = []
        for number, (code_id, score, words) in enumerate(suggestions[:9], start=1):
            text = Text(f"{number} ", style="bold")
            text.append(f"{code_id} {names.get(code_id, '')} {score:.2f}")
            if words:
                text.append(f"  ({', '.join(words)})", style="dim")
            lines.append(text)
        self.update(Text("\n").join(lines), layout=False)


class CodePicker(Vertical):
    """The codebook as an indented list with a fuzzy search on id, name and label above it.

    Posts :class:`Chosen` on Enter and :class:`Removed` on Delete for the highlighted code.
    """

    BINDINGS = [
        Binding("delete,backspace", "remove", "remove code", show=False),
        Binding("escape", "clear", "clear search", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]

    class Chosen(Message):
        def __init__(self, code_id: str):
            super().__init__()
            self.code_id = code_id

    class Removed(Message):
        def __init__(self, code_id: str):
            super().__init__()
            self.code_id = code_id

    def __init__(self, codes: list[CodeEntry], **kwargs):
        super().__init__(**kwargs)
        self.codes = codes
        self.shown: list[CodeEntry] = []
        self.query_text: str | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ search codes by id or name", id="search", select_on_focus=False)
        yield OptionList(id="codes")

    def on_mount(self) -> None:
        self.filter("")

    @property
    def highlighted(self) -> CodeEntry | None:
        index = self.query_one(OptionList).highlighted
        return self.shown[index] if index is not None and index < len(self.shown) else None

    def filter(self, query: str) -> None:
        """Show the codes matching ``query`` best first (all, in tree order, when empty)."""
        if query == self.query_text:
            return
        self.query_text = query
        if query.strip():
            matcher = Matcher(query.strip())
            scored = [(max(matcher.match(c.id), matcher.match(c.name), matcher.match(c.label or "")), c) for c in self.codes]
            self.shown = [code for score, code in sorted(scored, key=lambda pair: -pair[0]) if score > 0]
        else:
            self.shown = list(self.codes)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(self._prompt(code, bool(query.strip())), id=code.id) for code in self.shown])
        options.highlighted = 0 if self.shown else None

    @staticmethod
    def _prompt(code: CodeEntry, flat: bool) -> Text:
        text = Text("" if flat else "  " * code.depth)
        text.append(code.id, style="bold")
        text.append(f"  {code.name}")
        if code.shortcut:
            text.append(f"  [{code.shortcut}]", style="dim")
        return text

    def start_search(self, first: str = "") -> None:
        search = self.query_one(Input)
        search.value = first
        search.cursor_position = len(first)
        search.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        chosen = self.highlighted
        self.action_clear()
        if chosen:
            self.post_message(self.Chosen(chosen.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(event.option.id))

    def _highlight(self, code_id: str) -> None:
        self.query_one(OptionList).highlighted = next(i for i, code in enumerate(self.shown) if code.id == code_id)

    def action_clear(self) -> None:
        """Leave the search, keeping the highlighted code highlighted in the whole tree."""
        search = self.query_one(Input)
        if search.value:
            kept = self.highlighted
            search.value = ""
            self.filter("")
            if kept:
                self._highlight(kept.id)
        self.query_one(OptionList).focus()

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            options.highlighted = min(max((options.highlighted or 0) + step, 0), len(self.shown) - 1)

    def action_remove(self) -> None:
        if self.highlighted:
            self.post_message(self.Removed(self.highlighted.id))
