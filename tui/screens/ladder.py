"""Strength ladder: Elo ratings of random, greedy, mcts and every deployed generalist version,
fitted from the stored arena games (``core.ladder``), beside the original project's ladder."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from core.errors import EwtuiError
from tui.screens.mode import ModeScreen
from tui.widgets.footer import AppFooter

if TYPE_CHECKING:
    from core.ladder import Ladder
    from tui.app import EwtuiApp


class LadderScreen(ModeScreen):
    HELP_TITLE = "Strength ladder"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "u",
            "update",
            "Play new games",
            tooltip="Play the pairings of new entries (arena), then refit",
        ),
    ]
    DEFAULT_CSS = """
    LadderScreen #ladder-note {
        height: auto;
        padding: 0 1;
    }
    LadderScreen DataTable {
        height: 1fr;
    }
    """

    app: EwtuiApp
    FILLED_BY_WORKERS = True
    """The screen has the class `loaded` once its workers have filled it (tui.app)."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: Ladder | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="ladder-note")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="ladder")
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#ladder", DataTable)
        for label in ("entry", "Elo", "95% interval", "original", "games"):
            table.add_column(label, key=label)
        self.query_one("#ladder-note", Static).update(Text("Reading the ladder…", style="dim"))
        self.reload()

    def on_screen_resume(self, _: events.ScreenResume) -> None:
        if self.has_class("loaded"):  # first show: on_mount's worker fills the screen
            self.reload()

    def reload(self) -> None:
        """Read the stored games and fit the ladder in a worker thread (the screen has the
        class `listing` meanwhile and takes `loaded` once it is shown)."""
        self.add_class("listing")
        self._read()

    @work(thread=True, exclusive=True, group="ladder-read")
    def _read(self) -> None:
        from core.ladder import current, settings_of

        ws = self.app.workspace
        try:
            lad: Ladder | str = current(ws, settings_of(ws))
        except EwtuiError as err:
            lad = str(err)
        self.app.call_from_thread(self._read_done, lad)

    def _read_done(self, lad: Ladder | str) -> None:
        self.add_class("loaded")
        self.remove_class("listing")
        if isinstance(lad, str):
            self.query_one("#ladder-note", Static).update(Text(lad, style="bold red"))
        elif lad != self._shown:
            self.show(lad)

    def show(self, lad: Ladder) -> None:
        self._shown = lad
        table = self.query_one("#ladder", DataTable)
        table.clear()
        for r in lad.ratings:
            elo = f"{r.elo:.0f}" if r.elo is not None else "unrated"
            if r.entry.id == "random":
                ci = "anchor"
            elif r.ci95 is not None:
                ci = f"[{r.ci95[0]:.0f}, {r.ci95[1]:.0f}]"
            else:
                ci = "-"
            orig = f"{r.original:.0f}" if r.original is not None else ""
            table.add_row(r.entry.label, elo, ci, orig, f"{r.games:,}", key=r.entry.id)
        unrated = sum(r.elo is None for r in lad.ratings)
        more = f"; {unrated} unrated: press u to play their games" if unrated else ""
        self.query_one("#ladder-note", Static).update(
            Text(
                f"Bradley-Terry on the Elo scale, random = 1000, from {lad.pairings} stored "
                f"pairings ({lad.games:,} arena games); original: the original project's "
                f"ladder{more}",
                style="dim",
            )
        )

    def action_update(self) -> None:
        self.notify("Playing the new pairings (arena)...")
        self._update()

    @work(thread=True, exclusive=True, group="ladder")
    def _update(self) -> None:
        from core.binaries import ensure_arena
        from core.ladder import current, settings_of, update

        ws = self.app.workspace
        try:
            settings = settings_of(ws)
            res = update(ws, settings, ensure_arena(ws))
            lad = current(ws, settings)
        except EwtuiError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error", timeout=10)
            return
        self.app.call_from_thread(self.show, lad)
        self.app.call_from_thread(self.notify, f"Played {res.played} pairings, {res.games:,} games")
