"""The headless front end of the pipeline: live progress on stderr (rich bars on a terminal,
plain lines otherwise), event lines on stdout with ``--json``, and a final summary."""

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
    DoneEvent,
    GenerationEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    MatchupEvent,
    PhaseChanged,
    PipelineEvent,
    ProgressEvent,
    RunFinished,
    StartEvent,
    pipeline_event_to_json,
)
from core.heldout import fmt_heldout_fitness, fmt_train_fitness, headline, parse_heldout
from core.jobs import JobResult
from core.paths import Workspace
from core.plan import Plan, RunOptions, build_plan
from core.record import RunRecord
from core.runner import run_pipeline
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
        self.matchups: dict[str, int] = {}
        self._last_pct: dict[str, int] = {}
        self.info: dict[str, str] = {}
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
        if isinstance(ev, JobEvent):
            self._job_event(ev)
        elif isinstance(ev, JobStateChanged):
            last = self.info.get(ev.job_id)
            if ev.state in ("queued", "running") or not last:
                state_info: str = "starting" if ev.state == "running" else ev.state
            else:
                state_info = f"{ev.state}: {last}"
            self._update(ev.job_id, info=state_info, keep=False)
            if self.plain or ev.state in ("failed", "timeout"):
                if ev.state == "running":
                    self.line(f"[{ev.job_id}] running")
                elif ev.state != "queued":
                    tail = f": {ev.detail}" if ev.detail and ev.state != "ok" else ""
                    self.line(f"[{ev.job_id}] {ev.state}{tail}")
        elif isinstance(ev, PhaseChanged):
            if ev.state in ("started", "failed", "interrupted") or (
                ev.state == "skipped" and self.plain
            ):
                detail = f" ({ev.detail})" if ev.detail else ""
                self.line(f"== {ev.phase}: {ev.state}{detail}")
        elif isinstance(ev, RunFinished):
            pass

    def _job_event(self, ev: JobEvent) -> None:
        e = ev.event
        jid = ev.job_id
        if isinstance(e, StartEvent):
            self._update(jid, total=e.total or None, completed=0, info=e.unit)
        elif isinstance(e, GenerationEvent):
            best = e.best_fitness_ever if e.best_fitness_ever is not None else e.best_fitness
            info = (
                f"gen {e.gen}/{e.generations} in-training best {best:.3f}"
                if best is not None
                else ""
            )
            self._update(jid, total=e.generations or None, completed=e.gen, info=info)
            if self.plain:
                wr = e.best_win_rate
                extra = f" win rate {wr:.3f}" if wr is not None else ""
                self.line(f"[{jid}] {info}{extra}")
        elif isinstance(e, ProgressEvent):
            n = self.matchups.get(jid, 0)
            self._update(
                jid, total=e.total or None, completed=e.done, info=f"{n} matchups, games {e.done}"
            )
            if self.plain and e.total:
                pct = (100 * e.done) // e.total
                if pct // 10 > self._last_pct.get(jid, -1):
                    self._last_pct[jid] = pct // 10
                    self.line(f"[{jid}] games {e.done}/{e.total} ({pct}%), {n} matchups done")
        elif isinstance(e, MatchupEvent):
            self.matchups[jid] = self.matchups.get(jid, 0) + 1
            if self.progress is not None:
                rate = f" {100 * e.a_win_rate:.0f}%" if e.a_win_rate is not None else ""
                self._update(
                    jid,
                    info=f"{self.matchups[jid]} matchups, last {e.deck_a}-{e.deck_b}{rate}",
                )
        elif isinstance(e, DoneEvent):
            pass  # the job's state change follows and says it
        elif isinstance(e, LogEvent) and e.level in ("warn", "error"):
            self.line(f"[{jid}] {e.level}: {e.msg}")


# --- the final summary -------------------------------------------------------------------------


def _fmt_rate(x: Any) -> str:
    return f"{100 * x:.1f}%" if isinstance(x, int | float) else "-"


def training_lines(train: list[JobResult]) -> list[str]:
    """Per training job: its headline (the held-out head-to-head) and, below, the held-out
    fitness and the noisy in-training value, each named for what it is."""
    if not train:
        return []
    out = ["", f"  {'training job':<26} {'state':<10} {'time':>8}  result (held-out)"]
    for r in train:
        s = r.summary
        head = headline(s) if r.ok else (r.error or "")
        out.append(f"  {r.job_id:<26} {r.state:<10} {r.duration_s:>7.1f}s  {head}")
        h = parse_heldout(s)
        if h is not None:
            wr = h.win_rates
            rates = "/".join(_fmt_rate(wr.get(k)) for k in ("random", "greedy", "mcts"))
            out.append(f"      {fmt_heldout_fitness(h)}; win rate rnd/grd/mcts {rates}")
            out.append(f"      {fmt_train_fitness(s.get('best_fitness'))}")
    return out


def gate_lines(record: RunRecord) -> list[str]:
    """The deploy gate's one line per target (and the other notes of the deploy phase)."""
    if not record.deploy_notes:
        return []
    return ["", "Deploy gate:", *(f"  {note}" for note in record.deploy_notes)]


def render_run_summary(record: RunRecord, currency: str = "USD") -> str:
    """The summary printed when a run ends: jobs, validation, deploys, cost."""
    out: list[str] = []
    dur = f"{record.duration_s:.1f} s" if record.duration_s is not None else "-"
    out.append(f"Run {record.run_id}: {record.state.upper()} ({record.backend} backend, {dur})")
    results = record.results()
    out.extend(training_lines([r for r in results if r.kind == "train"]))
    val = [r for r in results if r.kind == "validate"]
    if val:
        out.append("")
        out.append(f"  {'validation job':<26} {'state':<10} {'games':>8}  {'':<22} {'time':>8}")
        for r in val:
            games = r.summary.get("games", "-")
            out.append(
                f"  {r.job_id:<26} {r.state:<10} {games!s:>8}  {'':<22} {r.duration_s:>7.1f}s"
            )
    v = record.validation
    if v is not None:
        out.append("")
        part = "" if v.complete else " (partial: some faction pairs failed)"
        out.append(f"Validation: verdict {v.verdict.upper()}{part}, {v.games} games, {v.dir}")
        rates = "  ".join(f"{f} {_fmt_rate(r)}" for f, r in v.faction_win_rates.items())
        out.append(f"  faction win rates: {rates}")
        if v.first_seat_win_rate is not None:
            out.append(f"  first seat: {_fmt_rate(v.first_seat_win_rate)}")
    out.extend(gate_lines(record))
    if record.deploys:
        out.append("")
        out.append("Deployed weights:")
        for d in record.deploys:
            backup = f" (previous kept in {d.backup})" if d.backup else " (new file)"
            out.append(f"  {d.target}: {d.path}{backup}")
            changed = sorted(
                (x for x in d.deltas if x.delta != 0), key=lambda x: -abs(x.pct or 0.0)
            )
            for x in changed[:6]:
                pct = f" ({x.pct:+.1f}%)" if x.pct is not None else ""
                mark = "  large" if x.large else ""
                out.append(f"    {x.name:<24} {x.old:>10.4g} -> {x.new:<10.4g}{pct}{mark}")
            if len(changed) > 6:
                out.append(f"    ... {len(changed) - 6} more changed weights")
    if record.ladder:
        out.append(f"Strength ladder: {record.ladder}")
    cost = record.cost
    if cost is not None:
        out.append("")
        billed = "" if record.billed else " (local run: not billed; the Modal price for reference)"
        out.append(f"Estimated cost: {cost.describe(currency)}{billed}")
    if record.errors:
        out.append("")
        out.append("Errors:")
        out.extend(f"  {e}" for e in record.errors)
    out.append(f"Run record: {record.path}")
    return "\n".join(out)


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
    reporter.line(
        f"ewtui: run {plan.run_id}: {options.mode}, preset {plan.preset}, "
        f"{len(plan.train_jobs())} training and {len(plan.validate_jobs())} validation jobs on "
        f"{backend.name} ({backend.capacity_cores} cores), about {plan.total_games():,} games"
    )
    if backend.name == "local":
        from core.binaries import needs_build

        if needs_build(ws):
            reporter.line(
                "ewtui: building tune and validate (cargo build --release in rust/; "
                "first use or changed Rust sources)"
            )
    try:
        with reporter:
            record = asyncio.run(run_pipeline(plan, backend, ws, reporter.handle))
    except KeyboardInterrupt:
        # A second Ctrl-C stops the loop before the jobs end their children: end them here.
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
