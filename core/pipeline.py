"""The pipeline: train -> deploy -> validate -> save, on any backend, recorded in
``experiments/runs/<run_id>.json``."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from core.backend import Backend
from core.config import PIPELINE_OVERHEAD_S, Resources
from core.cost import usage_cost
from core.errors import ConfigError, EwtuiError
from core.events import Emit, PhaseChanged, PipelineEvent, RunFinished, finite_json
from core.fsutil import atomic_write_text, overwrite_in_place, read_text
from core.gate import DeployDecision, Evaluator, decide, rank_key, tune_evaluator
from core.jobs import JobResult, MergeJob, TrainJob, ValidateJob
from core.liveness import HEARTBEAT_S, Writer
from core.paths import Workspace
from core.plan import Plan
from core.record import JobRecord, Phase, PhaseState, RunRecord, ValidationOutcome
from core.validation import parse_report
from core.weights import TARGETS, deploy_many, load_spec, parse_weights

BACKSTOP_GRACE_S = 60.0
"""How long past its timeout a job may take to report back before the pipeline cancels it."""


class Pipeline:
    def __init__(
        self,
        plan: Plan,
        backend: Backend,
        ws: Workspace,
        emit: Emit,
        *,
        evaluator: Evaluator | None = None,
        data_check: Callable[[], None] | None = None,
    ) -> None:
        self.plan = plan
        self.data_check = data_check if data_check is not None else self._default_data_check
        self.evaluator = evaluator if evaluator is not None else tune_evaluator(ws)
        self.backend = backend
        self.ws = ws
        self._emit = emit
        self._tasks: list[asyncio.Task[JobResult]] = []
        self.results: dict[str, JobResult] = {}
        self.specs: dict[str, TrainJob | ValidateJob] = {}
        me = Writer.me()
        self.record = RunRecord(
            run_id=plan.run_id,
            backend=backend.name,
            plan=plan.model_dump(mode="json"),
            started=time.time(),
            estimate=plan.cost_estimate(),
            billed=backend.name != "local",
            pid=me.pid,
            host=me.host,
            pid_start=me.pid_start,
        )

    def emit(self, ev: PipelineEvent) -> None:
        self._emit(ev)

    def _default_data_check(self) -> None:
        """Check data/ with the binaries of this machine when they are built (always for the
        local backend, after its check); otherwise the deck counts alone."""
        from core.binaries import ensure_binaries, needs_build
        from core.datacheck import check_data

        validate = None
        if self.backend.name == "local" or not needs_build(self.ws):
            try:
                validate = ensure_binaries(self.ws).validate
            except EwtuiError:
                validate = None  # no binaries here: the jobs' backend reports its own
        check_data(self.ws, validate)

    # --- phases ---------------------------------------------------------------------------

    def _phase(self, phase: Phase, state: PhaseState, detail: str = "") -> None:
        self._mark_phase(phase, state, detail)
        self.emit(PhaseChanged(phase, state, detail))

    def _mark_phase(self, phase: Phase, state: PhaseState, detail: str = "") -> None:
        """Record a phase's state without announcing it."""
        rec = self.record.phases[phase]
        now = time.time()
        if state == "started":
            rec.started = now
        else:
            rec.finished = now
        rec.state = state
        rec.detail = detail

    def _deadline_s(self, res: Resources, timeout_s: float | None) -> float | None:
        """How long the pipeline waits for a job of this phase before its backstop. On Modal a
        failed or preempted attempt is retried on a fresh container with a fresh timeout, and
        the first jobs wait for the image: every attempt and that overhead must fit."""
        if timeout_s is None or self.plan.options.backend != "modal":
            return timeout_s
        return res.attempts_s(timeout_s) + PIPELINE_OVERHEAD_S

    async def _run_jobs(self, specs: list[TrainJob | ValidateJob], timeout_s: float | None) -> None:
        async def one(spec: TrainJob | ValidateJob) -> JobResult:
            if timeout_s is None:
                return await self.backend.run(spec, self.emit)
            # run_job applies the job's own timeout wherever it runs; this deadline is the
            # backstop for a backend that cannot report back (a lost container).
            task = asyncio.ensure_future(self.backend.run(spec, self.emit))
            done, _ = await asyncio.wait({task}, timeout=timeout_s + BACKSTOP_GRACE_S)
            if task in done:
                return task.result()
            self.backend.cancel(spec.id)
            res = await task
            note = f"timed out after {timeout_s:g} s"
            return res.model_copy(update={"state": "timeout", "error": note})

        for spec in specs:
            self.specs[spec.id] = spec
        self._tasks = [asyncio.create_task(one(s), name=s.id) for s in specs]
        try:
            # asyncio.wait, not gather: cancelling this run must not cancel the job tasks
            # behind their backend's back (a task cancelled while returning loses its result).
            # The backend ends running jobs, and each returns a result.
            if self._tasks:
                await asyncio.wait(self._tasks)
        finally:
            self._collect()

    def _collect(self) -> None:
        for task in self._tasks:
            if not task.done():
                continue
            spec = self.specs[task.get_name()]
            if task.cancelled():
                res = JobResult(
                    job_id=spec.id, kind=spec.kind, state="cancelled", error="cancelled"
                )
            elif task.exception() is not None:
                exc = task.exception()
                res = JobResult(job_id=spec.id, kind=spec.kind, state="failed", error=str(exc))
            else:
                res = task.result()
            self.results[spec.id] = res

    def _end_jobs_phase(self, phase: Phase, kind: str) -> None:
        """A phase of jobs is done unless one failed; jobs the user cancelled are named."""
        results = [r for r in self.results.values() if r.kind == kind]
        failed = [r.job_id for r in results if r.state not in ("ok", "cancelled")]
        cancelled = [r.job_id for r in results if r.state == "cancelled"]
        detail = ", ".join(failed)
        if cancelled:
            detail = "; ".join(x for x in (detail, "cancelled: " + ", ".join(cancelled)) if x)
        self._phase(phase, "failed" if failed else "done", detail)

    def _train_results(self) -> list[tuple[TrainJob, JobResult]]:
        out = []
        for spec in self.specs.values():
            if isinstance(spec, TrainJob) and spec.id in self.results:
                out.append((spec, self.results[spec.id]))
        return out

    def _best_trained(self) -> dict[str, tuple[TrainJob, JobResult]]:
        """Per weights target, the successful training job with the best held-out
        head-to-head (several configs may train the same target, as in a sweep; runs without
        one rank after, by in-training fitness). Weights that break the spec are left out and
        reported once."""
        spec = load_spec(self.ws)
        best: dict[str, tuple[TrainJob, JobResult]] = {}
        for job, res in self._train_results():
            if not res.ok or "weights.toml" not in res.artifacts:
                continue
            try:
                parse_weights(res.artifacts["weights.toml"], spec, f"{job.id}/weights.toml")
            except ConfigError as exc:
                note = f"{job.id}: trained weights refused: {exc}"
                if note not in self.record.errors:
                    self.record.errors.append(note)
                continue
            cur = best.get(job.config.target)
            if cur is None or rank_key(res.summary) > rank_key(cur[1].summary):
                best[job.config.target] = (job, res)
        return best

    async def _train(self) -> None:
        specs: list[TrainJob | ValidateJob] = list(self.plan.train_jobs())
        self._phase("train", "started", f"{len(specs)} jobs")
        train = self.plan.resources.train
        await self._run_jobs(specs, self._deadline_s(train, float(train.timeout_s)))
        self._end_jobs_phase("train", "train")

    async def _gate(self) -> None:
        """The gate's decision for each target this run trained (``core.gate``); the
        re-evaluation it may need runs ``tune`` in a thread, off the event loop."""
        best = self._best_trained()
        force = self.plan.options.force_deploy
        for target, (spec, res) in best.items():
            label = res.outputs.get("weights", f"{spec.id}/weights.toml")
            if not spec.config.deploy:
                decision = DeployDecision(
                    target=target,
                    job=spec.id,
                    source=label,
                    action="keep",
                    passed=False,
                    reason=f"kept the deployed file: deploy = false in config {spec.config.name}",
                )
            else:
                decision = await asyncio.to_thread(
                    decide,
                    self.ws,
                    target,
                    spec.id,
                    label,
                    res.summary,
                    res.artifacts["weights.toml"],
                    force=force,
                    evaluator=self.evaluator,
                )
            if decision.action == "deploy" and not self.plan.options.deploy:
                decision.action = "keep"
                decision.reason = f"not deployed (--no-deploy); the gate {decision.reason}"
            self.record.deploy_decisions.append(decision)
            self.record.deploy_notes.append(decision.note())
        for spec, _ in self._train_results():
            winner = best.get(spec.config.target)
            if winner is not None and winner[0].id != spec.id and spec.config.deploy:
                self.record.deploy_notes.append(
                    f"{spec.config.name}: not deployed, another {spec.config.target} "
                    "config of this run did better (held-out head-to-head)"
                )

    def _chosen(self) -> dict[str, str]:
        """Per target, the trained weights the gate let through (or that were forced)."""
        best = self._best_trained()
        return {
            d.target: best[d.target][1].artifacts["weights.toml"]
            for d in self.record.deploy_decisions
            if (d.passed or d.forced) and d.target in best
        }

    async def _deploy(self) -> None:
        self._phase("deploy", "started")
        await self._gate()
        best = self._best_trained()
        items = [
            (best[t][1].outputs.get("weights", f"{best[t][0].id}/weights.toml"), text, t)
            for t, text in self._chosen().items()
        ]
        exps = {
            t: (best[t][1].outputs.get("experiment_dir", best[t][0].id), "done")
            for t in self._chosen()
        }
        try:
            self.record.deploys = (
                deploy_many(self.ws, items, notes=self.record.deploy_notes, experiments=exps)
                if items
                else []
            )
        except ConfigError as exc:
            self.record.errors.append(f"deploy refused: {exc}")
            self._phase("deploy", "failed", str(exc))
            return
        except OSError as exc:
            self.record.errors.append(f"deploy failed: {exc.filename}: {exc.strerror}")
            self._phase("deploy", "failed", str(exc))
            return
        if any(d.target == "generalist" for d in self.record.deploys):
            await self._update_ladder()
        kept = len(self.record.deploy_decisions) - len(self.record.deploys)
        detail = ", ".join(d.target for d in self.record.deploys) or "nothing"
        self._phase("deploy", "done", detail + (f"; {kept} kept by the gate" if kept else ""))

    async def _update_ladder(self) -> None:
        """Rate the newly deployed generalist on the strength ladder; a problem there is
        reported, never fails the run."""
        from core.ladder import update_after_deploy

        try:
            self.record.ladder = await asyncio.to_thread(update_after_deploy, self.ws)
        except EwtuiError as exc:
            self.record.ladder = f"ladder not updated: {exc}"

    def _validation_weights(self) -> dict[str, str] | None:
        """What is deployed after the gate: the trained weights it let through (written to
        data/weights unless --no-deploy) over the current files. Passed as files even when the
        gate kept every deployed one, so every part of the validation (on any backend) records
        the same weights."""
        chosen = self._chosen()
        files: dict[str, str] = {}
        for target in TARGETS:
            path = self.ws.weights_file(target)
            rel = path.relative_to(self.ws.weights_dir).as_posix()
            if target in chosen:
                files[rel] = chosen[target]
            elif path.is_file():
                files[rel] = read_text(path)
        return files

    async def _validate(self) -> None:
        weights = self._validation_weights() if self.plan.options.trains else None
        specs: list[TrainJob | ValidateJob] = list(self.plan.validate_jobs(weights))
        detail = "sequential" if self.plan.options.sequential else f"{len(specs)} faction pairs"
        self._phase("validate", "started", detail)
        res = self.plan.resources.validation
        await self._run_jobs(specs, self._deadline_s(res, self.plan.validation.timeout_s))
        self._end_jobs_phase("validate", "validate")

    async def _save_validation(self) -> None:
        """The run's report: ``validate merge`` of the parts that finished, run through the
        backend (wherever it runs the binaries), its files written to
        ``experiments/validation/<run_id>/`` with the parts beside them."""
        expected = [s for s in self.specs.values() if isinstance(s, ValidateJob)]
        parts = {
            s.id: res.artifacts["results.json"]
            for s in expected
            if (res := self.results.get(s.id)) is not None
            and res.ok
            and "results.json" in res.artifacts
        }
        if not parts:
            return
        merge = MergeJob(id="merge", run_id=self.plan.run_id, parts=parts)
        # Its events stay out of the run's job list: it is a step of the save, not a job.
        res = await self.backend.run(merge, lambda _ev: None)
        if not res.ok:
            self.record.errors.append(f"validation not merged: {res.error}")
            return
        out_dir = merge.output_dir(self.ws)
        for path, text in zip(merge.part_files(self.ws), parts.values(), strict=True):
            atomic_write_text(path, text)
        # The binary wrote these here already when it ran on this machine; the same bytes.
        for name in ("config.toml", "summary.txt", "results.json"):
            atomic_write_text(out_dir / name, res.artifacts[name])
        report = parse_report(res.artifacts["results.json"], f"{out_dir}/results.json")
        self.record.validation = ValidationOutcome(
            dir=str(out_dir),
            results=str(out_dir / "results.json"),
            verdict=report.verdict,
            games=report.games,
            matchups=len(report.matchups),
            faction_win_rates=report.faction_win_rates(),
            first_seat_win_rate=report.first_seat.win_rate,
            complete=len(parts) == len(expected),
            parts=list(parts),
        )

    def _reserve_run_id(self) -> None:
        """Make the run id unique: two runs started in the same second get ``_2``, ``_3``...
        The record file is created exclusively, so a concurrent run cannot take the same id.
        A directory that cannot hold it (read-only, a file in its place) is a ``ConfigError``."""
        try:
            self._reserve()
            self._write_record()
        except OSError as exc:
            where = exc.filename or self.ws.runs_dir
            raise ConfigError(
                f"{where}: cannot write the run record: {exc.strerror or exc}"
            ) from None

    def _reserve(self) -> None:
        runs = self.ws.runs_dir
        runs.mkdir(parents=True, exist_ok=True)
        base = self.plan.run_id
        run_id, n = base, 2
        while True:
            path = runs / f"{run_id}.json"
            if not (self.ws.validation_dir / run_id).exists():
                try:
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    break
                except FileExistsError:
                    pass
            run_id, n = f"{base}_{n}", n + 1
        if run_id != base:
            self.plan = self.plan.model_copy(update={"run_id": run_id})
            self.record.run_id = run_id
            self.record.plan = self.plan.model_dump(mode="json")
        self.record.path = str(path)

    def _write_record(self) -> None:
        atomic_write_text(
            Path(self.record.path),
            json.dumps(finite_json(self.record.model_dump(mode="json")), indent=2, allow_nan=False),
        )

    def _write_final_record(self) -> None:
        """Write the finished record. On a full disk the atomic write fails: the record is then
        rewritten in place without its job list (it fits the blocks the file already holds), so
        it never stays ``running``; the run is failed either way."""
        try:
            self._write_record()
            return
        except OSError as exc:
            note = f"run record not saved: {exc.filename or self.record.path}: {exc.strerror}"
            self.record.errors.append(note)
            if self.record.state != "interrupted":
                self.record.state = "failed"
            if exc.errno != errno.ENOSPC:
                return
        short = self.record.model_copy(update={"jobs": [], "plan": {}})
        with contextlib.suppress(OSError):
            overwrite_in_place(Path(self.record.path), short.model_dump_json().encode())

    async def _heartbeat(self) -> None:
        """Rewrite the record now and then while the run goes on: a reader on another host
        tells a live run from a dead one by it (``core.liveness``)."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            self.record.heartbeat = time.time()
            with contextlib.suppress(OSError):  # a full disk here fails nothing yet
                self._write_record()

    def _skip_unreached(self, interrupted: bool) -> None:
        """Phases the run never reached are recorded ``skipped``, saying why."""
        why = "run interrupted before it" if interrupted else "not reached"
        for phase, rec in self.record.phases.items():
            if rec.state == "pending":
                self._mark_phase(phase, "skipped", why)  # type: ignore[arg-type]

    async def _save(self, interrupted: bool) -> None:
        self._phase("save", "started")
        try:
            await self._save_validation()
        except EwtuiError as exc:
            self.record.errors.append(f"validation not saved: {exc}")
        rec = self.record
        rec.jobs = [
            JobRecord(
                spec=self.specs[jid].model_dump(mode="json", exclude={"weights"}),
                result=res.model_dump(mode="json", exclude={"artifacts"}),
            )
            for jid, res in self.results.items()
        ]
        core_hours = sum(r.cores * r.duration_s for r in self.results.values()) / 3600.0
        prices = self.plan.resources
        memory = {"train": prices.train.memory_gib, "validate": prices.validation.memory_gib}
        mem_hours = sum(memory.get(r.kind, 0) * r.duration_s for r in self.results.values())
        rec.cost = usage_cost(core_hours, mem_hours / 3600.0, prices)
        # A job the user cancelled is an outcome, not an error: the run ends `ok`, "done (1
        # cancelled)" (RunRecord.label).
        failed = [r for r in self.results.values() if r.state not in ("ok", "cancelled")]
        for res in failed:
            rec.errors.append(f"{res.job_id}: {res.state}: {res.error}")
        rec.finished = time.time()
        rec.duration_s = rec.finished - rec.started
        if interrupted:
            rec.state = "interrupted"
        elif rec.errors or failed:
            rec.state = "failed"
        else:
            rec.state = "ok"
        self._skip_unreached(interrupted)
        # The record on disk must show the save done: mark it before writing, announce it after.
        self._mark_phase("save", "done", rec.path)
        self._write_final_record()
        self.emit(PhaseChanged("save", "done", rec.path))

    # --- entry ----------------------------------------------------------------------------

    async def run(self) -> RunRecord:
        """Run every phase of the plan. Cancelling it (Ctrl-C) ends the running jobs, keeps
        every finished result, saves what there is and returns a record marked
        ``interrupted``."""
        await self.backend.check()
        opts = self.plan.options
        # Bad data is one error before any job starts, not one per job.
        await asyncio.to_thread(self.data_check)
        self._reserve_run_id()
        interrupted = False
        beat = asyncio.create_task(self._heartbeat())
        try:
            if opts.trains:
                await self._train()
            else:
                self._phase("train", "skipped")
            if opts.trains and opts.deploy:
                await self._deploy()
            else:
                if opts.trains:
                    # The gate still decides which trained weights the validation uses.
                    await self._gate()
                why = "no training" if not opts.trains else "--no-deploy"
                self._phase("deploy", "skipped", why)
            if opts.validates:
                await self._validate()
            else:
                self._phase("validate", "skipped")
        except asyncio.CancelledError:
            interrupted = True
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            self.backend.cancel_all()
            pending = [t for t in self._tasks if not t.done()]
            if pending:
                await asyncio.wait(pending)
            self._collect()
            for jid, res in self.results.items():
                if res.state == "cancelled":  # ended by the interrupt, whatever the backend
                    self.results[jid] = res.model_copy(update={"state": "interrupted"})
            for phase, rec in self.record.phases.items():
                if rec.state == "started":
                    self._phase(phase, "interrupted")  # type: ignore[arg-type]
        except (EwtuiError, OSError) as exc:
            # A phase that cannot go on (a file it needs is unreadable): the run fails, saved.
            where = f"{exc.filename}: " if isinstance(exc, OSError) and exc.filename else ""
            text = f"{where}{exc.strerror}" if isinstance(exc, OSError) else str(exc)
            self.record.errors.append(text)
            for phase, rec in self.record.phases.items():
                if rec.state == "started":
                    self._phase(phase, "failed", text)  # type: ignore[arg-type]
        finally:
            beat.cancel()
        await self._save(interrupted)
        self.emit(RunFinished(self.record))
        return self.record
