"""The headless front end of the pipeline: live progress on stderr (rich bars on a terminal,
plain lines otherwise, both from :mod:`core.summary`), event lines on stdout with ``--json``,
and the run's summary."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
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
        self.queued_at: dict[str, float] = {}
        self.waits: dict[str, float] = {}
        """Seconds each job waited for cores (queued until running)."""
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
            # Not started: its clock starts when the job runs, not while it waits for cores.
            self.tasks[job_id] = self.progress.add_task(
                job_id, total=None, info="queued", start=False
            )
        return self.tasks[job_id]

    def _update(self, job_id: str, **kw: Any) -> None:
        if "info" in kw and kw.get("keep", True):
            self.info[job_id] = kw["info"]
        kw.pop("keep", None)
        task = self._task(job_id)
        if task is not None and self.progress is not None:
            self.progress.update(task, **kw)

    def _timing(self, ev: JobStateChanged) -> None:
        now = time.monotonic()
        if ev.state == "queued":
            self.queued_at[ev.job_id] = now
        elif ev.state == "running" and ev.job_id in self.queued_at:
            self.waits[ev.job_id] = now - self.queued_at.pop(ev.job_id)
            task = self._task(ev.job_id)
            if task is not None and self.progress is not None:
                self.progress.start_task(task)

    @property
    def longest_wait(self) -> float | None:
        return max(self.waits.values()) if self.waits else None

    def handle(self, ev: PipelineEvent) -> None:
        if isinstance(ev, JobStateChanged):
            self._timing(ev)
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


# --- the build ---------------------------------------------------------------------------------


def build_first(ws: Workspace, reporter: Reporter, console: Console) -> float | None:
    """Build the binaries before the run when they need it, showing the elapsed time (a first
    build takes minutes); returns the build's seconds (None: nothing to build, negative:
    interrupted). A failed build is left to the run, which reports it as a failed job."""
    from core.binaries import ensure_binaries, needs_build
    from core.errors import EwtuiError

    if not needs_build(ws):
        return None
    what = "building tune and validate (cargo build --release in rust/)"
    reporter.line(f"ewtui: {what}; first use or changed Rust sources")
    start = time.monotonic()
    done = threading.Event()

    def build() -> None:
        try:
            ensure_binaries(ws)
        except EwtuiError:
            pass  # the run builds again and reports the error in its place
        finally:
            done.set()

    worker = threading.Thread(target=build, name="cargo-build", daemon=True)
    worker.start()
    try:
        if reporter.plain:
            while not done.wait(30):
                reporter.line(f"ewtui: still building ({time.monotonic() - start:.0f} s)")
        else:
            with Progress(
                SpinnerColumn(),
                TextColumn(what),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as bar:
                bar.add_task("build", total=None)
                while not done.wait(0.2):
                    pass
    except KeyboardInterrupt:
        from core.job_process import kill_children

        kill_children()
        reporter.line("ewtui: interrupted during the build")
        return -1.0
    took = time.monotonic() - start
    reporter.line(f"ewtui: built in {took:.0f} s")
    return took


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
    build_s = build_first(ws, reporter, err_console) if backend.name == "local" else None
    if build_s is not None and build_s < 0:
        return ExitCode.INTERRUPTED
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
    summary = render_run_summary(
        record, project.pricing.currency, build_s=build_s, queued_s=reporter.longest_wait
    )
    if json_lines:
        err_console.print(summary, markup=False, highlight=False, soft_wrap=True)
    else:
        print(summary, file=out, flush=True)
    return ExitCode.of_run(record.state)
