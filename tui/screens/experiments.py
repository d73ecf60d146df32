"""Experiments: every training experiment and validation run, sortable and filterable."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    DataTable,
    Header,
    Input,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from core.errors import EwtuiError
from core.experiments import Experiment, ExperimentStore
from core.heldout import fmt_heldout_fitness, fmt_points, parse_heldout, short_result
from core.paths import Workspace
from tui.screens.mode import ListingScreen
from tui.widgets.fitness_chart import FitnessChart, Series
from tui.widgets.footer import AppFooter

if TYPE_CHECKING:
    from tui.app import EwtuiApp

SORT_KEYS = ("created", "best_fitness", "tag", "kind", "id", "games")


def fitness_series(store: ExperimentStore, exp: Experiment) -> Series:
    rows = store.load_stats(exp)
    gens = [int(r["gen"] or 0) for r in rows if r.get("best_fitness") is not None]
    best = [float(r["best_fitness"] or 0.0) for r in rows if r.get("best_fitness") is not None]
    return Series(exp.id, gens, best)


def _fmt_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _result_cell(exp: Experiment) -> Text:
    if exp.kind == "validation":
        style = {"balanced": "green", "warning": "yellow", "imbalanced": "bold red"}
        return Text(exp.verdict or "-", style=style.get(exp.verdict or "", ""))
    if exp.best_fitness is None and exp.h2h_score is None:
        return Text("running" if not exp.complete else "-", style="dim")
    cell = short_result(exp.h2h_score, exp.h2h_ci95, exp.best_fitness)
    return Text(cell, style="" if exp.h2h_score is not None else "dim")


def run_of(exp: Experiment) -> str | None:
    """The run that made the experiment (``core.experiments``), if it says."""
    return exp.run_id or None


def experiment_state(exp: Experiment) -> str:
    """done, cancelled, failed, interrupted or running, as core reads it from the directory."""
    return str(exp.state)


def group_by_run(rows: list[Experiment]) -> list[Experiment]:
    """The sorted rows with the experiments of one run kept together, at the place of the
    run's first row (rows without a run id stay where they are)."""
    groups: dict[str, list[Experiment]] = {}
    order: list[Experiment | str] = []
    for exp in rows:
        run = run_of(exp)
        if run is None:
            order.append(exp)
        elif run not in groups:
            groups[run] = [exp]
            order.append(run)
        else:
            groups[run].append(exp)
    return [e for item in order for e in (groups[item] if isinstance(item, str) else [item])]


class ExperimentsScreen(ListingScreen):
    HELP_TITLE = "Experiments"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            key_display="/",
            tooltip="Filter by tag, kind, mode, date or fitness",
        ),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column"),
        Binding(
            "S", "reverse_sort", "Reverse", key_display="shift+s", tooltip="Reverse the sort order"
        ),
        Binding("space", "mark", "Mark", tooltip="Mark the experiment for comparison"),
        Binding(
            "c",
            "compare",
            "Compare",
            tooltip="Compare the marked experiment's curve with the highlighted one's",
        ),
        Binding(
            "enter",
            "open",
            "Open",
            tooltip="Validation run: open its matrix; training experiment: diff its weights",
        ),
        Binding("t", "next_tab", "Next tab", tooltip="Summary, curve, config, weights"),
        Binding("g", "reload", "Reload", tooltip="Read the experiments directory again"),
        Binding("escape", "focus_table", "List", show=False, tooltip="Back to the list"),
    ]

    app: EwtuiApp
    FILLED_BY_WORKERS = True
    """The screen has the class `loaded` once its workers have filled it (tui.app)."""

    def __init__(self) -> None:
        super().__init__()
        self.sort_key = "created"
        self.reverse = True
        self.marked: str | None = None
        self.rows: list[Experiment] = []
        self._all: list[Experiment] = []
        self._detail_seq = 0

    @property
    def store(self) -> ExperimentStore:
        return ExperimentStore(self.app.workspace)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filters"):
            yield Input(placeholder="tag contains", id="f-tag", compact=True)
            yield Select(
                [("train", "train"), ("validation", "validation")],
                prompt="any kind",
                id="f-kind",
                compact=True,
            )
            yield Select(
                [("generalist", "generalist"), ("specialist", "specialist")],
                prompt="any mode",
                id="f-mode",
                compact=True,
            )
            yield Input(placeholder="since YYYY-MM-DD", id="f-since", compact=True)
            yield Input(placeholder="min fitness", type="number", id="f-fit", compact=True)
        with Horizontal(id="exp-body"):
            yield DataTable(cursor_type="row", zebra_stripes=True, id="exp-table")
            with TabbedContent(id="details"):
                with TabPane("Summary", id="tab-summary"):
                    yield VerticalScroll(Static(id="summary"))
                with TabPane("Curve", id="tab-curve"):
                    yield FitnessChart("in-training best fitness (noisy)", id="curve")
                with TabPane("Config", id="tab-config"):
                    yield VerticalScroll(Static(id="config"))
                with TabPane("Weights", id="tab-weights"):
                    yield VerticalScroll(Static(id="weights"))
        yield Static(id="exp-status")
        yield AppFooter()

    def on_mount(self) -> None:
        table = self.query_one("#exp-table", DataTable)
        for label, key in (
            (" ", "mark"),
            ("kind", "kind"),
            ("experiment", "id"),
            ("state", "state"),
            ("result / verdict", "result"),
            ("mode", "mode"),
            ("tag", "tag"),
            ("created", "created"),
            ("gens/games", "size"),
            ("run", "run"),
        ):
            table.add_column(label, key=key)
        # The first frame comes at once; the list is read in a worker thread and the screen
        # takes the class `loaded` when it is shown.
        self.sub_title = "reading the experiments…"
        self.query_one("#summary", Static).update(Text("Reading the experiments…", style="dim"))
        self.reload_in_background()
        table.focus()

    def on_screen_resume(self, _: events.ScreenResume) -> None:
        # A run may have added experiments while another screen was showing: read them again,
        # off the event loop, so the screen shows at once.
        if self.has_class("loaded"):
            self.reload_in_background()

    # -- list ------------------------------------------------------------------------------------

    def action_reload(self) -> None:
        """`g`: read the directory again (in a worker thread) and redraw the list."""
        self.sub_title = "reading the experiments…"
        self.reload_in_background(redraw=True)

    @work(thread=True, exclusive=True, group="experiments")
    def _list_in_thread(self, redraw: bool, seq: int) -> None:
        """Read the experiments directory in a worker thread; the table is rebuilt only when
        what it lists changed (or `redraw`). The screen has the class `listing` meanwhile."""
        try:
            found: list[Experiment] | None = self.store.list()
        except EwtuiError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            found = None
        self.app.call_from_thread(self._listed, found, redraw, seq)

    def _listed(self, found: list[Experiment] | None, redraw: bool, seq: int) -> None:
        """Show what the worker read (None: it could not read; the list stays)."""
        first = self._listing_landed(seq)
        if first is None:
            return  # a newer listing is under way: it shows what it reads
        if not (first or redraw) and (found is None or found == self._all):
            return
        if found is not None or first:
            self._all = found or []
        self.apply_filters()

    def _filter_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        tag = self.query_one("#f-tag", Input).value.strip()
        if tag:
            args["tag"] = tag
        for key, wid in (("kind", "#f-kind"), ("mode", "#f-mode")):
            select = self.query_one(wid, Select)
            if not select.is_blank():
                args[key] = str(select.value)
        since = self.query_one("#f-since", Input).value.strip()
        if since:
            try:
                args["since"] = datetime.fromisoformat(since).replace(tzinfo=UTC)
            except ValueError:
                self._status(f"since: `{since}` is not a date (YYYY-MM-DD)", error=True)
        fit = self.query_one("#f-fit", Input).value.strip()
        if fit:
            try:
                args["min_fitness"] = float(fit)
            except ValueError:
                self._status(f"min fitness: `{fit}` is not a number", error=True)
        return args

    @on(Input.Changed)
    @on(Select.Changed)
    def apply_filters(self) -> None:
        store = self.store
        self._status("")
        keep = self.current.id if self.current is not None else None
        rows = store.filter(self._all, **self._filter_args())
        self.rows = group_by_run(
            store.sort(self.sort_key, reverse=self.reverse, items=rows)  # type: ignore[arg-type]
        )
        table = self.query_one("#exp-table", DataTable)
        table.clear()
        for exp in self.rows:
            size = (
                f"{exp.generations}/{exp.generations_planned or '?'}"
                if exp.kind == "train"
                else (f"{exp.games:,}" if exp.games is not None else "-")
            )
            table.add_row(
                "*" if exp.id == self.marked else " ",
                exp.kind,
                exp.id,
                experiment_state(exp),
                _result_cell(exp),
                f"{exp.mode} {exp.faction}" if exp.faction else (exp.mode or "-"),
                exp.tag or "-",
                _fmt_date(exp.created),
                size,
                run_of(exp) or "-",
                key=exp.id,
            )
        if keep is not None and any(e.id == keep for e in self.rows):
            table.move_cursor(row=table.get_row_index(keep))
        arrow = "desc" if self.reverse else "asc"
        self.sub_title = f"{len(self.rows)} of {len(self._all)} · sorted by {self.sort_key} {arrow}"
        self.show_details()

    @property
    def current(self) -> Experiment | None:
        table = self.query_one("#exp-table", DataTable)
        if not self.rows or not table.is_valid_coordinate(table.cursor_coordinate):
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((e for e in self.rows if e.id == key), None)

    def _status(self, text: str, error: bool = False) -> None:
        self.query_one("#exp-status", Static).update(Text(text, style="red" if error else "dim"))

    # -- details ---------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#exp-table")
    def show_details(self) -> None:
        """Show the highlighted experiment: what the list knows at once, its files (summary,
        config, curve, weights) once a worker thread has read them. The screen has the class
        `reading` until they are shown."""
        exp = self.current
        self._detail_seq += 1
        summary = self.query_one("#summary", Static)
        config = self.query_one("#config", Static)
        weights = self.query_one("#weights", Static)
        chart = self.query_one("#curve", FitnessChart)
        if exp is None:
            self.remove_class("reading")
            summary.update(
                "No experiment matches the filters."
                if self._all
                else "No experiments yet: press l to pick a run and start it."
            )
            config.update("")
            weights.update("")
            chart.set_series([])
            return
        self.add_class("reading")
        summary.update(_summary_table(exp, {}, self.app.workspace))
        config.update(Text("reading…", style="dim"))
        weights.update(Text("reading…", style="dim"))
        self._read_details(exp, self._detail_seq)

    @work(thread=True, group="experiment-details")
    def _read_details(self, exp: Experiment, seq: int) -> None:
        details = read_details(self.store, exp)
        self.app.call_from_thread(self._details_read, exp, seq, details)

    def _details_read(self, exp: Experiment, seq: int, details: Details) -> None:
        if seq != self._detail_seq:
            return  # another row was highlighted meanwhile: its own read shows it
        self.remove_class("reading")
        self.query_one("#summary", Static).update(
            _summary_table(exp, details.summary, self.app.workspace)
        )
        self.query_one("#config", Static).update(details.config)
        self.query_one("#weights", Static).update(details.weights)
        self.query_one("#curve", FitnessChart).set_series(
            [details.curve] if details.curve is not None else []
        )
        if details.error:
            self._status(details.error, error=True)

    # -- actions ---------------------------------------------------------------------------------

    def action_next_tab(self) -> None:
        tabs = self.query_one("#details", TabbedContent)
        order = ["tab-summary", "tab-curve", "tab-config", "tab-weights"]
        tabs.active = order[(order.index(tabs.active) + 1) % len(order)]

    def action_focus_filter(self) -> None:
        self.query_one("#f-tag", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one("#exp-table", DataTable).focus()

    def action_cycle_sort(self) -> None:
        i = SORT_KEYS.index(self.sort_key)
        self.sort_key = SORT_KEYS[(i + 1) % len(SORT_KEYS)]
        self.apply_filters()

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self.apply_filters()

    def action_mark(self) -> None:
        exp = self.current
        if exp is None:
            return
        self.marked = None if self.marked == exp.id else exp.id
        self.apply_filters()

    def action_compare(self) -> None:
        exp = self.current
        other = next((e for e in self._all if e.id == self.marked), None)
        if exp is None or other is None or other.id == exp.id:
            self.notify(
                "Mark one training experiment (space), then highlight another and press c",
                severity="warning",
            )
            return
        if exp.kind != "train" or other.kind != "train":
            self.notify("Only training experiments have fitness curves", severity="warning")
            return
        self.app.push_screen(CompareScreen(self.store, other, exp))

    @on(DataTable.RowSelected, "#exp-table")
    async def action_open(self) -> None:
        exp = self.current
        if exp is None:
            return
        if exp.kind == "validation":
            await self.app.open_matrix(exp.path)
        else:
            await self.app.open_weights(exp.id)


@dataclass(frozen=True)
class Details:
    """What the detail pane shows of one experiment, read from its directory."""

    summary: dict[str, Any]
    config: str
    weights: str
    curve: Series | None
    error: str = ""


def read_details(store: ExperimentStore, exp: Experiment) -> Details:
    """Read an experiment's files for the detail pane (in a worker thread: it reads the disk)."""
    try:
        data: dict[str, Any] = store.load_summary(exp) if exp.complete else {}
    except EwtuiError as err:
        data = {"error": str(err)}
    config = _read_text(Path(exp.path) / "config.toml")
    if exp.kind != "train":
        used = data.get("config", {}).get("weights", {}) if isinstance(data, dict) else {}
        return Details(
            data, config, json.dumps(used, indent=2) if used else "(deployed weights)", None
        )
    weights = _read_text(Path(exp.path) / "weights.toml")
    try:
        return Details(data, config, weights, fitness_series(store, exp))
    except EwtuiError as err:
        return Details(data, config, weights, None, str(err))


def heldout_rows(data: dict[str, Any], ws: Workspace) -> list[tuple[str, str]]:
    """The held-out evaluation of a summary as labelled rows, the head-to-head first; the
    baseline file as ``Workspace.shown`` prints it."""
    h = parse_heldout(data)
    if h is None:
        return [("held-out", "none (no held-out evaluation in this run)")] if data else []
    rows = []
    if h.h2h is not None:
        rows.append(("held-out h2h", f"{fmt_points(h.h2h, 'baseline')}, {h.h2h.games:,} games"))
    fit = fmt_heldout_fitness(h).removeprefix("held-out fitness ")
    rows.append(("held-out fit", f"{fit}, {h.games:,} games"))
    rows.append(("baseline", ws.shown(h.baseline) if h.baseline else "-"))
    return rows


def _h2h_cell(e: Experiment) -> str:
    return short_result(e.h2h_score, e.h2h_ci95, None).removeprefix("h2h ")


def _heldout_fitness_cell(e: Experiment) -> str:
    if e.heldout_fitness is None:
        return "-"
    ci = e.heldout_fitness_ci95
    return f"{e.heldout_fitness:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _train_cell(e: Experiment) -> str:
    return "-" if e.best_fitness is None else f"{e.best_fitness:.3f}"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return f"({path.name} not found)"


def _value(value: Any) -> str | None:
    """A summary value on one line; None for nested tables the other tabs show better."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        if all(isinstance(v, int | float | str) or v is None for v in value.values()):
            return ", ".join(f"{k} {_value(v) if v is not None else '-'}" for k, v in value.items())
        return None
    if isinstance(value, list):
        if all(isinstance(v, int | float | str) for v in value):
            return ", ".join(str(_value(v)) for v in value)
        return None
    return str(value)


def _summary_table(exp: Experiment, data: dict[str, Any], ws: Workspace) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("experiment", exp.id)
    table.add_row("state", experiment_state(exp))
    if exp.kind == "validation":
        table.add_row("verdict", exp.verdict or "-")
        for faction, rate in exp.faction_win_rates.items():
            table.add_row(faction, f"{100 * rate:.1f}% win rate")
        if exp.first_seat_win_rate is not None:
            table.add_row("first seat", f"{100 * exp.first_seat_win_rate:.1f}% win rate")
        table.add_row("warnings", str(len(data.get("warnings") or [])))
        table.add_row("games", f"{exp.games:,}" if exp.games is not None else "-")
        table.add_row("time", f"{exp.elapsed_s:.1f} s" if exp.elapsed_s is not None else "-")
        table.add_row("matrix", "press enter")
    else:
        for label, value in heldout_rows(data, ws):
            table.add_row(label, value)
        for key, value in data.items():
            shown = _value(ws.shown(value) if isinstance(value, str) else value)
            if shown is not None and key not in ("version", "experiment_dir", "heldout"):
                if key in ("best_fitness", "win_rates"):
                    shown += " (in-training, noisy)"
                table.add_row(key, shown)
    table.add_row("path", ws.shown(exp.path))
    return table


class CompareScreen(ModalScreen[None]):
    """Two experiments' best-fitness curves on one chart, with their key figures."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,c", "dismiss", "Close")]
    DEFAULT_CSS = """
    CompareScreen {
        align: center middle;
    }
    CompareScreen > VerticalScroll {
        width: 95%;
        height: 90%;
        border: thick $accent;
        background: $surface;
    }
    CompareScreen FitnessChart {
        height: 1fr;
        min-height: 12;
    }
    """

    def __init__(self, store: ExperimentStore, a: Experiment, b: Experiment) -> None:
        super().__init__()
        self._store = store
        self._pair = (a, b)

    def compose(self) -> ComposeResult:
        a, b = self._pair
        table = Table(expand=True)
        table.add_column("")
        table.add_column(a.id)
        table.add_column(b.id)
        rows: list[tuple[str, Callable[[Experiment], str]]] = [
            ("tag", lambda e: e.tag or "-"),
            ("mode", lambda e: f"{e.mode or '-'} {e.faction or ''}"),
            ("held-out h2h (points vs baseline)", _h2h_cell),
            ("held-out fitness", _heldout_fitness_cell),
            ("in-training best (noisy)", _train_cell),
            ("generations", lambda e: "-" if e.generations is None else str(e.generations)),
            ("stop reason", lambda e: e.stop_reason or "-"),
        ]
        for label, get in rows:
            table.add_row(label, get(a), get(b))
        with VerticalScroll():
            yield Static(table)
            yield FitnessChart("in-training best fitness (noisy)", id="compare-chart")

    def on_mount(self) -> None:
        self.add_class("reading")
        self._read_curves()

    @work(thread=True, group="compare")
    def _read_curves(self) -> None:
        """Both curves' `stats.csv`, read in a worker thread."""
        try:
            series = [fitness_series(self._store, e) for e in self._pair]
        except EwtuiError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            series = []
        self.app.call_from_thread(self._curves_read, series)

    def _curves_read(self, series: list[Series]) -> None:
        self.remove_class("reading")
        self.query_one(FitnessChart).set_series(series)
