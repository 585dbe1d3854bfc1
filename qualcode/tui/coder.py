"""``qualcode code``: the keyboard coder. One segment at a time, every key press written at once.

:class:`CoderApp` asks who is coding if nobody is known, then shows :class:`CoderScreen`, which
turns key presses and widget messages into :class:`~qualcode.tui.session.CodingSession` calls
and hands the widgets what to draw. Example::

    >>> from qualcode.tui.coder import CoderApp                         # doctest: +SKIP
    >>> CoderApp(project, project.worklist(["km-maasdelta-01"]), coder="anna").run()
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from qualcode.errors import QualcodeError
from qualcode.tui.screens import Ask, Help
from qualcode.tui.session import CodingSession, Suggest
from qualcode.worklist import Item, Ordering, context, in_document_order
from qualcode.tui.widgets import CodeEntry, CodePicker, CodingsPanel, SegmentView, SuggestionsPanel

# The key table of the help overlay and the README: (keys, what they do).
KEYS = [
    ("/", "search the codebook by id or name (fuzzy); Enter applies, Esc keeps it highlighted"),
    ("a-z", "the code with that shortcut; a letter that is no shortcut starts the search"),
    ("up / down, Enter", "move in the code list; apply the highlighted code (several per segment)"),
    ("Delete, Backspace", "remove the highlighted code from this segment"),
    ("1 ... 9", "accept suggestion N"),
    ("space", "reviewed, no code; go to the next segment"),
    ("right / left", "next / previous segment"),
    (":", "go to segment number N (or DOC:N)"),
    ("ctrl+z", "undo the last action (again for the one before)"),
    ("!", "write a memo on this segment"),
    ("ctrl+t", "hide or show the codes-here and suggestions panels (more room for the code list)"),
    ("?", "this help"),
    ("ctrl+q", "quit (nothing to save)"),
]
COMMAND_CHARACTERS = set("/?:! 123456789")


class CoderScreen(Screen):
    """The coding screen: calls the session (and so the project), draws, reacts to messages."""

    # Below COMPACT_BELOW rows the screen is "compact": the search box loses its frame and the
    # two panels under the code list shrink to their content (a few lines at most), so the code
    # list keeps at least eight rows at 80x24; ctrl+t hides those panels for the whole height.
    DEFAULT_CSS = """
    #segment { width: 3fr; border: round $primary; padding: 0 1; }
    #side { width: 2fr; min-width: 30; }
    CodePicker { height: 1fr; min-height: 6; border: round $primary; }
    CodePicker OptionList { height: 1fr; }
    #codings { height: 10; border: round $primary; padding: 0 1; }
    #suggestions { height: 11; border: round $primary; padding: 0 1; }
    #progress { height: 1; background: $boost; padding: 0 1; }
    CoderScreen.compact #search { height: 1; border: none; padding: 0 1; }
    CoderScreen.compact #codings { height: auto; max-height: 5; }
    CoderScreen.compact #suggestions { height: auto; max-height: 6; }
    CoderScreen.panels-hidden #codings, CoderScreen.panels-hidden #suggestions { display: none; }
    """
    COMPACT_BELOW = 36
    BINDINGS = [
        Binding("right", "move(1)", "next"),
        Binding("left", "move(-1)", "previous"),
        Binding("space", "no_code", "no code"),
        Binding("slash", "search", "search"),
        Binding("colon", "jump", "go to"),
        Binding("ctrl+z", "undo", "undo"),
        Binding("exclamation_mark", "memo", "memo"),
        Binding("question_mark", "help", "help"),
        Binding("ctrl+t", "toggle_panels", "panels"),
        *(Binding(str(n), f"accept({n})", show=False) for n in range(1, 10)),
    ]

    def __init__(self, session: CodingSession, codes: list[CodeEntry]):
        super().__init__()
        self.session = session
        self.codes = codes
        self.names = {code.id: code.name for code in codes}
        self.shortcuts = {code.shortcut: code.id for code in codes if code.shortcut and code.shortcut not in COMMAND_CHARACTERS}
        self.index = 0

    def compose(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="segment"):
                yield SegmentView()
            with Vertical(id="side"):
                yield CodePicker(self.codes)
                yield CodingsPanel(id="codings")
                yield SuggestionsPanel(id="suggestions")
        yield Static(id="progress")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(self.app.size.height < self.COMPACT_BELOW, "compact")
        self.query_one("#codings").border_title = "codes here"
        self.query_one("#suggestions").border_title = "suggestions"
        self.query_one("#codes").focus()
        ignored = sorted(code.shortcut for code in self.codes if code.shortcut in COMMAND_CHARACTERS)
        if ignored:
            self.notify(f"shortcuts {' '.join(ignored)} are command keys here; use the search for those codes")
        self.draw()

    def on_resize(self, event) -> None:
        self.set_class(event.size.height < self.COMPACT_BELOW, "compact")

    def action_toggle_panels(self) -> None:
        self.toggle_class("panels-hidden")

    @property
    def item(self) -> Item:
        return self.session.items[self.index]

    def draw(self) -> None:
        """Show the current segment, its codes, the suggestions and the progress."""
        session, item = self.session, self.item
        before, after = context(session.turns(item), item)
        self.query_one(SegmentView).show(item, before, after)
        self.query_one(CodingsPanel).show(session.state(self.index), session.coder, self.names)
        suggestions = session.suggestions(self.index)
        self.query_one(SuggestionsPanel).show(suggestions, self.names)
        if suggestions is None:
            self.app.learn()
        others = " · others' codes shown" if session.show_others else ""
        self.query_one("#progress", Static).update(
            f"segment {self.index + 1} of {session.total} · reviewed {session.done} / {session.total}"
            f" · coder {session.coder}{others} · ? help",
            layout=False,
        )

    def _attempt(self, action, *args, writes: bool = True) -> object:
        """Run a session action; a refused one is shown as an error notice (and gives None)
        instead of ending the app. After a write the suggester learns from it."""
        try:
            result = action(*args)
        except QualcodeError as exc:
            self.notify(str(exc), severity="error")
            return None
        if writes:
            self.app.learn()
        return result

    def apply(self, code_id: str, origin: str = "manual") -> None:
        added = self._attempt(self.session.tag, self.index, code_id, origin)
        if added is False:
            self.notify(f"{code_id} is already on {self.item.ref}")
        elif added and self.session.undo_steps[-1].replaced:
            gone = ", ".join(code for code, _ in self.session.undo_steps[-1].replaced)
            self.notify(f"{code_id} replaced {gone}: one child of an exclusive group per segment (ctrl+z undoes)")
        self.draw()

    def on_key(self, event) -> None:
        character = event.character
        if not character or character in COMMAND_CHARACTERS or not (character in self.shortcuts or character.isalpha()):
            return
        event.stop()
        event.prevent_default()
        if character in self.shortcuts:
            self.apply(self.shortcuts[character])
        else:
            self.query_one(CodePicker).start_search(character)

    def on_code_picker_chosen(self, message: CodePicker.Chosen) -> None:
        self.apply(message.code_id)

    def on_code_picker_removed(self, message: CodePicker.Removed) -> None:
        if self._attempt(self.session.untag, self.index, message.code_id) is False:
            self.notify(f"{message.code_id} is not on {self.item.ref}")
        self.draw()

    def action_accept(self, number: int) -> None:
        suggestions = self.session.suggestions(self.index) or []
        if number > len(suggestions):
            self.notify(f"there is no suggestion {number} for {self.item.ref}")
            return
        self.apply(suggestions[number - 1][0], origin="suggestion")

    def action_move(self, step: int) -> None:
        self.index = min(max(self.index + step, 0), self.session.total - 1)
        self.draw()

    def action_no_code(self) -> None:
        self._attempt(self.session.review, self.index)
        self.action_move(1)

    def action_search(self) -> None:
        self.query_one(CodePicker).start_search()

    def action_undo(self) -> None:
        step = self._attempt(self.session.undo)
        if step is None:
            self.notify("nothing to undo")
            return
        self.index = step.index
        self.notify(f"undone: {step.kind} {step.code_id or ''} on {self.item.ref}".replace("  ", " "))
        self.draw()

    def action_jump(self) -> None:
        def go(answer: str | None) -> None:
            if answer:
                found = self._attempt(self.session.find, answer, writes=False)
                if found is not None:
                    self.index = found
                    self.draw()

        self.app.push_screen(Ask(f"Go to segment (1-{self.session.total}, or DOC:N):"), go)

    def action_memo(self) -> None:
        def write(text: str | None) -> None:
            if text:
                self._attempt(self.session.memo, self.index, text)
                self.draw()

        self.app.push_screen(Ask(f"Memo on {self.item.ref}:"), write)

    def action_help(self) -> None:
        self.app.push_screen(Help(KEYS))


class CoderApp(App):
    """The keyboard coder over ``items`` (from ``Project.worklist``) of ``project``.

    ``coder`` None asks once and remembers the answer in the project. ``order`` arranges the
    items given the ids the coder already reviewed; ``suggest`` feeds the suggestions panel, and
    ``retrain`` (if given) runs in a worker thread at start, after every change and when
    ``suggest`` answers None (no model for that segment yet: a blind suggester trains one per
    document), so the suggestions learn from the coding without freezing the screen;
    ``retrain`` returning None means there was nothing to train.
    """

    TITLE = "qualcode code"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, project, items: list[Item], *, coder: str | None = None, show_others: bool = False,
                 order: Ordering = in_document_order, suggest: Suggest | None = None,
                 retrain: Callable[[], object] | None = None):
        super().__init__()
        self.project = project
        self.items = items
        self.coder = coder
        self.show_others = show_others
        self.order = order
        self.suggest = suggest
        self.retrain = retrain
        self._training = False
        self._stale = False

    def learn(self) -> None:
        """Retrain the suggester in a worker thread. One training runs at a time; changes made
        meanwhile start one more round when it ends, so the model catches up without piling up."""
        if self.retrain is None:
            return
        if self._training:
            self._stale = True
            return
        self._training = True
        self.run_worker(self._retrain_until_current, thread=True, group="retrain")

    def _retrain_until_current(self) -> None:
        try:
            while True:
                self._stale = False
                if self.retrain() is not None:
                    self.call_from_thread(self._refresh_suggestions)
                if not self._stale:
                    break
        finally:
            self._training = False

    def _refresh_suggestions(self) -> None:
        if isinstance(self.screen, CoderScreen) and self.screen.is_mounted:
            self.screen.session.forget_suggestions()
            self.screen.draw()

    def on_mount(self) -> None:
        self.learn()
        if self.coder:
            self.start()
        else:
            self.ask_coder()

    def ask_coder(self) -> None:
        def named(name: str | None) -> None:
            if name is None:
                self.exit()
            elif not name:
                self.ask_coder()
            else:
                self.project.remember_coder(name)
                self.coder = name
                self.start()

        self.push_screen(Ask("Who is coding? Your name is remembered in this project.", "e.g. anna"), named)

    def start(self) -> None:
        session = CodingSession(
            self.project, self.items, self.coder, show_others=self.show_others, order=self.order, suggest=self.suggest
        )
        codes = [
            CodeEntry(code.id, code.name, code.label, depth, code.shortcut)
            for code, _, depth in self.project.codebook().walk()
        ]
        self.push_screen(CoderScreen(session, codes))
