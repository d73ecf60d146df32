"""The headless front end of the pipeline: live progress on stderr (rich bars on a terminal,
plain lines otherwise, both from :mod:`core.summary`), event lines on stdout with ``--json``,
and the run's summary."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from core.config import load_project_config
from core.errors import ExitCode
from core.events import (
    GenerationEvent,
    JobEvent,
    JobStateChanged,
    MatchupEvent,
    PipelineEvent,
    ProgressEvent,
    StartEvent,
    pipeline_event_to_json,
)
from core.paths import Workspace
from core.plan import Plan, RunOptions, build_plan
from core.runner import STOP_SIGNALS, run_pipeline
from core.summary import PlainProgress, generation_text, plan_line, render_run_summary
from tui.backends import make_backend


def plain_output(console: Console) -> bool:
    """Plain lines instead of live bars: not a terminal, or NO_COLOR set."""
    return not console.is_terminal or "NO_COLOR" in os.environ


class Reporter:
    """Turns pipeline events into progress on stderr and, with ``--json``, lines on stdout."""

    def __init__(self, err: Console, json_out: IO[str] | None, plain: bool) -> None:
        self.err = err
        self.json_out = json_out
        self.plain = plain
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.info: dict[str, str] = {}
        self.text = PlainProgress(quiet=not plain)
        if not plain:
            self.progress = Progress(
                TextColumn("{task.description:<28}"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=err,
                transient=False,
            )

    def __enter__(self) -> Reporter:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def line(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    def _task(self, job_id: str) -> TaskID | None:
        if self.progress is None:
            return None
        if job_id not in self.tasks:
            self.tasks[job_id] = self.progress.add_task(job_id, total=None, info="queued")
        return self.tasks[job_id]

    def _update(self, job_id: str, **kw: Any) -> None:
        if "info" in kw and kw.get("keep", True):
            self.info[job_id] = kw["info"]
        kw.pop("keep", None)
        task = self._task(job_id)
        if task is not None and self.progress is not None:
            self.progress.update(task, **kw)

    def handle(self, ev: PipelineEvent) -> None:
        if self.json_out is not None:
            self.json_out.write(pipeline_event_to_json(ev) + "\n")
            self.json_out.flush()
        # The text lines come first: they count the matchups the bars show.
        for text in self.text.lines(ev):
            self.line(text)
        if self.progress is None:
            return
        if isinstance(ev, JobEvent):
            self._bar(ev)
        elif isinstance(ev, JobStateChanged):
            last = self.info.get(ev.job_id)
            if ev.state in ("queued", "running") or not last:
                state_info: str = "starting" if ev.state == "running" else ev.state
            else:
                state_info = f"{ev.state}: {last}"
            self._update(ev.job_id, info=state_info, keep=False)

    def _bar(self, ev: JobEvent) -> None:
        e = ev.event
        jid = ev.job_id
        if isinstance(e, StartEvent):
            self._update(jid, total=e.total or None, completed=0, info=e.unit)
        elif isinstance(e, GenerationEvent):
            info = generation_text(e)
            self._update(jid, total=e.generations or None, completed=e.gen, info=info)
        elif isinstance(e, ProgressEvent):
            n = self.text.matchups.get(jid, 0)
            self._update(
                jid, total=e.total or None, completed=e.done, info=f"{n} matchups, games {e.done}"
            )
        elif isinstance(e, MatchupEvent):
            rate = f" {100 * e.a_win_rate:.0f}%" if e.a_win_rate is not None else ""
            n = self.text.matchups.get(jid, 0)
            self._update(jid, info=f"{n} matchups, last {e.deck_a}-{e.deck_b}{rate}")


# --- entry -------------------------------------------------------------------------------------


def run_headless(
    ws: Workspace,
    options: RunOptions,
    *,
    json_lines: bool = False,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run the pipeline without the TUI; returns the exit code."""
    out = stdout or sys.stdout
    err_console = Console(file=stderr or sys.stderr, stderr=stderr is None, highlight=False)
    project = load_project_config(ws.configs_file)
    plan: Plan = build_plan(project, options, ws)
    backend = make_backend(ws, plan)
    reporter = Reporter(err_console, out if json_lines else None, plain_output(err_console))
    reporter.line(f"ewtui: {plan_line(plan, backend)}")
    for note in plan.notes:
        reporter.line(f"ewtui: note: {note}")
    if backend.name == "local":
        from core.binaries import needs_build

        if needs_build(ws):
            reporter.line(
                "ewtui: building tune and validate (cargo build --release in rust/; "
                "first use or changed Rust sources)"
            )
    try:
        with reporter:
            record = asyncio.run(
                run_pipeline(plan, backend, ws, reporter.handle, stop_on=STOP_SIGNALS)
            )
    except (KeyboardInterrupt, asyncio.CancelledError):
        # Interrupted before the run could save a record (during the build), or a second
        # Ctrl-C stops the loop before the jobs end their children: end them here.
        from core.job_process import kill_children

        kill_children()
        reporter.line("ewtui: interrupted")
        return ExitCode.INTERRUPTED
    summary = render_run_summary(record, project.pricing.currency)
    if json_lines:
        err_console.print(summary, markup=False, highlight=False, soft_wrap=True)
    else:
        print(summary, file=out, flush=True)
    return ExitCode.of_run(record.state)
