"""Validation matrix: the deck x deck heat map, faction summary, first seat, verdict, warnings."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Static

from core.errors import EwtuiError
from core.experiments import ExperimentStore
from core.validation import ValidationReport, load_report
from tui.screens.cards import CardsScreen
from tui.screens.experiments import experiment_state
from tui.screens.mode import ListingScreen
from tui.widgets.footer import AppFooter
from tui.widgets.heatmap import Cell, Heatmap, row_side_rate

if TYPE_CHECKING:
    from tui.app import EwtuiApp

# Badges, light text on dark or dark on light, so the verdict keeps its contrast after NO_COLOR's
# conversion to greys (a red word on a dark background turns grey on grey).
VERDICT_STYLE = {
    "balanced": "bold #000000 on #5fd75f",
    "warning": "bold #000000 on #ffd75f",
    "imbalanced": "bold #ffffff on #af0000",
}
LEVEL_STYLE = {"warning": "yellow", "imbalanced": "bold red"}


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def ci(interval: tuple[float, float]) -> str:
    return f"[{pct(interval[0])}, {pct(interval[1])}]"


def faction_table(report: ValidationReport) -> Table:
    table = Table(title="Factions", title_justify="left")
    table.add_column("faction")
    table.add_column("win%", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("games", justify="right")
    for f in report.factions:
        table.add_row(f.faction, pct(f.win_rate), ci(f.win_rate_ci95), f"{f.games:,}")
    fs = report.first_seat
    table.add_section()
    table.add_row("first seat", pct(fs.win_rate), ci(fs.ci95), f"{fs.games:,}  p={fs.p_value:.3g}")
    return table


def deck_table(report: ValidationReport) -> Table:
    table = Table(title="Decks (best first)", title_justify="left")
    for name, justify in (
        ("deck", "left"),
        ("win%", "right"),
        ("95% CI", "right"),
        ("best matchup", "left"),
        ("worst matchup", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for d in sorted(report.decks, key=lambda d: -d.win_rate):
        best, worst = d.best_matchup, d.worst_matchup
        table.add_row(
            f"{d.deck} ({d.faction[:3]})",
            pct(d.win_rate),
            ci(d.win_rate_ci95),
            f"{best.opponent} {pct(best.win_rate)}" if best else "-",
            f"{worst.opponent} {pct(worst.win_rate)}" if worst else "-",
        )
    return table


def warnings_view(report: ValidationReport) -> Group:
    lines: list[Text] = [Text("Warnings", style="bold")]
    if not report.warnings:
        lines.append(Text("  (none)", style="dim"))
    for w in report.warnings:
        lines.append(
            Text.assemble("  ", (f"[{w.level}]", LEVEL_STYLE.get(w.level, "")), f" {w.message}")
        )
    return Group(*lines)


def verdict_line(report: ValidationReport, source: str) -> Text:
    """The verdict and what it rests on; a run too small to judge balance says so."""
    from core.summary import balance_caveat

    cfg = report.config
    bot = report.bot_label()
    games = cfg.get("games")
    caveat = balance_caveat(games if isinstance(games, int) else None)
    return Text.assemble(
        ("verdict ", "bold"),
        (report.verdict.upper(), VERDICT_STYLE.get(report.verdict, "bold")),
        f"   {source} · bot {bot} · {games} games per seat order · "
        f"{len(report.matchups)} matchups · {report.games:,} games",
        ("\nwarning: " + caveat, "bold") if caveat else "",
    )


WIDE_MATRIX = 140
"""Terminal columns from which the heat map prints tenths of a percent."""


class MatrixScreen(ListingScreen):
    HELP_TITLE = "Validation matrix"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "detail", "Matchup detail", tooltip="Details of the selected cell"),
        Binding(
            "i", "cards", "Cards", tooltip="Card statistics of the selected row's deck", show=False
        ),
        Binding("n", "next_run", "Next run", tooltip="Show the next (older) validation run"),
        Binding("p", "previous_run", "Previous run", tooltip="Show the previous (newer) run"),
        Binding("g", "reload", "Reload", tooltip="Read the validation runs again"),
    ]

    app: EwtuiApp
    FILLED_BY_WORKERS = True
    """The screen has the class `loaded` once its workers have filled it (tui.app)."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[str] = []
        self.path: str | None = None
        self.report: ValidationReport | None = None
        self.unfinished = ""
        self._entries: list[Any] | None = None
        self._request: str | None = None
        self._report_seq = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(cursor_type="row", id="runs")
            with VerticalScroll(id="matrix-main"):
                yield Static(id="verdict")
                yield Static(id="legend")
                yield Heatmap(id="heatmap")
                yield Static(id="factions")
                yield Static(id="decks")
                yield Static(id="warnings")
        yield AppFooter()

    def on_mount(self) -> None:
        runs = self.query_one("#runs", DataTable)
        runs.add_column("validation run", key="id")
        runs.add_column("verdict", key="verdict")
        # The first frame comes at once; the runs and the report are read in worker threads.
        # The screen takes the class `loaded` once the runs are listed, and has the class
        # `reading` while a report is being read.
        self.query_one("#verdict", Static).update(Text("Reading the validation runs…", style="dim"))
        self._request = self.app.take_matrix_request()
        self.reload_in_background()
        # Focused without scrolling the pane to it: the verdict, the legend and the map's
        # column numbers stay in view (they fit 80x24).
        self.set_focus(self.query_one(Heatmap), scroll_visible=False)

    def compact_cells(self) -> bool:
        """Whole-percent cells below `WIDE_MATRIX` columns, so every deck fits 80x24."""
        return self.size.width < WIDE_MATRIX

    def on_resize(self, _: events.Resize) -> None:
        heatmap = self.query_one(Heatmap)
        if self.report is not None and heatmap.compact != self.compact_cells():
            heatmap.show_report(self.report, compact=self.compact_cells())

    def on_screen_resume(self, _: events.ScreenResume) -> None:
        if not self.has_class("loaded"):
            # First show: on_mount's worker fills the screen; a run asked for meanwhile is
            # shown when it does.
            self._request = self.app.take_matrix_request() or self._request
            return
        requested = self.app.take_matrix_request()
        if requested is not None:
            self._request = requested
        # Coming back, or asked for a run (enter in Experiments): the runs are read again off
        # the event loop, so the screen shows at once; the run asked for is shown when read.
        self.reload_in_background()

    def _validation_runs(self) -> list[Any] | None:
        try:
            return ExperimentStore(self.app.workspace).filter(kind="validation")
        except EwtuiError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return None

    @work(thread=True, exclusive=True, group="matrix")
    def _list_in_thread(self, redraw: bool, seq: int) -> None:
        """List the validation runs in a worker thread; the screen changes only when they
        did, a run was asked for, or `redraw`. The screen has the class `listing` meanwhile."""
        entries = self._validation_runs()
        self.app.call_from_thread(self._listed, entries, redraw, seq)

    def _listed(self, entries: list[Any] | None, redraw: bool, seq: int) -> None:
        first = self._listing_landed(seq)
        if first is None:
            return  # a newer listing is under way: it shows what it reads
        if entries is None:  # could not read (said in a notification): keep what is shown
            entries = self._entries if self._entries is not None else []
            if not first:
                return
        if not (first or redraw) and entries == self._entries and self._request is None:
            return
        self._show_runs(entries)

    def action_reload(self) -> None:
        """`g`: read the validation runs again (in a worker thread) and show them."""
        self.reload_in_background(redraw=True)

    def _show_runs(self, entries: list[Any]) -> None:
        self._entries = entries
        # A newer run without a report (failed, cancelled) is named, so the matrix shown is
        # never taken for it.
        newer = list(itertools.takewhile(lambda e: not e.complete, entries))
        self.unfinished = (
            f"{newer[0].id} has no report ({experiment_state(newer[0])}); showing the newest"
            " complete run"
            if newer
            else ""
        )
        entries = [e for e in entries if e.complete]
        self.runs = [e.path for e in entries]
        table = self.query_one("#runs", DataTable)
        table.clear()
        for e in entries:
            verdict = e.verdict or "-"
            table.add_row(e.id, Text(verdict, style=VERDICT_STYLE.get(verdict, "")), key=e.path)
        request, self._request = self._request, None
        if request is not None:
            self.show_run(request)
        elif self.path in self.runs:
            self.show_run(self.path)
        elif self.runs:
            self.show_run(self.runs[0])
        else:
            self.query_one("#verdict", Static).update(
                "No validation runs yet: run a validation from the Launch screen (l)."
            )

    def show_run(self, path: str) -> None:
        """Show the validation run in directory `path` (or a `results.json` file), once a
        worker thread has read its report."""
        self._report_seq += 1
        self.add_class("reading")
        self._read_report(path, self._report_seq)

    @work(thread=True, group="matrix-report")
    def _read_report(self, path: str, seq: int) -> None:
        p = Path(path)
        if p.is_dir():
            p = p / "results.json"
        try:
            report: ValidationReport | str = load_report(p)
        except EwtuiError as err:
            report = str(err)
        self.app.call_from_thread(self._report_read, path, p.parent.name, seq, report)

    def _report_read(self, path: str, name: str, seq: int, report: ValidationReport | str) -> None:
        if seq != self._report_seq:
            return  # another run was asked for meanwhile: its own read shows it
        self.remove_class("reading")
        if isinstance(report, str):
            self.notify(report, severity="error", timeout=10)
            return
        self.path = path
        self.report = report
        if path in self.runs:
            table = self.query_one("#runs", DataTable)
            table.move_cursor(row=self.runs.index(path))
        line = verdict_line(report, name)
        if self.unfinished and self.runs and path == self.runs[0]:
            line.append(f"\nnote: {self.unfinished}", style="bold")
        self.query_one("#verdict", Static).update(line)
        t = report.thresholds
        self.query_one("#legend", Static).update(
            Text(
                f"win% of the row deck against the column deck (columns numbered like the rows);"
                f" + above {pct(t.matchup_warning)}, ++ above {pct(t.matchup_imbalanced)},"
                f" - and -- the same below; · same faction",
                style="dim",
            )
        )
        self.query_one(Heatmap).show_report(report, compact=self.compact_cells())
        self.query_one("#factions", Static).update(faction_table(report))
        self.query_one("#decks", Static).update(deck_table(report))
        self.query_one("#warnings", Static).update(warnings_view(report))

    @on(DataTable.RowSelected, "#runs")
    def _run_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.show_run(str(event.row_key.value))
            self.query_one(Heatmap).focus()

    def _step(self, step: int) -> None:
        if not self.runs:
            return
        i = self.runs.index(self.path) if self.path in self.runs else -1
        self.show_run(self.runs[(i + step) % len(self.runs)])

    def action_next_run(self) -> None:
        self._step(1)

    def action_previous_run(self) -> None:
        self._step(-1)

    @on(DataTable.CellSelected, "#heatmap")
    def action_detail(self) -> None:
        heat = self.query_one(Heatmap)
        if heat.cursor_coordinate.column == 0:  # the deck's own cell: its cards
            self.action_cards()
            return
        cell = heat.current_cell
        if cell is None:
            self.notify("No matchup in this cell (same faction).", severity="information")
            return
        self.app.push_screen(MatchupScreen(cell))

    def action_cards(self) -> None:
        """The card statistics of the deck in the heat map's selected row."""
        if self.report is None or not self.report.decks:
            return
        heat = self.query_one(Heatmap)
        decks = [d.deck for d in self.report.decks]
        deck = decks[0]
        if heat.row_count:  # the heat map's rows are keyed by deck id
            key = heat.coordinate_to_cell_key(heat.cursor_coordinate).row_key.value
            deck = key if key in decks else deck
        self.app.push_screen(CardsScreen(self.report, deck))


class MatchupScreen(ModalScreen[None]):
    """One matchup: counts by seat, win rate with its interval, game length and time."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    MatchupScreen {
        align: center middle;
    }
    MatchupScreen > Vertical {
        width: 70;
        max-width: 100%;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    """

    def __init__(self, cell: Cell) -> None:
        super().__init__()
        self.cell = cell

    def compose(self) -> ComposeResult:
        m: Any = self.cell.matchup
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column(justify="right")
        table.add_column(justify="right")
        table.add_row("", f"{m.deck_a} ({m.faction_a})", f"{m.deck_b} ({m.faction_b})")
        table.add_row("wins", str(m.a_wins), str(m.b_wins))
        table.add_row("wins moving first", str(m.a_wins_as_first), str(m.b_wins_as_first))
        table.add_row("score", pct(row_side_rate(m, m.deck_a)), pct(row_side_rate(m, m.deck_b)))
        table.add_row("draws", str(m.draws), "")
        table.add_row("games", str(m.games), "")
        low, high = m.a_win_rate_ci95
        table.add_row(f"95% CI ({m.deck_a})", f"[{pct(low)}, {pct(high)}]", "")
        table.add_row("average turns", f"{m.avg_turns:.1f}", "")
        table.add_row("time", f"{m.time_s:.2f} s", "")
        with Vertical():
            yield Static(Text(f"{self.cell.row} vs {self.cell.col}", style="bold underline"))
            yield Static(table)
