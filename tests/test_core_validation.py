"""The read-only model of ``results.json``, over reports the real binary writes."""

import json
import random
from pathlib import Path

import pytest
from reportfix import made_up_cards, write_report

from core.errors import ConfigError
from core.factions import FACTIONS, PAIRS
from core.validation import ValidationReport, load_report

DECKS = {"argentum": ["ax", "ay"], "symbiote": ["sx", "sy"], "obsidion": ["ox"]}
CONFIG = {
    "games": 50,
    "seed": 7,
    "bot": "mcts",
    "mcts_sims": 30,
    "matchup": None,
    "weights": {"argentum": {"kind": "generalist", "file": "w.toml"}},
}


def counts(da: str, fa: str, db: str, fb: str, rng: random.Random) -> dict[str, object]:
    """Made-up results of 50 games per seat order that add up like real ones."""
    n = 50
    a1 = rng.randint(0, n)
    d1 = rng.randint(0, n - a1)
    b2 = rng.randint(0, n)
    d2 = rng.randint(0, n - b2)
    return {
        "deck_a": da,
        "deck_b": db,
        "faction_a": fa,
        "faction_b": fb,
        "games": 2 * n,
        "a_wins": a1 + (n - b2 - d2),
        "b_wins": b2 + (n - a1 - d1),
        "draws": d1 + d2,
        "a_wins_as_first": a1,
        "b_wins_as_first": b2,
        "a_games_as_first": n,
        "b_games_as_first": n,
        "a_draws_as_first": d1,
        "b_draws_as_first": d2,
        "turns": 1500,
        "time_s": 0.1,
    }


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(1)
    ms = [counts(da, fa, db, fb, rng) for fa, fb in PAIRS for da in DECKS[fa] for db in DECKS[fb]]
    # One lopsided matchup: 95 of 100 for ax against sx.
    ms[0].update(
        a_wins=95, b_wins=5, draws=0, a_wins_as_first=50, b_wins_as_first=5,
        a_draws_as_first=0, b_draws_as_first=0,
    )  # fmt: skip
    return write_report(tmp_path_factory.mktemp("v") / "run", CONFIG, ms, 2.5)


def test_the_model_holds_every_field_of_a_real_report(report_dir: Path) -> None:
    text = (report_dir / "results.json").read_text()
    report = load_report(report_dir / "results.json")
    # Nothing the binary writes is dropped or altered on the way in.
    assert report.model_dump(mode="json") == json.loads(text)
    assert [(p.faction_a, p.faction_b) for p in report.faction_pairs] == list(PAIRS)
    assert list(report.faction_win_rates()) == list(FACTIONS)


def test_a_lopsided_matchup_reads_as_flagged(report_dir: Path) -> None:
    report = load_report(report_dir / "results.json")
    w = next(x for x in report.warnings if x.kind == "matchup")
    assert (w.level, w.subject, w.win_rate) == ("imbalanced", "ax vs sx", 0.95)
    assert w.message.startswith("matchup ax vs sx: 95.0% (95% CI ")
    assert report.verdict == "imbalanced"
    assert report.extremes.most_lopsided_matchup == ("ax", "sx")
    assert report.bot_label() == "mcts:30"
    summary = (report_dir / "summary.txt").read_text()
    assert summary.startswith("Essence Wars balance validation\nbot mcts:30 · 50 games")
    assert "verdict: IMBALANCED" in summary


def test_a_report_is_read_only(report_dir: Path) -> None:
    report = load_report(report_dir / "results.json")
    with pytest.raises(ValueError, match="frozen"):
        report.verdict = "balanced"  # type: ignore[misc]


def test_bad_results_file_names_the_field(tmp_path: Path, report_dir: Path) -> None:
    good = json.loads((report_dir / "results.json").read_text())
    p = tmp_path / "results.json"
    del good["matchups"][1]["deck_b"]
    p.write_text(json.dumps(good))
    with pytest.raises(ConfigError, match=r"results.json: field `matchups.1.deck_b`"):
        load_report(p)
    with pytest.raises(ConfigError, match="cannot read"):
        load_report(tmp_path / "missing.json")
    assert isinstance(load_report(report_dir / "results.json"), ValidationReport)


def test_the_model_reads_the_card_statistics_the_binary_derives(tmp_path: Path) -> None:
    rng = random.Random(2)
    ms = [counts(da, fa, db, fb, rng) for fa, fb in PAIRS for da in DECKS[fa] for db in DECKS[fb]]
    cards = made_up_cards(ms, lambda deck, _: {f"{deck}_c{i}": 1 + i % 3 for i in range(5)})
    out = write_report(tmp_path / "run", CONFIG, ms, 1.0, cards)
    text = (out / "results.json").read_text()
    report = load_report(out / "results.json")
    assert report.model_dump(mode="json") == json.loads(text)
    assert len(report.cards) == 5 * sum(len(d) for d in DECKS.values())
    deck = {d.deck: d for d in report.decks}
    for c in report.cards:
        # Rates come from the binary, which derives them from the counts given.
        assert c.played_win_rate == pytest.approx(
            c.played_wins / c.played_games if c.played_games else 0
        )
        if c.played_games:
            assert c.impact == pytest.approx(c.played_win_rate - deck[c.deck].win_rate)
            assert c.impact_ci95[0] <= c.impact <= c.impact_ci95[1]
        assert c.significant == (c.impact_ci95[0] > 0 or c.impact_ci95[1] < 0)
    ordered = report.deck_cards("ax")
    assert [c.impact for c in ordered] == sorted((c.impact for c in ordered), reverse=True)


def test_a_report_without_cards_reads_as_none(report_dir: Path) -> None:
    assert load_report(report_dir / "results.json").cards == ()
