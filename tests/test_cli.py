"""The ``ewtui`` command line: parsing, exit codes, one-line errors, scripting commands."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from expfixtures import heldout, write_train

from core.paths import Workspace
from tui.cli import build_parser, main


def ewtui(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=full_env,
        timeout=120,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_help_lists_every_flag_and_command() -> None:
    text = build_parser().format_help()
    for flag in (
        "--run",
        "--backend",
        "--preset",
        "--single",
        "--validation-games",
        "--sequential",
        "--no-deploy",
        "--validation-timeout",
        "--cores",
        "--json",
        "experiments",
        "weights",
    ):
        assert flag in text


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, contextlib, io\nfrom tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n    except SystemExit: pass\n"
        "bad = [m for m in ('textual','modal','pydantic','rich','core.pipeline') "
        "if m in sys.modules]\nprint(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--run", "everything"], "invalid choice"),
        (["--run", "full", "--validation-games", "0"], "positive integer"),
        (["--run", "full", "--validation-timeout", "-3"], "positive number"),
        (["--preset", "smoke"], "--preset needs --run"),
        (["--sequential"], "--sequential needs --run"),
        (["weights"], "required"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], needle: str) -> None:
    proc = ewtui(*args)
    assert proc.returncode == 2
    assert needle in one_line_error(proc)


def test_unknown_config_name_exits_2_naming_file_and_field(ws: Workspace) -> None:
    proc = ewtui("-C", str(ws.root), "--run", "train-only", "--single", "nope")
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(ws.configs_file) in line and "no config named `nope`" in line
    assert "generalist" in line


def test_malformed_training_toml_exits_2_naming_file_and_field(ws: Workspace) -> None:
    text = ws.configs_file.read_text().replace("mcts_sims = 50", "mcts_sims = -5", 1)
    ws.configs_file.write_text(text)
    proc = ewtui("-C", str(ws.root), "--run", "full", "--preset", "smoke")
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert str(ws.configs_file) in line and "training `generalist`: field `mcts_sims`" in line


def test_unknown_preset_exits_2(ws: Workspace) -> None:
    proc = ewtui("-C", str(ws.root), "--run", "full", "--preset", "gigantic")
    assert proc.returncode == 2 and "no preset named `gigantic`" in one_line_error(proc)


def test_no_workspace_exits_2(tmp_path: Path) -> None:
    proc = ewtui("experiments", cwd=tmp_path)
    assert proc.returncode == 2 and "no workspace found" in one_line_error(proc)


def test_modal_backend_unavailable_exits_3_with_the_fix(ws: Workspace, tmp_path: Path) -> None:
    env = {
        "MODAL_CONFIG_PATH": str(tmp_path / "none.toml"),
        "MODAL_TOKEN_ID": "",
        "MODAL_TOKEN_SECRET": "",
        "HOME": str(tmp_path),
    }
    proc = ewtui("-C", str(ws.root), "--run", "full", "--backend", "modal", env=env)
    assert proc.returncode == 3
    line = one_line_error(proc)
    assert "modal" in line.lower()


def test_missing_cargo_exits_3_with_one_line(ws: Workspace, tmp_path: Path) -> None:
    (ws.root / "rust").mkdir()
    (ws.root / "rust" / "Cargo.toml").write_text("[workspace]\n")
    env = {"PATH": str(tmp_path / "nothing"), "EWTUI_BIN_DIR": ""}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "-C",
            str(ws.root),
            "--run",
            "validate-only",
            "--preset",
            "smoke",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env, "NO_COLOR": "1"},
        timeout=60,
    )
    assert proc.returncode == 3
    assert "cargo not found" in proc.stderr.splitlines()[-1]


def test_experiments_json_and_table(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_train(
        ws.experiments_dir, "2026-01-01_1000_generalist-v1", tag="generalist-v1", fitness=0.61
    )
    assert main(["-C", str(ws.root), "experiments", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["tag"] == "generalist-v1" and rows[0]["best_fitness"] == 0.61
    assert main(["-C", str(ws.root), "--json", "experiments"]) == 0
    assert json.loads(capsys.readouterr().out) == rows
    assert main(["-C", str(ws.root), "experiments"]) == 0
    assert "generalist-v1" in capsys.readouterr().out


def good_weights(ws: Workspace, shift: float) -> str:
    from core.weights import load_spec

    spec = load_spec(ws)
    return "".join(
        f"{b.name} = {min(b.max, max(b.min, b.default + shift * (b.max - b.min)))!r}\n"
        for b in spec.bounds
    )


def test_weights_diff_deploy_rollback(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    exp = write_train(
        ws.experiments_dir, "2026-01-02_1000_obs", tag="obs", mode="specialist", faction="obsidion"
    )
    (exp / "weights.toml").write_text(good_weights(ws, 0.1))
    before = ws.weights_file("obsidion").read_text()
    root = ["-C", str(ws.root), "weights"]

    assert main([*root, "diff", "obsidion", exp.name]) == 0
    out = capsys.readouterr().out
    assert ("weights differ" in out and "own_life" in out) or "weight" in out

    # No held-out evaluation: the gate refuses, not interactive: exit 0, nothing deployed.
    assert main([*root, "deploy", exp.name]) == 0
    out = capsys.readouterr().out
    assert "in-training best 0.500 (noisy)" in out and "no held-out evaluation" in out
    assert "gate: kept the deployed file: the run has no held-out head-to-head" in out
    assert "not deployed (add --force to deploy anyway)" in out
    assert ws.weights_file("obsidion").read_text() == before

    assert main([*root, "deploy", exp.name, "--force"]) == 0
    out = capsys.readouterr().out
    assert "gate: forced (--force-deploy); the gate refused: the run has no held-out" in out
    assert "deployed" in out
    assert ws.weights_file("obsidion").read_text() != before

    assert main([*root, "rollback", "--list"]) == 0
    assert "obsidion" in capsys.readouterr().out
    assert main([*root, "rollback"]) == 0
    assert ws.weights_file("obsidion").read_text() == before


def test_weights_deploy_shows_the_evaluation_and_follows_the_gate(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ws.weights_file("generalist")
    root = ["-C", str(ws.root), "weights", "deploy"]
    weak = write_train(
        ws.experiments_dir, "2026-01-02_1000_weak", tag="weak", heldout=heldout(base, 0.505)
    )
    (weak / "weights.toml").write_text(good_weights(ws, 0.05))
    strong = write_train(
        ws.experiments_dir, "2026-01-02_1100_strong", tag="strong", heldout=heldout(base, 0.6)
    )
    (strong / "weights.toml").write_text(good_weights(ws, 0.1))
    before = base.read_text()

    assert main([*root, weak.name]) == 0
    out = capsys.readouterr().out
    assert "held-out fitness 0.550 [0.501, 0.599] over 400 games" in out
    assert "head-to-head: +0.5 points vs baseline [-2.0, 3.0] over 1,600 games" in out
    assert "(the file deployed now)" in out
    assert "gate: kept the deployed file: +0.5 points vs deployed" in out
    assert base.read_text() == before

    assert main([*root, strong.name]) == 0
    out = capsys.readouterr().out
    assert "gate: passed: +10.0 points vs deployed [7.5, 12.5] over 1,600 held-out games" in out
    assert f"deployed {strong / 'weights.toml'}" in out
    assert base.read_text() != before


def test_weights_deploy_re_evaluates_against_a_changed_file(
    ws: Workspace, fake_bin_dir: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("EWTUI_BIN_DIR", str(fake_bin_dir))
    base = ws.weights_file("generalist")
    exp = write_train(
        ws.experiments_dir, "2026-01-02_1000_gen", tag="gen", heldout=heldout(base, 0.6)
    )
    (exp / "weights.toml").write_text(good_weights(ws, 0.1))
    base.write_text(base.read_text() + "\n")  # changed since training
    monkeypatch.setenv("FAKE_EVAL_H2H", "0.5")
    assert main(["-C", str(ws.root), "weights", "deploy", exp.name]) == 0
    out = capsys.readouterr().out
    assert "(not the file deployed now)" in out
    assert "re-evaluated against the deployed file: +0.0 points vs deployed" in out
    assert "gate: kept the deployed file:" in out and "re-evaluated against the changed" in out
    assert "not deployed" in out


def test_deploying_out_of_bounds_weights_is_refused(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = write_train(ws.experiments_dir, "2026-01-02_1000_gen", tag="gen")
    text = good_weights(ws, 0.0)
    name = text.split(" = ")[0]
    (exp / "weights.toml").write_text(text.replace(f"{name} = ", f"{name} = 1e9 #", 1))
    before = ws.weights_file("generalist").read_text()
    assert main(["-C", str(ws.root), "weights", "deploy", exp.name]) == 2
    err = capsys.readouterr().err
    assert f"key `{name}`" in err and str(exp / "weights.toml") in err
    assert ws.weights_file("generalist").read_text() == before
    assert not ws.history_dir.exists() or not any(ws.history_dir.iterdir())


def test_run_with_json_writes_event_lines_and_a_summary(ws: Workspace, fake_bin_dir: Path) -> None:
    proc = ewtui(
        "-C",
        str(ws.root),
        "--run",
        "full",
        "--preset",
        "smoke",
        "--single",
        "generalist",
        "--json",
        env={"EWTUI_BIN_DIR": str(fake_bin_dir)},
    )
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(ln) for ln in proc.stdout.splitlines()]
    kinds = {e["event"] for e in events}
    assert {"generation", "matchup", "progress", "job_state", "phase", "run_finished"} <= kinds
    assert all("job" in e for e in events if e["event"] == "generation")
    err = proc.stderr
    assert "Run " in err and "Validation: verdict" in err and "Deployed weights:" in err
    assert "Estimated cost:" in err and "\x1b[" not in err


def test_failed_job_exits_1(ws: Workspace, fake_bin_dir: Path) -> None:
    proc = ewtui(
        "-C",
        str(ws.root),
        "--run",
        "train-only",
        "--preset",
        "smoke",
        "--single",
        "argentum",
        env={"EWTUI_BIN_DIR": str(fake_bin_dir), "FAKE_FAIL": "argentum"},
    )
    assert proc.returncode == 1
    assert "train-argentum: failed: fake failure" in proc.stdout


def test_weights_deploy_asks_on_a_terminal(
    ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ws.weights_file("generalist")
    exp = write_train(
        ws.experiments_dir, "2026-01-02_1000_gen", tag="gen", heldout=heldout(base, 0.49)
    )
    (exp / "weights.toml").write_text(good_weights(ws, 0.1))
    before = base.read_text()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["-C", str(ws.root), "weights", "deploy", exp.name]) == 0
    assert capsys.readouterr().out.endswith("not deployed\n") and base.read_text() == before
    assert main(["-C", str(ws.root), "weights", "deploy", exp.name]) == 0
    assert "deployed " in capsys.readouterr().out and base.read_text() != before


def test_headless_force_deploy_overrides_the_gate(ws: Workspace, fake_bin_dir: Path) -> None:
    args = [
        "-C",
        str(ws.root),
        "--run",
        "train-only",
        "--preset",
        "smoke",
        "--single",
        "generalist",
    ]
    env = {"EWTUI_BIN_DIR": str(fake_bin_dir), "FAKE_H2H": "0.5"}
    before = ws.weights_file("generalist").read_text()
    proc = ewtui(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "generalist: kept the deployed file: +0.0 points vs deployed" in proc.stdout
    assert ws.weights_file("generalist").read_text() == before
    proc = ewtui(*args, "--force-deploy", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "generalist: forced (--force-deploy); the gate refused: +0.0 points" in proc.stdout
    assert ws.weights_file("generalist").read_text() != before


def test_ladder_command_plays_then_reuses(ws: Workspace, fake_bin_dir: Path) -> None:
    env = {"EWTUI_BIN_DIR": str(fake_bin_dir)}
    proc = ewtui("-C", str(ws.root), "ladder", "--mcts-games", "20", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "played 6 new pairings" in proc.stdout and "anchor" in proc.stdout
    proc = ewtui("-C", str(ws.root), "ladder", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    lad = json.loads(proc.stdout)
    assert lad["pairings"] == 6 and lad["ratings"][-1]["entry"]["id"] == "random"
    proc = ewtui("-C", str(ws.root), "ladder", "--mcts-games", "3", env=env)
    assert proc.returncode == 2 and "positive even number" in proc.stderr


def test_weights_diff_of_identical_files_says_identical(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ["-C", str(ws.root), "weights"]
    target = str(ws.weights_file("generalist"))
    assert main([*root, "diff", "generalist", target]) == 0
    out = capsys.readouterr().out
    assert out.startswith("identical: all ") and "+0" not in out and out.count("\n") == 1
