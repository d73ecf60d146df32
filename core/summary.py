"""Runs in plain text, the same for every front end (`ewtui --run`, `modal run
remote/app.py::main`, the runs started over HTTP): progress as one line per event worth a line,
and a finished run's record as a summary."""

from __future__ import annotations

from typing import Any

from core.backend import Backend
from core.events import (
    GenerationEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    MatchupEvent,
    PhaseChanged,
    PipelineEvent,
    ProgressEvent,
    RunFinished,
)
from core.heldout import fmt_heldout_fitness, fmt_train_fitness, headline, parse_heldout
from core.jobs import JobResult
from core.plan import Plan
from core.record import RunRecord


class PlainProgress:
    """Turns pipeline events into plain progress lines: phases, job states, one line per
    generation, every tenth of a validation's games, warnings and errors.

    With ``quiet`` (beside live progress bars, which show the rest) only what must not be missed
    gets a line: phases starting, failing or interrupted, failed jobs, warnings and errors."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.matchups: dict[str, int] = {}
        """Finished matchups per validation job."""
        self._tenths: dict[str, int] = {}

    def lines(self, ev: PipelineEvent) -> list[str]:
        line = self._line(ev)
        return [line] if line is not None else []

    def _line(self, ev: PipelineEvent) -> str | None:
        if isinstance(ev, JobEvent):
            return self._job_line(ev)
        if isinstance(ev, JobStateChanged):
            if ev.state == "queued" or (self.quiet and ev.state not in ("failed", "timeout")):
                return None
            tail = f": {ev.detail}" if ev.detail and ev.state not in ("ok", "running") else ""
            return f"[{ev.job_id}] {ev.state}{tail}"
        if isinstance(ev, PhaseChanged):
            if self.quiet and ev.state not in ("started", "failed", "interrupted"):
                return None
            return f"== {ev.phase}: {ev.state}" + (f" ({ev.detail})" if ev.detail else "")
        if isinstance(ev, RunFinished) and not self.quiet:
            return f"== run {ev.record.run_id}: {ev.record.state} ({ev.record.path})"
        return None

    def _job_line(self, ev: JobEvent) -> str | None:
        e, jid = ev.event, ev.job_id
        tag = f"[{jid}@{ev.container_id}]" if ev.container_id else f"[{jid}]"
        if isinstance(e, MatchupEvent):
            self.matchups[jid] = self.matchups.get(jid, 0) + 1
            return None
        if isinstance(e, LogEvent):
            return f"{tag} {e.level}: {e.msg}" if e.level in ("warn", "error") else None
        if self.quiet:
            return None
        if isinstance(e, GenerationEvent):
            line = generation_text(e)
            if line and e.best_win_rate is not None:
                line += f" win rate {e.best_win_rate:.3f}"
            return f"{tag} {line}" if line else None
        if isinstance(e, ProgressEvent) and e.total:
            pct = (100 * e.done) // e.total
            if pct // 10 <= self._tenths.get(jid, -1):
                return None
            self._tenths[jid] = pct // 10
            n = self.matchups.get(jid, 0)
            return f"{tag} games {e.done}/{e.total} ({pct}%), {n} matchups done"
        return None


def generation_text(e: GenerationEvent) -> str:
    """A training generation in a few words: ``gen 3/20 in-training best 0.512`` (the best
    in-training fitness so far: noisy, not the held-out result)."""
    best = e.best_fitness_ever if e.best_fitness_ever is not None else e.best_fitness
    return f"gen {e.gen}/{e.generations} in-training best {best:.3f}" if best is not None else ""


def plan_line(plan: Plan, backend: Backend) -> str:
    """What a run is about to do, in one line: its jobs, where, how many games, the estimate."""
    return (
        f"run {plan.run_id}: {plan.options.mode}, preset {plan.preset}, "
        f"{len(plan.train_jobs())} training and {len(plan.validate_jobs())} validation jobs on "
        f"{backend.name} ({backend.capacity_cores} cores), about {plan.total_games():,} games, "
        f"estimated {plan.cost_estimate().describe(plan.pricing.currency)}"
    )


# --- the summary of a finished run -------------------------------------------------------------


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


MIN_GAMES_TO_JUDGE = 100
"""Games per seat order below which a validation cannot judge balance: at 100 a matchup's 95%
interval is still about +-7 points wide; the standard preset plays 500."""

TOP_REASONS = 3
"""Warnings of a validation shown with its verdict (all of them are in its summary.txt)."""


def run_label(record: RunRecord) -> str:
    """The run's outcome in words: the record's own wording (``done (1 cancelled)``...)."""
    return record.label()


def balance_caveat(games_per_seat_order: int | None) -> str | None:
    """Why a verdict cannot be trusted, when the run played too few games to judge balance."""
    if games_per_seat_order is None or games_per_seat_order >= MIN_GAMES_TO_JUDGE:
        return None
    return (
        f"too few games to judge balance: {games_per_seat_order} per seat order"
        f" (at least {MIN_GAMES_TO_JUDGE}; the standard preset plays 500), so the verdict is"
        " only indicative"
    )


def deploy_lines(record: RunRecord, changes: int = 6) -> list[str]:
    """What the run's deploy replaced: per file its source, the changes (the largest by name)
    and the backup, then the command that undoes it."""
    if not record.deploys:
        return []
    out = ["Deployed weights:"]
    for d in record.deploys:
        backup = f" (previous kept in {d.backup})" if d.backup else " (new file)"
        source = d.experiment or d.source
        state = d.experiment_state
        out.append(f"  {d.target}: {d.path}{backup}")
        out.append(f"    from {source}" + (f" ({state})" if state else ""))
        changed = sorted((x for x in d.deltas if x.delta != 0), key=lambda x: -abs(x.pct or 0.0))
        large = sum(1 for x in changed if x.large)
        out.append(f"    {len(changed)} of {len(d.deltas)} weights changed, {large} large")
        for x in changed[:changes]:
            pct = f" ({x.pct:+.1f}%)" if x.pct is not None else ""
            mark = "  large" if x.large else ""
            out.append(f"    {x.name:<24} {x.old:>10.4g} -> {x.new:<10.4g}{pct}{mark}")
        if len(changed) > changes:
            out.append(f"    ... {len(changed) - changes} more changed weights")
    if any(d.backup for d in record.deploys):
        out.append("  undo: ewtui weights rollback")
    return out


def validation_reasons(results: str, top: int = TOP_REASONS) -> list[str]:
    """The first warnings of a validation report (its own order: the strongest first)."""
    from pathlib import Path

    from core.errors import EwtuiError
    from core.validation import load_report

    try:
        report = load_report(Path(results))
    except (EwtuiError, OSError):
        return []
    return [w.message for w in report.warnings[:top]]


def durations_line(
    record: RunRecord, build_s: float | None = None, queued_s: float | None = None
) -> str | None:
    """Where the run's time went: the build, jobs waiting for cores, jobs running (from the
    first job's start to the last one's end)."""
    from core.cost import fmt_duration

    results = [r for r in record.results() if r.started and r.finished]
    parts = []
    if build_s is not None:
        parts.append(f"build {fmt_duration(build_s)}")
    if queued_s is not None:
        parts.append(f"queued {fmt_duration(queued_s)} (longest wait for cores)")
    if results:
        running = max(r.finished for r in results) - min(r.started for r in results)
        parts.append(f"running {fmt_duration(running)}")
    return ("Time: " + ", ".join(parts)) if parts else None


def estimate_line(record: RunRecord) -> str:
    """The plan's estimate against what the run measured (``core.cost.estimate_vs_actual``):
    the CPU time its jobs' binaries reported, and its wall clock."""
    from core.cost import estimate_vs_actual, measured_cpu_s

    cpu_s = measured_cpu_s(r.summary for r in record.results())
    return estimate_vs_actual(
        record.estimate, cpu_s, record.duration_s, complete=record.ran_in_full
    )


def render_run_summary(
    record: RunRecord,
    currency: str = "USD",
    *,
    build_s: float | None = None,
    queued_s: float | None = None,
) -> str:
    """The summary printed when a run ends: jobs, validation, deploys, cost. `build_s` and
    `queued_s` (measured by the front end) split the time into build, queued and running."""
    from core.cost import fmt_duration

    out: list[str] = []
    dur = fmt_duration(record.duration_s) if record.duration_s is not None else "-"
    out.append(
        f"Run {record.run_id}: {run_label(record).upper()} ({record.backend} backend, {dur})"
    )
    timing = durations_line(record, build_s, queued_s)
    if timing:
        out.append(timing)
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
        games = record.plan.get("validation", {}).get("games")
        caveat = balance_caveat(games if isinstance(games, int) else None)
        if caveat:
            out.append(f"  warning: {caveat}")
        reasons = validation_reasons(v.results) if v.verdict != "balanced" else []
        for reason in reasons:
            out.append(f"  because: {reason}")
        rates = "  ".join(f"{f} {_fmt_rate(r)}" for f, r in v.faction_win_rates.items())
        out.append(f"  faction win rates: {rates}")
        if v.first_seat_win_rate is not None:
            out.append(f"  first seat: {_fmt_rate(v.first_seat_win_rate)}")
        out.append(f"  every warning and matchup: {v.dir}/summary.txt")
    out.extend(gate_lines(record))
    deployed = deploy_lines(record)
    if deployed:
        out.append("")
        out.extend(deployed)
    if record.ladder:
        out.append(f"Strength ladder: {record.ladder}")
    cost = record.cost
    if cost is not None:
        out.append("")
        billed = (
            ""
            if record.billed
            else " (local run: not billed; Modal's prices for the jobs' own use, without the"
            " containers' start and scaledown the plan's estimate counts)"
        )
        out.append(f"Estimated cost: {cost.describe(currency)}{billed}")
        out.append(f"Estimate: {estimate_line(record)}")
    if record.errors:
        out.append("")
        out.append("Errors:")
        out.extend(f"  {e}" for e in record.errors)
    out.append(f"Run record: {record.path}")
    return "\n".join(out)
