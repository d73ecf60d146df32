"""A yes/no question; nothing irreversible happens without it."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool | str]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    ConfirmScreen VerticalScroll {
        height: auto;
        max-height: 80vh;
    }
    ConfirmScreen Horizontal {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmScreen Button {
        margin-left: 2;
    }
    """

    def __init__(
        self,
        question: str,
        yes: str = "Yes",
        *,
        again: str | None = None,
        other: tuple[str, str] | None = None,
    ) -> None:
        """`again`: the key that opened the question also answers yes (pressing it twice
        confirms). `other`: a third answer (key, label), dismissed with the key itself."""
        super().__init__()
        self._question = question
        self._yes = yes
        self._again = again
        self._other = other

    def compose(self) -> ComposeResult:
        with Vertical():
            # A long question scrolls; the answers stay on screen.
            with VerticalScroll():
                yield Static(self._question)
            with Horizontal():
                again = f", {self._again}" if self._again else ""
                yield Button(f"{self._yes} (y{again})", variant="warning", id="yes", compact=True)
                if self._other is not None:
                    key, label = self._other
                    yield Button(f"{label} ({key})", variant="primary", id="other", compact=True)
                yield Button("No (n)", id="no", compact=True)

    def on_key(self, event: events.Key) -> None:
        if self._again is not None and event.key == self._again:
            event.stop()
            self.dismiss(True)
        elif self._other is not None and event.key == self._other[0]:
            event.stop()
            self.dismiss(self._other[0])  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "other" and self._other is not None:
            self.dismiss(self._other[0])  # type: ignore[arg-type]
            return
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
