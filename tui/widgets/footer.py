"""The footer of every screen: the screen's keys on the left, `?` help and `q` quit pinned on
the right, so a narrow terminal cuts the screen's keys, never the way out."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED = (("question_mark", "?", "Help", "app.help"), ("q", "q", "Quit", "app.quit"))
"""(key, shown as, description, action) of the keys the footer always shows."""


class AppFooter(HorizontalGroup):
    DEFAULT_CSS = """
    AppFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
    }
    AppFooter > Footer {
        dock: none;
        width: 1fr;
    }
    AppFooter > #pinned {
        width: auto;
        height: 1;
        background: $footer-background;
    }
    AppFooter > #pinned > FooterKey {
        margin-left: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Footer(compact=True, show_command_palette=False)
        with HorizontalGroup(id="pinned"):
            for key, shown, description, action in PINNED:
                pinned = FooterKey(key, shown, description, action)
                pinned.compact = True
                yield pinned
