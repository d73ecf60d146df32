"""The ladder view, and the held-out labels of the other screens, driven with Pilot over the
fixture workspace (the test double of `arena` plays the ladder's games)."""

from __future__ import annotations

from pathlib import Path

from test_tui_support import fake_binaries, populated_ws, settled, shown_text, wait_until
from textual.widgets import DataTable, Static

from core.paths import Workspace
from tui.app import EwtuiApp
from tui.screens.experiments import ExperimentsScreen
from tui.screens.ladder import LadderScreen
from tui.widgets.job_card import train_facts
from tui.widgets.run_view import JobView

__all__ = ["fake_binaries", "populated_ws"]
SIZE = (120, 32)


def cells(table: DataTable, column: str) -> list[str]:
    return [str(table.get_cell(row, column)) for row in table.rows]


async def test_the_ladder_shows_unrated_entries_then_plays_their_games(
    populated_ws: Workspace, fake_binaries: Path
) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, LadderScreen)
        table = screen.query_one("#ladder", DataTable)
        assert cells(table, "entry")[0] == "random"  # rated by definition; the rest below
        assert cells(table, "Elo").count("unrated") == 3  # greedy, mcts:50, mcts:100
        note = shown_text(screen.query_one("#ladder-note", Static))
        assert "press u" in note and "random = 1000" in note

        await pilot.press("u")
        await wait_until(pilot, lambda: "unrated" not in cells(table, "Elo"), timeout=60)
        entries = cells(table, "entry")
        assert entries[-1] == "random" and cells(table, "95% interval")[-1] == "anchor"
        orig = dict(zip(entries, cells(table, "original"), strict=True))
        assert orig["mcts:100 (deployed)"] == "1500" and orig["greedy (deployed)"] == "1300"
    assert len(list((populated_ws.experiments_dir / "ladder").glob("*.json"))) == 6


async def test_experiments_label_held_out_and_in_training_numbers(
    populated_ws: Workspace,
) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        table = screen.query_one("#exp-table", DataTable)
        result = dict(zip(cells(table, "id"), cells(table, "result"), strict=True))
        assert result["2026-01-15_0830_generalist-v2"] == "h2h +10.1 [7.6, 12.6]"
        assert result["2026-01-12_1400_argentum-v1"] == "0.540 in-training"
        await pilot.press("down")
        await settled(pilot)
        summary = shown_text(screen.query_one("#summary", Static))
        assert "held-out h2h" in summary and "+10.1 points vs baseline [7.6, 12.6]" in summary
        assert "(in-training, noisy)" in summary


def test_a_card_leads_with_the_held_out_head_to_head() -> None:
    from core.heldout import parse_heldout

    job = JobView(job_id="train-generalist", kind="train", gen=2, generations=2)
    job.best_fitness = 0.639
    assert train_facts(job) == ["gen 2/2 · in-training best 0.639 (noisy)"]
    h2h = {"games": 1600, "score": 0.6, "ci95": [0.576, 0.624]}
    job.heldout = parse_heldout(
        {"heldout": {"fitness": 0.55, "fitness_ci95": [0.52, 0.58], "h2h": h2h}}
    )
    assert train_facts(job) == [
        "held-out h2h +10.0 [7.6, 12.4]",
        "held-out fit 0.550 [0.520, 0.580]",
        "in-training best 0.639 (noisy)",
    ]
