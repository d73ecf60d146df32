"""The cards view: a deck's cards by impact from a report the real binary built, reached from the
validation matrix with enter on a deck's cell, readable at 80x24."""

from __future__ import annotations

import pytest
from reportfix import deck_file_cards, made_up_cards, write_report
from test_tui_support import GAMES_PER_SEAT, _matchups, populated_ws, settled, shown_text
from textual.widgets import DataTable, Static

from core.paths import Workspace
from core.validation import load_report
from tui.app import EwtuiApp
from tui.screens.cards import DOWN, UP, CardsScreen, bar, scale_of
from tui.screens.matrix import MatchupScreen, MatrixScreen
from tui.widgets.heatmap import Heatmap

__all__ = ["populated_ws"]
CARDS_RUN = "2026-01-17_090000"


@pytest.fixture
def cards_ws(populated_ws: Workspace) -> Workspace:
    """The fixture workspace plus a newer validation run with card statistics."""
    matchups = _matchups(populated_ws)
    config = {"games": GAMES_PER_SEAT, "seed": 43, "bot": "greedy", "mcts_sims": 100}
    config["matchup"] = None
    cards = made_up_cards(matchups, deck_file_cards(populated_ws.decks_dir))
    write_report(populated_ws.validation_dir / CARDS_RUN, config, matchups, 60.0, cards)
    return populated_ws


async def test_enter_on_a_deck_cell_shows_its_cards_by_impact(cards_ws: Workspace) -> None:
    app = EwtuiApp(cards_ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v")
        await settled(pilot)
        matrix = app.screen
        assert isinstance(matrix, MatrixScreen) and matrix.report is not None
        assert matrix.path is not None and matrix.path.endswith(CARDS_RUN)
        decks = [d.deck for d in matrix.report.decks]
        heat = matrix.query_one(Heatmap)
        heat.focus()
        # A matchup cell still opens the matchup; the deck's own cell opens its cards.
        heat.move_cursor(row=decks.index("radiant_order"), column=len(decks))
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, MatchupScreen)
        await pilot.press("escape")
        heat.move_cursor(row=decks.index("radiant_order"), column=0)
        await pilot.press("enter")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, CardsScreen) and screen.deck == "radiant_order"

        report = matrix.report
        mine = [c for c in report.cards if c.deck == "radiant_order"]
        table = screen.query_one(DataTable)
        assert table.row_count == len(mine) > 5
        shown = [str(k.value) for k in table.rows]
        played = [c for c in mine if c.played_games]
        # Played cards by impact, highest first; the never-played card last.
        assert shown[: len(played)] == [c.card for c in sorted(played, key=lambda c: -c.impact)]
        assert shown[-1] == next(c.card for c in mine if not c.played_games)
        # A card is marked exactly when its interval excludes 0, with the direction of the sign.
        for row, card in zip(range(table.row_count), screen.cards, strict=True):
            marker = table.get_row_at(row)[-1].plain
            lo, hi = card.impact_ci95
            want = UP if lo > 0 else DOWN if hi < 0 else ""
            assert marker == want, (card.card, card.impact_ci95)
        assert any(c.significant for c in mine) and not all(c.significant for c in played)
        # The highlighted card's numbers, as the report holds them.
        top = screen.cards[0]
        detail = shown_text(screen.query_one("#cards-detail", Static))
        assert top.card in detail and f"{100 * top.impact:+.1f}" in detail

        await pilot.press("n")
        await settled(pilot)
        assert screen.deck == decks[decks.index("radiant_order") + 1]
        await pilot.press("p", "p")
        await settled(pilot)
        assert screen.deck == decks[decks.index("radiant_order") - 1]
        await pilot.press("escape")
        await settled(pilot)
        assert app.screen is matrix
        # `i` opens the cards of the highlighted row's deck too.
        heat.move_cursor(row=decks.index("night_court"), column=3)
        await pilot.press("i")
        await settled(pilot)
        assert isinstance(app.screen, CardsScreen) and app.screen.deck == "night_court"


async def test_a_report_without_cards_says_so(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("v", "i")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, CardsScreen)
        assert "No card statistics" in shown_text(screen.query_one("#cards-legend", Static))
        assert screen.query_one(DataTable).row_count == 0


def test_the_bar_spans_the_interval_on_the_decks_scale(cards_ws: Workspace) -> None:
    report = load_report(cards_ws.validation_dir / CARDS_RUN / "results.json")
    cards = [c for c in report.cards if c.deck == "iron_bastion"]
    scale = scale_of(cards)
    assert all(-scale <= x <= scale for c in cards if c.played_games for x in c.impact_ci95)
    for c in cards:
        text = bar(c, scale).plain
        assert len(text) == 21
        if not c.played_games:
            assert text.strip() == ""
            continue
        assert text.count("●") == 1
        # The zero line (the middle cell) shows unless the estimate sits on it; the interval
        # lies on one side of it exactly when it excludes 0.
        assert text[10] in "│●"
        span = [i for i, ch in enumerate(text) if ch in "─●"]
        if c.impact_ci95[0] > 0:
            assert min(span) > 10, text
        elif c.impact_ci95[1] < 0:
            assert max(span) < 10, text
        else:
            assert min(span) <= 10 <= max(span) or text[10] == "│", text


def test_cards_screen_at_80x24(snap_compare, cards_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    async def open_cards(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("v")
        await settled(pilot)
        heat = pilot.app.screen.query_one(Heatmap)
        heat.move_cursor(row=1, column=0)
        await pilot.press("enter")
        await settled(pilot)

    assert snap_compare(EwtuiApp(cards_ws), terminal_size=(80, 24), run_before=open_cards)
