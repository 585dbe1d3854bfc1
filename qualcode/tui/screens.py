"""Small modal screens of the keyboard coder: a one-line question and the help overlay."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class Ask(ModalScreen[str | None]):
    """Ask for one line of text; dismissed with the answer (stripped), or None on Escape."""

    DEFAULT_CSS = """
    Ask { align: center middle; }
    Ask > Vertical { width: 70; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, question: str, placeholder: str = ""):
        super().__init__()
        self.question = question
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            yield Input(placeholder=self.placeholder)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class Help(ModalScreen[None]):
    """The key table; any key closes it."""

    DEFAULT_CSS = """
    Help { align: center middle; }
    Help > Static { width: 76; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    """

    def __init__(self, keys: list[tuple[str, str]]):
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        text = Text("Keys (every action is saved at once)\n\n", style="bold")
        for key, meaning in self.keys:
            text.append(f"{key:<18}", style="bold")
            text.append(f"{meaning}\n")
        text.append("\nany key closes this help", style="dim")
        yield Static(text)

    def on_key(self, event) -> None:
        event.stop()
        self.dismiss(None)
