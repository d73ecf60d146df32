"""The one function that runs a job: start its binary, turn its stdout lines into events and
its stderr lines into ``log`` events, and collect its outputs. The local backend and the Modal
containers both call :func:`run_job`."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path, PurePosixPath
from typing import Any

from core.binaries import Binaries
from core.errors import ConfigError
from core.events import (
    DoneEvent,
    Emit,
    ErrorEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    StartEvent,
    parse_event_line,
)
from core.experiments import RUN_MARKER
from core.fsutil import atomic_write_text
from core.jobs import Job, JobResult, JobState, MergeJob, TrainJob, ValidateJob, cancel_state
from core.liveness import Writer
from core.paths import Workspace
from core.textclean import clean_line

TERMINATE_GRACE_S = 3.0
"""How long a child gets to exit after SIGTERM before it is killed."""

LINE_LIMIT = 16 * 1024 * 1024
"""The longest line read from a child; a longer one is skipped (and said so), the job goes on."""

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a function run in the child before exec that makes the kernel SIGKILL it when
    ewtui dies, even by SIGKILL: a child must never outlive the run that started it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return in_child


async def read_lines(stream: asyncio.StreamReader, limit: int) -> AsyncIterator[bytes | None]:
    """The lines of ``stream``; ``None`` in place of a line longer than ``limit`` bytes, which is
    read and dropped, so a child writing one never blocks on a full pipe."""
    skipping = False
    while True:
        try:
            line = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial and not skipping:
                yield exc.partial
            return
        except asyncio.LimitOverrunError as exc:
            await stream.readexactly(exc.consumed)
            if not skipping:
                skipping = True
                yield None
            continue
        if skipping:
            skipping = False  # the tail of the long line
            continue
        yield line


_LIVE_GROUPS: set[int] = set()
"""Process groups of the children still running, for :func:`kill_children`."""


def kill_children() -> None:
    """SIGKILL every child process group still running: the last resort when the event loop
    is torn down before the jobs could end their children (a second Ctrl-C)."""
    for pgid in list(_LIVE_GROUPS):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        _LIVE_GROUPS.discard(pgid)


_ARTIFACTS: dict[str, dict[str, str]] = {
    "train": {"weights": "weights.toml", "summary": "summary.json"},
    "validate": {"results": "results.json"},
    "merge": {"results": "results.json", "summary_txt": "summary.txt", "config": "config.toml"},
}


def _write_weights(job: ValidateJob, ws: Workspace) -> None:
    wd = job.weights_dir(ws)
    if wd is None or job.weights is None:
        return
    for rel, text in job.weights.items():
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts:
            raise ConfigError(f"validate job {job.id}: weights path `{rel}` leaves its directory")
        atomic_write_text(wd / p, text)


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM to the child's process group, then SIGKILL after a grace period."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


def _write_parts(job: MergeJob, ws: Workspace) -> None:
    for name, path in zip(job.parts, job.part_files(ws), strict=True):
        if not name or "/" in name or name.startswith("."):
            raise ConfigError(f"merge job {job.id}: part name `{name}` is not a plain file name")
        atomic_write_text(path, job.parts[name])


def _write_marker(path: Path, fields: dict[str, Any]) -> None:
    # A marker that cannot be written (a read-only tree) costs only the experiment's run id.
    with contextlib.suppress(OSError):
        atomic_write_text(path, json.dumps(fields, indent=2))


async def run_job(
    spec: Job,
    ws: Workspace,
    bins: Binaries,
    emit: Emit,
    *,
    container_id: str | None = None,
    timeout_s: float | None = None,
) -> JobResult:
    """Run one job to its end and return its result; it never raises for a failing job.
    Cancelling the task running it terminates the child and returns a ``cancelled`` result."""
    if timeout_s is None and isinstance(spec, ValidateJob | TrainJob):
        timeout_s = spec.timeout_s
    started = time.time()
    result = JobResult(
        job_id=spec.id,
        kind=spec.kind,
        state="failed",
        started=started,
        container_id=container_id,
        cores=spec.cores,
    )
    done: DoneEvent | None = None
    error: ErrorEvent | None = None
    stderr_tail: deque[str] = deque(maxlen=5)
    marker: dict[str, Any] | None = None
    marker_path: Path | None = None

    def send(ev: Any) -> None:
        emit(JobEvent(spec.id, container_id, ev))

    def too_long(stream: str) -> None:
        note = f"{stream}: a line over {LINE_LIMIT} bytes was skipped"
        send(LogEvent(level="warn", msg=note, t=time.time(), stream=stream))

    def mark_running(exp_dir: object) -> None:
        nonlocal marker, marker_path
        if not isinstance(spec, TrainJob) or not isinstance(exp_dir, str) or marker is not None:
            return
        me = Writer.me()
        marker_path = Path(exp_dir) / RUN_MARKER
        marker = {
            "run_id": spec.run_id,
            "job_id": spec.id,
            "state": "running",
            "pid": me.pid,
            "host": me.host,
            "pid_start": me.pid_start,
            "started": started,
        }
        _write_marker(marker_path, marker)

    async def read_stdout(stream: asyncio.StreamReader) -> None:
        nonlocal done, error
        async for line in read_lines(stream, LINE_LIMIT):
            if line is None:
                too_long("stdout")
                continue
            ev = parse_event_line(line)
            if ev is None:
                continue
            if isinstance(ev, LogEvent | ErrorEvent):
                ev.msg = clean_line(ev.msg)
            if isinstance(ev, DoneEvent):
                done = ev
                mark_running(ev.outputs.get("experiment_dir"))
            elif isinstance(ev, ErrorEvent):
                error = ev
            elif isinstance(ev, StartEvent):
                mark_running(ev.config.get("experiment_dir"))
            send(ev)

    async def read_stderr(stream: asyncio.StreamReader) -> None:
        async for line in read_lines(stream, LINE_LIMIT):
            if line is None:
                too_long("stderr")
                continue
            text = clean_line(line.decode("utf-8", "replace").rstrip())
            if text:
                stderr_tail.append(text)
                # The binaries mirror their human log into `log` events on stdout, so the
                # stderr copy goes out at debug level, marked with its stream.
                send(LogEvent(level="debug", msg=text, t=time.time(), stream="stderr"))

    try:
        if isinstance(spec, ValidateJob):
            _write_weights(spec, ws)
            spec.output_file(ws).parent.mkdir(parents=True, exist_ok=True)
        elif isinstance(spec, MergeJob):
            _write_parts(spec, ws)
        argv = spec.argv(bins, ws)
    except (OSError, ConfigError) as exc:
        result.error = str(exc)
        result.finished = time.time()
        emit(JobStateChanged(spec.id, "failed", result.error))
        return result

    emit(JobStateChanged(spec.id, "running", " ".join(argv[1:])))
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ws.root,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
            # Its own process group: a Ctrl-C reaches ewtui alone, which then ends the children.
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
    except OSError as exc:
        result.error = f"cannot start {argv[0]}: {exc.strerror or exc}"
        result.finished = time.time()
        emit(JobStateChanged(spec.id, "failed", result.error))
        return result

    assert proc.stdout is not None and proc.stderr is not None
    _LIVE_GROUPS.add(proc.pid)
    state: JobState
    try:
        async with asyncio.timeout(timeout_s):
            await asyncio.gather(read_stdout(proc.stdout), read_stderr(proc.stderr))
            rc = await proc.wait()
        result.exit_code = rc
        state = "ok" if rc == 0 else "failed"
        if rc < 0:
            result.error = f"killed by {signal.Signals(-rc).name}"
    except TimeoutError:
        state = "timeout"
        await _terminate(proc)
        result.exit_code = proc.returncode
        result.error = f"timed out after {timeout_s:g} s"
    except asyncio.CancelledError as exc:
        state = cancel_state(exc)
        await asyncio.shield(_terminate(proc))
        result.exit_code = proc.returncode
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()

    finally:
        if proc.returncode is not None:
            _LIVE_GROUPS.discard(proc.pid)

    if done is not None:
        result.summary = done.summary
        result.outputs = {k: str(v) for k, v in done.outputs.items()}
    if state == "ok":
        missing = _collect_artifacts(spec, ws, result)
        if missing:
            state = "failed"
            result.error = f"finished without its output {missing}"
    if state == "failed" and result.error is None:
        if error is not None:
            result.error = error.msg
        elif stderr_tail:
            result.error = stderr_tail[-1]
        else:
            result.error = f"exit code {result.exit_code}"
    if state in ("cancelled", "interrupted") and result.error is None:
        result.error = state
    result.state = state
    result.finished = time.time()
    if marker is not None and marker_path is not None:
        _write_marker(marker_path, {**marker, "state": state, "finished": result.finished})
    emit(JobStateChanged(spec.id, state, result.error or ""))
    return result


def _collect_artifacts(spec: Job, ws: Workspace, result: JobResult) -> str | None:
    """Read the job's small outputs into ``result.artifacts``; the name of a missing one."""
    for key, name in _ARTIFACTS[spec.kind].items():
        path_str = result.outputs.get(key)
        if path_str is None and isinstance(spec, ValidateJob):
            path_str = str(spec.output_file(ws))
        if path_str is None:
            return name
        path = Path(path_str)
        if not path.is_absolute():
            path = ws.root / path
        try:
            result.artifacts[name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return name
    return None
