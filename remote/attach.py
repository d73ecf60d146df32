"""`ewtui attach RUN_ID` and `ewtui runs --backend modal`: following, collecting, cancelling and
listing detached runs on Modal, from any machine.

`attach` follows a run (its events from the first, then live) until it ends, then the local
pipeline deploys its trained weights here through the deploy gate with a diff and a backup,
and saves the validation report and the run record, as for a local run. A run is collected once
per workspace: when a record of this workspace already holds the run's deploy phase done,
`attach` says so and deploys nothing (a deploy of identical weights would be a no-op anyway).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import IO, Any

from core.config import load_project_config
from core.errors import ExitCode, UsageError
from core.paths import Workspace
from core.plan import RunOptions, build_plan
from core.record import RunRecord
from core.runner import run_pipeline
from core.summary import render_run_summary
from remote.entry import LinePrinter


def collected_record(ws: Workspace, run_id: str) -> Path | None:
    """A record of this workspace that already deployed (or decided about) this run's weights."""
    runs = ws.runs_dir
    if not runs.is_dir():
        return None
    for path in sorted(runs.glob(f"{run_id}*.json")):
        if path.stem != run_id and not path.stem.startswith(f"{run_id}_"):
            continue
        try:
            rec = RunRecord.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        # A client that detached left its record interrupted: that run is not collected yet.
        deploy = rec.phases.get("deploy")
        ended = rec.effective_state() in ("done", "failed")
        if ended and deploy is not None and deploy.state in ("done", "skipped"):
            return path
    return None


async def _attach(ws: Workspace, run_id: str, *, cancel: bool, deploy: bool, out: IO[str]) -> int:
    from remote.app import attach_backend

    backend = attach_backend(run_id)
    source: Any = backend.source
    if cancel:
        await backend.cancel_remote()
        print(f"cancelled run {run_id} on Modal", file=out)
        return ExitCode.OK
    info = await source.info()
    if info is None:
        raise UsageError(
            f"no run {run_id} on the Modal volume (`ewtui runs --backend modal` lists them)"
        )
    if (done := collected_record(ws, run_id)) is not None:
        print(f"run {run_id} was already collected here: {done}", file=out)
        return ExitCode.OK
    project = load_project_config(ws.configs_file)
    options = RunOptions.model_validate({**info.get("options", {}), "deploy": deploy})
    plan = build_plan(project, options, ws, run_id=run_id)
    printer = LinePrinter(out)
    print(f"attached to run {run_id} on Modal; Ctrl-C detaches (the run goes on)", file=out)
    record = await run_pipeline(plan, backend, ws, printer)
    print(render_run_summary(record, project.pricing.currency), file=out, flush=True)
    return ExitCode.of_run(record.state)


def attach_main(
    ws: Workspace,
    run_id: str,
    *,
    cancel: bool = False,
    deploy: bool = True,
    out: IO[str] | None = None,
) -> int:
    return asyncio.run(_attach(ws, run_id, cancel=cancel, deploy=deploy, out=out or sys.stderr))


def runs_main(*, as_json: bool = False, out: IO[str] | None = None) -> int:
    """The detached runs on the Modal volume, newest first, with their state."""
    from remote.app import volume_runs

    out = out or sys.stdout
    rows = asyncio.run(volume_runs())
    if as_json:
        print(json.dumps(rows), file=out)
        return ExitCode.OK
    if not rows:
        print("no runs on the Modal volume yet", file=out)
        return ExitCode.OK
    for r in rows:
        opts = r.get("options") or {}
        what = f"{opts.get('mode', 'full')}, preset {opts.get('preset') or 'default'}"
        print(f"{r.get('run_id')}  {r.get('state', '?'):<12} {what}  app {r.get('app_id') or '-'}",
              file=out)  # fmt: skip
    print(f"{len(rows)} runs; follow one with: ewtui attach RUN_ID", file=out)
    return ExitCode.OK
