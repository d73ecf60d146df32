"""Validation reports for tests, built by the real binary: made-up matchup counts go to
``validate merge`` as a part, and the binary writes the report exactly as a run would."""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.binaries import ensure_binaries
from core.paths import Workspace

REPO = Path(__file__).resolve().parents[1]


def write_report(
    out_dir: Path,
    config: dict[str, Any],
    matchups: list[dict[str, Any]],
    time_s: float,
    cards: list[dict[str, Any]] | None = None,
) -> Path:
    """``out_dir`` holding results.json, summary.txt and config.toml of these counts (and of
    these card counts, when given)."""
    validate = ensure_binaries(Workspace(REPO)).validate
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    part = out_dir.parent / f".{out_dir.name}.counts.json"
    counts: dict[str, Any] = {
        "version": 1,
        "config": config,
        "matchups": matchups,
        "time_s": time_s,
    }
    if cards is not None:
        counts["cards"] = cards
    part.write_text(json.dumps(counts))
    try:
        subprocess.run(
            [str(validate), "merge", str(part), "--output-dir", str(out_dir)],
            check=True,
            capture_output=True,
        )
    finally:
        part.unlink()
    return out_dir


def deck_file_cards(decks_dir: Path) -> Callable[[str, str], dict[str, int]]:
    """The card list (card -> copies) of a deck, read from its file under ``decks_dir``."""

    def cards(deck: str, faction: str) -> dict[str, int]:
        text = (decks_dir / faction / f"{deck}.toml").read_text()
        return dict(tomllib.loads(text)["cards"])

    return cards


def made_up_cards(
    matchups: list[dict[str, Any]], card_list: Callable[[str, str], dict[str, int]]
) -> list[dict[str, Any]]:
    """Fixed card counts for every deck the matchups name, over ``card_list(deck, faction)``,
    that add up the way ``validate`` counts them (played within drawn within the deck's games
    and wins); each deck's last card is never played. The binary derives every rate from them."""
    totals: dict[tuple[str, str], list[int]] = {}
    for m in matchups:
        for side in ("a", "b"):
            t = totals.setdefault((m[f"deck_{side}"], m[f"faction_{side}"]), [0, 0, 0])
            t[0] += m["games"]
            t[1] += m[f"{side}_wins"]
            t[2] += m["draws"]
    out = []
    for (deck, faction), (games, wins, _) in totals.items():
        table = card_list(deck, faction)
        names = sorted(table)
        rate = wins / games
        for j, name in enumerate(names):
            skew = ((j * 37) % 21 - 10) / 100
            drawn = games * (45 + (j * 7) % 50) // 100
            drawn_wins = min(wins, max(0, round(drawn * min(1.0, rate + skew / 2))))
            played = 0 if j == len(names) - 1 else drawn * (55 + (j * 13) % 40) // 100
            played_wins = min(drawn_wins, played, max(0, round(played * min(1.0, rate + skew))))
            plays = played + played * (table[name] - 1) // 3
            out.append(
                {
                    "deck": deck,
                    "faction": faction,
                    "card": name,
                    "copies": table[name],
                    "drawn_games": drawn,
                    "drawn_wins": drawn_wins,
                    "drawn_draws": 0,
                    "played_games": played,
                    "played_wins": played_wins,
                    "played_draws": 0,
                    "plays": plays,
                    "play_turns": plays * (2 + j % 7),
                }
            )
    return out
