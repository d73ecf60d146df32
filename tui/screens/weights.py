"""Weights: the deployed weights against an experiment's, deploy after confirmation, roll back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
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
from tui.screens.mode import ListingScreen
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
    return ws.shown(ws.weights_file(entry.target))


Listing = tuple[list[Experiment], list[HistoryEntry], tuple[Any, ...]]
"""What the side lists show, read from disk: the trained experiments with weights, the deploy
history, and the deployed files' modification times (a deploy made elsewhere changes a diff)."""


def read_listing(ws: Any) -> Listing:
    """The side lists' contents (in a worker thread: it lists directories)."""
    train = ExperimentStore(ws).filter(kind="train")
    sources = [e for e in train if (Path(e.path) / "weights.toml").is_file()]
    stamps = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in ws.weights_dir.rglob("*.toml")))
    return sources, history(ws), stamps


@dataclass(frozen=True)
class DiffView:
    """One experiment's weights against the deployed file of its target, read from disk."""

    title: Text
    deltas: list[WeightDelta] = field(default_factory=list)
    deployed: bool = False
    """Whether a file is deployed for the target (else the deltas are against itself)."""


def read_diff(ws: Any, exp: Experiment) -> DiffView:
    """The diff pane of `exp` (in a worker thread: it reads the weights, the spec and the
    experiment's summary)."""
    target_file = ws.weights_file(exp.target)
    try:
        spec = load_spec(ws)
        new = load_weights(Path(exp.path) / "weights.toml", spec)
        deployed = target_file.is_file()
        old = load_weights(target_file, spec) if deployed else new
    except EwtuiError as err:
        return DiffView(Text(str(err), style="bold red"))
    deltas = diff(old, new, spec)
    large = sum(d.large for d in deltas)
    rel = ws.shown(target_file)
    try:
        summary = ExperimentStore(ws).load_summary(exp)
    except EwtuiError:
        summary = {}
    evaluation = " · ".join(evaluation_lines(summary, file_sha256(target_file), shown=ws.shown))
    if not deployed:
        verdict = ("(nothing deployed yet for this target)", "")
    elif not any(d.delta for d in deltas):
        verdict = (f"identical: all {len(deltas)} weights are equal (nothing to deploy)", "bold")
    else:
        verdict = (f"{large} large change{'s' if large != 1 else ''} (!)", "bold" if large else "")
    title = Text.assemble(
        ("Diff ", "bold"),
        f"{rel} (deployed) → {exp.id}/weights.toml   ",
        verdict,
        "\n",
        (evaluation, "dim"),
    )
    return DiffView(title, deltas, deployed)


@dataclass(frozen=True)
class DeployQuestion:
    """What the deploy question shows, read from disk (the gate's decision included);
    `identical`: the deployed file already holds these weights, `text` says so."""

    text: str
    passed: bool
    identical: bool = False


def deploy_question(ws: Any, exp: Experiment, deltas: list[WeightDelta]) -> DeployQuestion:
    """The question asked before deploying `exp` (in a worker thread: it reads the summary,
    the weights and the deployed file). `deltas`: its changes against the deployed file."""
    target = exp.target or ""
    target_file = ws.shown(ws.weights_file(target))
    if deltas and not any(d.delta for d in deltas):
        return DeployQuestion(
            f"identical: {target_file} already holds these weights; nothing to deploy",
            passed=False,
            identical=True,
        )
    summary = ExperimentStore(ws).load_summary(exp)
    text = (Path(exp.path) / "weights.toml").read_text(encoding="utf-8")
    # No re-evaluation here (it plays games); `ewtui weights deploy` does it.
    decision = decide(ws, target, exp.id, str(exp.path), summary, text)
    evidence = "\n".join(
        escape(x)
        for x in evaluation_lines(summary, file_sha256(ws.weights_file(target)), shown=ws.shown)
    )
    if decision.heldout is not None and decision.current_sha256 != (
        decision.heldout.baseline_sha256
    ):
        evidence += f"\n(`ewtui weights deploy {escape(exp.id)}` measures it again)"
    verb = "Deploy" if decision.passed else "Override the gate and deploy"
    question = (
        f"{evidence}\ngate: {escape(decision.reason)}\n"
        f"source: {escape(exp.id)} ({experiment_state(exp)})\n"
        f"{changes_text(deltas)}\n\n"
        f"{verb} the weights of [b]{exp.id}[/b] as [b]{target}[/b]?\n"
        f"{target_file} is replaced atomically; the current file goes to the history."
    )
    return DeployQuestion(question, decision.passed)


class WeightsScreen(ListingScreen):
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
    FILLED_BY_WORKERS = True
    """The screen has the class `loaded` once its workers have filled it (tui.app)."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[Experiment] = []
        self.entries: list[HistoryEntry] = []
        self.source: Experiment | None = None
        self.deltas: list[WeightDelta] = []
        """The shown experiment's changes against the deployed file."""
        self._last_read: Listing | None = None
        self._request: str | None = None
        self._diff_seq = 0

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
        # The first frame comes at once; the lists and the diff are read in worker threads.
        # The screen takes the class `loaded` once the lists are shown, and has the classes
        # `listing` and `reading` while a listing or a diff is being read.
        self.query_one("#diff-title", Static).update(
            Text("Reading the experiments and the deploy history…", style="dim")
        )
        self._request = self.app.take_weights_request()
        self.reload_in_background()
        self.query_one("#sources", DataTable).focus()

    def on_screen_resume(self, _: events.ScreenResume) -> None:
        requested = self.app.take_weights_request()
        if requested is not None:
            self._request = requested
        if not self.has_class("loaded"):
            return  # first show: on_mount's worker fills the screen and takes the request
        # Coming back, or asked for an experiment (enter in Experiments): the lists are read
        # again off the event loop, so the screen shows at once; the screen changes only when
        # they changed or an experiment was asked for.
        self.reload_in_background()

    # -- loading ---------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="weights")
    def _list_in_thread(self, redraw: bool, seq: int) -> None:
        try:
            read: Listing | None = read_listing(self.app.workspace)
        except (EwtuiError, OSError) as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            read = None
        self.app.call_from_thread(self._listed, read, redraw, seq)

    def _listed(self, read: Listing | None, redraw: bool, seq: int) -> None:
        first = self._listing_landed(seq)
        if first is None:
            return  # a newer listing is under way: it shows what it reads
        if read is None and not first:
            return  # could not read (said in a notification): keep what is shown
        if not (first or redraw) and read == self._last_read and self._request is None:
            return
        self._show_lists(read)

    def action_reload(self) -> None:
        """`g`: read the experiments and the history again (in a worker thread), redraw."""
        self.reload_in_background(redraw=True)

    def _show_lists(self, read: Listing | None) -> None:
        self._last_read = read
        self.sources, self.entries = (read[0], read[1]) if read is not None else ([], [])
        table = self.query_one("#sources", DataTable)
        table.clear()
        for e in self.sources:
            table.add_row(e.id, result_cell(e), e.target or "-", key=e.id)
        hist = self.query_one("#history", DataTable)
        hist.clear()
        for h in self.entries:
            hist.add_row(h.target, _stamp(h.stamp), history_source(h), key=h.path)
        request, self._request = self._request, None
        keep = self.source.id if self.source is not None else None
        if request is not None:
            self.select_source(request)
        elif keep is not None and any(e.id == keep for e in self.sources):
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
        """Show the selected experiment's diff once a worker thread has read it (the screen
        has the class `reading` meanwhile)."""
        exp = self.source
        if exp is None or exp.target is None:
            return
        self._diff_seq += 1
        self.add_class("reading")
        self._read_diff(exp, self._diff_seq)

    @work(thread=True, group="weights-diff")
    def _read_diff(self, exp: Experiment, seq: int) -> None:
        view = read_diff(self.app.workspace, exp)
        self.app.call_from_thread(self._diff_read, seq, view)

    def _diff_read(self, seq: int, view: DiffView) -> None:
        if seq != self._diff_seq:
            return  # another experiment was selected meanwhile: its own read shows it
        self.remove_class("reading")
        self.deltas = view.deltas if view.deployed else []
        table = self.query_one("#diff", DataTable)
        table.clear()
        for d in view.deltas:
            table.add_row(*delta_row(d, view.deployed), key=d.name)
        self.query_one("#diff-title", Static).update(view.title)

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
        if self.has_class("reading"):
            self.notify("The diff is still being read.", severity="warning")
            return
        self.add_class("busy")
        self._ask_deploy(exp, list(self.deltas))

    @work(thread=True, exclusive=True, group="weights-act")
    def _ask_deploy(self, exp: Experiment, deltas: list[WeightDelta]) -> None:
        """Read what the deploy question shows in a worker thread, then ask it."""
        try:
            question: DeployQuestion | str = deploy_question(self.app.workspace, exp, deltas)
        except (EwtuiError, OSError) as err:
            question = str(err)
        self.app.call_from_thread(self._confirm_deploy, exp, question)

    def _confirm_deploy(self, exp: Experiment, question: DeployQuestion | str) -> None:
        self.remove_class("busy")
        if isinstance(question, str):
            self.notify(question, severity="error", timeout=10)
            return
        if question.identical:
            self.notify(question.text)
            return

        def done(yes: object) -> None:
            if yes is True:
                self.add_class("busy")
                self._deploy(exp)

        label = "Deploy" if question.passed else "Deploy anyway"
        self.app.push_screen(ConfirmScreen(question.text, label), done)

    @work(thread=True, exclusive=True, group="weights-act")
    def _deploy(self, exp: Experiment) -> None:
        ws = self.app.workspace
        target_file = ws.shown(ws.weights_file(exp.target or ""))
        try:
            record = deploy(
                ws,
                Path(exp.path) / "weights.toml",
                exp.target or "",
                experiment=(exp.path, exp.state),
            )
        except EwtuiError as err:
            self.app.call_from_thread(self._acted, str(err), "error")
            return
        if record is None:  # identical to the deployed file: nothing written
            self.app.call_from_thread(
                self._acted, f"identical: {target_file}; nothing deployed", "information"
            )
            return
        backup = f", backup {Path(record.backup).name}" if record.backup else ""
        self.app.call_from_thread(
            self._acted, f"Deployed {exp.id} as {record.target}{backup}", "information"
        )

    def _acted(self, message: str, severity: SeverityLevel) -> None:
        """A deploy or rollback is over: say how, and read the lists again."""
        self.reload_in_background(redraw=True)
        self.remove_class("busy")
        self.notify(message, severity=severity, timeout=10 if severity == "error" else 5)

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
        def done(yes: object) -> None:
            if yes is True:
                self.add_class("busy")
                self._rollback(entry)

        self.app.push_screen(ConfirmScreen(question, "Roll back"), done)

    @work(thread=True, exclusive=True, group="weights-act")
    def _rollback(self, entry: HistoryEntry | None) -> None:
        try:
            restored = rollback(self.app.workspace, entry)
        except EwtuiError as err:
            self.app.call_from_thread(self._acted, str(err), "error")
            return
        names = ", ".join(f"{e.target} ({_stamp(e.stamp)})" for e in restored)
        self.app.call_from_thread(self._acted, f"Rolled back: {names}", "information")
