"""Experiments browser, validation matrix, weights diff / deploy / rollback, keys and help."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from test_tui_support import TRAIN_EXPERIMENTS, VALIDATION_RUN, populated_ws, settled, shown_text
from textual.widgets import DataTable, Input, Static

from core.paths import Workspace
from core.weights import history, load_spec, load_weights
from tui.app import EwtuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.experiments import CompareScreen, ExperimentsScreen
from tui.screens.help import HelpScreen
from tui.screens.matrix import MatchupScreen, MatrixScreen
from tui.screens.weights import WeightsScreen
from tui.widgets.fitness_chart import FitnessChart
from tui.widgets.heatmap import Heatmap

__all__ = ["populated_ws"]
SIZE = (150, 45)


def row_ids(table: DataTable) -> list[str]:
    return [str(k.value) for k in table.rows]


async def test_browse_sort_filter_and_compare(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        table = screen.query_one("#exp-table", DataTable)
        # Newest first by default.
        assert row_ids(table) == [
            VALIDATION_RUN,
            "2026-01-15_0830_generalist-v2",
            "2026-01-12_1400_argentum-v1",
            "2026-01-10_0900_generalist-v1",
        ]
        await pilot.press("s")  # by best fitness, descending; the validation run has none
        await settled(pilot)
        assert screen.sort_key == "best_fitness"
        assert row_ids(table)[-1] == VALIDATION_RUN
        await pilot.press("S")
        await settled(pilot)
        assert not screen.reverse

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"generalist")
        await settled(pilot)
        assert sorted(row_ids(table)) == [
            "2026-01-10_0900_generalist-v1",
            "2026-01-15_0830_generalist-v2",
        ]
        screen.query_one("#f-fit", Input).value = "0.6"
        await settled(pilot)
        assert row_ids(table) == ["2026-01-15_0830_generalist-v2"]
        screen.query_one("#f-fit", Input).value = ""
        screen.query_one("#f-since", Input).value = "2026-01-12"
        await settled(pilot)
        assert row_ids(table) == ["2026-01-15_0830_generalist-v2"]
        screen.query_one("#f-since", Input).value = "not a date"
        await settled(pilot)
        assert "not a date" in shown_text(screen.query_one("#exp-status", Static))
        screen.query_one("#f-since", Input).value = ""
        await pilot.press("escape")
        assert app.focused is table

        # Details of the highlighted experiment: summary and fitness curve from stats.csv.
        table.move_cursor(row=row_ids(table).index("2026-01-10_0900_generalist-v1"))
        await settled(pilot)
        summary = shown_text(screen.query_one("#summary", Static))
        assert "generalist-v1" in summary and "stop_reason" in summary
        chart = screen.query_one("#curve", FitnessChart)
        assert chart._series[0].gens == list(range(1, TRAIN_EXPERIMENTS[0][4] + 1))

        # Compare: mark one, highlight the other, press c.
        await pilot.press("space")
        table.move_cursor(row=row_ids(table).index("2026-01-15_0830_generalist-v2"))
        await pilot.press("c")
        await settled(pilot)
        assert isinstance(app.screen, CompareScreen)
        labels = [s.label for s in app.screen.query_one(FitnessChart)._series]
        assert labels == ["2026-01-10_0900_generalist-v1", "2026-01-15_0830_generalist-v2"]
        await pilot.press("escape")
        assert isinstance(app.screen, ExperimentsScreen)

        # Enter on a validation run opens its matrix.
        screen.query_one("#f-tag", Input).value = ""
        await settled(pilot)
        table.move_cursor(row=row_ids(table).index(VALIDATION_RUN))
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, MatrixScreen)
        assert app.screen.path is not None and app.screen.path.endswith(VALIDATION_RUN)


async def test_matrix_cells_summary_and_detail(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, MatrixScreen) and screen.report is not None
        report = screen.report
        heat = screen.query_one(Heatmap)
        decks = [d.deck for d in report.decks]
        assert heat.row_count == len(decks) == 11
        # Every matchup appears twice (once from each side) and each cell prints its value.
        cells = list(heat.cells)
        assert len(cells) == 2 * len(report.matchups)
        for cell in cells:
            r = decks.index(cell.row)
            c = decks.index(cell.col) + 1
            text = heat.get_cell_at((r, c)).plain
            assert f"{100 * cell.win_rate:.1f}" in text
        # The lopsided fixture matchup is marked without relying on colour.
        lopsided = next(c for c in cells if c.row == "iron_bastion" and c.col == "endless_swarm")
        marked = heat.get_cell_at((decks.index("iron_bastion"), decks.index("endless_swarm") + 1))
        assert lopsided.win_rate > 0.75 and marked.plain.rstrip().endswith("++")

        verdict = shown_text(screen.query_one("#verdict", Static))
        assert report.verdict.upper() in verdict
        factions = shown_text(screen.query_one("#factions", Static))
        assert "first seat" in factions and "argentum" in factions
        deck_lines = shown_text(screen.query_one("#decks", Static))
        strongest = max(report.decks, key=lambda d: d.win_rate).deck
        assert deck_lines.index(strongest) < min(
            deck_lines.index(d.deck) for d in report.decks if d.deck != strongest
        )
        warnings = shown_text(screen.query_one("#warnings", Static))
        assert report.warnings[0].message in warnings

        heat.focus()
        heat.move_cursor(row=decks.index("iron_bastion"), column=decks.index("endless_swarm") + 1)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, MatchupScreen)
        assert app.screen.cell.matchup.deck_b == "endless_swarm"
        await pilot.press("escape")
        assert isinstance(app.screen, MatrixScreen)


async def test_deploy_and_roll_back(populated_ws: Workspace) -> None:
    ws = populated_ws
    spec = load_spec(ws)
    before = ws.weights_file("generalist").read_text()
    source = ws.experiments_dir / "2026-01-15_0830_generalist-v2" / "weights.toml"
    app = EwtuiApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, WeightsScreen)
        sources = screen.query_one("#sources", DataTable)
        sources.move_cursor(row=row_ids(sources).index("2026-01-15_0830_generalist-v2"))
        await settled(pilot)
        diff = screen.query_one("#diff", DataTable)
        assert diff.row_count == len(spec)
        title = shown_text(screen.query_one("#diff-title", Static))
        assert "large change" in title
        large = [str(k.value) for k in diff.rows if diff.get_row(k)[0].plain.startswith("!")]
        assert large, "the fixture moves some weights by more than the large-change share"

        # Refusing the confirmation changes nothing.
        await pilot.press("d")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settled(pilot)
        assert ws.weights_file("generalist").read_text() == before

        await pilot.press("d")
        await settled(pilot)
        await pilot.press("y")
        await settled(pilot)
        deployed = load_weights(ws.weights_file("generalist"), spec).values
        assert deployed == load_weights(source, spec).values
        assert len(history(ws)) == 1
        # After the deploy the diff of the same experiment is all zeros.
        assert all(
            row[3].plain.strip() in ("+0.0000", "-0.0000")
            for row in (diff.get_row(k) for k in diff.rows)
        )

        await pilot.press("R")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settled(pilot)
        assert ws.weights_file("generalist").read_text() == before
        assert history(ws) == []


async def test_help_and_palette_list_every_action(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SIZE) as pilot:
        for key, screen_type in (
            ("l", None),
            ("m", None),
            ("e", ExperimentsScreen),
            ("v", MatrixScreen),
            ("w", WeightsScreen),
        ):
            await pilot.press(key)
            await settled(pilot)
            screen = app.screen
            if screen_type is not None:
                assert isinstance(screen, screen_type)
            titles = [t for t, _, _ in app.action_commands(screen)]
            for binding in [*app.BINDINGS, *screen.BINDINGS]:
                assert any(binding.description in t for t in titles), binding
            await pilot.press("question_mark")
            await settled(pilot)
            assert isinstance(app.screen, HelpScreen)
            helped = shown_text(app.screen.query(Static).last())
            for binding in screen.BINDINGS:
                assert binding.description in helped
            await pilot.press("escape")
            await settled(pilot)
            assert app.screen is screen


def run_app_in(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-c", "from tui.app import run_app; run_app()"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_no_workspace_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = run_app_in(tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no workspace found" in lines[0]


def test_bad_training_toml_is_one_line_and_exit_2(ws: Workspace) -> None:
    original = ws.configs_file.read_text()
    text, n = re.subn(r"generations = \d+", "generations = -3", original, count=1)
    assert n == 1
    ws.configs_file.write_text(text)
    proc = run_app_in(ws.root)
    assert proc.returncode == 2
    # The file is read after the app's first frame (drawn on stderr when stdout is not a
    # terminal, in the alternate screen): what stays on the terminal once the app has left
    # the alternate screen is the one line.
    visible = proc.stderr.rsplit("\x1b[?1049l", 1)[-1]
    lines = re.sub(r"\x1b\[[0-9;?<>=$]*[a-zA-Z]", "", visible).strip().splitlines()
    assert len(lines) == 1, visible
    assert "training.toml" in lines[0] and "generalist" in lines[0] and "generations" in lines[0]


async def test_enter_on_a_training_experiment_opens_its_weights(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await settled(pilot)
        table = app.screen.query_one("#exp-table", DataTable)
        table.move_cursor(row=row_ids(table).index("2026-01-12_1400_argentum-v1"))
        await pilot.press("enter")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, WeightsScreen)
        assert screen.source is not None and screen.source.id == "2026-01-12_1400_argentum-v1"
        title = shown_text(screen.query_one("#diff-title", Static))
        assert "specialists/argentum.toml" in title
        # Back to the list and into another one: the request reaches the mounted screen too.
        await pilot.press("e")
        await settled(pilot)
        table.move_cursor(row=row_ids(table).index("2026-01-10_0900_generalist-v1"))
        await pilot.press("enter")
        await settled(pilot)
        assert screen.source is not None and screen.source.id == "2026-01-10_0900_generalist-v1"
