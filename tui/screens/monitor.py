"""Monitor: the running pipeline, one card and one log pane per job.

The screen never talks to the pipeline. It redraws from the app's `RunView` a few times a second,
touching only the jobs that changed, so a chatty run costs a handful of layout passes per second
whatever its event rate.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, ProgressBar, Static

from core.record import PHASES
from tui.screens.mode import ModeScreen
from tui.widgets.footer import AppFooter
from tui.widgets.job_card import JobCard, _safe_id
from tui.widgets.log_pane import LogPane
from tui.widgets.run_view import RunView

if TYPE_CHECKING:
    from tui.app import EwtuiApp

REFRESH_S = 0.25
PHASE_GLYPH = {
    "pending": "○",
    "started": "▶",
    "done": "✔",
    "skipped": "-",
    "failed": "✘",
    "interrupted": "■",
}


class MonitorScreen(ModeScreen):
    HELP_TITLE = "Monitor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "cancel_job", "Cancel job", tooltip="Cancel the selected job (asks first)"),
        Binding(
            "ctrl+x", "cancel_run", "Cancel run", tooltip="Cancel every job of the run (asks first)"
        ),
        Binding("j,down", "next_job", "Next job", tooltip="Select the next job", show=False),
        Binding(
            "k,up", "previous_job", "Previous job", tooltip="Select the previous job", show=False
        ),
        Binding("o", "focus_log", "Log", tooltip="Move focus to the selected job's log"),
        Binding(
            "b",
            "toggle_debug",
            "Debug lines",
            tooltip="Show or hide the binaries' stderr copy of their log",
        ),
        Binding(
            "r",
            "remote_runs",
            "Runs on Modal",
            tooltip="List the runs on Modal and follow one here",
            show=False,
        ),
    ]

    app: EwtuiApp

    def __init__(self) -> None:
        super().__init__()
        self._view: RunView | None = None
        self._seen: dict[str, int] = {}
        self.selected: str | None = None
        self._sync_lock = asyncio.Lock()
        self.show_debug = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="phase-row"):
            yield Static(id="phase-bar")
            yield ProgressBar(show_eta=False, id="overall")
        yield Static(id="gate")
        with Horizontal(id="monitor-body"):
            yield VerticalScroll(id="cards")
            with Vertical(id="logs"):
                yield Static(id="log-title")
                yield Vertical(id="log-switcher")
        yield AppFooter()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.sync)
        self.call_after_refresh(self.sync)

    def on_screen_resume(self, _: events.ScreenResume) -> None:
        self.call_after_refresh(self.sync)

    # -- drawing ---------------------------------------------------------------------------------

    async def sync(self) -> None:
        """Bring the screen up to date with the app's run view."""
        # Mounting awaits; a timer tick must not start a second sync in the middle of one.
        async with self._sync_lock:
            await self._sync()

    async def _sync(self) -> None:
        view = self.app.run_view
        if view is not self._view:
            await self._rebuild(view)
            return
        dirty = set(view.dirty)
        view.dirty.clear()
        for job_id in dirty:
            if job_id and job_id not in self._seen:
                await self._add_job(job_id)
        for job_id in dirty:
            if job_id:
                self._update_job(job_id)
        if dirty:
            self._draw_phases()

    async def _rebuild(self, view: RunView) -> None:
        self._view = view
        self._seen.clear()
        view.dirty.clear()
        cards = self.query_one("#cards", VerticalScroll)
        switcher = self.query_one("#log-switcher", Vertical)
        await cards.remove_children()
        await switcher.remove_children()
        self.selected = None
        if not view.jobs:
            await cards.mount(
                Static(
                    "No run yet: press [b]l[/b] to pick one and start it, or [b]r[/b] to follow"
                    " a run on Modal.",
                    id="no-run",
                )
            )
        for job_id in view.jobs:
            await self._add_job(job_id)
            self._update_job(job_id)
        self._draw_phases()
        if view.jobs:
            self.select(next(iter(view.jobs)))

    async def _add_job(self, job_id: str) -> None:
        assert self._view is not None
        job = self._view.jobs[job_id]
        self._seen[job_id] = 0
        await self.query_one("#cards", VerticalScroll).mount(JobCard(job))
        pane = LogPane(id=f"log-{_safe_id(job_id)}")
        pane.display = False
        await self.query_one("#log-switcher", Vertical).mount(pane)
        if self.selected is None:
            self.select(job_id)

    def _update_job(self, job_id: str) -> None:
        assert self._view is not None
        job = self._view.jobs[job_id]
        self.query_one(f"#card-{_safe_id(job_id)}", JobCard).update_job(job)
        lines = job.lines_since(self._seen[job_id], debug=self.show_debug)
        if lines:
            self.query_one(f"#log-{_safe_id(job_id)}", LogPane).extend(lines)
            self._seen[job_id] = job.lines_total

    def _draw_phases(self) -> None:
        view = self._view
        assert view is not None
        parts: list[Text | str] = []
        for i, phase in enumerate(PHASES):
            state = view.phases.get(phase, "pending")
            style = {
                "started": "bold",
                "done": "green",
                "failed": "bold red",
                "interrupted": "yellow",
            }.get(state, "dim")
            if i:
                parts.append(" → ")
            parts.append(Text(f"{PHASE_GLYPH.get(state, '?')} {phase}", style=style))
        # The run and its state head the screen; the phase bar keeps the row for the phases.
        self.sub_title = f"run {view.run_id}: {view.label}" if view.run_id else "no run yet"
        self.query_one("#phase-bar", Static).update(Text.assemble(*parts))
        self._draw_gate(view)
        total = len(view.jobs)
        overall = self.query_one("#overall", ProgressBar)
        overall.display = total > 0
        # Jobs that ran to an end; those an interrupt skipped leave the bar short of full.
        overall.update(total=total or None, progress=view.jobs_ended)
        ended_badly = view.state not in ("running", "ok", "idle")
        overall.set_class(ended_badly, "-ended-badly")

    def _draw_gate(self, view: RunView) -> None:
        """Once the run is over: the deploy gate's line per target (a refusal is normal), what
        the deploy replaced with its largest changes and how to undo it, and the estimate
        against what the run used."""
        from core.summary import deploy_lines

        record = view.record
        notes = list(getattr(record, "deploy_notes", None) or [])
        ladder = getattr(record, "ladder", None)
        lines = [f"deploy gate: {n}" for n in notes] + ([ladder] if ladder else [])
        if record is not None and getattr(record, "deploys", None):
            lines += deploy_lines(record, changes=3)
        if record is not None and getattr(record, "cost", None) is not None:
            from core.summary import estimate_line

            lines.append(f"estimate: {estimate_line(record)}")
        gate = self.query_one("#gate", Static)
        gate.display = bool(lines)
        gate.update(Text("\n".join(lines)))

    # -- selection -------------------------------------------------------------------------------

    def select(self, job_id: str) -> None:
        self.selected = job_id
        shown = f"log-{_safe_id(job_id)}"
        for pane in self.query(LogPane):
            pane.display = pane.id == shown
        self.query_one("#log-title", Static).update(Text(f"log: {job_id}", style="bold"))
        for card in self.query(JobCard):
            card.set_class(card.job_id == job_id, "-selected")

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, JobCard):
            self.select(event.widget.job_id)

    def _move(self, step: int) -> None:
        cards = list(self.query(JobCard))
        if not cards:
            return
        ids = [c.job_id for c in cards]
        i = ids.index(self.selected) if self.selected in ids else -1
        card = cards[(i + step) % len(cards)]
        card.focus()
        card.scroll_visible()
        self.select(card.job_id)

    def action_next_job(self) -> None:
        self._move(1)

    def action_previous_job(self) -> None:
        self._move(-1)

    def action_focus_log(self) -> None:
        if self.selected is not None:
            self.query_one(f"#log-{_safe_id(self.selected)}", LogPane).focus()

    def action_toggle_debug(self) -> None:
        self.show_debug = not self.show_debug
        view = self._view
        if view is None:
            return
        for job_id, job in view.jobs.items():
            pane = self.query_one(f"#log-{_safe_id(job_id)}", LogPane)
            pane.clear()
            pane.discard_pending()
            pane.extend(job.lines_since(0, debug=self.show_debug))
            self._seen[job_id] = job.lines_total
        self.notify("Showing debug lines" if self.show_debug else "Hiding debug lines")

    def action_cancel_job(self) -> None:
        if self.selected is None:
            self.notify("No job selected.", severity="warning")
            return
        self.app.cancel_job(self.selected, key="x")

    def action_cancel_run(self) -> None:
        self.app.action_cancel_run("ctrl+x")

    def action_remote_runs(self) -> None:
        from tui.screens.remote_runs import open_remote_runs

        open_remote_runs(self.app)
