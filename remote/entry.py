"""What the entrypoints and web endpoints of `remote.app` do, kept free of `modal` so it can be
tested and read on its own.

`run_main` is `modal run remote/app.py::main`: core's runner with the Modal backend that
`remote.app` builds, so the trained weights are deployed here (with a diff and a backup) and the
validation report is saved here in the usual layout, exactly as `ewtui --run` does. Progress is
printed as plain lines.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from core.backend import Backend
from core.config import load_project_config
from core.errors import EwtuiError, ExitCode, UsageError
from core.events import PipelineEvent
from core.fsutil import atomic_write_bytes
from core.heldout import listing_headline
from core.jobs import JobResult
from core.paths import Workspace
from core.plan import Plan, RunOptions, build_plan
from core.runner import run_pipeline
from core.summary import PlainProgress, plan_line, render_run_summary
from remote.names import IMAGE_WORKSPACE


class LinePrinter:
    """Plain progress lines (:class:`core.summary.PlainProgress`) on a stream."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stderr
        self._text = PlainProgress()

    def __call__(self, ev: PipelineEvent) -> None:
        for line in self._text.lines(ev):
            print(line, file=self.out, flush=True)


BackendFactory = Callable[[Workspace, Plan], Backend]
"""Builds the backend of a plan (`remote.app.make_backend` with the app's spawner)."""


async def run_main(
    make_backend: BackendFactory,
    *,
    mode: str = "full",
    single: str | None = None,
    validation_games: int | None = None,
    sequential: bool = False,
    deploy: bool = True,
    force_deploy: bool = False,
    validation_timeout: float | None = None,
    preset: str | None = None,
    ws: Workspace | None = None,
    out: IO[str] | None = None,
) -> int:
    """The full pipeline on Modal from this machine; returns the exit code."""
    printer = LinePrinter(out)
    try:
        ws = ws or Workspace.find()
        project = load_project_config(ws.configs_file)
        options = RunOptions.model_validate(
            {
                "mode": mode,
                "backend": "modal",
                "preset": preset,
                "single": single,
                "validation_games": validation_games,
                "sequential": sequential,
                "deploy": deploy,
                "force_deploy": force_deploy,
                "validation_timeout": validation_timeout,
            }
        )
        plan = build_plan(project, options, ws)
    except EwtuiError as exc:
        print(f"error: {exc}", file=printer.out)
        return exc.exit_code
    except ValueError as exc:  # pydantic's ValidationError: a flag out of range
        lines = str(exc).splitlines()
        where = lines[1] if len(lines) > 1 else ""
        print(f"error: {where}: {lines[-1].strip()}", file=printer.out)
        return ExitCode.USAGE
    try:
        backend = make_backend(ws, plan)
    except EwtuiError as exc:  # a timeout that does not fit, no checkout to build from
        print(f"error: {exc}", file=printer.out)
        return exc.exit_code
    print(plan_line(plan, backend), file=printer.out, flush=True)
    from remote.costs import modal_estimate

    print(modal_estimate(plan).describe(project.pricing.currency), file=printer.out, flush=True)
    record = await run_pipeline(plan, backend, ws, printer)
    currency = project.pricing.currency
    print(render_run_summary(record, currency), file=printer.out, flush=True)
    return ExitCode.of_run(record.state)


def print_listing(rows: list[dict[str, Any]], out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    if not rows:
        print("no experiments on the volume yet", file=out)
        return
    for r in rows:
        if r.get("kind") == "train":
            fit = r.get("best_fitness")
            what = (
                listing_headline(r.get("h2h_score"), r.get("h2h_ci95"), fit)
                if isinstance(fit, int | float)
                else "running"
            )
        else:
            what = f"verdict {r.get('verdict') or '-'}, {r.get('games') or 0:,} games"
        print(f"{r['run_id']}  {r['id']:<40} {r['kind']:<10} {what}", file=out)
    print(f"{len(rows)} experiments; download one with download_latest --name RUN_ID", file=out)


def archive_name(name: str) -> str:
    return f"experiments_modal_{name}.tar.gz"


def write_archive(directory: Path, name: str, data: bytes, out: IO[str] | None = None) -> Path:
    path = directory / archive_name(name)
    atomic_write_bytes(path, data)
    print(f"wrote {path} ({len(data):,} bytes); extract with: tar -xzf {path.name} -C experiments/",
          file=out or sys.stdout)  # fmt: skip
    return path


# --- runs started over HTTP --------------------------------------------------------------------

WEB_OPTIONS = (
    "mode",
    "single",
    "preset",
    "validation_games",
    "sequential",
    "validation_timeout",
    "force_deploy",
)


def web_options(body: dict[str, Any]) -> dict[str, Any]:
    """The run options of a POST body: only known keys, checked now so a bad request fails
    before anything is spawned. Deploying is off: the weights stay on the volume
    (``force_deploy`` makes the validation use the trained weights the gate refused)."""
    unknown = sorted(set(body) - set(WEB_OPTIONS))
    if unknown:
        valid = ", ".join(WEB_OPTIONS)
        raise UsageError(f"unknown option(s) {', '.join(unknown)} (valid: {valid})")
    opts = RunOptions.model_validate({**body, "backend": "modal", "deploy": False})
    return opts.model_dump(mode="json")


def web_request(body: Any, ws: Workspace) -> tuple[dict[str, Any], int]:
    """The run options of a POST body and the timeout of its `pipeline` call, checked as the
    CLI checks its flags, against the data the app was deployed with: known keys, an existing
    preset and config, counts and timeouts within their limits. Raises `UsageError` (or
    `ConfigError`) with the reason in one line."""
    from core.config import ValidationSettings
    from remote.limits import check_plan

    if not isinstance(body, dict):
        raise UsageError("the body must be a JSON object of run options")
    try:
        options = web_options(body)
        plan = build_plan(load_project_config(ws.configs_file), RunOptions(**options), ws)
        # The plan copies the request's values in unchecked; their limits apply here.
        ValidationSettings.model_validate(plan.validation.model_dump())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise UsageError(f"{where}: {first['msg']}") from None
    return options, check_plan(plan)


class _Publishing:
    """A backend that also puts each job's result into the run's event stream."""

    def __init__(self, inner: Backend, publish: Callable[[JobResult], None]) -> None:
        self._inner = inner
        self._publish = publish
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def run(self, spec: Any, emit: Any) -> JobResult:
        result: JobResult = await self._inner.run(spec, emit)
        self._publish(result)
        return result


async def run_in_container(
    options: dict[str, Any],
    run_id: str,
    volume_root: Path,
    make_backend: BackendFactory,
    commit: Callable[[], Awaitable[None]],
    *,
    snapshot: bytes | None = None,
    queue: Any = None,
    about: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A run inside Modal: jobs fan out to the app's functions; the run record, the merged
    validation and the run's event stream go to the volume under experiments/<run_id>/pipeline/
    (and the events to the clients that follow it, through `queue`). With a `snapshot` the run
    uses that data/ (the user's); without, the data baked into the image (HTTP runs)."""
    import tempfile

    from core.fsutil import atomic_write_text
    from core.snapshot import safe_extract
    from remote.runlog import RUN_FILE, RunLog, pipeline_dir

    out_dir = pipeline_dir(volume_root, run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = {"run_id": run_id, "options": options, "started": time.time(), **(about or {})}
    atomic_write_text(out_dir / RUN_FILE, json.dumps({**info, "state": "running"}))
    runlog = RunLog(volume_root, run_id, queue, commit)
    await runlog.start()
    with tempfile.TemporaryDirectory(prefix="ewtui-run-") as tmp:
        base = Path(str(IMAGE_WORKSPACE))
        if snapshot is not None:
            base = Path(tmp)
            safe_extract(snapshot, base / "data")
        ws = Workspace(base, out_dir)
        try:
            project = load_project_config(ws.configs_file)
            plan = build_plan(project, RunOptions.model_validate(options), ws, run_id=run_id)
            backend = _Publishing(make_backend(ws, plan), runlog)
            printer = LinePrinter(sys.stdout)  # the container's log: `modal app logs APP_ID`

            def emit(ev: PipelineEvent) -> None:
                runlog(ev)
                printer(ev)

            record = await run_pipeline(plan, backend, ws, emit)
        finally:
            await runlog.close()
    state = {"ok": "done"}.get(record.state, record.state)
    atomic_write_text(out_dir / RUN_FILE, json.dumps({**info, "state": state}))
    await commit()
    return {"run_id": run_id, "state": record.state, "record": json.loads(record.model_dump_json())}


async def call_status(call: Any) -> dict[str, Any]:
    """`running`, or the finished run's record (or the error that ended it)."""
    try:
        result = await call.get.aio(timeout=0)
    except TimeoutError:
        return {"call_id": call.object_id, "state": "running"}
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        return {"call_id": call.object_id, "state": "error", "error": error}
    return {"call_id": call.object_id, **result}
