import asyncio
from pathlib import Path

import pytest

from core.binaries import Binaries
from core.config import TrainingConfig
from core.events import GenerationEvent, JobEvent, JobStateChanged, LogEvent, PipelineEvent
from core.job_process import run_job
from core.jobs import MergeJob, TrainJob, ValidateJob
from core.paths import Workspace


def train_spec(name: str = "generalist", gens: int = 3) -> TrainJob:
    cfg = TrainingConfig(
        name=name,
        tag=f"{name}-t",
        mode="generalist",
        generations=gens,
        games=4,
        mcts_sims=2,
        population=4,
    )
    return TrainJob(id=f"train-{name}", cores=1, config=cfg)


async def test_run_job_streams_events_and_collects_outputs(
    ws: Workspace, fake_bins: Binaries
) -> None:
    seen: list[PipelineEvent] = []
    res = await run_job(train_spec(), ws, fake_bins, seen.append, container_id="c9")
    assert res.ok and res.exit_code == 0 and res.container_id == "c9"
    gens = [
        e.event for e in seen if isinstance(e, JobEvent) and isinstance(e.event, GenerationEvent)
    ]
    assert [g.gen for g in gens] == [1, 2, 3]
    assert all(e.container_id == "c9" for e in seen if isinstance(e, JobEvent))
    states = [e.state for e in seen if isinstance(e, JobStateChanged)]
    assert states == ["running", "ok"]
    assert set(res.artifacts) == {"weights.toml", "summary.json"}
    assert Path(res.outputs["experiment_dir"]).parent == ws.experiments_dir
    assert res.summary["generations"] == 3


async def test_failure_carries_the_error_and_stderr_becomes_log_events(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "--tag boom")
    seen: list[PipelineEvent] = []
    res = await run_job(train_spec("boom"), ws, fake_bins, seen.append)
    assert res.state == "failed" and res.exit_code == 1 and res.error == "fake failure"
    logs = [e.event.msg for e in seen if isinstance(e, JobEvent) and isinstance(e.event, LogEvent)]
    assert "something broke" in logs


async def test_timeout_kills_the_child(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_HANG", "--tag slow")
    res = await run_job(train_spec("slow"), ws, fake_bins, lambda e: None, timeout_s=1.0)
    assert res.state == "timeout" and "timed out after 1 s" in (res.error or "")
    assert res.duration_s < 10


async def test_cancel_terminates_and_returns_a_cancelled_result(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_HANG", "--tag hang")
    running = asyncio.Event()

    def emit(e: PipelineEvent) -> None:
        if isinstance(e, JobEvent):
            running.set()

    task = asyncio.create_task(run_job(train_spec("hang"), ws, fake_bins, emit))
    await asyncio.wait_for(running.wait(), 20)
    task.cancel()
    res = await task
    assert res.state == "cancelled"


async def test_missing_binary_is_a_failed_result(ws: Workspace, tmp_path: Path) -> None:
    bins = Binaries(tune=tmp_path / "nope", validate=tmp_path / "nope")
    res = await run_job(train_spec(), ws, bins, lambda e: None)
    assert res.state == "failed" and "cannot start" in (res.error or "")


async def test_validate_job_writes_its_weights_by_content(
    ws: Workspace, fake_bins: Binaries
) -> None:
    text = ws.weights_file("generalist").read_text()
    spec = ValidateJob(
        id="validate-argentum-symbiote",
        run_id="r1",
        games=1,
        bot="greedy",
        matchup="argentum-symbiote",
        weights={"generalist.toml": text},
    )
    res = await run_job(spec, ws, fake_bins, lambda e: None)
    assert res.ok and "results.json" in res.artifacts
    wd = spec.weights_dir(ws)
    assert wd is not None and (wd / "generalist.toml").read_text() == text
    same = spec.model_copy(update={"id": "other", "matchup": None})
    assert same.weights_dir(ws) == wd


async def test_weights_paths_may_not_escape(ws: Workspace, fake_bins: Binaries) -> None:
    spec = ValidateJob(id="v", run_id="r1", games=1, weights={"../../evil.toml": "x = 1"})
    res = await run_job(spec, ws, fake_bins, lambda e: None)
    assert res.state == "failed" and "leaves its directory" in (res.error or "")


async def test_a_merge_job_is_the_binarys_report_of_its_parts(
    ws: Workspace, real_bin_dir: Path
) -> None:
    bins = Binaries(tune=real_bin_dir / "tune", validate=real_bin_dir / "validate")
    parts = {}
    for pair in ("argentum-symbiote", "symbiote-obsidion"):
        v = ValidateJob(id=f"validate-{pair}", run_id="r2", games=1, bot="greedy", matchup=pair)
        res = await run_job(v, ws, bins, lambda e: None)
        assert res.ok, res.error
        parts[v.id] = res.artifacts["results.json"]
    merge = MergeJob(id="merge", run_id="r2", parts=parts)
    res = await run_job(merge, ws, bins, lambda e: None)
    assert res.ok, res.error
    out = ws.validation_dir / "r2"
    for name in ("results.json", "summary.txt", "config.toml"):
        assert res.artifacts[name] == (out / name).read_text()
    assert '"matchup": "argentum-symbiote,symbiote-obsidion"' in res.artifacts["results.json"]

    # A bad part fails the job with the binary's one line naming the file and the field.
    bad = MergeJob(id="merge", run_id="r3", parts={"broken": '{"version": 1}'})
    res = await run_job(bad, ws, bins, lambda e: None)
    assert res.state == "failed" and res.exit_code == 2
    assert "broken.json: config: missing or not an object" in (res.error or "")
    evil = MergeJob(id="merge", run_id="r3", parts={"../x": "{}"})
    res = await run_job(evil, ws, bins, lambda e: None)
    assert res.state == "failed" and "not a plain file name" in (res.error or "")
