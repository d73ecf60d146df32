"""Fixture data for the TUI tests: a workspace with hand-made training experiments and a
validation run, laid out as docs/tune.md and docs/validate.md describe, with fixed values (no
clocks, no randomness) so screens render the same every time.

The validation report is built by the real `validate merge` from fixed matchup counts over the
workspace's real decks, so every summary in it is the binary's own.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
import tomli_w
from expfixtures import stand_in_interval
from reportfix import write_report
from rich.console import Console
from rich.text import Text
from textual.widgets import Static

from core.factions import FACTIONS, PAIRS
from core.paths import Workspace
from core.weights import load_spec

TRAIN_EXPERIMENTS = (
    # (directory, mode, faction, tag, generations, start fitness, gain per generation)
    ("2026-01-10_0900_generalist-v1", "generalist", None, "generalist-v1", 12, 0.41, 0.012),
    ("2026-01-12_1400_argentum-v1", "specialist", "argentum", "argentum-v1", 8, 0.38, 0.02),
    ("2026-01-15_0830_generalist-v2", "generalist", None, "generalist-v2", 10, 0.45, 0.015),
)
HELDOUT = {
    # held-out head-to-head (wins of 1,600) and fitness (wins of 1,000), fixed
    "generalist-v1": (810, 598),
    "generalist-v2": (957, 612),
}
VALIDATION_RUN = "2026-01-16_101500"


def _heldout(tag: str) -> dict | None:
    """A `heldout` object as `tune` writes it (argentum-v1 predates the evaluation)."""
    if tag not in HELDOUT:
        return None
    wins, fit = HELDOUT[tag]
    h2h = {"games": 1600, "wins": wins, "losses": 1600 - wins - 10, "draws": 10}
    h2h_score = (wins + 0.5 * 10) / 1600
    return {
        "games": 1000,
        "h2h_games": 1600,
        "baseline": "data/weights/generalist.toml",
        "baseline_sha256": "0" * 64,
        "winner": "mean",
        "fitness": fit / 1000,
        "fitness_ci95": stand_in_interval(fit / 1000, 0.031),
        "win_rates": {"random": 0.97, "greedy": round(h2h_score, 4), "mcts": 0.29},
        "h2h": {
            **h2h,
            "score": h2h_score,
            "ci95": stand_in_interval(h2h_score, 0.025),
        },
        "candidates": [],
        "cpu_s": 40.0,
    }


GAMES_PER_SEAT = 50


def _weights(ws: Workspace, shift: float) -> dict[str, float]:
    """Spec defaults moved by `shift` of each range, alternating up and down, within bounds."""
    spec = load_spec(ws)
    out = {}
    for i, b in enumerate(spec.bounds):
        step = shift * (b.max - b.min) * (1 if i % 2 == 0 else -1) * (1 + i % 3) / 3
        out[b.name] = round(min(b.max, max(b.min, b.default + step)), 6)
    return out


def _write_train(ws: Workspace, entry: tuple, index: int) -> Path:
    name, mode, faction, tag, gens, start, gain = entry
    d = ws.experiments_dir / name
    d.mkdir(parents=True)
    rows = []
    best_ever = 0.0
    for g in range(1, gens + 1):
        # A rising curve with a dip every third generation, so the best-ever column differs.
        best = round(start + gain * g - (0.01 if g % 3 == 0 else 0.0), 6)
        best_ever = max(best_ever, best)
        rows.append(
            {
                "gen": g,
                "evals": 10 * g,
                "games": 600 * g,
                "best_fitness": best,
                "mean_fitness": round(best - 0.05, 6),
                "worst_fitness": round(best - 0.1, 6),
                "best_fitness_ever": best_ever,
                "win_rate_random": 0.9,
                "win_rate_greedy": round(best, 6),
                "win_rate_mcts": round(best - 0.1, 6),
                "sigma": round(0.2 * 0.95**g, 6),
                "axis_ratio": 1.5,
                "elapsed_s": 30.0 * g,
                "cpu_s": 60.0 * g,
            }
        )
    with (d / "stats.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    weights = _weights(ws, 0.05 * (index + 1))
    (d / "weights.toml").write_text(tomli_w.dumps(weights))
    (d / "config.toml").write_text(
        tomli_w.dumps({"mode": mode, "tag": tag, "generations": gens, "games": 100, "seed": 42})
        if faction is None
        else tomli_w.dumps(
            {"mode": mode, "faction": faction, "tag": tag, "generations": gens, "seed": 42}
        )
    )
    summary = {
        "version": 1,
        "mode": mode,
        "faction": faction,
        "tag": tag,
        "seed": 42,
        "generations": gens,
        "generations_planned": gens,
        "population": 10,
        "games_per_eval": 100,
        "evaluations": 10 * gens,
        "games": 600 * gens,
        "best_fitness": best_ever,
        "best_gen": gens,
        "win_rates": {"random": 0.9, "greedy": best_ever, "mcts": round(best_ever - 0.1, 6)},
        "fitness_weights": [0.1, 0.4, 0.5],
        "sigma": 0.1,
        "elapsed_s": 30.0 * gens,
        "cpu_s": 60.0 * gens,
        "stop_reason": "generations",
        "experiment_dir": str(d),
        "weights": str(d / "weights.toml"),
        "deployed": None,
        "heldout": _heldout(tag),
    }
    (d / "summary.json").write_text(json.dumps(summary, indent=2))
    return d


def _decks(ws: Workspace) -> dict[str, list[str]]:
    return {f: sorted(p.stem for p in (ws.decks_dir / f).glob("*.toml")) for f in FACTIONS}


def _matchups(ws: Workspace) -> list[dict[str, object]]:
    """Fixed results: argentum is strong against symbiote, one matchup is lopsided."""
    decks = _decks(ws)
    out = []
    n = GAMES_PER_SEAT
    for k, (fa, fb) in enumerate(PAIRS):
        for i, a in enumerate(decks[fa]):
            for j, b in enumerate(decks[fb]):
                games = 2 * n
                a_wins = [62, 50, 47][k] + 5 * i - 4 * j
                if (k, i, j) == (0, 0, 0):
                    a_wins = 82  # the lopsided one
                draws = (i + j) % 3
                b_wins = games - a_wins - draws
                a_first = a_wins // 2 + 3
                b_first = b_wins // 2 + 2
                out.append(
                    {
                        "deck_a": a,
                        "deck_b": b,
                        "faction_a": fa,
                        "faction_b": fb,
                        "games": games,
                        "a_wins": a_wins,
                        "b_wins": b_wins,
                        "draws": draws,
                        "a_wins_as_first": a_first,
                        "b_wins_as_first": b_first,
                        "a_games_as_first": n,
                        "b_games_as_first": n,
                        "a_draws_as_first": 0,
                        "b_draws_as_first": draws,
                        "turns": games * (14 + i + j),
                        "time_s": 1.5,
                    }
                )
    return out


def write_validation(ws: Workspace, run_id: str = VALIDATION_RUN) -> Path:
    config = {
        "games": GAMES_PER_SEAT,
        "seed": 42,
        "bot": "greedy",
        "mcts_sims": 100,
        "matchup": None,
        "weights": {f: {"kind": "specialist", "file": f"specialists/{f}.toml"} for f in FACTIONS},
    }
    return write_report(ws.validation_dir / run_id, config, _matchups(ws), 61.0)


def populate(ws: Workspace) -> Workspace:
    """Add the fixture experiments and validation run to a workspace."""
    for i, entry in enumerate(TRAIN_EXPERIMENTS):
        _write_train(ws, entry, i)
    write_validation(ws)
    return ws


@pytest.fixture
def populated_ws(ws: Workspace) -> Workspace:
    return populate(ws)


@pytest.fixture
def fake_binaries(fake_bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared test double of the binaries (tests/fakebin), found through EWTUI_BIN_DIR."""
    monkeypatch.setenv("EWTUI_BIN_DIR", str(fake_bin_dir))
    return fake_bin_dir


def shown_text(static: Static, width: int = 200) -> str:
    """The plain text a `Static` shows, whatever it was given (str, Text, table, group)."""
    content = static.content
    if isinstance(content, str):
        return Text.from_markup(content).plain
    console = Console(width=width, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(content)
    return capture.get()


async def wait_until(pilot, condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


async def form_ready(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for the launch form: it is filled after the first frame, once a worker has read
    the project (tui.screens.launch)."""
    await wait_until(pilot, lambda: bool(pilot.app.screen.query("#plan.plan-ready")))
    await pilot.pause()


def test_fixture_experiments_are_listed_by_core(populated_ws: Workspace) -> None:
    from core.experiments import ExperimentStore

    items = ExperimentStore(populated_ws).list()
    kinds = sorted(e.kind for e in items)
    assert kinds == ["train", "train", "train", "validation"]
    assert all(e.complete for e in items)


def test_fixture_report_is_consistent(populated_ws: Workspace) -> None:
    from core.validation import load_report

    report = load_report(populated_ws.validation_dir / VALIDATION_RUN / "results.json")
    assert len(report.matchups) == populated_ws.matchup_count()
    assert report.verdict in ("warning", "imbalanced")
    assert report.warnings
    for m in report.matchups:
        assert m.a_wins + m.b_wins + m.draws == m.games


async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until the screen shown has drawn what its worker threads read
    (`tui.app.screen_filled`: the class `loaded` where the screen is filled by workers, none of
    the busy classes)."""
    from tui.app import screen_filled

    await pilot.pause()  # the events of what the test just did are handled (a worker started)
    await wait_until(pilot, lambda: screen_filled(pilot.app.screen))
    await pilot.pause()
