"""Faults of the Modal transport, simulated offline: a progress queue that fails or is full
while a job runs, and what the client learns of the lines it lost. The job itself is replaced by
a quick stand-in (`run_job`), so these need no binaries; the real jobs are in
test_remote_run.py."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from modal_doubles import MemoryQueue

from core.events import JobEvent, LogEvent, PipelineEvent
from core.jobs import JobResult, TrainJob
from core.paths import Workspace
from remote import worker
from remote.backend import ModalBackend, data_snapshot

SPEC = {
    "kind": "train",
    "id": "train-x",
    "cores": 2,
    "config": {"name": "x", "tag": "x", "mode": "generalist"},
}


@pytest.fixture
def quick_job(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """`run_job` of the worker replaced by a job that logs 20 lines and succeeds."""
    vol = tmp_path / "volume"
    vol.mkdir()
    monkeypatch.setenv("EWTUI_VOLUME_ROOT", str(vol))
    monkeypatch.setattr(worker, "ensure_binaries", lambda ws: None)
    seen: list[str] = []

    async def fake_run_job(spec: Any, ws: Any, bins: Any, emit: Any, **kw: Any) -> JobResult:
        for i in range(20):
            emit(JobEvent(spec.id, None, LogEvent(msg=f"line {i}")))
        seen.append(spec.id)
        now = time.time()
        return JobResult(
            job_id=spec.id, kind=spec.kind, state="ok", started=now, finished=now, cores=2
        )

    monkeypatch.setattr(worker, "run_job", fake_run_job)
    return seen


async def _nothing() -> None:
    return None


@pytest.mark.parametrize("fault", ["fail", "full"])
async def test_a_broken_progress_queue_never_sinks_a_finished_job(
    quick_job: list[str], ws: Workspace, fault: str
) -> None:
    q = MemoryQueue(capacity=0 if fault == "full" else 5000)
    if fault == "fail":
        q.fail_puts = RuntimeError("server error")
    started = time.monotonic()
    out = await worker.run_on_volume(
        SPEC, data_snapshot(ws), "2030-01-01_000000", q, commit=_nothing, reload=_nothing
    )
    assert quick_job == ["train-x"]
    assert JobResult.model_validate(out).state == "ok"  # the result, not the relay's error
    # Bounded: put timeouts, never Modal's endless retry of a full partition.
    assert time.monotonic() - started < 30


async def test_the_client_is_told_how_many_lines_were_lost(ws: Workspace) -> None:
    backend = ModalBackend(ws, spawner=object(), progress=MemoryQueue(), run_id="r")  # type: ignore[arg-type]
    got: list[PipelineEvent] = []
    spec = TrainJob.model_validate(SPEC)
    from remote.backend import _Job

    backend._jobs[spec.id] = _Job(spec, got.append)
    item = {"job": spec.id, "container": "ta-1", "lines": [], "end": False, "dropped": 7}
    backend._dispatch(item, time.time())
    backend._dispatch({**item, "dropped": 7}, time.time())  # the same count: no second warning
    backend._dispatch({**item, "dropped": 9}, time.time())
    warnings = [e.event.msg for e in got if isinstance(e, JobEvent)]  # type: ignore[union-attr]
    assert len(warnings) == 2 and "7 progress lines" in warnings[0] and "2 progress" in warnings[1]
    assert backend.dropped_lines == 9


# --- timeouts that cannot fit Modal's limits -----------------------------------------------------


def _config_with(ws: Workspace, section: str) -> Path:
    text = ws.configs_file.read_text(encoding="utf-8")
    text = text.replace("[modal.train]\n", "[modal.train]\n# replaced\n", 1)
    start = text.index("[modal.train]")
    end = text.index("[modal.validate]")
    path = ws.configs_file
    path.write_text(text[:start] + section + text[end:], encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("section", "why"),
    [
        # One attempt over 24 h: Modal refuses the function when the app is created.
        ("[modal.train]\ncpu = 16\nmemory_gib = 8\ntimeout_s = 90000\n\n", "less than or equal"),
        # Each attempt fits, but not the orchestrating run with the retries.
        (
            "[modal.train]\ncpu = 16\nmemory_gib = 8\ntimeout_s = 43200\nretries = 1\n\n",
            "over Modal's 24 h limit",
        ),
    ],
)
def test_timeouts_that_do_not_fit_are_refused_with_one_line(
    ws: Workspace, section: str, why: str
) -> None:
    from core.config import load_project_config
    from core.errors import ConfigError

    path = _config_with(ws, section)
    with pytest.raises(ConfigError, match=why) as info:
        load_project_config(path)
    assert "\n" not in str(info.value) and info.value.exit_code == 2


def test_a_run_gets_a_pipeline_timeout_with_room_for_every_retry(ws: Workspace) -> None:
    from core.config import MODAL_MAX_TIMEOUT_S, PIPELINE_OVERHEAD_S, load_project_config
    from core.errors import UsageError
    from core.plan import RunOptions, build_plan
    from remote.limits import check_plan

    project = load_project_config(ws.configs_file)
    res = project.modal
    plan = build_plan(project, RunOptions(backend="modal"), ws)
    need = check_plan(plan)
    # A failed training attempt, its retry, then validation with its retry, all fit.
    train = (res.train.retries + 1) * res.train.timeout_s
    validate = (res.validation.retries + 1) * res.validation.timeout_s
    assert need >= train + validate + PIPELINE_OVERHEAD_S
    assert need <= MODAL_MAX_TIMEOUT_S
    only_train = build_plan(project, RunOptions(backend="modal", mode="train-only"), ws)
    assert check_plan(only_train) < need

    for bad in (1e308, 90000.0):
        opts = RunOptions(backend="modal", validation_timeout=bad)
        with pytest.raises(UsageError, match="24 h") as info:
            check_plan(build_plan(project, opts, ws))
        assert "\n" not in str(info.value)
    # Within one attempt's limit, but the run cannot wait for two of them after training.
    opts = RunOptions(backend="modal", validation_timeout=40000)
    with pytest.raises(UsageError, match="over Modal's 24 h limit"):
        check_plan(build_plan(project, opts, ws))


def test_the_pipeline_function_outlives_its_jobs() -> None:
    import remote.app as a

    timeout = a.PIPELINE_CONTAINER["timeout"]
    assert timeout == a.RESOURCES.pipeline_timeout_s()
    assert timeout > 2 * a.TRAIN.timeout_s + 2 * a.VALIDATE.timeout_s
    for kind, res in (("train", a.TRAIN), ("validate", a.VALIDATE)):
        container = a.JOB_CONTAINERS[kind]
        assert container["timeout"] == res.timeout_s < timeout
        assert container["scaledown_window"] == a.RESOURCES.scaledown_window_s <= 10


# --- run ids -------------------------------------------------------------------------------------


def test_runs_started_in_the_same_second_get_their_own_ids(ws: Workspace) -> None:
    from datetime import UTC, datetime

    from core.config import load_project_config
    from core.plan import RunOptions, build_plan, new_run_id
    from remote.app import make_backend

    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    ids = {new_run_id(now) for _ in range(200)}
    assert len(ids) == 200 and all(i.startswith("2030-01-01_120000-") for i in ids)
    assert (
        sorted([new_run_id(datetime(2030, 1, 1, 12, 0, s, tzinfo=UTC)) for s in (9, 1)])[0][:17]
        == "2030-01-01_120001"
    )  # still ordered by start time

    project = load_project_config(ws.configs_file)
    plans = [build_plan(project, RunOptions(backend="modal"), ws) for _ in range(2)]
    backends = [make_backend(ws, p, spawner=object()) for p in plans]  # type: ignore[arg-type]
    # Fixed before any backend is built, and the backend keeps the plan's id: the second run can
    # never resume the first one's checkpoints on the volume.
    assert plans[0].run_id != plans[1].run_id
    assert [b.run_id for b in backends] == [p.run_id for p in plans]


# --- visibility ----------------------------------------------------------------------------------


async def test_the_monitor_is_told_the_app_and_where_to_watch_it(ws: Workspace) -> None:
    from remote.backend import STARTING_APP, app_line

    class Handle:
        object_id = "fc-1"

        async def result(self) -> dict[str, Any]:
            raise RuntimeError("stop here")

        async def cancel(self) -> None:
            return None

        def system_logs(self) -> None:
            return None

    class Spawner:
        app_id = "ap-TEST123"

        async def spawn(self, *args: Any) -> Handle:
            return Handle()

    async def connect(stack: object) -> Spawner:
        return Spawner()

    got: list[PipelineEvent] = []
    backend = ModalBackend(ws, connect=connect, progress=MemoryQueue(), run_id="r")  # type: ignore[arg-type]
    async with backend:
        await backend.run(TrainJob.model_validate(SPEC), got.append)
    logs = [e.event.msg for e in got if isinstance(e, JobEvent) and isinstance(e.event, LogEvent)]
    assert logs[0] == STARTING_APP  # before the image build, not a silent "queued"
    assert logs[1] == app_line("ap-TEST123")
    assert "https://modal.com/id/ap-TEST123" in logs[1] and "modal app logs ap-TEST123" in logs[1]
    assert backend.app_id == "ap-TEST123"


# --- the HTTP endpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"preset": "nope"}, "no preset named `nope`"),
        ({"single": "nope"}, "no config named `nope`"),
        ({"validation_games": 10**12}, "games"),
        ({"validation_timeout": 1e308}, "24 h"),
        ({"mode": "sideways"}, "mode"),
        ({"cores": 4}, "unknown option"),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_a_bad_web_request_is_refused_with_its_reason(ws: Workspace, body: Any, why: str) -> None:
    from core.errors import EwtuiError
    from remote.entry import web_request

    with pytest.raises(EwtuiError, match=why) as info:
        web_request(body, ws)
    assert "\n" not in str(info.value)


def test_a_good_web_request_gets_its_pipeline_timeout(ws: Workspace) -> None:
    from remote.entry import web_request

    options, timeout = web_request({"mode": "train-only", "preset": "quick"}, ws)
    assert options["deploy"] is False and options["preset"] == "quick"
    assert 0 < timeout <= 24 * 3600


async def test_the_endpoint_answers_422(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    import remote.app as a

    class HTTPException(Exception):
        def __init__(self, status_code: int, detail: str) -> None:
            self.status_code, self.detail = status_code, detail

    fake = types.ModuleType("fastapi")
    fake.HTTPException = HTTPException  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fastapi", fake)  # the image has FastAPI; this machine not
    monkeypatch.setattr(a, "IMAGE_WORKSPACE", ws.root)

    async def never(*args: Any) -> None:
        raise AssertionError("a refused request must not start anything")

    monkeypatch.setattr(a.pipeline, "with_options", lambda **kw: never)
    with pytest.raises(HTTPException) as info:
        await a.start_training.local({"validation_games": 10**12})
    assert info.value.status_code == 422 and "games" in info.value.detail


# --- detached runs: the choice of backend and the commands ---------------------------------------


def test_runs_from_ewtui_and_main_are_detached(ws: Workspace) -> None:
    from core.config import load_project_config
    from core.plan import RunOptions, build_plan
    from remote.app import make_backend
    from remote.detached import DetachedBackend

    plan = build_plan(load_project_config(ws.configs_file), RunOptions(backend="modal"), ws)
    assert isinstance(make_backend(ws, plan), DetachedBackend)  # orchestrated on Modal
    assert isinstance(make_backend(ws, plan, own_app=False), DetachedBackend)  # `modal run`
    inside = make_backend(ws, plan, spawner=object())  # type: ignore[arg-type]
    assert isinstance(inside, ModalBackend)  # the `pipeline` function spawns the jobs


@pytest.mark.parametrize("argv", [["runs", "--backend", "modal"], ["attach", "2030-01-01_x"]])
def test_attach_and_runs_without_a_token_exit_3_with_the_fix(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from tui.cli import main

    for key in [k for k in os.environ if k.startswith("MODAL_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path / "none.toml"))
    assert main(argv) == 3
    assert "modal token new" in capsys.readouterr().err


def test_the_pipeline_waits_for_every_modal_attempt_before_its_backstop(ws: Workspace) -> None:
    from core.config import PIPELINE_OVERHEAD_S, load_project_config
    from core.pipeline import Pipeline
    from core.plan import RunOptions, build_plan

    class Named:
        name = "modal"

    project = load_project_config(ws.configs_file)
    res = project.modal.train
    modal_run = Pipeline(build_plan(project, RunOptions(backend="modal"), ws), Named(), ws, print)  # type: ignore[arg-type]
    # A retried training job (a preemption) takes two timeouts; it must not be cut at one.
    wait = modal_run._deadline_s(res, float(res.timeout_s))
    assert wait == res.attempts_s() + PIPELINE_OVERHEAD_S
    assert wait is not None and wait > (res.retries + 1) * res.timeout_s
    assert modal_run._deadline_s(res, None) is None
    local = Pipeline(build_plan(project, RunOptions(), ws), Named(), ws, print)  # type: ignore[arg-type]
    assert local._deadline_s(res, 100.0) == 100.0  # no retries on this machine
