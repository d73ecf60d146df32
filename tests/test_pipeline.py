"""The pipeline's phases, records and failure handling, driven by the test double of the
binaries (failures on demand). The real binaries run in test_pipeline_e2e.py."""

import asyncio
import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.binaries import Binaries
from core.config import load_project_config
from core.events import Emit, JobStateChanged, PhaseChanged, PipelineEvent, RunFinished
from core.jobs import Job, JobResult, MergeJob
from core.local import LocalBackend
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import RunOptions, build_plan
from core.record import RunRecord
from core.validation import load_report


def run(ws: Workspace, bins: Binaries, **opts: object) -> tuple[RunRecord, list[PipelineEvent]]:
    options = RunOptions(preset="smoke", cores=2, **opts)  # type: ignore[arg-type]
    plan = build_plan(load_project_config(ws.configs_file), options, ws)
    seen: list[PipelineEvent] = []
    backend = LocalBackend(ws, cores=2, bins=bins)
    record = asyncio.run(Pipeline(plan, backend, ws, seen.append).run())
    return record, seen


def test_full_run_trains_deploys_validates_and_records(ws: Workspace, fake_bins: Binaries) -> None:
    before = ws.weights_file("generalist").read_text()
    record, seen = run(ws, fake_bins, mode="full")
    assert record.state == "ok", record.errors
    phases = [(e.phase, e.state) for e in seen if isinstance(e, PhaseChanged)]
    assert [p for p, s in phases if s == "done"] == ["train", "deploy", "validate", "save"]
    assert isinstance(seen[-1], RunFinished)
    assert {d.target for d in record.deploys} == {"generalist", "argentum", "symbiote", "obsidion"}
    assert ws.weights_file("generalist").read_text() != before
    on_disk = json.loads(Path(record.path).read_text())
    assert on_disk["state"] == "ok" and len(on_disk["jobs"]) == 7
    assert on_disk["plan"]["options"]["mode"] == "full"
    assert on_disk["cost"]["core_hours"] > 0
    # File contents (weights handed to validation, artifacts brought back) stay out of the record.
    jobs = on_disk["jobs"]
    assert all("weights" not in j["spec"] and "artifacts" not in j["result"] for j in jobs)
    assert "own_life" not in json.dumps(on_disk["jobs"])
    v = record.validation
    assert v is not None and v.complete and len(v.parts) == 3
    report = load_report(Path(v.results))
    assert report.config["matchup"] is None
    assert {"results.json", "summary.txt", "config.toml"} <= {p.name for p in Path(v.dir).iterdir()}


def test_validation_uses_this_runs_trained_weights(ws: Workspace, fake_bins: Binaries) -> None:
    record, _ = run(ws, fake_bins, mode="full", single="argentum", deploy=False)
    assert record.deploys == [] and record.state == "ok"
    report = load_report(Path(record.validation.results))  # type: ignore[union-attr]
    wdir = Path(report.config["weights"]["dir"])
    trained = next(r for r in record.results() if r.kind == "train")
    trained_text = Path(trained.outputs["weights"]).read_text()
    assert (wdir / "specialists" / "argentum.toml").read_text() == trained_text
    assert (wdir / "generalist.toml").read_text() == ws.weights_file("generalist").read_text()


def test_sequential_and_parallel_give_the_same_report(ws: Workspace, fake_bins: Binaries) -> None:
    par, _ = run(ws, fake_bins, mode="validate-only")
    seq, _ = run(ws, fake_bins, mode="validate-only", sequential=True)
    a = load_report(Path(par.validation.results)).model_dump()  # type: ignore[union-attr]
    b = load_report(Path(seq.validation.results)).model_dump()  # type: ignore[union-attr]
    a.pop("time_s"), b.pop("time_s")
    assert a == b


def test_one_failing_job_keeps_the_others(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "--tag symbiote-v1")
    record, _seen = run(ws, fake_bins, mode="full")
    assert record.state == "failed"
    states = {r.job_id: r.state for r in record.results()}
    assert states["train-symbiote"] == "failed"
    assert sum(s == "ok" for s in states.values()) == 6
    assert {d.target for d in record.deploys} == {"generalist", "argentum", "obsidion"}
    assert record.validation is not None and record.validation.complete
    assert any("train-symbiote: failed: fake failure" in e for e in record.errors)


def test_failed_validation_part_saves_the_rest_as_partial(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "--matchup symbiote-obsidion")
    record, _ = run(ws, fake_bins, mode="validate-only")
    assert record.state == "failed"
    v = record.validation
    assert v is not None and not v.complete and len(v.parts) == 2
    assert load_report(Path(v.results)).config["matchup"] == "argentum-obsidion,argentum-symbiote"


def test_a_failed_merge_is_an_error_of_the_run(ws: Workspace, fake_bins: Binaries) -> None:
    class NoMerge(LocalBackend):
        async def run(self, spec: Job, emit: Emit) -> JobResult:
            if isinstance(spec, MergeJob):
                return JobResult(job_id=spec.id, kind="merge", state="failed", error="boom")
            return await super().run(spec, emit)

    options = RunOptions(preset="smoke", cores=2, mode="validate-only")
    plan = build_plan(load_project_config(ws.configs_file), options, ws)
    backend = NoMerge(ws, cores=2, bins=fake_bins)
    record = asyncio.run(Pipeline(plan, backend, ws, lambda e: None).run())
    assert record.state == "failed" and record.validation is None
    assert "validation not merged: boom" in record.errors


def test_validation_timeout_stops_the_job(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_HANG", "--matchup argentum-obsidion")
    record, _ = run(ws, fake_bins, mode="validate-only", validation_timeout=5.0)
    states = {r.job_id: r.state for r in record.results()}
    assert states["validate-argentum-obsidion"] == "timeout"
    assert record.state == "failed" and record.validation is not None


def test_core_budget_bounds_concurrency(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SLOW", "0.05")
    running, peak = 0, 0

    options = RunOptions(mode="train-only", preset="smoke", cores=1)
    plan = build_plan(load_project_config(ws.configs_file), options, ws)

    def emit(e: PipelineEvent) -> None:
        nonlocal running, peak
        if isinstance(e, JobStateChanged):
            if e.state == "running":
                running += 1
            elif e.state in ("ok", "failed", "cancelled", "timeout"):
                running -= 1
            peak = max(peak, running)

    record = asyncio.run(Pipeline(plan, LocalBackend(ws, 1, fake_bins), ws, emit).run())
    assert record.state == "ok" and peak == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_ends_children_keeps_results_and_marks_interrupted(
    ws: Workspace, fake_bin_dir: Path, sig: signal.Signals
) -> None:
    """A real SIGINT, SIGTERM or SIGHUP to a headless run: the finished jobs stay, the hanging
    one is ended, phases that never ran are skipped."""
    env = {
        "EWTUI_BIN_DIR": str(fake_bin_dir),
        "FAKE_HANG": "--matchup symbiote-obsidion",
        "PATH": "/usr/bin:/bin",
        "NO_COLOR": "1",
    }
    # A terminal's Ctrl-C reaches a program whose SIGINT is at its default. A test run started
    # in the background of a non-interactive shell ignores SIGINT, and a child inherits that, so
    # the child is started with the default: set here, it becomes the default at exec.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "-C", str(ws.root), "--run", "validate-only",
             "--preset", "smoke", "--cores", "3", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(ln) for ln in proc.stdout or []], daemon=True
    ).start()
    seen: list[str] = []
    try:
        # interrupt once the two other faction pairs have finished
        while sum('"job_state"' in ln and '"state":"ok"' in ln for ln in seen) < 2:
            seen.append(lines.get(timeout=60))
    except queue.Empty:
        proc.kill()
        pytest.fail(
            "no progress: " + "".join(seen[-5:]) + (proc.stderr.read() if proc.stderr else "")
        )
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    (record,) = ws.runs_dir.glob("*.json")
    rec = json.loads(record.read_text())
    assert rec["state"] == "interrupted"
    states = {j["result"]["job_id"]: j["result"]["state"] for j in rec["jobs"]}
    assert states == {
        "validate-argentum-symbiote": "ok",
        "validate-argentum-obsidion": "ok",
        "validate-symbiote-obsidion": "interrupted",
    }
    phases = {name: ph["state"] for name, ph in rec["phases"].items()}
    assert phases == {
        "train": "skipped",
        "deploy": "skipped",
        "validate": "interrupted",
        "save": "done",
    }
    assert rec["validation"]["complete"] is False and len(rec["validation"]["parts"]) == 2
    left = subprocess.run(["pgrep", "-f", str(fake_bin_dir)], capture_output=True).stdout
    assert left == b"", "children left running"


def test_a_sweep_trains_every_entry_and_deploys_the_best_head_to_head(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The in-training fitness is random; the held-out head-to-head decides.
    monkeypatch.setenv("FAKE_H2H", "gen-mcts50=0.64,gen-mcts100=0.58,0.56")
    sweep = "".join(
        f'\n[[training]]\nname = "gen-mcts{n}"\ntag = "gen-mcts{n}"\nmode = "generalist"\n'
        f"mcts_sims = {n}\nseed = {n}\n"
        for n in (25, 50, 100)
    )
    text = ws.configs_file.read_text().replace(
        'mode = "specialist"', 'mode = "specialist"\nenabled = false'
    )
    text = text.replace(
        'mode = "generalist"\ngenerations', 'mode = "generalist"\nenabled = false\ngenerations', 1
    )
    ws.configs_file.write_text(text + sweep)
    record, _ = run(ws, fake_bins, mode="train-only")
    trained = {r.job_id: r for r in record.results()}
    assert set(trained) == {"train-gen-mcts25", "train-gen-mcts50", "train-gen-mcts100"}
    best = trained["train-gen-mcts50"]
    (dep,) = record.deploys
    assert dep.target == "generalist" and dep.source == best.outputs["weights"]
    (decision,) = record.deploy_decisions
    assert decision.job == "train-gen-mcts50" and decision.action == "deploy"
    assert record.deploy_notes[0].startswith("generalist: passed: +14.0 points vs deployed [")
    others = record.deploy_notes[1:]
    assert len(others) == 2 and all("did better (held-out head-to-head)" in n for n in others)


def test_runs_started_in_the_same_second_get_their_own_ids(
    ws: Workspace, fake_bins: Binaries
) -> None:
    project = load_project_config(ws.configs_file)
    records = []
    for _ in range(2):
        opts = RunOptions(mode="validate-only", preset="smoke", cores=2)
        plan = build_plan(project, opts, ws, run_id="2026-01-01_000000")
        backend = LocalBackend(ws, cores=2, bins=fake_bins)
        records.append(asyncio.run(Pipeline(plan, backend, ws, lambda e: None).run()))
    assert [r.run_id for r in records] == ["2026-01-01_000000", "2026-01-01_000000_2"]
    assert len(list(ws.validation_dir.glob("*/results.json"))) == 2
    assert len(list(ws.runs_dir.glob("*.json"))) == 2


def test_trained_weights_out_of_bounds_are_refused_the_rest_deployed(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_BAD_WEIGHTS", "obsidion")
    before = ws.weights_file("obsidion").read_text()
    record, _ = run(ws, fake_bins, mode="full")
    assert record.state == "failed"
    assert {d.target for d in record.deploys} == {"generalist", "argentum", "symbiote"}
    assert ws.weights_file("obsidion").read_text() == before
    assert any(
        "train-obsidion: trained weights refused" in e and "outside the bounds" in e
        for e in record.errors
    )
    # validation ran, with the deployed obsidion weights
    assert record.validation is not None and record.validation.complete


def test_saved_record_shows_the_save_phase_done(ws: Workspace, fake_bins: Binaries) -> None:
    record, seen = run(ws, fake_bins, mode="validate-only")
    saved = json.loads(Path(record.path).read_text())
    assert saved["state"] == record.state == "ok"
    assert saved["phases"]["save"]["state"] == "done"
    assert saved["phases"]["save"]["finished"] is not None
    assert saved["phases"]["save"]["detail"] == record.path
    # The announcement comes after the file is written, so a reader sees the final record.
    save_done = [e for e in seen if isinstance(e, PhaseChanged) and e.phase == "save"]
    assert [e.state for e in save_done] == ["started", "done"]


def test_configs_option_trains_exactly_the_named_configs(
    ws: Workspace, fake_bins: Binaries
) -> None:
    record, _ = run(ws, fake_bins, mode="train-only", configs=["symbiote", "generalist"])
    assert {r.job_id for r in record.results()} == {"train-symbiote", "train-generalist"}
