"""The strength ladder: stored and reused arena games (the test double of ``arena``, whose calls
are counted), and the Bradley-Terry fit."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from core.binaries import Binaries
from core.config import LadderSettings
from core.ladder import (
    ELO_PER_NAT,
    Entry,
    Pairing,
    Side,
    current,
    entries,
    fit,
    render,
    update,
)
from core.paths import Workspace
from core.weights import deploy_many

SETTINGS = LadderSettings(greedy_games=200, mcts_games=40)


def arena_calls(log: Path) -> int:
    return (
        sum(1 for x in log.read_text().splitlines() if x.startswith("arena")) if log.exists() else 0
    )


def redeploy(ws: Workspace, shift: float) -> None:
    """Deploy a new generalist (the old one goes to the history)."""
    path = ws.weights_file("generalist")
    lines = path.read_text().splitlines()
    name, value = next(
        (ln.split("=")[0].strip(), float(ln.split("=")[1].split("#")[0]))
        for ln in lines
        if "=" in ln and not ln.startswith("#")
    )
    text = "\n".join(ln for ln in lines if not ln.startswith(f"{name} ")) + "\n"
    text += f"{name} = {value * (1 + shift)!r}\n"
    deploy_many(ws, [("test", text, "generalist")])


def test_the_ladder_reuses_stored_games(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_CALL_LOG", str(log))
    arena = fake_bins.tune.parent / "arena"

    first = update(ws, SETTINGS, arena)
    # random, greedy, mcts:50, mcts:100: every pair once.
    assert first.played == 6 == arena_calls(log)
    assert len(list((ws.experiments_dir / "ladder").glob("*.json"))) == 6

    again = update(ws, SETTINGS, arena)
    assert again.played == 0 and again.games == 0
    assert arena_calls(log) == 6, "a second update must play no new games"

    # A deploy: the old file becomes a history version (the same entry, its games kept), and
    # the new file's greedy and mcts entries are new.
    redeploy(ws, 0.05)
    third = update(ws, SETTINGS, arena)
    items = entries(ws, SETTINGS)
    assert [e.label for e in items][:4] == [
        "random",
        "greedy (deployed)",
        "mcts:50 (deployed)",
        "mcts:100 (deployed)",
    ]
    assert items[4].label.startswith("generalist ")
    # New: greedy vs random, old version; mcts:50 vs random, greedy, mcts:100; mcts:100 vs
    # random, greedy. The old version vs random was stored as the old greedy's.
    assert third.played == 7
    assert arena_calls(log) == 13
    assert update(ws, SETTINGS, arena).played == 0

    lad = current(ws, SETTINGS)
    by_label = {r.entry.label: r for r in lad.ratings}
    assert by_label["random"].elo == 1000.0
    assert all(r.elo is not None and r.ci95 is not None for r in lad.ratings)
    assert by_label["mcts:100 (deployed)"].original == 1500.0
    assert by_label[items[4].label].original is None
    text = "\n".join(render(lad))
    assert "anchor" in text and "original" in text


def test_the_fit_recovers_known_ratings() -> None:
    truth = {"random": 1000.0, "a": 1300.0, "b": 1450.0, "c": 1500.0}
    items = [Entry(id=k, kind="random" if k == "random" else "greedy", label=k) for k in truth]
    rng = random.Random(3)
    records = []
    names = list(truth)
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            p = 1 / (1 + 10 ** ((truth[y] - truth[x]) / 400))
            n = 4000
            w = sum(rng.random() < p for _ in range(n))
            records.append(
                Pairing(
                    a=Side(id=x, spec=x, sha256=None, label=x),
                    b=Side(id=y, spec=y, sha256=None, label=y),
                    seed=1,
                    games=n,
                    a_wins=w,
                    b_wins=n - w,
                    draws=0,
                    played=0.0,
                )
            )
    lad = fit(items, records)
    got = {r.entry.id: r for r in lad.ratings}
    for k, v in truth.items():
        r = got[k]
        assert r.elo is not None and r.ci95 is not None
        assert r.ci95[0] <= v <= r.ci95[1], (k, r.elo, r.ci95)
        if k != "random":
            assert 5 < r.ci95[1] - r.ci95[0] < 60
    assert [r.entry.id for r in lad.ratings] == ["c", "b", "a", "random"]
    assert lad.games == 6 * 4000 and lad.pairings == 6


def test_a_bot_that_wins_every_game_keeps_a_finite_rating() -> None:
    items = [
        Entry(id="random", kind="random", label="random"),
        Entry(id="m", kind="mcts", sims=50, label="m"),
    ]
    rec = Pairing(
        a=Side(id="m", spec="m", sha256=None, label="m"),
        b=Side(id="random", spec="random", sha256=None, label="random"),
        seed=1,
        games=100,
        a_wins=100,
        b_wins=0,
        draws=0,
        played=0.0,
    )
    lad = fit(items, [rec])
    m = next(r for r in lad.ratings if r.entry.id == "m")
    assert m.elo is not None and math.isfinite(m.elo)
    # One virtual draw in 101 games: 100.5 / 0.5 odds.
    assert m.elo == pytest.approx(1000 + ELO_PER_NAT * math.log(100.5 / 0.5), abs=0.5)


def test_an_entry_without_games_is_unrated() -> None:
    items = [
        Entry(id="random", kind="random", label="random"),
        Entry(id="x", kind="greedy", label="x"),
    ]
    lad = fit(items, [])
    x = next(r for r in lad.ratings if r.entry.id == "x")
    assert x.elo is None and x.ci95 is None and x.games == 0
