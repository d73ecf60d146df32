"""Runs on Modal: the detached runs found on the volume, with their state, and the way back into
one of them. Enter follows the chosen run in the Monitor: its events so far (from the volume)
first, then live ones, and when it ends the trained weights are deployed here through the same
gate and diff as a local run, once per workspace. `x` cancels a run on Modal after asking.

The runs come from `remote.attach.RemoteRuns` (through `tui.backends`, the one module of tui
that reaches remote); the app may be given another one (tests pass an in-memory one).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from core.errors import EwtuiError
from tui.widgets.footer import AppFooter

if TYPE_CHECKING:
    from tui.app import EwtuiApp

STATE_STYLE = {"running": "bold", "done": "green", "failed": "red", "stopped": "yellow"}
LOADING = "Reading the runs on the Modal volume…"


def remote_runs(app: EwtuiApp) -> Any:
    """The app's view of the runs on Modal (raises `BackendUnavailable` with its fix when Modal
    is not installed or has no token)."""
    runs = getattr(app, "remote_runs", None)
    if runs is None:
        from tui.backends import modal_runs

        runs = app.remote_runs = modal_runs()
    return runs


def attach_run(app: EwtuiApp, run_id: str) -> None:
    """Follow `run_id` in the Monitor: the pipeline of this client replays its events so far,
    follows the live ones, and deploys its results here when it ends (unless collected here
    before, which is said instead)."""
    if app.running:
        app.notify("A run is going here; cancel it or let it end first.", severity="warning")
        return

    async def open_it() -> None:
        try:
            plan, backend = await remote_runs(app).open(app.workspace, run_id)
        except EwtuiError as err:
            app.notify(str(err), severity="warning", timeout=10)
            return
        app.start_run(plan, backend)
        app.notify(f"Attached to run {run_id} on Modal: its events so far, then live ones")

    app.run_worker(open_it(), name="attach", group="attach", exit_on_error=False)


def open_remote_runs(app: EwtuiApp) -> None:
    """Show the runs on Modal; the one chosen is followed in the Monitor."""

    def chosen(run_id: str | None) -> None:
        if run_id:
            attach_run(app, run_id)

    app.push_screen(RemoteRunsScreen(), chosen)


class RemoteRunsScreen(Screen[str | None]):
    HELP_TITLE = "Runs on Modal"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "attach", "Follow", tooltip="Follow the run in the Monitor", show=True),
        Binding("x", "cancel_remote", "Cancel on Modal", tooltip="Cancel the run (asks first)"),
        Binding("g", "reload", "Reload", tooltip="Read the runs on the volume again"),
        Binding("escape", "close", "Back", tooltip="Back to the Monitor"),
    ]
    DEFAULT_CSS = """
    RemoteRunsScreen #modal-runs-note {
        height: auto;
        padding: 0 1;
    }
    RemoteRunsScreen DataTable {
        height: 1fr;
    }
    """

    app: EwtuiApp

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(LOADING, id="modal-runs-note")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="modal-runs")
        yield AppFooter()

    def on_mount(self) -> None:
        self.sub_title = "Runs on Modal"
        table = self.query_one("#modal-runs", DataTable)
        for label in ("run", "state", "mode, preset", "here", "app"):
            table.add_column(label, key=label)
        self.action_reload()

    def note(self, text: str, style: str = "") -> None:
        self.query_one("#modal-runs-note", Static).update(Text(text, style=style))

    def action_reload(self) -> None:
        self.note(LOADING)
        self.run_worker(self._load(), name="modal-runs", group="modal-runs", exclusive=True)

    async def _load(self) -> None:
        try:
            rows = await remote_runs(self.app).rows(self.app.workspace)
        except EwtuiError as err:
            self.note(str(err), "bold red")
            return
        except Exception as err:  # the network: say so, keep the screen
            self.note(f"cannot read the Modal volume: {type(err).__name__}: {err}", "bold red")
            return
        self.show(rows)

    def show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        table = self.query_one("#modal-runs", DataTable)
        table.clear()
        for r in rows:
            opts = r.get("options") or {}
            state = str(r.get("state", "?"))
            here = "collected" if r.get("collected") else "-"
            what = f"{opts.get('mode', 'full')}, {opts.get('preset') or 'default'}"
            table.add_row(
                str(r.get("run_id", "?")),
                Text(state, style=STATE_STYLE.get(state, "")),
                what,
                here,
                str(r.get("app_id") or "-"),
                key=str(r.get("run_id", "?")),
            )
        if rows:
            self.note(
                f"{len(rows)} runs on Modal. enter: follow one here (its events so far, then "
                "live; its weights are deployed here when it ends). x: cancel it on Modal."
            )
        else:
            self.note("No runs on the Modal volume yet: start one from Launch (backend modal).")

    def selected(self) -> str | None:
        table = self.query_one("#modal-runs", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        with contextlib.suppress(Exception):
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            return str(key.value)
        return None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_attach()

    def action_attach(self) -> None:
        run_id = self.selected()
        if run_id is None:
            self.notify("No run selected.", severity="warning")
            return
        self.dismiss(run_id)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cancel_remote(self) -> None:
        run_id = self.selected()
        if run_id is None:
            self.notify("No run selected.", severity="warning")
            return
        from tui.screens.confirm import ConfirmScreen

        async def answer(yes: bool | str | None) -> None:
            if yes is not True:
                return
            backend = remote_runs(self.app).backend(run_id)
            try:
                await backend.cancel_remote()
            except Exception as err:
                self.notify(f"Run {run_id} not cancelled: {err}", severity="error", timeout=10)
                return
            finally:
                await backend.aclose()
            self.notify(f"Cancelled run {run_id} on Modal")
            self.action_reload()

        question = (
            f"Cancel run {run_id} on Modal? Every job stops there; what it finished stays on "
            "the volume, and nothing is deployed here."
        )
        self.app.push_screen(ConfirmScreen(question, "Cancel run", again="x"), answer)
