"""Validation reports: a read-only model of ``results.json`` (docs/validate.md).

The ``validate`` binary is the one author of a report: a full run and ``validate merge`` (partial
runs) build it in Rust, with ``summary.txt`` beside it. Python reads it and never recomputes a
number in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import ConfigError

Interval = tuple[float, float]
Level = Literal["warning", "imbalanced"]


class _Frozen(BaseModel):
    # Fields a newer binary adds are ignored, so an older ewtui still reads its reports.
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Matchup(_Frozen):
    deck_a: str
    deck_b: str
    faction_a: str
    faction_b: str
    games: int
    a_wins: int
    b_wins: int
    draws: int
    a_wins_as_first: int
    b_wins_as_first: int
    a_games_as_first: int
    b_games_as_first: int
    a_draws_as_first: int
    b_draws_as_first: int
    first_seat_wins: int
    turns: int
    avg_turns: float
    a_win_rate: float
    a_win_rate_ci95: Interval
    time_s: float

    @property
    def pair(self) -> str:
        return f"{self.faction_a}-{self.faction_b}"


class OpponentRate(_Frozen):
    opponent: str
    faction: str
    win_rate: float


class DeckStats(_Frozen):
    deck: str
    faction: str
    games: int
    wins: int
    losses: int
    draws: int
    games_as_first: int
    wins_as_first: int
    draws_as_first: int
    turns: int
    avg_turns: float
    win_rate: float
    win_rate_ci95: Interval
    win_rate_as_first: float
    best_matchup: OpponentRate | None
    worst_matchup: OpponentRate | None


class FactionStats(_Frozen):
    faction: str
    games: int
    wins: int
    losses: int
    draws: int
    win_rate: float
    win_rate_ci95: Interval


class FactionPairStats(_Frozen):
    faction_a: str
    faction_b: str
    games: int
    a_wins: int
    b_wins: int
    draws: int
    a_win_rate: float
    a_win_rate_ci95: Interval


class FirstSeat(_Frozen):
    games: int
    wins: int
    losses: int
    draws: int
    win_rate: float
    ci95: Interval
    p_value: float
    test: str


class Thresholds(_Frozen):
    z: float
    faction_warning: float
    faction_imbalanced: float
    deck_warning: float
    deck_imbalanced: float
    matchup_warning: float
    matchup_imbalanced: float
    first_seat_warning: float
    first_seat_imbalanced: float
    flag_z: float
    require_significance: bool


class BalanceWarning(_Frozen):
    level: Level
    kind: Literal["first_seat", "faction", "deck", "matchup"]
    subject: str
    win_rate: float
    ci95: Interval
    threshold: float
    message: str


class Extremes(_Frozen):
    weakest_deck: str | None
    strongest_deck: str | None
    most_lopsided_matchup: tuple[str, str] | None


class CardStats(_Frozen):
    """One card of one deck: the games it was drawn and played in, and its impact (the played
    win rate minus the deck's, with Newcombe's interval; docs/validate.md)."""

    deck: str
    faction: str
    card: str
    copies: int
    drawn_games: int
    drawn_wins: int
    drawn_draws: int
    played_games: int
    played_wins: int
    played_draws: int
    plays: int
    play_turns: int
    played_win_rate: float
    played_win_rate_ci95: Interval
    drawn_win_rate: float
    drawn_win_rate_ci95: Interval
    avg_play_turn: float
    impact: float
    impact_ci95: Interval

    @property
    def significant(self) -> bool:
        """The impact interval excludes 0."""
        return self.impact_ci95[0] > 0.0 or self.impact_ci95[1] < 0.0


class ValidationReport(_Frozen):
    version: Literal[1]
    config: dict[str, Any]
    matchups: tuple[Matchup, ...]
    decks: tuple[DeckStats, ...]
    factions: tuple[FactionStats, ...]
    faction_pairs: tuple[FactionPairStats, ...]
    first_seat: FirstSeat
    verdict: Literal["balanced", "warning", "imbalanced"]
    thresholds: Thresholds
    warnings: tuple[BalanceWarning, ...]
    extremes: Extremes
    # Reports written before card statistics existed have none.
    cards: tuple[CardStats, ...] = ()
    games: int
    time_s: float

    def faction_win_rates(self) -> dict[str, float]:
        return {f.faction: f.win_rate for f in self.factions}

    def deck_cards(self, deck: str) -> list[CardStats]:
        """The cards of `deck`, highest impact first (ties in the report's order)."""
        return sorted((c for c in self.cards if c.deck == deck), key=lambda c: -c.impact)

    def bot_label(self) -> str:
        """The bot as ``summary.txt`` names it: ``greedy`` or ``mcts:SIMS``."""
        bot = self.config.get("bot")
        return f"mcts:{self.config.get('mcts_sims')}" if bot == "mcts" else str(bot)


def load_report(path: Path) -> ValidationReport:
    from core.fsutil import read_text

    return parse_report(read_text(path), str(path))


def parse_report(text: str, origin: str) -> ValidationReport:
    try:
        return ValidationReport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{origin}: field `{loc}`: {first['msg']}") from None
