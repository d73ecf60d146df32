"""The pipeline end to end with the real release binaries, in a throwaway copy of data/."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, make_workspace

from core.paths import Workspace
from core.validation import load_report

pytestmark = pytest.mark.slow


def ewtui(ws: Workspace, bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EWTUI_BIN_DIR": str(bin_dir), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=ws.root,
        env={**env, "PYTHONPATH": str(REPO)},
        timeout=300,
    )


def comparable(path: Path) -> dict:  # type: ignore[type-arg]
    d = json.loads(path.read_text())
    d.pop("time_s")
    for m in d["matchups"]:
        m.pop("time_s")
    return d


def test_smoke_full_pipeline(tmp_path: Path, real_bin_dir: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    before = {t: ws.weights_file(t).read_text() for t in ("generalist", "argentum")}
    proc = ewtui(ws, real_bin_dir, "--run", "full", "--preset", "smoke", "--json")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    kinds = {e["event"] for e in events}
    assert {"start", "generation", "checkpoint", "matchup", "progress", "done"} <= kinds

    (record_path,) = ws.runs_dir.glob("*.json")
    record = json.loads(record_path.read_text())
    assert record["state"] == "ok" and record["backend"] == "local"
    # A seconds-long smoke training proves nothing: the deploy gate keeps the shipped files.
    assert record["deploys"] == []
    decisions = record["deploy_decisions"]
    assert {d["target"] for d in decisions} == {"generalist", "argentum", "symbiote", "obsidion"}
    assert all(d["action"] == "keep" and not d["passed"] for d in decisions)
    assert [n.split(":")[0] for n in record["deploy_notes"]] == [d["target"] for d in decisions]
    for t, text in before.items():
        assert ws.weights_file(t).read_text() == text
    assert not ws.history_dir.exists() or not list(ws.history_dir.glob("*.toml"))

    v = record["validation"]
    out = Path(v["dir"])
    assert {"results.json", "summary.txt", "config.toml"} <= {p.name for p in out.iterdir()}
    report = load_report(out / "results.json")
    assert len(report.matchups) == ws.matchup_count() == 40
    assert report.games == 40 * 2 * 1
    # validation ran with what is deployed after the gate: the shipped files
    used = Path(report.config["weights"]["argentum"]["file"])
    assert used.read_text() == before["argentum"]
    assert "Validation: verdict" in proc.stderr and "Deploy gate:" in proc.stderr

    listing = ewtui(ws, real_bin_dir, "experiments", "--json")
    rows = json.loads(listing.stdout)
    assert sum(r["kind"] == "train" and r["complete"] for r in rows) == 4
    assert sum(r["kind"] == "validation" for r in rows) == 1


def test_merged_parallel_validation_equals_one_sequential_run(
    tmp_path: Path, real_bin_dir: Path
) -> None:
    ws = make_workspace(tmp_path / "ws")
    args = ("--run", "validate-only", "--preset", "smoke", "--validation-games", "3")
    par = ewtui(ws, real_bin_dir, *args)
    seq = ewtui(ws, real_bin_dir, *args, "--sequential")
    assert par.returncode == 0 and seq.returncode == 0, par.stderr + seq.stderr
    results = sorted(ws.validation_dir.glob("*/results.json"))
    assert len(results) == 2
    # the binary's own single run over the full round robin, same flags
    direct = tmp_path / "direct.json"
    subprocess.run(
        [
            str(real_bin_dir / "validate"),
            "--games",
            "3",
            "--bot",
            "greedy",
            "--seed",
            "42",
            "--mcts-sims",
            "100",
            "--data",
            str(ws.data_dir),
            "--output",
            str(direct),
        ],
        check=True,
        capture_output=True,
        cwd=ws.root,
    )
    assert comparable(results[0]) == comparable(results[1]) == comparable(direct)


def test_the_pipelines_report_is_the_binarys_merge_of_its_parts(
    tmp_path: Path, real_bin_dir: Path
) -> None:
    ws = make_workspace(tmp_path / "ws")
    args = ("--run", "validate-only", "--preset", "smoke", "--validation-games", "2")
    proc = ewtui(ws, real_bin_dir, *args)
    assert proc.returncode == 0, proc.stderr
    (run,) = ws.validation_dir.glob("*/results.json")
    parts = sorted(run.parent.glob("parts/*.json"))
    assert len(parts) == 3
    again = tmp_path / "again"
    subprocess.run(
        [str(real_bin_dir / "validate"), "merge", *map(str, parts), "--output-dir", str(again)],
        check=True,
        capture_output=True,
    )
    for name in ("results.json", "summary.txt"):
        assert (again / name).read_bytes() == (run.parent / name).read_bytes(), name
    assert 'parts = ["parts/' in (run.parent / "config.toml").read_text()
