"""`?`: the keys of the app and of the screen underneath, read from their bindings."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def _rows(bindings: list[BindingType], app: Any) -> list[tuple[str, str, str]]:
    rows = []
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        keys = ", ".join(
            binding.key_display or app.get_key_display(Binding(key, ""))
            for key in binding.key.split(",")
        )
        rows.append((keys, binding.description, binding.tooltip or ""))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close help", key_display="esc"),
    ]
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 90;
        max-width: 100%;
        height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self._under = under

    def compose(self) -> ComposeResult:
        table = Table(expand=True, show_edge=False, pad_edge=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("action")
        table.add_column("what it does", style="dim")
        sections = [
            ("Everywhere", _rows(list(self.app.BINDINGS), self.app)),
            (
                getattr(self._under, "HELP_TITLE", type(self._under).__name__),
                _rows(list(getattr(self._under, "BINDINGS", [])), self.app),
            ),
        ]
        for title, rows in sections:
            if not rows:
                continue
            table.add_section()
            table.add_row(f"[reverse] {title} [/]", "", "")
            for row in rows:
                table.add_row(*row)
        table.add_section()
        table.add_row("ctrl+p", "Command palette", "every action above, searchable")
        table.add_row("tab / shift+tab", "Move focus", "between the widgets of a screen")
        with VerticalScroll():
            yield Static("[b]Keys[/b] (every action is also in the command palette)")
            yield Static(table)
