"""What a Modal container does for one job, without importing `modal`.

The function bodies in `remote.app` call `run_on_volume` with the real volume; tests call the
same bodies through `.local()` with a temporary directory standing in for it. The job itself is
run by `core.jobs.run_job`, exactly as the local backend runs it; this module only adds what a
container needs around it: the user's data snapshot, a job directory on the volume, resuming
from a checkpoint after a retry, a cap on threads, relaying events and committing the volume.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from core.binaries import Binaries, ensure_binaries
from core.errors import EwtuiError, UsageError
from core.events import CheckpointEvent, JobEvent, LogEvent, PipelineEvent
from core.job_process import run_job
from core.jobs import Job, JobResult, JobSpec, MergeJob, TrainJob, ValidateJob
from core.paths import Workspace
from core.snapshot import safe_extract
from remote.names import TASK_ID_ENV, VOLUME_EXPERIMENTS, VOLUME_MOUNT, VOLUME_ROOT_ENV
from remote.preflight import FIX_VOLUME_FULL, fix_for_timeout, is_volume_full
from remote.relay import PutQueue, QueueRelay

CORES_ENV = "EWTUI_CONTAINER_CORES"
"""Cores of the container a function runs in, set per function by the app."""

CHECKPOINT_COMMIT_EVERY_S = 30.0
"""A checkpoint reaches the volume at most this long after it is written, so a preempted job
loses at most this much work plus one generation."""

TIMEOUT_MARGIN_S = 60.0
"""The job is stopped this long (at most a tenth of the limit) before Modal's own timeout, so its
files are committed and the result says `timeout` instead of the container being killed."""

_SPEC: TypeAdapter[Job] = TypeAdapter(JobSpec)

Commit = Callable[[], Awaitable[None]]


def volume_root() -> Path:
    """Where the experiments volume is: the mount point, or `$EWTUI_VOLUME_ROOT` (tests)."""
    return Path(os.environ.get(VOLUME_ROOT_ENV) or str(VOLUME_MOUNT))


def job_dir(root: Path, run_id: str, job_id: str) -> Path:
    """The experiments directory of one job of one run on the volume."""
    for part, what in ((run_id, "run id"), (job_id, "job id")):
        if not part or "/" in part or part.startswith("."):
            raise UsageError(f"bad {what} `{part}`")
    return root / VOLUME_EXPERIMENTS / run_id / job_id


def container_id() -> str:
    return os.environ.get(TASK_ID_ENV) or f"local-{os.getpid()}"


def container_cores() -> int | None:
    """The physical cores the function reserved (what Modal bills), from the app."""
    raw = os.environ.get(CORES_ENV)
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else None


CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def cgroup_cpu_limit(path: Path = CGROUP_CPU_MAX) -> float | None:
    """The CPU limit of this container's cgroup (v2 `cpu.max`: quota and period), in hardware
    threads; None without a limit or a readable file."""
    try:
        quota, period = path.read_text().split()[:2]
        return int(quota) / int(period) if quota != "max" and int(period) > 0 else None
    except (OSError, ValueError):
        return None


def container_threads(cpu_max: Path = CGROUP_CPU_MAX) -> tuple[int, str]:
    """The hardware threads this container really has, measured (not assumed from the `cpu`
    it reserved): the CPUs it may run on, capped by its cgroup's limit. And how it was found."""
    visible = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    visible = visible or os.cpu_count() or 1
    limit = cgroup_cpu_limit(cpu_max)
    threads = visible if limit is None else max(1, min(visible, int(limit + 1e-9)))
    how = f"{visible} CPUs visible" + (f", cgroup limit {limit:g}" if limit is not None else "")
    return threads, how


def resumable_experiment(root: Path) -> Path | None:
    """The experiment an earlier attempt of this job started under its root, if any: `tune`
    writes `config.toml` first and `checkpoint.json` after every generation, and resumes from
    either."""
    found = [p.parent for p in root.glob("*/config.toml") if p.is_file()]
    if not found:
        return None
    return max(found, key=lambda d: (d / "config.toml").stat().st_mtime_ns)


class ResumedTrainJob(TrainJob):
    """A training job that continues the experiment in `resume` (after a retry or preemption).
    The configuration comes from that directory; `tune` takes only these flags with it."""

    resume: str

    def argv(self, bins: Binaries, ws: Workspace) -> list[str]:
        return [
            str(bins.tune), "--resume", self.resume, "--data", str(ws.data_dir),
            "--threads", str(self.cores), "--events", "jsonl",
        ]  # fmt: skip


async def _save_part_report(
    spec: ValidateJob, job_root: Path, result: JobResult, bins: Binaries
) -> None:
    """Keep a validation job's report on the volume in the layout `list_experiments` reads:
    `validate merge` of the one part writes its results.json, summary.txt and config.toml."""
    text = result.artifacts.get("results.json")
    if not text:
        return
    report = MergeJob(
        id=f"{spec.id}-report", run_id=f"{spec.run_id}_{spec.id}", parts={spec.id: text}
    )
    ws = Workspace(job_root, experiments_dir=job_root)
    done = await run_job(report, ws, bins, lambda _ev: None)
    if not done.ok:
        raise EwtuiError(f"{spec.id}: report not saved on the volume: {done.error}")


def _scratch(run_id: str) -> Path:
    """Where validation jobs write: the same path in every container of a run, because the
    weights directory each part records must match for the parts to merge."""
    return Path(tempfile.gettempdir()) / "ewtui-validate" / run_id


async def run_on_volume(
    job: dict[str, Any],
    snapshot: bytes,
    run_id: str,
    progress: PutQueue | None,
    *,
    commit: Commit,
    reload: Commit,
    modal_timeout_s: float | None = None,
) -> dict[str, Any]:
    """Run one job in this container and return its `JobResult` as plain data."""
    spec = _SPEC.validate_python(job)
    cid = container_id()
    root = job_dir(volume_root(), run_id, spec.id)
    relay = QueueRelay(progress, run_id, spec.id, cid) if progress is not None else None
    last_commit = -CHECKPOINT_COMMIT_EVERY_S
    waiting = False
    commits: set[asyncio.Task[None]] = set()

    # Training writes to local disk, where `tune` keeps its logs open; at each checkpoint the
    # experiment is copied to the volume (every file there closed) and committed, so what a
    # retry finds is a committed checkpoint, whatever happens to this container.
    local_out = (
        Path(tempfile.mkdtemp(prefix="ewtui-train-")) if isinstance(spec, TrainJob) else None
    )

    async def save() -> None:
        if local_out is not None:
            await asyncio.to_thread(mirror, local_out, root)
        await commit()

    async def commit_later(delay: float) -> None:
        nonlocal last_commit, waiting
        await asyncio.sleep(delay)
        waiting = False
        last_commit = time.monotonic()
        try:
            await save()
        except Exception as exc:  # the next checkpoint tries again; the final save must work
            note(f"checkpoint not saved on the volume yet: {type(exc).__name__}: {exc}", "warn")

    def emit(ev: PipelineEvent) -> None:
        nonlocal waiting
        if relay is not None:
            relay.emit(ev)
        # A checkpoint reaches the volume within CHECKPOINT_COMMIT_EVERY_S, so a retry finds it;
        # one commit covers every checkpoint written before it.
        if isinstance(ev, JobEvent) and isinstance(ev.event, CheckpointEvent) and not waiting:
            waiting = True
            delay = max(0.0, last_commit + CHECKPOINT_COMMIT_EVERY_S - time.monotonic())
            task = asyncio.ensure_future(commit_later(delay))
            commits.add(task)
            task.add_done_callback(commits.discard)

    async def stop_checkpoint_commits() -> None:
        # A waiting commit is superseded by the final one; one in flight is let finish.
        for task in list(commits):
            if waiting:
                task.cancel()
        await asyncio.gather(*commits, return_exceptions=True)

    def note(msg: str, level: str = "info") -> None:
        emit(JobEvent(spec.id, cid, LogEvent(level=level, msg=msg, t=time.time())))

    if relay is not None:
        await relay.start()
    try:
        # Another container may have written this job's directory (a preempted attempt).
        await reload()
        root.mkdir(parents=True, exist_ok=True)
        # One thread per hardware thread the container has: a Modal `cpu` is a physical core
        # of two hyperthreads, and the reservation is billed whether they work or not.
        billed = container_cores() or spec.cores
        threads, how = container_threads()
        note(f"container: {threads} threads for {billed} reserved cores ({how})")
        spec = spec.model_copy(update={"cores": threads})
        os.environ["RAYON_NUM_THREADS"] = str(threads)
        if local_out is not None and (prev := resumable_experiment(root)) is not None:
            note(f"resuming {prev.name}, started by an earlier attempt of this job", "warn")
            here = local_out / prev.name
            await asyncio.to_thread(shutil.copytree, prev, here)
            spec = ResumedTrainJob(**spec.model_dump(), resume=str(here))
        with tempfile.TemporaryDirectory(prefix="ewtui-ws-") as tmp:
            # The snapshot holds data/ alone: the binaries come with the image.
            safe_extract(snapshot, Path(tmp) / "data")
            # Training writes to local disk and is copied to the volume at each checkpoint;
            # validation writes to scratch and keeps its report on the volume; a merge writes
            # its report on the volume.
            out_dir = local_out or (_scratch(run_id) if isinstance(spec, ValidateJob) else root)
            ws = Workspace(tmp, experiments_dir=out_dir)
            bins = ensure_binaries(ws)
            limit = None
            if modal_timeout_s:
                limit = modal_timeout_s - min(TIMEOUT_MARGIN_S, modal_timeout_s / 10)
            result = await run_job(spec, ws, bins, emit, container_id=cid, timeout_s=limit)
            result.cores = billed  # what the run record bills: the reserved physical cores
            if result.state == "timeout":
                result.error = fix_for_timeout(spec.id, modal_timeout_s)
            if isinstance(spec, ValidateJob):
                if result.ok:
                    await _save_part_report(spec, root, result, bins)
                # Its text is in the result; scratch only has to hold the shared weights.
                spec.output_file(ws).unlink(missing_ok=True)
        await stop_checkpoint_commits()
        await save()
        if local_out is not None:
            result.outputs = {k: _on_volume(v, local_out, root) for k, v in result.outputs.items()}
    except OSError as exc:
        msg = FIX_VOLUME_FULL if is_volume_full(exc) else f"{type(exc).__name__}: {exc}"
        now = time.time()
        result = JobResult(
            job_id=spec.id, kind=spec.kind, state="failed", error=msg, started=now, finished=now
        )
        result.container_id = cid
    except EwtuiError as exc:
        now = time.time()
        result = JobResult(
            job_id=spec.id, kind=spec.kind, state="failed", error=str(exc), started=now,
            finished=now, container_id=cid,
        )  # fmt: skip
    except asyncio.CancelledError:
        # Cancelled (by the user, or a container being stopped): keep the latest checkpoint on
        # the volume for a later resume, if there is still time.
        await stop_checkpoint_commits()
        with contextlib.suppress(Exception):
            await asyncio.shield(save())
        raise
    finally:
        await stop_checkpoint_commits()
        if relay is not None:
            await relay.close()
        if local_out is not None:
            shutil.rmtree(local_out, ignore_errors=True)
    return result.model_dump(mode="json")


def _on_volume(path: str, local: Path, root: Path) -> str:
    """An output path of a training job as it is on the volume."""
    with contextlib.suppress(ValueError):
        return str(root / Path(path).relative_to(local))
    return path


def mirror(src: Path, dst: Path) -> list[Path]:
    """Copy every new or changed file under ``src`` to ``dst``, each through a temporary file
    renamed into place (a reader never sees half a file, and no file on the volume stays open).
    Temporary files of the binaries (dot names, ``.tmp``) are skipped. Returns what was copied."""
    copied: list[Path] = []
    for f in sorted(src.rglob("*")):
        rel = f.relative_to(src)
        if not f.is_file() or any(p.startswith(".") for p in rel.parts) or f.suffix == ".tmp":
            continue
        target = dst / rel
        st = f.stat()
        with contextlib.suppress(OSError):
            t = target.stat()
            if t.st_size == st.st_size and t.st_mtime_ns == st.st_mtime_ns:
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        shutil.copy2(f, tmp)
        os.replace(tmp, target)
        copied.append(rel)
    return copied


# --- reading the volume ----------------------------------------------------------------------


def _job_roots(root: Path) -> list[tuple[str, str, Path]]:
    base = root / VOLUME_EXPERIMENTS
    out = []
    if base.is_dir():
        for run in sorted(base.iterdir()):
            if run.is_dir() and not run.name.startswith("."):
                for job in sorted(run.iterdir()):
                    if job.is_dir() and not job.name.startswith("."):
                        out.append((run.name, job.name, job))
    return out


def list_volume(root: Path) -> list[dict[str, Any]]:
    """Every training experiment and validation report on the volume, newest first."""
    from core.experiments import ExperimentStore

    rows: list[dict[str, Any]] = []
    for run_id, job_id, path in _job_roots(root):
        store = ExperimentStore(Workspace(path, experiments_dir=path))
        for exp in store.list():
            row = exp.model_dump(mode="json")
            row.update(run_id=run_id, job_id=job_id, path=str(Path(exp.path).relative_to(root)))
            rows.append(row)
    rows.sort(key=lambda r: (r.get("created") or "", r["run_id"], r["id"]), reverse=True)
    return rows


def experiment_dirs(job_root: Path) -> list[Path]:
    """The training experiments and validation reports in one job's directory."""
    out = [
        d
        for d in sorted(job_root.iterdir())
        if d.is_dir() and not d.name.startswith(".") and d.name not in ("validation", "runs")
    ]
    vdir = job_root / "validation"
    if vdir.is_dir():
        out += [d for d in sorted(vdir.iterdir()) if d.is_dir() and not d.name.startswith(".")]
    return out


def resolve_name(root: Path, name: str | None) -> tuple[str, list[Path]]:
    """The directories to download for `name` (a run id or an experiment id; None: the newest
    run, as run ids sort by their start time), and the name the archive is called by."""
    roots = _job_roots(root)
    if not roots:
        raise UsageError("the volume holds no experiments yet")
    if name is None:
        name = max(run for run, _, _ in roots)
    dirs = [
        exp
        for run_id, _, path in roots
        for exp in experiment_dirs(path)
        if run_id == name or exp.name == name
    ]
    if not dirs:
        raise UsageError(f"no run or experiment named `{name}` on the volume")
    return name, dirs


def tar_dirs(dirs: list[Path]) -> bytes:
    """A tar.gz holding each directory under its own name (training experiments at the top,
    validation reports under validation/), ready to extract into `experiments/`."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for d in dirs:
            arc = f"validation/{d.name}" if d.parent.name == "validation" else d.name
            for f in sorted(d.rglob("*")):
                if f.is_file() and not f.is_symlink():
                    tar.add(f, arcname=f"{arc}/{f.relative_to(d).as_posix()}", recursive=False)
    return buf.getvalue()


def trained_weights(root: Path, run_id: str) -> dict[str, dict[str, str]]:
    """The trained weights of a run: per training job, its `weights.toml` and `summary.json`."""
    out: dict[str, dict[str, str]] = {}
    for rid, job_id, path in _job_roots(root):
        if rid != run_id:
            continue
        for exp in sorted(path.iterdir()):
            weights = exp / "weights.toml"
            if weights.is_file():
                files = {"weights.toml": weights.read_text(encoding="utf-8")}
                summary = exp / "summary.json"
                if summary.is_file():
                    files["summary.json"] = summary.read_text(encoding="utf-8")
                    files["experiment"] = json.dumps(exp.name)
                out[job_id] = files
    return out
