"""The control center finds the runs on Modal and follows one in the Monitor, offline: the
`pipeline` function's body runs here (its jobs through the in-process spawner, its events
through the memory queue, a directory standing in for the volume), and the app lists and opens
it through `remote.attach.RemoteRuns` over that transport.

- A run found on the volume is followed in the Monitor from its first event, then live; when it
  ends its weights go through the local gate here, and a second attach deploys nothing.
- Cancelling from the Monitor of an attached run asks the same question as for a local run and
  cancels the run on Modal; cancelling from the list asks, then cancels it there.
- The list at 80x24 (snapshot).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from modal_doubles import InProcessSpawner, MemoryQueue, MemorySource
from test_tui_support import shown_text, wait_until
from textual.widgets import DataTable, Static

from core.config import load_project_config
from core.fsutil import atomic_write_text
from core.paths import Workspace
from core.plan import Plan, RunOptions, build_plan
from remote.attach import RemoteRuns
from remote.backend import ModalBackend, data_snapshot
from remote.detached import DetachedBackend
from remote.entry import run_in_container
from remote.runlog import EVENTS_FILE, RUN_FILE, pipeline_dir
from tui.app import EwtuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.monitor import MonitorScreen
from tui.screens.remote_runs import RemoteRunsScreen

pytestmark = pytest.mark.filterwarnings("ignore:The .* function is executing locally")
SMALL = (80, 24)


@pytest.fixture
def volume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    vol = tmp_path / "volume"
    vol.mkdir()
    monkeypatch.setenv("EWTUI_VOLUME_ROOT", str(vol))
    monkeypatch.setenv("EWTUI_CONTAINER_CORES", "2")
    return vol


def _plan(ws: Workspace, run_id: str) -> Plan:
    project = load_project_config(ws.configs_file)
    opts = RunOptions(backend="modal", preset="smoke", mode="train-only", single="generalist")
    return build_plan(project, opts, ws, run_id=run_id)


def _rows_of(volume: Path) -> Any:
    """The `run.json` of every run in the volume directory, as `volume_runs` reads them."""

    async def rows() -> list[dict[str, Any]]:
        runs_root = pipeline_dir(volume, "any").parent.parent
        found = sorted(runs_root.glob(f"*/pipeline/{RUN_FILE}"), reverse=True)
        return [json.loads(p.read_text()) for p in found]

    return rows


def _start_remote(
    ws: Workspace, volume: Path, plan: Plan, runs_q: MemoryQueue
) -> asyncio.Future[Any]:
    """The run's `pipeline` function, here: it goes on whatever its clients do."""
    import remote.app as app

    spawner = InProcessSpawner(app.train, app.validate_matchup, app.validate_all)
    jobs_q = MemoryQueue()

    def backend(w: Workspace, p: Plan) -> ModalBackend:
        return ModalBackend(w, spawner=spawner, progress=jobs_q, run_id=p.run_id)

    async def commit() -> None:
        return None

    options = plan.options.model_copy(update={"deploy": False}).model_dump(mode="json")
    return asyncio.ensure_future(
        run_in_container(
            options, plan.run_id, volume, backend, commit, snapshot=data_snapshot(ws), queue=runs_q
        )
    )


def _generations_on_volume(volume: Path, run_id: str) -> int:
    path = pipeline_dir(volume, run_id) / EVENTS_FILE
    text = path.read_text() if path.is_file() else ""
    return sum('"generation"' in line for line in text.splitlines())


async def _open_list(pilot: Any, app: EwtuiApp) -> RemoteRunsScreen:
    await pilot.press("m", "r")
    await wait_until(pilot, lambda: isinstance(app.screen, RemoteRunsScreen))
    screen = app.screen
    assert isinstance(screen, RemoteRunsScreen)
    await wait_until(pilot, lambda: bool(screen.rows))
    return screen


async def test_the_monitor_follows_a_run_found_on_the_volume_and_deploys_it_once(
    ws: Workspace, volume: Path, real_bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWTUI_BIN_DIR", str(real_bin_dir))
    plan = _plan(ws, "2030-01-01_000300-a77ac4")
    runs_q = MemoryQueue()
    remote = _start_remote(ws, volume, plan, runs_q)
    source = MemorySource(runs_q, volume, plan.run_id, remote)
    runs = RemoteRuns(
        read_rows=_rows_of(volume), follow=lambda run_id: DetachedBackend(run_id, source=source)
    )
    app = EwtuiApp(ws, remote_runs=runs)
    async with app.run_test(size=SMALL) as pilot:
        # The run has made progress before anyone looks: attaching must show it from the start.
        await wait_until(pilot, lambda: _generations_on_volume(volume, plan.run_id) >= 1, 300)
        screen = await _open_list(pilot, app)
        assert [r["run_id"] for r in screen.rows] == [plan.run_id]
        assert screen.rows[0]["collected"] is None
        table = screen.query_one(DataTable)
        assert table.get_row_at(0)[0] == plan.run_id
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.running)
        assert isinstance(app.screen, MonitorScreen)
        assert app.run_view.run_id == plan.run_id
        await wait_until(pilot, lambda: not app.running, 300)
        view = app.run_view
        job = view.jobs["train-generalist"]
        # Every generation once, in order, from the first: the history, then the live ones.
        assert job.gens and job.gens == list(range(1, len(job.gens) + 1))
        assert job.state == "ok"
        record = view.record
        assert record is not None and record.state == "ok", record and record.errors
        assert record.deploy_decisions  # the gate of this workspace decided
        assert record.phases["deploy"].state == "done"
        assert (await remote)["state"] == "ok"

        # Listed again: collected here; following it again deploys nothing and says why.
        screen = await _open_list(pilot, app)
        assert screen.rows[0]["collected"]
        assert screen.query_one(DataTable).get_row_at(0)[3] == "collected"
        shown: list[str] = []
        monkeypatch.setattr(app, "notify", lambda msg, **kw: shown.append(str(msg)))
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("already collected" in m for m in shown))
        assert not app.running
    records = sorted(ws.runs_dir.glob(f"{plan.run_id}*.json"))
    assert len(records) == 1


async def _running_run(ws: Workspace, volume: Path, run_id: str) -> MemorySource:
    """A run on the volume that is still going (its `pipeline` call never ends by itself)."""
    options = _plan(ws, run_id).options.model_dump(mode="json")
    out = pipeline_dir(volume, run_id)
    out.mkdir(parents=True)
    info = {"run_id": run_id, "options": options, "started": 1.0, "state": "running"}
    atomic_write_text(out / RUN_FILE, json.dumps(info))
    call = asyncio.ensure_future(asyncio.sleep(3600))
    return MemorySource(MemoryQueue(), volume, run_id, call)


async def test_cancel_from_the_monitor_of_an_attached_run_cancels_it_on_modal(
    ws: Workspace, volume: Path
) -> None:
    run_id = "2030-01-01_000400-c4c3e1"
    source = await _running_run(ws, volume, run_id)
    runs = RemoteRuns(
        read_rows=_rows_of(volume), follow=lambda rid: DetachedBackend(rid, source=source)
    )
    app = EwtuiApp(ws, remote_runs=runs)
    async with app.run_test(size=SMALL) as pilot:
        await _open_list(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.running)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause(0.1)
        question = shown_text(app.screen.query_one("VerticalScroll Static", Static))
        # The question a local run gets.
        assert question.startswith(f"Cancel run {run_id}? Every job stops;")
        await pilot.press("n")
        await pilot.pause(0.2)
        assert app.running and source.cancels == 0
        await pilot.press("ctrl+x", "y")
        await wait_until(pilot, lambda: not app.running)
        assert source.cancels == 1 and source.task.cancelled()
        record = app.run_view.record
        assert record is not None and record.state == "interrupted"
        assert not record.deploys


async def test_cancel_from_the_list_asks_then_cancels_the_run_on_modal(
    ws: Workspace, volume: Path
) -> None:
    run_id = "2030-01-01_000500-0ddba11"
    source = await _running_run(ws, volume, run_id)
    runs = RemoteRuns(
        read_rows=_rows_of(volume), follow=lambda rid: DetachedBackend(rid, source=source)
    )
    app = EwtuiApp(ws, remote_runs=runs)
    async with app.run_test(size=SMALL) as pilot:
        await _open_list(pilot, app)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause(0.1)
        question = shown_text(app.screen.query_one("VerticalScroll Static", Static))
        assert f"Cancel run {run_id} on Modal?" in question
        await pilot.press("n")
        await pilot.pause(0.2)
        assert source.cancels == 0
        await pilot.press("x", "y")
        await wait_until(pilot, lambda: source.cancels == 1)
        await pilot.pause(0.1)
        assert source.task.cancelled() and not app.running


async def test_the_list_says_why_when_modal_cannot_be_reached(ws: Workspace) -> None:
    from core.errors import BackendUnavailable

    async def no_token() -> list[dict[str, Any]]:
        raise BackendUnavailable("no Modal token: run `modal token new`")

    app = EwtuiApp(ws, remote_runs=RemoteRuns(read_rows=no_token))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("m", "r")
        await wait_until(pilot, lambda: isinstance(app.screen, RemoteRunsScreen))
        note = app.screen.query_one("#modal-runs-note", Static)
        await wait_until(pilot, lambda: "modal token new" in shown_text(note))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert isinstance(app.screen, MonitorScreen) and not app.running


FIXED_ROWS = [
    {
        "run_id": "2030-01-02_081500-3f9a1c",
        "state": "running",
        "options": {"mode": "full", "preset": "standard"},
        "app_id": "ap-Xq81Lm2Zr0",
    },
    {
        "run_id": "2030-01-01_220000-b81e07",
        "state": "done",
        "options": {"mode": "train-only", "preset": "quick"},
        "app_id": "ap-7Hd02PqsW1",
    },
    {
        "run_id": "2030-01-01_093000-51c0de",
        "state": "stopped",
        "options": {"mode": "validate-only", "preset": None},
        "app_id": None,
    },
]


def test_runs_on_modal_at_80x24(snap_compare, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    async def rows() -> list[dict[str, Any]]:
        return [dict(r) for r in FIXED_ROWS]

    # One of them was collected here: its record names it.
    ws.runs_dir.mkdir(parents=True, exist_ok=True)
    (ws.runs_dir / "2030-01-01_220000-b81e07.json").write_text(
        json.dumps({"run_id": "2030-01-01_220000-b81e07", "state": "ok", "backend": "modal",
                    "plan": {}, "phases": {"deploy": {"state": "done"}},
                    "started": 1.0, "finished": 2.0,
                    "estimate": {"core_hours": 0, "price_per_core_hour": 0, "cost": 0}})
    )  # fmt: skip

    async def steps(pilot: Any) -> None:
        await pilot.press("m", "r")
        await pilot.pause(0.5)

    app = EwtuiApp(ws, remote_runs=RemoteRuns(read_rows=rows))
    assert snap_compare(app, terminal_size=SMALL, run_before=steps)
