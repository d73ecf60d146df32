"""The deploy gate, driven through the pipeline with the test double of the binaries, whose
held-out head-to-head the tests set (FAKE_H2H, FAKE_EVAL_H2H)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.binaries import Binaries
from core.config import load_project_config
from core.gate import decide, tune_evaluator
from core.local import LocalBackend
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import RunOptions, build_plan
from core.record import RunRecord


def run(ws: Workspace, bins: Binaries, **opts: object) -> RunRecord:
    options = RunOptions(preset="smoke", cores=2, single="generalist", **opts)  # type: ignore[arg-type]
    plan = build_plan(load_project_config(ws.configs_file), options, ws)
    backend = LocalBackend(ws, cores=2, bins=bins)
    return asyncio.run(Pipeline(plan, backend, ws, lambda e: None).run())


def calls(log: Path, what: str) -> int:
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text().splitlines() if line.startswith(what))


def test_the_gate_refuses_a_file_that_is_no_better(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_H2H", "0.51")  # +1 point, interval [-1.5, 3.4]: not significant
    before = ws.weights_file("generalist").read_bytes()
    record = run(ws, fake_bins, mode="full")
    assert record.state == "ok", record.errors
    assert record.deploys == []
    assert ws.weights_file("generalist").read_bytes() == before
    (d,) = record.deploy_decisions
    assert d.action == "keep" and not d.passed and not d.forced
    assert d.reason.startswith("kept the deployed file: +1.0 points vs deployed [")
    assert d.reason.endswith("lower bound not above 0")
    assert record.deploy_notes == [d.note()]
    # The validation used the deployed file, not the refused one.
    assert record.validation is not None
    assert record.phases["deploy"].detail == "nothing; 1 kept by the gate"
    saved = json.loads(Path(record.path).read_text())
    assert saved["deploy_decisions"][0]["action"] == "keep"


def test_the_gate_accepts_a_clearly_better_file(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_H2H", "0.6")
    record = run(ws, fake_bins, mode="train-only")
    (dep,) = record.deploys
    (d,) = record.deploy_decisions
    assert d.action == "deploy" and d.passed and not d.reevaluated
    assert d.reason.startswith(
        "passed: +10.0 points vs deployed [7.5, 12.5] over 1,600 held-out games"
    )
    trained = next(r for r in record.results() if r.kind == "train")
    assert ws.weights_file("generalist").read_text().count("=") >= 1
    assert dep.source == trained.outputs["weights"]


def test_a_run_without_held_out_evaluation_deploys_nothing(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_H2H", "none")
    record = run(ws, fake_bins, mode="train-only")
    assert record.deploys == [] and record.state == "ok"
    assert "no held-out head-to-head" in record.deploy_notes[0]


def test_force_deploy_overrides_the_gate(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_H2H", "0.49")
    record = run(ws, fake_bins, mode="train-only", force_deploy=True)
    assert len(record.deploys) == 1
    (d,) = record.deploy_decisions
    assert d.action == "deploy" and d.forced and not d.passed
    assert d.reason.startswith("forced (--force-deploy); the gate refused: -1.0 points vs")


def test_a_changed_deployed_file_is_re_evaluated(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The run trained against one file; another deploy replaced it before the gate: the gate
    measures the candidate again against the new file with `tune --evaluate`."""
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_CALL_LOG", str(log))
    monkeypatch.setenv("FAKE_H2H", "0.6")
    record = run(ws, fake_bins, mode="train-only", deploy=False)
    res = next(r for r in record.results() if r.kind == "train")
    text = Path(res.outputs["weights"]).read_text()
    target = ws.weights_file("generalist")
    target.write_text(target.read_text().replace("=", "= ", 1))  # same values, new bytes

    monkeypatch.setenv("FAKE_EVAL_H2H", "0.505")
    d = decide(ws, "generalist", res.job_id, "w", res.summary, text, evaluator=tune_evaluator(ws))
    assert calls(log, "tune --evaluate") == 1
    assert d.reevaluated and d.action == "keep"
    assert "re-evaluated against the changed file" in d.reason
    assert d.heldout is not None and d.current_sha256 == d.heldout.baseline_sha256

    monkeypatch.setenv("FAKE_EVAL_H2H", "0.62")
    d = decide(ws, "generalist", res.job_id, "w", res.summary, text, evaluator=tune_evaluator(ws))
    assert d.reevaluated and d.action == "deploy" and d.passed

    # No way to re-evaluate: refused, with the reason.
    d = decide(ws, "generalist", res.job_id, "w", res.summary, text, evaluator=None)
    assert d.action == "keep" and "changed since training" in d.reason


def test_the_evaluate_command_line_repeats_the_original_game_counts(ws: Workspace) -> None:
    from core.gate import evaluate_argv
    from core.heldout import HeldOut

    prev = HeldOut(games=300, h2h_games=800)
    argv = evaluate_argv(
        Path("/bin/tune"),
        ws,
        Path("/tmp/c.toml"),
        "symbiote",
        prev,
        {"seed": 9, "fitness_weights": [0.2, 0.8, 0.0]},
        threads=2,
    )
    assert argv[:5] == [
        "/bin/tune",
        "--evaluate",
        "/tmp/c.toml",
        "--baseline",
        str(ws.weights_file("symbiote")),
    ]
    joined = " ".join(argv)
    assert "--mode specialist --faction symbiote" in joined
    assert "--h2h-games 800 --heldout-games 300 --seed 9 --fitness-weights 0.2,0.8,0" in joined
    assert argv[-3:] == ["--json", "--threads", "2"]


def test_the_evaluation_names_its_baseline_relative_to_the_workspace(tmp_path: Path) -> None:
    from expfixtures import heldout

    from core.heldout import evaluation_lines

    ws = Workspace(tmp_path)
    inside = ws.weights_dir / "generalist.toml"
    inside.parent.mkdir(parents=True)
    inside.write_text("own_life = 1.0\n")
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere.toml"
    outside.write_text("own_life = 2.0\n")
    for baseline, shown in [(inside, "data/weights/generalist.toml"), (outside, str(outside))]:
        summary = {"best_fitness": 0.6, "heldout": heldout(baseline, 0.6)}
        lines = evaluation_lines(summary, None, shown=ws.shown)
        assert f"baseline: {shown} (not the file deployed now)" in lines
