"""Weights: the deployed weights against an experiment's, deploy after confirmation, roll back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from core.errors import EwtuiError
from core.experiments import Experiment, ExperimentStore
from core.gate import decide, file_sha256
from core.heldout import evaluation_lines, short_result
from core.weights import (
    HistoryEntry,
    WeightDelta,
    deploy,
    diff,
    history,
    load_spec,
    load_weights,
    rollback,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.experiments import experiment_state
from tui.widgets.footer import AppFooter

if TYPE_CHECKING:
    from tui.app import EwtuiApp

LARGE = "bold reverse"


def delta_row(d: WeightDelta, deployed: bool) -> list[Text]:
    style = LARGE if d.large else ""
    mark = "!" if d.large else " "
    pct = "n/a" if d.pct is None else f"{d.pct:+.1f}%"
    return [
        Text(f"{mark} {d.name}", style=style),
        Text(f"{d.old:.4f}" if deployed else "-", justify="right"),
        Text(f"{d.new:.4f}", justify="right", style=style),
        Text(f"{d.delta:+.4f}" if deployed else "-", justify="right", style=style),
        Text(pct if deployed else "-", justify="right", style=style),
    ]


def _stamp(stamp: str) -> str:
    """`20260131_141200[_2]` as `2026-01-31 14:12:00 UTC [#2]`."""
    day, _, rest = stamp.partition("_")
    clock, _, n = rest.partition("_")
    if len(day) != 8 or len(clock) != 6:
        return stamp
    shown = f"{day[:4]}-{day[4:6]}-{day[6:]} {clock[:2]}:{clock[2:4]}:{clock[4:]} UTC"
    return f"{shown} #{n}" if n else shown


def result_cell(e: Experiment) -> str:
    return short_result(e.h2h_score, e.h2h_ci95, e.best_fitness)


LISTED_CHANGES = 8
"""Large changes a deploy question lists by name (the rest are counted)."""


def changes_text(deltas: list[WeightDelta]) -> str:
    """What a deploy changes: how many weights, and the large changes by name."""
    if not deltas:
        return "changes: no deployed file yet for this target (a new file)"
    changed = [d for d in deltas if d.delta]
    large = [d for d in deltas if d.large]
    lines = [f"changes: {len(changed)} of {len(deltas)} weights, {len(large)} large"]
    for d in sorted(large, key=lambda x: -abs(x.delta))[:LISTED_CHANGES]:
        pct = "" if d.pct is None else f" ({d.pct:+.1f}%)"
        lines.append(f"  ! {d.name} {d.old:.4g} → {d.new:.4g}{pct}")
    if len(large) > LISTED_CHANGES:
        lines.append(f"  ... {len(large) - LISTED_CHANGES} more large changes")
    return "\n".join(lines)


def history_source(entry: HistoryEntry) -> str:
    """The deploy that replaced a backed-up file: its source experiment or file."""
    return Path(entry.source).name if entry.source else "unknown source"


def entry_file(ws: Any, entry: HistoryEntry) -> str:
    return str(ws.weights_file(entry.target).relative_to(ws.root))


class WeightsScreen(Screen[None]):
    HELP_TITLE = "Weights"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "deploy", "Deploy", tooltip="Deploy the selected experiment's weights"),
        Binding(
            "r",
            "rollback_selected",
            "Roll back to entry",
            tooltip="Restore the selected history entry",
        ),
        Binding(
            "R",
            "rollback_last",
            "Undo last deploy",
            key_display="shift+r",
            tooltip="Restore every file the newest deploy replaced",
        ),
        Binding("g", "reload", "Reload", tooltip="Read experiments and history again"),
    ]

    app: EwtuiApp

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[Experiment] = []
        self.entries: list[HistoryEntry] = []
        self.source: Experiment | None = None
        self.deltas: list[WeightDelta] = []
        """The shown experiment's changes against the deployed file."""
        self._last_read: tuple[list[Experiment], list[HistoryEntry], tuple[Any, ...]] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="weights-body"):
            with Vertical(id="weights-side"):
                with Vertical():
                    yield Label("Trained experiments")
                    yield DataTable(cursor_type="row", id="sources")
                with Vertical():
                    yield Label("Deploy history (newest first)")
                    yield DataTable(cursor_type="row", id="history")
            with Vertical(id="weights-main"):
                yield Static(id="diff-title")
                yield DataTable(cursor_type="row", zebra_stripes=True, id="diff")
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#sources", DataTable).add_columns("experiment", "result", "target")
        self.query_one("#history", DataTable).add_columns("target", "saved at", "replaced by")
        diff_table = self.query_one("#diff", DataTable)
        diff_table.add_column("weight", key="name")
        for label in ("deployed", "experiment", "delta", "%"):
            diff_table.add_column(label, key=label)
        self.action_reload()
        requested = self.app.take_weights_request()
        if requested is not None:
            self.select_source(requested)
        self.query_one("#sources", DataTable).focus()

    def on_screen_resume(self, _: events.ScreenResume) -> None:
        if not self.query_one("#sources", DataTable).columns:
            return  # first show: on_mount fills the screen and takes the request
        requested = self.app.take_weights_request()
        if requested is None:
            # Coming back: read the experiments and the history again off the event loop, so
            # the screen shows at once; it is redrawn only when they changed.
            self.reload_in_background()
            return
        self.action_reload()
        self.select_source(requested)

    # -- loading ---------------------------------------------------------------------------------

    def _read(self) -> tuple[list[Experiment], list[HistoryEntry], tuple[Any, ...]]:
        """What the screen shows, read from disk: the trained experiments with weights, the
        deploy history, and the deployed files' modification times (a deploy made elsewhere
        changes the diff)."""
        ws = self.app.workspace
        train = ExperimentStore(ws).filter(kind="train")
        sources = [e for e in train if (Path(e.path) / "weights.toml").is_file()]
        stamps = tuple(
            sorted((str(p), p.stat().st_mtime_ns) for p in ws.weights_dir.rglob("*.toml"))
        )
        return sources, history(ws), stamps

    @work(thread=True, exclusive=True, group="weights")
    def reload_in_background(self) -> None:
        try:
            read = self._read()
        except (EwtuiError, OSError) as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.app.call_from_thread(self._reloaded, read)

    def _reloaded(self, read: tuple[list[Experiment], list[HistoryEntry], tuple[Any, ...]]) -> None:
        if read == self._last_read:
            return
        self.action_reload()

    def action_reload(self) -> None:
        ws = self.app.workspace
        try:
            self._last_read = self._read()
            train = self._last_read[0]
        except (EwtuiError, OSError) as err:
            self.notify(str(err), severity="error")
            self._last_read = None
            train = []
        self.sources = train
        table = self.query_one("#sources", DataTable)
        table.clear()
        for e in self.sources:
            table.add_row(e.id, result_cell(e), e.target or "-", key=e.id)
        self.entries = self._last_read[1] if self._last_read is not None else history(ws)
        hist = self.query_one("#history", DataTable)
        hist.clear()
        for h in self.entries:
            hist.add_row(h.target, _stamp(h.stamp), history_source(h), key=h.path)
        keep = self.source.id if self.source is not None else None
        if keep is not None and any(e.id == keep for e in self.sources):
            self.select_source(keep)
        elif self.sources:
            self.select_source(self.sources[0].id)
        else:
            self.source = None
            self.query_one("#diff-title", Static).update(
                "No trained experiment with weights yet: train one from the Launch screen (l)."
            )

    def select_source(self, exp_id: str) -> None:
        exp = next((e for e in self.sources if e.id == exp_id), None)
        if exp is None:
            self.notify(f"{exp_id}: no weights.toml in this experiment", severity="warning")
            return
        self.source = exp
        table = self.query_one("#sources", DataTable)
        table.move_cursor(row=self.sources.index(exp))
        self.show_diff()

    def show_diff(self) -> None:
        exp = self.source
        if exp is None or exp.target is None:
            return
        ws = self.app.workspace
        title = self.query_one("#diff-title", Static)
        table = self.query_one("#diff", DataTable)
        table.clear()
        target_file = ws.weights_file(exp.target)
        try:
            spec = load_spec(ws)
            new = load_weights(Path(exp.path) / "weights.toml", spec)
            deployed = target_file.is_file()
            old = load_weights(target_file, spec) if deployed else new
        except EwtuiError as err:
            title.update(Text(str(err), style="bold red"))
            return
        deltas = diff(old, new, spec)
        self.deltas = deltas if deployed else []
        for d in deltas:
            table.add_row(*delta_row(d, deployed), key=d.name)
        large = sum(d.large for d in deltas)
        rel = target_file.relative_to(ws.root)
        try:
            summary = ExperimentStore(ws).load_summary(exp)
        except EwtuiError:
            summary = {}
        evaluation = " · ".join(evaluation_lines(summary, file_sha256(target_file)))
        title.update(
            Text.assemble(
                ("Diff ", "bold"),
                f"{rel} (deployed) → {exp.id}/weights.toml   ",
                (f"{large} large change{'s' if large != 1 else ''} (!)", "bold" if large else ""),
                "" if deployed else "   (nothing deployed yet for this target)",
                "\n",
                (evaluation, "dim"),
            )
        )

    @on(DataTable.RowHighlighted, "#sources")
    def _source_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None and (
            self.source is None or self.source.id != event.row_key.value
        ):
            self.source = next((e for e in self.sources if e.id == event.row_key.value), None)
            self.show_diff()

    # -- actions ---------------------------------------------------------------------------------

    def _selected_entry(self) -> HistoryEntry | None:
        table = self.query_one("#history", DataTable)
        if not self.entries or not 0 <= table.cursor_row < len(self.entries):
            return None
        return self.entries[table.cursor_row]

    def action_deploy(self) -> None:
        exp = self.source
        if exp is None or exp.target is None:
            self.notify("Select a trained experiment first.", severity="warning")
            return
        ws = self.app.workspace
        target_file = ws.weights_file(exp.target).relative_to(ws.root)
        try:
            summary = ExperimentStore(ws).load_summary(exp)
            text = (Path(exp.path) / "weights.toml").read_text(encoding="utf-8")
        except (EwtuiError, OSError) as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        # No re-evaluation here (it plays games); `ewtui weights deploy` does it.
        decision = decide(ws, exp.target, exp.id, str(exp.path), summary, text)
        evidence = "\n".join(
            escape(x) for x in evaluation_lines(summary, file_sha256(ws.weights_file(exp.target)))
        )
        if decision.heldout is not None and decision.current_sha256 != (
            decision.heldout.baseline_sha256
        ):
            evidence += f"\n(`ewtui weights deploy {escape(exp.id)}` measures it again)"
        if self.deltas and not any(d.delta for d in self.deltas):
            self.notify(f"identical: {target_file} already holds these weights; nothing to deploy")
            return
        verb = "Deploy" if decision.passed else "Override the gate and deploy"
        question = (
            f"{evidence}\ngate: {escape(decision.reason)}\n"
            f"source: {escape(exp.id)} ({experiment_state(exp)})\n"
            f"{changes_text(self.deltas)}\n\n"
            f"{verb} the weights of [b]{exp.id}[/b] as [b]{exp.target}[/b]?\n"
            f"{target_file} is replaced atomically; the current file goes to the history."
        )

        def done(yes: object) -> None:
            if yes is not True:
                return
            try:
                record = deploy(
                    ws,
                    Path(exp.path) / "weights.toml",
                    exp.target or "",
                    experiment=(exp.path, exp.state),
                )
            except EwtuiError as err:
                self.notify(str(err), severity="error", timeout=10)
                return
            if record is None:  # identical to the deployed file: nothing written
                self.notify(f"identical: {target_file}; nothing deployed")
                return
            backup = f", backup {Path(record.backup).name}" if record.backup else ""
            self.notify(f"Deployed {exp.id} as {record.target}{backup}")
            self.action_reload()

        label = "Deploy" if decision.passed else "Deploy anyway"
        self.app.push_screen(ConfirmScreen(question, label), done)

    def action_rollback_selected(self) -> None:
        entry = self._selected_entry()
        if entry is None:
            self.notify("Select a history entry first.", severity="warning")
            return
        self._confirm_rollback(
            entry,
            f"Restore [b]{entry.target}[/b] ({entry_file(self.app.workspace, entry)}) from the"
            f" backup of {_stamp(entry.stamp)}, replaced by {history_source(entry)}?",
        )

    def action_rollback_last(self) -> None:
        if not self.entries:
            self.notify("Nothing to roll back.", severity="warning")
            return
        newest = [e for e in self.entries if e.stamp == self.entries[0].stamp]
        files = "\n".join(
            f"  {entry_file(self.app.workspace, e)} from the backup of {_stamp(e.stamp)}"
            f" (replaced by {history_source(e)})"
            for e in newest
        )
        self._confirm_rollback(None, f"Undo the newest deploy? It restores:\n{files}")

    def _confirm_rollback(self, entry: HistoryEntry | None, question: str) -> None:
        ws = self.app.workspace

        def done(yes: object) -> None:
            if yes is not True:
                return
            try:
                restored = rollback(ws, entry)
            except EwtuiError as err:
                self.notify(str(err), severity="error", timeout=10)
                return
            names = ", ".join(f"{e.target} ({_stamp(e.stamp)})" for e in restored)
            self.notify(f"Rolled back: {names}")
            self.action_reload()

        self.app.push_screen(ConfirmScreen(question, "Roll back"), done)
