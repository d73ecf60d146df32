import json
import random
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.validation import (
    DEFAULT_THRESHOLDS,
    PAIRS,
    Matchup,
    load_report,
    merge_reports,
    recompute,
    render_summary,
    save_report,
)

DECKS = {"argentum": ["ax", "ay"], "symbiote": ["sx", "sy"], "obsidion": ["ox"]}
CONFIG = {
    "games": 50,
    "seed": 7,
    "bot": "greedy",
    "mcts_sims": 100,
    "matchup": None,
    "weights": {"argentum": {"kind": "generalist", "file": "w.toml"}},
}


def make_matchups(seed: int = 1, bias: float = 0.0) -> list[Matchup]:
    rng = random.Random(seed)
    out = []
    for fa, fb in PAIRS:
        for da in DECKS[fa]:
            for db in DECKS[fb]:
                n = 50
                a1 = rng.randint(0, n)
                b1 = rng.randint(0, n - a1)
                d1 = n - a1 - b1
                b2 = rng.randint(0, n)
                a2 = min(n - b2, int(rng.randint(0, n - b2) + bias * n) if n - b2 else 0)
                d2 = n - b2 - a2
                aw, bw, dr = a1 + a2, b1 + b2, d1 + d2
                g = 2 * n
                rate = (aw + 0.5 * dr) / g
                out.append(
                    Matchup(
                        deck_a=da,
                        deck_b=db,
                        faction_a=fa,
                        faction_b=fb,
                        games=g,
                        a_wins=aw,
                        b_wins=bw,
                        draws=dr,
                        a_wins_as_first=a1,
                        b_wins_as_first=b2,
                        a_games_as_first=n,
                        b_games_as_first=n,
                        first_seat_wins=a1 + b2,
                        turns=15 * g,
                        avg_turns=15.0,
                        a_win_rate=rate,
                        time_s=0.1,
                        a_draws_as_first=d1,
                        b_draws_as_first=d2,
                    )
                )
    return out


def test_recompute_sums_and_orders() -> None:
    ms = make_matchups()
    random.Random(3).shuffle(ms)
    r = recompute(CONFIG, ms, DEFAULT_THRESHOLDS, 1.0)
    assert [(m.deck_a, m.deck_b) for m in r.matchups][:4] == [
        ("ax", "sx"),
        ("ax", "sy"),
        ("ay", "sx"),
        ("ay", "sy"),
    ]
    assert [d["deck"] for d in r.decks] == ["ax", "ay", "sx", "sy", "ox"]
    assert r.games == sum(m.games for m in ms) == r.first_seat["games"]
    total_wins = sum(f["wins"] for f in r.factions)
    assert total_wins == sum(m.a_wins + m.b_wins for m in ms)
    for d in r.decks:
        assert d["wins"] + d["losses"] + d["draws"] == d["games"]
    assert [(p["faction_a"], p["faction_b"]) for p in r.faction_pairs] == list(PAIRS)
    assert r.verdict in ("balanced", "warning", "imbalanced")


def test_lopsided_results_are_flagged_with_the_documented_message() -> None:
    ms = make_matchups()
    m = ms[0]
    lop = m.model_copy(
        update={
            "a_wins": 95,
            "b_wins": 5,
            "draws": 0,
            "a_win_rate": 0.95,
            "a_win_rate_ci95": [0.888, 0.978],
        }
    )
    r = recompute(CONFIG, [lop, *ms[1:]], DEFAULT_THRESHOLDS, 1.0)
    w = next(x for x in r.warnings if x["kind"] == "matchup")
    assert w["level"] == "imbalanced" and w["subject"] == "ax vs sx"
    assert w["message"] == "matchup ax vs sx: 95.0% (95% CI 88.8-97.8%) outside 25-75%"
    assert r.verdict == "imbalanced"
    assert r.extremes["most_lopsided_matchup"] == ["ax", "sx"]


def test_merging_faction_pairs_equals_the_whole_run() -> None:
    ms = make_matchups(5)
    whole = recompute(CONFIG, ms, DEFAULT_THRESHOLDS, 3.0)
    parts = []
    for fa, fb in PAIRS:
        sub = [m for m in ms if (m.faction_a, m.faction_b) == (fa, fb)]
        parts.append(recompute({**CONFIG, "matchup": f"{fa}-{fb}"}, sub, DEFAULT_THRESHOLDS, 1.0))
    merged = merge_reports(list(reversed(parts)))
    a = merged.model_dump(mode="json")
    b = whole.model_dump(mode="json")
    a.pop("time_s"), b.pop("time_s")
    assert a == b
    assert merged.time_s == 1.0  # parallel parts: the longest


def test_merge_refuses_mismatched_configs_and_overlaps() -> None:
    ms = make_matchups()
    one = recompute({**CONFIG, "matchup": "argentum-symbiote"}, ms[:4], DEFAULT_THRESHOLDS, 1)
    other = recompute(
        {**CONFIG, "seed": 8, "matchup": "argentum-obsidion"}, ms[4:6], DEFAULT_THRESHOLDS, 1
    )
    with pytest.raises(ConfigError, match="config differs in seed"):
        merge_reports([one, other])
    with pytest.raises(ConfigError, match="twice"):
        merge_reports([one, one])
    with pytest.raises(ConfigError, match="no validation reports"):
        merge_reports([])


def test_save_and_load_round_trip_and_summary(tmp_path: Path) -> None:
    r = recompute(CONFIG, make_matchups(), DEFAULT_THRESHOLDS, 2.5)
    paths = save_report(r, tmp_path / "run", {"run_id": "x"})
    assert load_report(paths["results"]) == r
    text = paths["summary_txt"].read_text()
    assert text.startswith("Essence Wars balance validation\nbot greedy · 50 games per seat order")
    assert "argentum vs symbiote: win% of the row deck" in text
    assert f"verdict: {r.verdict.upper()}" in text
    assert render_summary(r) == text
    assert 'run_id = "x"' in paths["config"].read_text()


def test_bad_results_file_names_the_field(tmp_path: Path) -> None:
    p = tmp_path / "results.json"
    p.write_text(json.dumps({"config": {}, "matchups": [{"deck_a": "x"}]}))
    with pytest.raises(ConfigError, match=r"results.json: field `matchups.0.deck_b`"):
        load_report(p)
