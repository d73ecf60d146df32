"""80x24 as a first-class size, true states on screen, and what dialogs say before they act."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from test_tui_snapshots import monitor_view
from test_tui_support import populated_ws, settled, shown_text
from textual.widgets import DataTable, ProgressBar, Static

from core.paths import Workspace
from core.weights import load_spec
from tui.app import SCREENS_BY_MODE, EwtuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.experiments import CompareScreen, ExperimentsScreen
from tui.screens.matrix import MatrixScreen
from tui.screens.weights import WeightsScreen
from tui.widgets.heatmap import Heatmap
from tui.widgets.job_card import JobCard
from tui.widgets.run_view import RunView

__all__ = ["populated_ws"]
SMALL = (80, 24)


def row_ids(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    return [str(k.value) for k in table.rows]


async def test_help_and_quit_stay_in_the_footer_at_80x24(populated_ws: Workspace) -> None:
    """On every screen, in one app (each screen's first visit)."""
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SMALL) as pilot:
        for key, mode in zip("lmevwa", SCREENS_BY_MODE, strict=True):
            await pilot.press(key)
            await settled(pilot)
            assert app.current_mode == mode
            pinned = app.screen.query_one("#pinned")
            region = pinned.region
            assert region.width > 0 and region.right <= SMALL[0] and region.y == SMALL[1] - 1
            shown = " ".join(str(k.render()) for k in pinned.children)
            assert "?" in shown and "Help" in shown and "q" in shown and "Quit" in shown, mode


async def test_matrix_fits_80_columns_with_its_deck_column_fixed(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("v")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, MatrixScreen)
        heat = screen.query_one(Heatmap)
        assert heat.fixed_columns == 1 and heat.compact
        assert not screen.query_one("#runs").display  # the run list folds away
        # Every deck column is on screen without scrolling sideways.
        assert heat.virtual_size.width <= heat.scrollable_content_region.width
        first = heat.get_row_at(4)  # endless_swarm against the four Argentum decks
        assert [c.plain.strip() for c in first[1:3]] == ["18--", "32-"]
    # Wide terminals print tenths.
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("v")
        await settled(pilot)
        heat = app.screen.query_one(Heatmap)
        assert not heat.compact and heat.get_row_at(4)[1].plain.strip() == "18.0--"


async def test_monitor_at_80x24_shows_the_phases_and_wraps_errors(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SMALL) as pilot:
        app.run_view = monitor_view()
        await pilot.press("m")
        await pilot.pause(0.5)
        screen = app.screen
        bar = screen.query_one("#phase-bar", Static)
        assert "save" in shown_text(bar) and bar.region.right <= SMALL[0]
        assert screen.sub_title == "run 2026-02-01_120000: running"
        failed = screen.query_one("#card-train-argentum", JobCard)
        facts = shown_text(failed.query_one("#facts", Static), width=failed.size.width)
        # The whole reason, wrapped over several lines, nothing cut.
        assert "found 12" in facts.replace("\n", " ")
        assert failed.query_one("#facts").size.height >= 2


async def test_states_read_true_when_a_run_ends(populated_ws: Workspace) -> None:
    """A cancelled job leaves the run done (1 cancelled); an interrupt leaves the overall bar
    short of full; `ok` reads done."""
    view = RunView(run_id="r1", state="running")
    view.job("train-a", "train").state = "ok"
    view.job("train-b", "train").state = "cancelled"
    view.end("ok")
    assert view.label == "done (1 cancelled)"

    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SMALL) as pilot:
        interrupted = monitor_view()
        interrupted.jobs["train-generalist"].state = "interrupted"
        interrupted.end("interrupted")
        app.run_view = interrupted
        await pilot.press("m")
        await pilot.pause(0.5)
        overall = app.screen.query_one("#overall", ProgressBar)
        assert overall.progress == 2 and overall.total == 4  # two skipped jobs never ran
        assert overall.has_class("-ended-badly")
        assert app.screen.sub_title == "run 2026-02-01_120000: interrupted"
        card = app.screen.query_one("#card-validate-argentum-symbiote", JobCard)
        assert "skipped" in shown_text(card.query_one("#title", Static))


async def test_compare_shows_no_none(populated_ws: Workspace) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("e")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        # A training experiment against one that never recorded its generations.
        a, b = screen.rows[1], screen.rows[2]
        assert a.kind == b.kind == "train"
        await app.push_screen(
            CompareScreen(screen.store, a, dataclasses.replace(b, generations=None))
        )
        await settled(pilot)
        assert isinstance(app.screen, CompareScreen)
        text = "".join(shown_text(s) for s in app.screen.query(Static))
        assert "None" not in text and "generations" in text


async def test_experiments_show_state_and_run_and_hint_when_empty(ws: Workspace) -> None:
    app = EwtuiApp(ws)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("e")
        await settled(pilot)
        summary = shown_text(app.screen.query_one("#summary", Static))
        assert "press l" in summary
        labels = [
            str(c.label) for c in app.screen.query_one("#exp-table", DataTable).columns.values()
        ]
        assert "state" in labels and "run" in labels


async def test_deploy_question_lists_source_state_and_large_changes(
    populated_ws: Workspace,
) -> None:
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("w")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, WeightsScreen)
        sources = screen.query_one("#sources", DataTable)
        sources.move_cursor(row=row_ids(sources).index("2026-01-15_0830_generalist-v2"))
        await settled(pilot)
        large = [d.name for d in screen.deltas if d.large]
        await pilot.press("d")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = shown_text(app.screen.query_one("VerticalScroll Static", Static))
        assert "source: 2026-01-15_0830_generalist-v2 (done)" in question
        assert f"{len(large)} large" in question
        listed = [line.split()[1] for line in question.splitlines() if line.strip().startswith("!")]
        assert len(listed) == min(8, len(large)) and set(listed) <= set(large)
        await pilot.press("y")
        await settled(pilot)
        # The same weights again: the diff's title says identical (no count of changes) ...
        title = shown_text(screen.query_one("#diff-title", Static))
        assert "identical: all" in title and "large change" not in title
        assert all(not d.delta for d in screen.deltas)
        # ... and nothing is asked or deployed.
        await pilot.press("d")
        await settled(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "identical" in list(app._notifications)[-1].message
        # Undo lists what it restores; the history row names what replaced the file.
        history = screen.query_one("#history", DataTable)
        assert history.row_count == 1
        await pilot.press("R")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = shown_text(app.screen.query_one("VerticalScroll Static", Static))
        assert "data/weights/generalist.toml from the backup of" in question
        await pilot.press("n")
    assert len(load_spec(populated_ws)) > 0


class RemoteRun:
    """A backend whose run goes on elsewhere (like a detached Modal run): its jobs never end
    here, and `cancel_remote` is the only way to stop it."""

    name = "modal"
    capacity_cores = 16

    def __init__(self) -> None:
        self.cancelled_there = False
        self.waits: list[Any] = []

    async def check(self) -> None:
        return None

    async def run(self, spec, emit):  # type: ignore[no-untyped-def]
        import asyncio

        # Like the detached backend, leaving only stops following: the job ends here as
        # cancelled when the client stops following it.
        wait = asyncio.get_running_loop().create_future()
        self.waits.append(wait)
        from core.jobs import JobResult

        with contextlib.suppress(asyncio.CancelledError):
            await wait
        return JobResult(job_id=spec.id, kind=spec.kind, state="cancelled", error="left")

    def cancel(self, job_id: str) -> None:
        return None

    def cancel_all(self) -> None:
        for wait in self.waits:
            wait.cancel()

    async def aclose(self) -> None:
        return None

    async def cancel_remote(self) -> None:
        self.cancelled_there = True


async def test_quitting_a_remote_run_offers_to_leave_it_going(ws: Workspace) -> None:
    from test_tui_support import form_ready, wait_until
    from textual.widgets import Select

    remote = RemoteRun()
    app = EwtuiApp(ws, backend_factory=lambda name, options: remote)  # type: ignore[arg-type,return-value]
    async with app.run_test(size=SMALL) as pilot:
        await form_ready(pilot)
        app.screen.query_one("#preset", Select).value = "smoke"
        await settled(pilot)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.running)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        question = shown_text(app.screen.query_one("VerticalScroll Static", Static))
        assert "leave it running there" in question and "ewtui attach" in question
        await pilot.press("n")
        await settled(pilot)
        assert app.running and not remote.cancelled_there
        await pilot.press("q", "x")  # cancel it on Modal, then quit
        await wait_until(pilot, lambda: not app.running)
    assert remote.cancelled_there
