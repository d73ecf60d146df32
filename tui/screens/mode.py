"""The base of the screens the app shows as modes (tui.app): made fresh, styled as they mount."""

from __future__ import annotations

import contextlib

from textual.app import App
from textual.screen import Screen


class ModeScreen(Screen[None]):
    """A screen made by its mode's factory: when the app starts (Launch), when its key is
    first pressed, or when the app builds it ahead (tui.app.EwtuiApp.warm_up).

    Textual restyles every node of every screen of the app (and parses all the CSS again) when
    it installs a screen whose styles may be stale. A screen made here is never stale: its
    widgets are styled as they mount, with the CSS the app has then. Saying so spares that
    restyling, which grows with every screen already built and was most of a first visit's
    time on a loaded machine. A theme change after it is made still restyles it."""

    def __init__(self) -> None:
        super().__init__()
        with contextlib.suppress(Exception):  # made outside an app: nothing to spare
            app: App[object] = self.app
            self._css_update_count = app._css_update_count


class ListingScreen(ModeScreen):
    """A mode screen filled from a list its worker thread reads (`_list_in_thread`), again on
    `g` and on each visit. Each reading is numbered, so that only the newest one is shown when
    readings overlap; the screen has the class `listing` while one is under way, and `loaded`
    once the first was shown (`tui.app.screen_filled`)."""

    _list_seq = 0

    def reload_in_background(self, redraw: bool = False) -> None:
        self._list_seq += 1
        self.add_class("listing")
        self._list_in_thread(redraw, self._list_seq)

    def _list_in_thread(self, redraw: bool, seq: int) -> None:
        raise NotImplementedError

    def _listing_landed(self, seq: int) -> bool | None:
        """Take the reading `seq` as shown: None when a newer one is under way (it shows what
        it reads), else whether it is the screen's first."""
        if seq != self._list_seq:
            return None
        first = not self.has_class("loaded")
        self.add_class("loaded")
        self.remove_class("listing")
        return first
