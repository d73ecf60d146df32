"""The Modal function bodies and ModalBackend, run on this machine with the real binaries: the
bodies through `.local()` against a temporary directory standing in for the volume, the
backend with an in-memory queue and an in-process spawner standing in for Modal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tarfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from conftest import make_workspace
from modal_doubles import InProcessSpawner, MemoryQueue

from core.config import load_project_config
from core.events import CheckpointEvent, GenerationEvent, JobEvent, PipelineEvent
from core.jobs import JobResult, TrainJob
from core.local import LocalBackend
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import Plan, RunOptions, build_plan
from core.snapshot import safe_extract
from remote.backend import ModalBackend, data_snapshot
from remote.relay import decode_item

# `.local()` warns that the volume is not mounted: the temporary directory stands in for it.
pytestmark = pytest.mark.filterwarnings("ignore:The .* function is executing locally")


@pytest.fixture
def volume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_bin_dir: Path) -> Path:
    vol = tmp_path / "volume"
    vol.mkdir()
    monkeypatch.setenv("EWTUI_VOLUME_ROOT", str(vol))
    monkeypatch.setenv("EWTUI_BIN_DIR", str(real_bin_dir))
    # The container size a function declares; on this machine, its two cores.
    monkeypatch.setenv("EWTUI_CONTAINER_CORES", "2")
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path / "no-modal.toml"))
    monkeypatch.delenv("MODAL_TOKEN_ID", raising=False)
    monkeypatch.delenv("MODAL_TOKEN_SECRET", raising=False)
    return vol


@pytest.fixture(scope="module")
def app() -> Any:
    import remote.app

    return remote.app


def _plan(ws: Workspace, backend: str, run_id: str, **opts: Any) -> Plan:
    project = load_project_config(ws.configs_file)
    options = RunOptions.model_validate({"backend": backend, "preset": "smoke", **opts})
    return build_plan(project, options, ws, run_id=run_id)


async def _drain(q: MemoryQueue, run_id: str) -> list[Any]:
    items: list[Any] = []
    while batch := await q.get_many.aio(1000, block=False, partition=run_id):
        items += batch
    return items


def _events(items: list[Any]) -> list[JobEvent]:
    out: list[JobEvent] = []
    for item in items:
        out += decode_item(item)[0]
    return out


async def test_train_body_runs_the_job_on_the_volume_and_relays_its_events(
    ws: Workspace, volume: Path, app: Any
) -> None:
    plan = _plan(ws, "modal", "2030-01-01_000000", single="generalist")
    spec = plan.train_jobs()[0]
    assert spec.cores == 16  # the Modal container size, capped below to the container's cores
    q = MemoryQueue()
    out = await app.train.local(spec.model_dump(mode="json"), data_snapshot(ws), plan.run_id, q)
    res = JobResult.model_validate(out)
    assert res.state == "ok", res.error
    assert res.cores == 2
    assert "weights.toml" in res.artifacts and "summary.json" in res.artifacts

    job_root = volume / "experiments" / plan.run_id / spec.id
    exps = [d for d in job_root.iterdir() if (d / "summary.json").is_file()]
    assert len(exps) == 1
    assert (exps[0] / "weights.toml").read_text() == res.artifacts["weights.toml"]

    items = await _drain(q, plan.run_id)
    assert items[-1]["end"] is True
    assert sum(1 for i in items if i["end"]) == 1
    evs = _events(items)
    assert {e.job_id for e in evs} == {spec.id}
    assert {e.container_id for e in evs} == {res.container_id}
    gens = [e.event.gen for e in evs if isinstance(e.event, GenerationEvent)]
    assert gens == list(range(1, spec.config.generations + 1))
    assert any(e.event.event == "done" for e in evs)


async def test_train_resumes_an_interrupted_attempt_from_its_checkpoint(
    ws: Workspace, volume: Path, app: Any, tmp_path: Path
) -> None:
    plan = _plan(ws, "modal", "2030-01-01_000001", single="generalist")
    base = plan.train_jobs()[0]
    # Long enough that the first attempt is stopped part way on any machine: with a handful of
    # games a generation, a fast machine finished all 60 before the stop reached it.
    cfg = base.config.model_copy(update={"generations": 60, "games": 200})
    spec = base.model_copy(update={"config": cfg})
    job = spec.model_dump(mode="json")
    snap = data_snapshot(ws)

    class StopAtCheckpoint(MemoryQueue):
        """The first attempt's container is lost after its first checkpoint."""

        task: asyncio.Task[Any] | None = None

        async def _put(self, v: Any, *args: Any, **kw: Any) -> None:
            await super()._put(v, *args, **kw)
            if self.task is not None and any('"checkpoint"' in line for line in v["lines"]):
                self.task.cancel()
                self.task = None

    q1 = StopAtCheckpoint()
    q1.task = asyncio.ensure_future(app.train.local(job, snap, plan.run_id, q1))
    first = JobResult.model_validate(await q1.task)
    assert first.state == "cancelled"
    job_root = volume / "experiments" / plan.run_id / spec.id
    [exp] = list(job_root.iterdir())
    stopped_at = json.loads((exp / "checkpoint.json").read_text())
    assert not (exp / "summary.json").exists()

    q2 = MemoryQueue()
    second = JobResult.model_validate(await app.train.local(job, snap, plan.run_id, q2))
    assert second.state == "ok", second.error
    assert [d.name for d in job_root.iterdir()] == [exp.name]  # the same experiment continued
    evs = _events(await _drain(q2, plan.run_id))
    gens = [e.event.gen for e in evs if isinstance(e.event, GenerationEvent)]
    assert gens[0] > 1 and gens[-1] == 60
    assert any("resuming" in getattr(e.event, "msg", "") for e in evs)
    assert stopped_at  # a checkpoint existed to resume from

    # An uninterrupted run of the same job ends with the same weights.
    other = tmp_path / "other-volume"
    other.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EWTUI_VOLUME_ROOT", str(other))
        whole = JobResult.model_validate(await app.train.local(job, snap, plan.run_id, None))
    assert whole.artifacts["weights.toml"] == second.artifacts["weights.toml"]


async def test_validate_bodies_write_their_report_and_the_volume_can_be_read_back(
    ws: Workspace, volume: Path, app: Any, tmp_path: Path
) -> None:
    plan = _plan(ws, "modal", "2030-01-01_000002", mode="validate-only")
    [first, *_] = plan.validate_jobs()
    q = MemoryQueue()
    snap = data_snapshot(ws)
    res = JobResult.model_validate(
        await app.validate_matchup.local(first.model_dump(mode="json"), snap, plan.run_id, q)
    )
    assert res.state == "ok", res.error
    assert json.loads(res.artifacts["results.json"])["matchups"]
    with pytest.raises(ValueError, match="validate_all"):
        seq = first.model_copy(update={"matchup": None, "id": "validate-all"})
        await app.validate_matchup.local(seq.model_dump(mode="json"), snap, plan.run_id, q)

    rows = await app.volume_experiments.local()
    assert [(r["run_id"], r["kind"]) for r in rows] == [(plan.run_id, "validation")]
    assert rows[0]["verdict"] in ("balanced", "warning", "imbalanced")

    name, data = await app.download_experiment.local(None)
    assert name == plan.run_id
    dest = tmp_path / "extracted"
    files = safe_extract(data, dest)
    assert f"validation/{plan.run_id}_{first.id}/results.json" in files
    with pytest.raises(Exception, match="no run or experiment named"):
        await app.download_experiment.local("nope")


async def test_trained_weights_of_a_run(ws: Workspace, volume: Path, app: Any) -> None:
    plan = _plan(ws, "modal", "2030-01-01_000003", single="argentum")
    spec = plan.train_jobs()[0]
    out = await app.train.local(spec.model_dump(mode="json"), data_snapshot(ws), plan.run_id)
    res = JobResult.model_validate(out)
    weights = await app.trained_weights.local(plan.run_id)
    assert weights[spec.id]["weights.toml"] == res.artifacts["weights.toml"]
    assert json.loads(weights[spec.id]["summary.json"])["best_fitness"] is not None


# --- the backend -------------------------------------------------------------------------


def _strip_times(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_times(v) for k, v in obj.items() if k not in ("time_s", "created")}
    if isinstance(obj, list):
        return [_strip_times(v) for v in obj]
    return obj


async def _run(
    ws: Workspace, backend: Any, plan: Plan
) -> tuple[Any, dict[str, list[tuple[int, float | None]]]]:
    curves: dict[str, list[tuple[int, float | None]]] = {}

    def emit(ev: PipelineEvent) -> None:
        if isinstance(ev, JobEvent) and isinstance(ev.event, GenerationEvent):
            curves.setdefault(ev.job_id, []).append((ev.event.gen, ev.event.best_fitness))

    record = await Pipeline(plan, backend, ws, emit).run()
    return record, curves


@pytest.mark.slow
async def test_modal_backend_produces_the_same_run_as_the_local_backend(
    tmp_path: Path, volume: Path, app: Any, real_bin_dir: Path
) -> None:
    run_id = "2030-01-01_000010"
    ws_local = make_workspace(tmp_path / "local")
    ws_modal = make_workspace(tmp_path / "modal")

    from core.binaries import Binaries

    bins = Binaries(tune=real_bin_dir / "tune", validate=real_bin_dir / "validate")
    local_rec, local_curves = await _run(
        ws_local, LocalBackend(ws_local, cores=2, bins=bins), _plan(ws_local, "local", run_id)
    )
    spawner = InProcessSpawner(app.train, app.validate_matchup, app.validate_all)
    plan = _plan(ws_modal, "modal", run_id)
    async with ModalBackend(
        ws_modal, spawner=spawner, progress=MemoryQueue(), run_id=run_id
    ) as backend:
        modal_rec, modal_curves = await _run(ws_modal, backend, plan)

    assert local_rec.state == modal_rec.state == "ok", (local_rec.errors, modal_rec.errors)
    # Every job, and the merge of the validation parts.
    assert len(spawner.calls) - 1 == len(modal_rec.jobs) == len(local_rec.jobs) == 7
    assert modal_curves == local_curves  # every generation relayed, in order
    lres = {r.job_id: r for r in local_rec.results()}
    mres = {r.job_id: r for r in modal_rec.results()}
    assert lres.keys() == mres.keys()
    for jid, r in lres.items():
        assert mres[jid].state == r.state
        assert mres[jid].summary.get("best_fitness") == r.summary.get("best_fitness"), jid
        assert mres[jid].container_id and mres[jid].container_id.startswith("local-")

    # Deployed through core: the same weights, with a backup of the replaced files.
    assert [d.target for d in modal_rec.deploys] == [d.target for d in local_rec.deploys]
    for d in modal_rec.deploys:
        assert d.backup and Path(d.backup).is_file()
        assert Path(d.path).read_text() == ws_local.weights_file(d.target).read_text()

    # Validation saved locally in the usual layout, equal apart from timings and paths.
    assert modal_rec.validation is not None and local_rec.validation is not None
    mdir = ws_modal.validation_dir / run_id
    for name in ("results.json", "summary.txt", "config.toml"):
        assert (mdir / name).is_file()
    m = json.loads((mdir / "results.json").read_text())
    loc = json.loads(Path(local_rec.validation.results).read_text())
    for key in ("matchups", "factions", "decks", "first_seat", "verdict", "warnings"):
        assert _strip_times(m[key]) == _strip_times(loc[key]), key
    assert modal_rec.backend == "modal" and modal_rec.billed


async def test_cancel_all_stops_the_calls_and_keeps_the_job_cancelled(
    ws: Workspace, volume: Path, app: Any
) -> None:
    plan = _plan(ws, "modal", "2030-01-01_000020", single="generalist")
    base = plan.train_jobs()[0]
    spec = base.model_copy(update={"config": base.config.model_copy(update={"generations": 5000})})
    spawner = InProcessSpawner(app.train, app.validate_matchup, app.validate_all)
    seen = asyncio.Event()

    def emit(ev: PipelineEvent) -> None:
        if isinstance(ev, JobEvent) and isinstance(ev.event, CheckpointEvent):
            seen.set()

    async with ModalBackend(
        ws, spawner=spawner, progress=MemoryQueue(), run_id=plan.run_id
    ) as backend:
        task = asyncio.create_task(backend.run(spec, emit))
        await asyncio.wait_for(seen.wait(), 60)
        backend.cancel_all()
        res = await task
    assert res.state == "cancelled"
    summary = list((volume / "experiments" / plan.run_id / spec.id).glob("*/summary.json"))
    assert summary == []  # stopped part way, its checkpoint kept for a later resume


async def test_call_failures_become_job_failures_with_their_fix(ws: Workspace) -> None:
    import modal.exception

    class Handle:
        object_id = "fc-test"

        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        async def result(self) -> dict[str, Any]:
            raise self.exc

        async def cancel(self) -> None:
            return None

        def system_logs(self) -> None:
            return None

    class Failing:
        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        async def spawn(self, *args: Any) -> Handle:
            return Handle(self.exc)

    spec = TrainJob.model_validate(
        {"id": "train-x", "cores": 16, "config": {"name": "x", "tag": "x", "mode": "generalist"}}
    )
    cases = [
        (modal.exception.FunctionTimeoutError("deadline"), "timeout", "timeout_s"),
        (OSError(28, "No space left on device"), "failed", "modal volume rm"),
        (modal.exception.ImageBuildError("build failed", "im-1"), "failed", "image logs im-1"),
        (modal.exception.AuthError("bad token"), "failed", "modal token new"),
        (RuntimeError("boom\nsecond line"), "failed", "RuntimeError: boom"),
    ]
    for exc, state, fix in cases:
        states: list[str] = []

        def emit(ev: PipelineEvent, states: list[str] = states) -> None:
            states.append(getattr(ev, "state", ""))

        backend = ModalBackend(ws, spawner=Failing(exc), progress=MemoryQueue(), run_id="r")
        async with backend:
            res = await backend.run(spec, emit)
        assert res.state == state
        assert fix in (res.error or "") and "\n" not in (res.error or "")
        assert states[-1] == state


async def test_an_image_that_does_not_build_fails_every_job_with_the_fix(ws: Workspace) -> None:
    import modal.exception

    async def broken(stack: object) -> Any:
        raise modal.exception.ImageBuildError("Image build for im-2 failed", "im-2")

    backend = ModalBackend(ws, run_id="r", connect=broken)
    spec = TrainJob.model_validate(
        {"id": "train-y", "cores": 16, "config": {"name": "y", "tag": "y", "mode": "generalist"}}
    )
    res = await backend.run(spec, lambda ev: None)
    assert res.state == "failed" and "cargo build --release" in (res.error or "")


def test_data_snapshot_is_small_and_leaves_secrets_out(ws: Workspace) -> None:
    for name in (".env", ".env.local", "deploy.pem", "id.key", ".modal.toml"):
        (ws.data_dir / name).write_text("secret\n")
    (ws.data_dir / "configs" / "credentials.json").write_text("{}")
    history = ws.weights_dir / ".history"
    history.mkdir(exist_ok=True)
    (history / "generalist_20300101_000000.toml").write_text("x = 1\n")
    data = data_snapshot(ws)
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        names = set(tar.getnames())
    assert "rules.toml" in names and "weights/generalist.toml" in names
    assert not {n for n in names if "secret" in n or n.endswith((".pem", ".key", ".env"))}
    assert not {n for n in names if n.startswith(".env") or "credentials" in n or ".modal" in n}
    assert not {n for n in names if ".history" in n}
    assert len(data) < 1_000_000


async def test_checkpoints_are_committed_while_training_runs(ws: Workspace, volume: Path) -> None:
    from remote.worker import run_on_volume

    plan = _plan(ws, "modal", "2030-01-01_000030", single="symbiote")
    base = plan.train_jobs()[0]
    # Long enough that the first checkpoint's commit comes well before the end.
    spec = base.model_copy(update={"config": base.config.model_copy(update={"generations": 40})})
    job_root = volume / "experiments" / plan.run_id / spec.id
    commits: list[tuple[bool, bool]] = []  # (a checkpoint exists, the summary exists)

    async def commit() -> None:
        commits.append(
            (any(job_root.glob("*/checkpoint.json")), any(job_root.glob("*/summary.json")))
        )

    async def reload() -> None:
        return None

    out = await run_on_volume(
        spec.model_dump(mode="json"), data_snapshot(ws), plan.run_id, None,
        commit=commit, reload=reload,
    )  # fmt: skip
    assert out["state"] == "ok"
    assert commits[0] == (True, False)  # the first checkpoint, committed before the job ended
    assert commits[-1] == (True, True)  # and everything once it ended


async def test_a_container_never_builds_rust(
    ws: Workspace, volume: Path, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The image sets EWTUI_BIN_DIR to its prebuilt binaries; with no cargo reachable at all the
    # job still runs, so nothing in a container can be compiling.
    import shutil

    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert shutil.which("cargo") is None
    plan = _plan(ws, "modal", "2030-01-01_000040", mode="validate-only", sequential=True)
    [spec] = plan.validate_jobs()
    out = await app.validate_all.local(spec.model_dump(mode="json"), data_snapshot(ws), plan.run_id)
    assert JobResult.model_validate(out).state == "ok"


async def test_a_job_near_its_modal_timeout_stops_saves_and_says_how_to_fix_it(
    ws: Workspace, volume: Path, app: Any
) -> None:
    plan = _plan(ws, "modal", "2030-01-01_000050", single="obsidion")
    base = plan.train_jobs()[0]
    spec = base.model_copy(update={"config": base.config.model_copy(update={"generations": 5000})})
    out = await app.train.local(
        spec.model_dump(mode="json"), data_snapshot(ws), plan.run_id, None, 2.0
    )
    res = JobResult.model_validate(out)
    assert res.state == "timeout"
    assert "timeout_s" in (res.error or "") and "\n" not in (res.error or "")
    # What it trained so far stays on the volume, ready to resume.
    assert list((volume / "experiments" / plan.run_id / spec.id).glob("*/checkpoint.json"))


async def test_a_preempted_body_resumes_from_its_last_committed_checkpoint(
    ws: Workspace, volume: Path, tmp_path: Path
) -> None:
    """Only what a commit made durable survives a preemption: the volume is set back to its
    state at the first checkpoint's commit, and a new attempt continues from there to the same
    weights as an uninterrupted run."""
    import shutil

    from remote.worker import run_on_volume

    plan = _plan(ws, "modal", "2030-01-01_000060", single="argentum")
    base = plan.train_jobs()[0]
    spec = base.model_copy(update={"config": base.config.model_copy(update={"generations": 40})})
    job = spec.model_dump(mode="json")
    snap = data_snapshot(ws)
    committed = tmp_path / "committed"
    body: asyncio.Task[Any] | None = None

    async def commit_then_preempt() -> None:
        nonlocal body
        if body is not None:  # the first commit: keep what it made durable, then lose the rest
            shutil.copytree(volume, committed)
            body.cancel()
            body = None

    async def nothing() -> None:
        return None

    body = asyncio.ensure_future(
        run_on_volume(job, snap, plan.run_id, None, commit=commit_then_preempt, reload=nothing)
    )
    # The job runner ends `tune` and reports the job cancelled, or the body is cut short.
    with contextlib.suppress(asyncio.CancelledError):
        out = await body
        assert JobResult.model_validate(out).state == "cancelled"
    shutil.rmtree(volume)
    shutil.copytree(committed, volume)  # the volume as the preempted container left it
    job_root = volume / "experiments" / plan.run_id / spec.id
    [exp] = list(job_root.iterdir())
    ck = json.loads((exp / "checkpoint.json").read_text())
    assert not (exp / "summary.json").exists()
    assert {p.name for p in exp.iterdir()} >= {"config.toml", "checkpoint.json", "events.jsonl"}
    assert not [p for p in exp.rglob("*") if p.name.startswith(".")]  # no half-copied file

    q = MemoryQueue()
    out = await run_on_volume(job, snap, plan.run_id, q, commit=nothing, reload=nothing)
    res = JobResult.model_validate(out)
    assert res.state == "ok", res.error
    assert [d.name for d in job_root.iterdir()] == [exp.name]
    gens = [
        e.event.gen
        for e in _events(await _drain(q, plan.run_id))
        if isinstance(e.event, GenerationEvent)
    ]
    assert gens[0] > 1 and gens[-1] == 40 and ck
    assert (exp / "summary.json").is_file()
    assert all(v.startswith(str(volume)) for v in res.outputs.values() if v.startswith("/"))

    other = tmp_path / "other-volume"
    other.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EWTUI_VOLUME_ROOT", str(other))
        whole = JobResult.model_validate(
            await run_on_volume(job, snap, plan.run_id, None, commit=nothing, reload=nothing)
        )
    assert whole.artifacts["weights.toml"] == res.artifacts["weights.toml"]
