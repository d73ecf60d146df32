"""Bad files and values: one line naming the file, exit 2, never a traceback; a listing skips
an unreadable experiment and shows the rest; nothing half-written."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import core.pipeline as pipeline_mod
from core.binaries import Binaries
from core.config import load_project_config
from core.datacheck import check_data
from core.errors import ConfigError
from core.events import JobEvent, LogEvent, finite_json, pipeline_event_to_json
from core.experiments import ExperimentStore
from core.local import LocalBackend
from core.paths import Workspace
from core.pipeline import Pipeline
from core.plan import RunOptions, build_plan
from core.record import RunRecord

REPO = Path(__file__).resolve().parents[1]


def _cli(
    ws: Workspace, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "-C", str(ws.root), *args],
        capture_output=True, text=True, env=full, cwd=REPO, timeout=300, check=False,
    )  # fmt: skip


def _one_line_exit_2(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


# --- files ------------------------------------------------------------------------------------


def test_non_utf8_training_toml_is_one_line(ws: Workspace) -> None:
    ws.configs_file.write_bytes(b'default_preset = "\xff\xfe"\n')
    _one_line_exit_2(_cli(ws, "--run", "full"), str(ws.configs_file), "UTF-8")


def test_non_utf8_experiment_weights_is_one_line(ws: Workspace) -> None:
    d = ws.experiments_dir / "2026-01-01_0000_bad"
    d.mkdir(parents=True)
    (d / "weights.toml").write_bytes(b"own_life = \xff\n")
    _one_line_exit_2(_cli(ws, "weights", "diff", "generalist", str(d)), "weights.toml", "UTF-8")


def test_a_bad_results_json_hides_no_other_experiment(ws: Workspace) -> None:
    good = ws.validation_dir / "2026-01-02_000000"
    bad = ws.validation_dir / "2026-01-01_000000"
    for d in (good, bad):
        d.mkdir(parents=True)
    (good / "results.json").write_text(json.dumps({"verdict": "balanced", "games": 10}))
    (bad / "results.json").write_text(json.dumps({"verdict": "x", "factions": 7}))
    (ws.experiments_dir / "2026-01-03_0000_t").mkdir()
    (ws.experiments_dir / "2026-01-03_0000_t" / "summary.json").write_text('{"win_rates": 5}')
    store = ExperimentStore(ws)
    ids = {e.id for e in store.list()}
    assert {good.name, bad.name, "2026-01-03_0000_t"} <= ids
    proc = _cli(ws, "experiments", "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert {good.name, bad.name} <= {r["id"] for r in json.loads(proc.stdout)}


def test_an_unreadable_experiment_is_skipped_with_a_warning(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("2026-01-01_0000_a", "2026-01-02_0000_b"):
        (ws.experiments_dir / name).mkdir(parents=True)
    import core.experiments as ex

    real = ex._train_entry

    def flaky(path: str, name: str) -> ex.Experiment:
        if name.endswith("_a"):
            raise OSError(errno.EIO, "Input/output error", path)
        return real(path, name)

    monkeypatch.setattr(ex, "_train_entry", flaky)
    store = ExperimentStore(ws)
    assert [e.id for e in store.list() if e.kind == "train"] == ["2026-01-02_0000_b"]
    (warning,) = store.warnings
    assert "2026-01-01_0000_a" in warning and "skipped" in warning


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only directories")
def test_read_only_experiments_is_one_line(ws: Workspace, fake_bin_dir: Path) -> None:
    ws.experiments_dir.mkdir(exist_ok=True)
    ws.experiments_dir.chmod(0o555)
    try:
        proc = _cli(ws, "--run", "validate-only", "--preset", "smoke",
                    env={"EWTUI_BIN_DIR": str(fake_bin_dir)})  # fmt: skip
    finally:
        ws.experiments_dir.chmod(0o755)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot write the run record" in proc.stderr


def test_runs_being_a_file_is_one_line(ws: Workspace, fake_bin_dir: Path) -> None:
    ws.experiments_dir.mkdir(exist_ok=True)
    ws.runs_dir.write_text("not a directory")
    proc = _cli(ws, "--run", "validate-only", "--preset", "smoke",
                env={"EWTUI_BIN_DIR": str(fake_bin_dir)})  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "cannot write the run record" in proc.stderr and str(ws.runs_dir) in proc.stderr
    assert ws.runs_dir.read_text() == "not a directory"


def test_a_weights_target_that_is_a_directory_is_refused(ws: Workspace) -> None:
    from core.weights import deploy_many

    target = ws.weights_file("argentum")
    target.unlink()
    target.mkdir()
    text = ws.weights_file("generalist").read_text()
    with pytest.raises(ConfigError, match="not a file"):
        deploy_many(ws, [("x", text, "argentum")])
    assert target.is_dir()


def test_a_5000_character_argument_is_one_line(ws: Workspace) -> None:
    long = "x" * 5000
    cases = [
        ("weights", "deploy", long),
        ("weights", "diff", long, "generalist"),
        ("--run", "full", "--single", long),
        ("--run", "full", "--preset", long),
    ]
    for args in cases:
        proc = _cli(ws, *args)
        assert proc.returncode == 2, (args[:2], proc.stderr[:300])
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.splitlines()) == 1


def test_disk_full_while_saving_leaves_no_running_record(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC on the final record: the run ends failed, and the file on disk says so."""
    project = load_project_config(ws.configs_file)
    plan = build_plan(project, RunOptions(mode="validate-only", preset="smoke"), ws)
    backend = LocalBackend(ws, cores=2, bins=fake_bins)
    pipe = Pipeline(plan, backend, ws, lambda _ev: None)
    real = pipeline_mod.atomic_write_text

    def full_disk(path: Path, text: str) -> None:
        if path.parent == ws.runs_dir and pipe.record.phases["save"].state == "done":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(pipeline_mod, "atomic_write_text", full_disk)
    rec = asyncio.run(pipe.run())
    assert rec.state == "failed"
    assert any("No space left on device" in e for e in rec.errors)
    on_disk = RunRecord.model_validate_json(Path(rec.path).read_text())
    assert on_disk.state == "failed" and on_disk.effective_state() == "failed"


# --- data -------------------------------------------------------------------------------------


def test_a_bad_card_file_is_refused_once_before_any_job(ws: Workspace, real_bin_dir: Path) -> None:
    cards = sorted((ws.data_dir / "cards").glob("*.toml"))[0]
    cards.write_text(cards.read_text() + "\ngarbage = [\n")
    proc = _cli(ws, "--run", "full", "--preset", "smoke", "--json",
                env={"EWTUI_BIN_DIR": str(real_bin_dir)})  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (error,) = [ln for ln in proc.stderr.splitlines() if "error" in ln]
    assert str(cards) in error and "unclosed array" in error
    assert '"job_state"' not in proc.stdout  # no job started
    assert not ws.runs_dir.exists() or not list(ws.runs_dir.iterdir())


def test_a_bad_deck_file_is_named(ws: Workspace, real_bin_dir: Path) -> None:
    deck = sorted((ws.decks_dir / "symbiote").glob("*.toml"))[0]
    deck.write_text("this is = not toml [")
    with pytest.raises(ConfigError, match=deck.name):
        check_data(ws, real_bin_dir / "validate")


def test_a_faction_without_decks_is_refused(ws: Workspace, real_bin_dir: Path) -> None:
    shutil.rmtree(ws.decks_dir / "obsidion")
    (ws.decks_dir / "obsidion").mkdir()
    with pytest.raises(ConfigError, match="no decks for faction obsidion"):
        check_data(ws, real_bin_dir / "validate")


@pytest.mark.parametrize(
    ("rel", "body"),
    [("weights/generalist.toml", b"own_life = [\n"), ("weights/spec.json", b"{")],
)
def test_a_broken_deployed_weights_or_spec_is_refused_up_front(
    ws: Workspace, real_bin_dir: Path, rel: str, body: bytes
) -> None:
    (ws.data_dir / rel).write_bytes(body)
    with pytest.raises(ConfigError, match=rel.split("/")[-1]):
        check_data(ws, real_bin_dir / "validate")


def test_shipped_data_passes_the_check(ws: Workspace, real_bin_dir: Path) -> None:
    check_data(ws, real_bin_dir / "validate")


# --- values -----------------------------------------------------------------------------------


_ENTRY = '\n[[training]]\nname = "huge"\ntag = "huge"\nmode = "generalist"\n'


@pytest.mark.parametrize(
    ("append", "needle"),
    [
        (_ENTRY + "sigma = inf\n", "field `sigma`"),
        (_ENTRY + "games = 9223372036854775807\n", "4294967295"),
        (_ENTRY + "seed = -1\n", "field `seed`"),
    ],
)
def test_absurd_values_in_training_toml_are_refused_with_their_limit(
    ws: Workspace, append: str, needle: str
) -> None:
    ws.configs_file.write_text(ws.configs_file.read_text() + append)
    with pytest.raises(ConfigError, match=needle):
        load_project_config(ws.configs_file)
    _one_line_exit_2(_cli(ws, "--run", "full"), str(ws.configs_file), needle)


def test_an_infinite_price_is_refused(ws: Workspace) -> None:
    text = ws.configs_file.read_text()
    assert "price_per_core_hour = " in text
    ws.configs_file.write_text(
        text.replace("price_per_core_hour = ", "price_per_core_hour = inf #")
    )
    with pytest.raises(ConfigError, match="price_per_core_hour"):
        load_project_config(ws.configs_file)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--run", "full", "--validation-games", "4294967296"), "at most 4294967295"),
        (("--run", "full", "--cores", "100000000000000000000"), "at most 65535"),
        (("--run", "full", "--cores", "1e20"), "--cores"),
        (("--run", "full", "--run", "train-only"), "given twice"),
        (("--run", "validate-only", "--single", "generalist"), "conflicts"),
    ],
)
def test_absurd_or_conflicting_flags_are_refused(
    ws: Workspace, args: tuple[str, ...], needle: str
) -> None:
    _one_line_exit_2(_cli(ws, *args), needle)


def test_cores_above_the_machine_are_capped_with_a_note(ws: Workspace) -> None:
    project = load_project_config(ws.configs_file)
    machine = os.cpu_count() or 1
    plan = build_plan(project, RunOptions(cores=machine + 7, preset="smoke"), ws)
    assert plan.budget_cores == machine
    assert plan.notes == [
        f"--cores {machine + 7}: this machine has {machine} cores; using {machine}"
    ]


def test_json_lines_never_carry_nan_or_infinity() -> None:
    ev = JobEvent("j", None, LogEvent(level="info", msg="m", t=float("nan")))
    line = pipeline_event_to_json(ev)
    json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in {line}"))
    assert finite_json({"a": [float("inf"), 1.0, {"b": float("-inf")}]}) == {
        "a": [None, 1.0, {"b": None}]
    }


# --- modes and leftovers ----------------------------------------------------------------------


def test_atomic_writes_keep_the_mode_and_use_the_umask(tmp_path: Path) -> None:
    from core.fsutil import atomic_write_text

    shipped = tmp_path / "shipped.toml"
    shipped.write_text("a = 1\n")
    shipped.chmod(0o644)
    atomic_write_text(shipped, "a = 2\n")
    assert stat.S_IMODE(shipped.stat().st_mode) == 0o644
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.toml", "b = 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.toml").stat().st_mode) == 0o644


def test_a_killed_writers_temp_file_is_cleaned_by_the_next_deploy(ws: Workspace) -> None:
    from core.weights import deploy_many

    stale = ws.weights_dir / ".generalist.toml.abcd1234.tmp"
    stale.write_text("half")
    os.utime(stale, (1, 1))
    fresh = ws.weights_dir / ".generalist.toml.ffff0000.tmp"
    fresh.write_text("being written")
    deploy_many(ws, [])
    deploy_many(ws, [("x", ws.weights_file("generalist").read_text(), "generalist")])
    assert not stale.exists()
    assert fresh.exists()  # a live writer's file is left alone


def test_the_app_exits_nonzero_after_a_crash(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash inside the TUI (here: a bad experiment read while mounting) is exit 1, not 0."""
    import functools

    from textual.app import App

    from tui import app as tui_app
    from tui.cli import main

    def boom(self: object) -> None:
        raise RuntimeError("crash while mounting")

    monkeypatch.chdir(ws.root)
    monkeypatch.setattr(tui_app.EwtuiApp, "on_mount", boom, raising=False)
    monkeypatch.setattr(tui_app.EwtuiApp, "run", functools.partialmethod(App.run, headless=True))
    assert main([]) == 1


def test_a_read_only_runs_directory_is_a_config_error(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EROFS (a read-only mount: root too meets it) when the record is created."""
    real_mkdir = Path.mkdir

    def read_only(self: Path, *args: object, **kw: object) -> None:
        if self == ws.runs_dir:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        real_mkdir(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", read_only)
    project = load_project_config(ws.configs_file)
    plan = build_plan(project, RunOptions(mode="validate-only", preset="smoke"), ws)
    pipe = Pipeline(plan, LocalBackend(ws, cores=2, bins=fake_bins), ws, lambda _ev: None)
    with pytest.raises(ConfigError, match="cannot write the run record: Read-only file system"):
        asyncio.run(pipe.run())
