"""`ewtui attach RUN_ID` and `ewtui runs --backend modal`: following, collecting, cancelling and
listing detached runs on Modal, from any machine.

`attach` follows a run (its events from the first, then live) until it ends, then the local
pipeline deploys its trained weights here through the deploy gate with a diff and a backup,
and saves the validation report and the run record, as for a local run. A run is collected once
per workspace: when a record of this workspace already holds the run's deploy phase done,
`attach` says so and deploys nothing (a deploy of identical weights would be a no-op anyway).

`RemoteRuns` is the same for the control center: its *Runs on Modal* list and the Monitor that
follows a run go through `attach_plan`, so both front ends follow, refuse and deploy alike.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core.config import load_project_config
from core.errors import ExitCode, UsageError
from core.paths import Workspace
from core.plan import Plan, RunOptions, build_plan
from core.record import RunRecord
from core.runner import run_pipeline
from core.summary import render_run_summary
from remote.detached import DetachedBackend
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


class AlreadyCollected(UsageError):
    """The run's weights were deployed (or decided about) here already: attaching again would
    not deploy anything."""

    def __init__(self, run_id: str, path: Path) -> None:
        super().__init__(f"run {run_id} was already collected here: {path}")
        self.path = path


async def attach_plan(
    ws: Workspace, run_id: str, backend: DetachedBackend, *, deploy: bool = True
) -> Plan:
    """The plan a client runs to follow `run_id` through `backend` and collect it here: the
    run's own options (from the volume), this workspace's configs. Raises `UsageError` when the
    run is not on the volume and `AlreadyCollected` when this workspace collected it before."""
    source: Any = backend.source
    info = await source.info()
    if info is None:
        raise UsageError(
            f"no run {run_id} on the Modal volume (`ewtui runs --backend modal` lists them)"
        )
    if (done := collected_record(ws, run_id)) is not None:
        raise AlreadyCollected(run_id, done)
    project = load_project_config(ws.configs_file)
    options = RunOptions.model_validate({**info.get("options", {}), "deploy": deploy})
    return build_plan(project, options, ws, run_id=run_id)


@dataclass
class RemoteRuns:
    """The detached runs on Modal as the control center lists and opens them; the transport
    (how rows are read, how a run is followed) is injected, Modal's by default."""

    read_rows: Callable[[], Awaitable[list[dict[str, Any]]]] | None = None
    follow: Callable[[str], DetachedBackend] | None = None

    async def rows(self, ws: Workspace) -> list[dict[str, Any]]:
        """The runs, newest first, each with `collected`: the record of this workspace that
        collected it, or None."""
        if self.read_rows is None:
            from remote.app import volume_runs

            rows = await volume_runs()
        else:
            rows = await self.read_rows()
        for row in rows:
            done = collected_record(ws, str(row.get("run_id", "")))
            row["collected"] = str(done) if done is not None else None
        return rows

    def backend(self, run_id: str) -> DetachedBackend:
        if self.follow is None:
            from remote.app import attach_backend

            return attach_backend(run_id)
        return self.follow(run_id)

    async def open(
        self, ws: Workspace, run_id: str, *, deploy: bool = True
    ) -> tuple[Plan, DetachedBackend]:
        """The plan and backend that follow `run_id` here (see `attach_plan`)."""
        backend = self.backend(run_id)
        try:
            plan = await attach_plan(ws, run_id, backend, deploy=deploy)
        except BaseException:
            await backend.aclose()
            raise
        return plan, backend


async def _attach(ws: Workspace, run_id: str, *, cancel: bool, deploy: bool, out: IO[str]) -> int:
    from remote.app import attach_backend

    backend = attach_backend(run_id)
    if cancel:
        await backend.cancel_remote()
        print(f"cancelled run {run_id} on Modal", file=out)
        return ExitCode.OK
    try:
        plan = await attach_plan(ws, run_id, backend, deploy=deploy)
    except AlreadyCollected as done:
        print(done, file=out)
        return ExitCode.OK
    project = load_project_config(ws.configs_file)
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
