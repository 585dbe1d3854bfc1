"""Adjudication in the terminal: walk the disagreements, decide each one, stored at once.

The app asks ``Project.disagreements`` for the segments to decide and calls
``Project.adjudicate`` on every key that changes a decision, so there is no save step and
quitting half-way loses nothing. The widgets only show what the app hands them.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static


def candidates(row: dict, coders: list[str]) -> list[str]:
    """The codes any coder gave the segment, sorted: the ones the keys 1-9 toggle."""
    return sorted({code for coder in coders for code in (row[coder] or [])})


class AdjudicateApp(App):
    """One disagreement at a time: the text, each coder's codes, and the decision so far."""

    TITLE = "qualcode adjudicate"
    CSS = "#text { padding: 1 2; } #codes, #decision, #where { padding: 0 2; }"
    BINDINGS = [
        Binding("a", "take(0)", "first coder's codes"),
        Binding("b", "take(1)", "second coder's codes"),
        Binding("u", "union", "union"),
        Binding("n", "next", "next"),
        Binding("p", "previous", "previous"),
        Binding("q", "quit", "quit"),
        *(Binding(str(k), f"toggle({k - 1})", f"toggle code {k}", show=False) for k in range(1, 10)),
    ]

    def __init__(self, project, coders: list[str] | None = None, into: str = "consensus"):
        super().__init__()
        self.project = project
        self.into = into
        table = project.disagreements(coders)
        self.coders = list(table.columns[2:])
        self.rows = table.to_dict(orient="records")
        self.position = 0
        stored = project.decisions(into)
        self.decisions: dict[str, list[str]] = {ref: codes for ref, (codes, _) in stored.items()}
        self.by_hand = {ref for ref, (_, hand) in stored.items() if hand}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(id="where", markup=False)
            yield Static(id="text", markup=False)
            yield Static(id="codes", markup=False)
            yield Static(id="decision", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    @property
    def row(self) -> dict | None:
        return self.rows[self.position] if self.position < len(self.rows) else None

    def show(self) -> None:
        row = self.row
        if row is None:
            self.query_one("#where", Static).update(f"all {len(self.rows)} disagreements seen; decisions are stored as coder {self.into!r}; press q")
            for name in ("#text", "#codes", "#decision"):
                self.query_one(name, Static).update("")
            return
        options = candidates(row, self.coders)
        self.query_one("#where", Static).update(f"{row['ref']}  ({self.position + 1} of {len(self.rows)})")
        self.query_one("#text", Static).update(row["text"])
        lines = [f"{key}  {coder}: {', '.join(row[coder]) if row[coder] is not None else '(not reviewed)'}"
                 for key, coder in zip("ab", self.coders)]
        lines += [f"   {coder}: {', '.join(row[coder] or []) or '(no code)'}" for coder in self.coders[2:]]
        lines.append("toggle: " + "  ".join(f"{n}={code}" for n, code in enumerate(options[:9], start=1)))
        self.query_one("#codes", Static).update("\n".join(lines))
        decided = self.decisions.get(row["ref"])
        how = "" if decided is None else ("  (decided by hand)" if row["ref"] in self.by_hand else "  (by rule)")
        self.query_one("#decision", Static).update(
            f"{self.into}: " + ("(undecided)" if decided is None else ", ".join(decided) or "(no code)") + how
        )

    def decide(self, codes) -> None:
        row = self.row
        if row is None:
            return
        chosen = sorted(set(codes))
        self.project.adjudicate(row["ref"], chosen, into=self.into)
        self.decisions[row["ref"]] = chosen
        self.by_hand.add(row["ref"])
        self.show()

    def action_take(self, index: int) -> None:
        if self.row is not None and index < len(self.coders):
            self.decide(self.row[self.coders[index]] or [])

    def action_union(self) -> None:
        if self.row is not None:
            self.decide(candidates(self.row, self.coders))

    def action_toggle(self, index: int) -> None:
        if self.row is None:
            return
        options = candidates(self.row, self.coders)
        if index < len(options):
            current = set(self.decisions.get(self.row["ref"], []))
            self.decide(current ^ {options[index]})

    def action_next(self) -> None:
        self.position = min(self.position + 1, len(self.rows))
        self.show()

    def action_previous(self) -> None:
        self.position = max(self.position - 1, 0)
        self.show()
