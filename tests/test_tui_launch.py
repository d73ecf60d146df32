"""Launch and monitor: the plan pane, starting runs, live cards and logs, cancelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_tui_support import (
    fake_binaries,
    form_ready,
    populated_ws,
    settled,
    shown_text,
    wait_until,
)
from textual.widgets import Checkbox, Input, Select, SelectionList, Static

from core.paths import Workspace
from tui.app import EwtuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.launch import LaunchScreen
from tui.screens.monitor import MonitorScreen
from tui.widgets.job_card import JobCard
from tui.widgets.log_pane import LogPane

__all__ = ["fake_binaries", "populated_ws"]


def plan_text(app: EwtuiApp) -> str:
    return shown_text(app.screen.query_one("#plan", Static))


async def choose_preset(app: EwtuiApp, pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    await form_ready(pilot)
    app.screen.query_one("#preset", Select).value = name
    await settled(pilot)


async def test_plan_follows_the_form(ws: Workspace) -> None:
    app = EwtuiApp(ws)
    async with app.run_test(size=(140, 45)) as pilot:
        assert isinstance(app.screen, LaunchScreen)
        await choose_preset(app, pilot, "smoke")
        text = plan_text(app)
        assert "train-generalist" in text and "validate-symbiote-obsidion" in text
        # 4 configs x 2 gens x population 4 x 6 games, and 40 matchups x 2 seats x 1 game.
        assert "192" in text and "80" in text and "272" in text

        configs = app.screen.query_one("#configs", SelectionList)
        configs.deselect("argentum")
        app.screen.query_one("#sequential").value = True
        await settled(pilot)
        text = plan_text(app)
        assert "train-argentum" not in text
        assert "validate-all" in text and "validate-argentum-symbiote" not in text

        games = app.screen.query_one("#games", Input)
        games.value = "0"
        await settled(pilot)
        assert "Cannot plan this run: validation_games: Input should be greater than 0" in (
            plan_text(app)
        )
        games.value = "3"
        await settled(pilot)
        assert "240" in plan_text(app)  # 40 x 2 x 3
        games.value = str(10**20)
        await settled(pilot)
        assert "the limit is 10,000 core-hours" in plan_text(app)


async def test_plan_reads_in_units_with_its_wall_clock_at_80x24(ws: Workspace) -> None:
    """At 80x24 the plan's time, work and cost are above the fold, in readable units, and
    the jobs table keeps its size column."""
    app = EwtuiApp(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose_preset(app, pilot, "smoke")
        screen = app.screen
        assert isinstance(screen, LaunchScreen)
        plan = screen.build()
        text = plan_text(app)
        lines = text.splitlines()
        assert lines[1].startswith("time  about ") and "on this machine" in lines[1]
        assert lines[2].startswith("work  ") and "core-s" in lines[2]
        assert "e-0" not in text and "e+" not in text
        assert "2x4x6" in text  # the size column is not squeezed away
        assert plan.cost_estimate().wall_s == pytest.approx(plan.wall_clock_s())
        # The configs label is not scrolled away by the focused list.
        assert screen.query_one("#launch-form").scroll_y == 0


async def test_force_deploy_checkbox_sets_the_option(ws: Workspace) -> None:
    app = EwtuiApp(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await form_ready(pilot)
        screen = app.screen
        assert isinstance(screen, LaunchScreen)
        force = screen.query_one("#force-deploy", Checkbox)
        assert not force.value and not screen.options().force_deploy
        assert "yes, if the gate agrees" in plan_text(app)
        force.focus()
        await pilot.press("space")
        await settled(pilot)
        assert force.value and screen.options().force_deploy
        assert "yes, even if the gate refuses" in plan_text(app)
        # Without deploying there is nothing to force: the box is disabled and ignored.
        screen.query_one("#deploy", Checkbox).value = False
        await settled(pilot)
        assert force.disabled and not screen.options().force_deploy
        assert "deploy     no" in plan_text(app)


async def test_smoke_run_with_the_test_double(populated_ws: Workspace, fake_binaries: Path) -> None:
    """The whole pipeline runs from the launch screen; the monitor shows every job to its end,
    and the run goes on while another screen is showing."""
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await choose_preset(app, pilot, "smoke")
        await pilot.press("ctrl+r")
        await settled(pilot)
        assert isinstance(app.screen, MonitorScreen)
        await pilot.press("e")  # the run must carry on away from the monitor
        await wait_until(pilot, lambda: app.run_view.state != "running")
        await pilot.press("m")
        await pilot.pause(0.5)
        view = app.run_view
        assert view.state == "ok", [(j.job_id, j.state, j.detail) for j in view.jobs.values()]
        assert {j.state for j in view.jobs.values()} == {"ok"}
        assert view.phases == {
            "train": "done",
            "deploy": "done",
            "validate": "done",
            "save": "done",
        }
        cards = {c.job_id: c for c in app.screen.query(JobCard)}
        assert set(cards) == set(view.jobs)
        gen_job = view.jobs["train-generalist"]
        assert gen_job.gens == [1, 2] and gen_job.best_fitness is not None
        facts = shown_text(cards["train-generalist"].query_one("#facts", Static))
        assert "held-out h2h +10.0 [7.5, 12.5]" in facts
        assert "in-training best" in facts and "(noisy)" in facts
        pane = app.screen.query_one("#log-train-generalist", LogPane)
        assert any("gen 2/2" in line for line in pane.lines)
        record = json.loads(Path(view.record.path).read_text())
        assert record["state"] == "ok"


async def test_cancel_one_job_then_the_run(
    populated_ws: Workspace, fake_binaries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_HANG", "--mode")  # every training job hangs until killed
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await choose_preset(app, pilot, "smoke")
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: any(j.state == "running" for j in app.run_view.jobs.values())
        )
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        running = next(j.job_id for j in app.run_view.jobs.values() if j.state == "running")
        screen.select(running)
        # Cancelling asks first: `n` keeps the job, `x` again (or `y`) cancels it.
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.run_view.jobs[running].state == "running" and app.screen is screen
        await pilot.press("x", "x")
        await wait_until(pilot, lambda: app.run_view.jobs[running].state == "cancelled")
        assert app.running
        await pilot.press("ctrl+x")
        assert isinstance(app.screen, ConfirmScreen) and app.running
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.running)
        assert app.run_view.state == "interrupted"
        assert app.run_view.phases["train"] == "interrupted"


async def test_unavailable_backend_is_explained_not_started(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without Modal credentials the launch says what to do and nothing starts."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.modal.toml
    for name in ("MODAL_TOKEN_ID", "MODAL_TOKEN_SECRET", "MODAL_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    app = EwtuiApp(ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await form_ready(pilot)
        app.screen.query_one("#backend", Select).value = "modal"
        await choose_preset(app, pilot, "smoke")
        await pilot.press("ctrl+r")
        await settled(pilot)
        assert isinstance(app.screen, LaunchScreen)
        assert not app.running
        messages = [n.message for n in app._notifications]
        assert messages and "modal" in messages[-1].lower()


async def test_quit_during_a_run_saves_it_as_interrupted(
    populated_ws: Workspace, fake_binaries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_HANG", "--mode")
    app = EwtuiApp(populated_ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await choose_preset(app, pilot, "smoke")
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: any(j.state == "running" for j in app.run_view.jobs.values())
        )
        # `q` asks first while a run is going; `n` keeps it, `q` twice quits.
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen) and app.running
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.running and not app._exit
        await pilot.press("q", "q")
        await wait_until(pilot, lambda: not app.running)
    records = list(populated_ws.runs_dir.glob("*.json"))
    assert len(records) == 1
    assert json.loads(records[0].read_text())["state"] == "interrupted"


async def test_launch_offers_the_configs_of_other_files(ws: Workspace) -> None:
    """A sweep file beside training.toml shows up in the list; the plan trains exactly the
    selected configs, disabled ones included."""
    sweep = "".join(
        f'[[training]]\nname = "gen-mcts{n}"\ntag = "gen-mcts{n}"\nmode = "generalist"\n'
        f"mcts_sims = {n}\nenabled = false\n\n"
        for n in (25, 100)
    )
    (ws.configs_file.parent / "sweep.toml").write_text(sweep)
    app = EwtuiApp(ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await choose_preset(app, pilot, "smoke")
        configs = app.screen.query_one("#configs", SelectionList)
        offered = [configs.get_option_at_index(i).value for i in range(configs.option_count)]
        defaults = ["generalist", "argentum", "symbiote", "obsidion"]
        assert offered == [*defaults, "gen-mcts25", "gen-mcts100"]
        assert "train-gen-mcts25" not in plan_text(app)  # not enabled: not selected at first
        configs.deselect_all()
        configs.select("gen-mcts100")
        configs.select("gen-mcts25")
        configs.select("argentum")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, LaunchScreen)
        plan = screen.build()
        assert [j.id for j in plan.train_jobs()] == [
            "train-argentum",
            "train-gen-mcts25",
            "train-gen-mcts100",
        ]
        assert "train-gen-mcts100" in plan_text(app) and "train-generalist" not in plan_text(app)
        # The project file itself is left as it is: the selection lives in the options.
        assert [c.name for c in app.project.training if c.enabled] == [
            "generalist",
            "argentum",
            "symbiote",
            "obsidion",
        ]


@pytest.mark.parametrize("backend", ["local", "modal"])
async def test_launch_shows_the_modal_bill_of_remote_costs(ws: Workspace, backend: str) -> None:
    """The launch screen's cost is the one Modal price model: what `remote.costs` estimates
    for the same run, on either backend (free here, that much on Modal)."""
    from core.cost import fmt_money
    from remote.costs import modal_estimate

    app = EwtuiApp(ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await form_ready(pilot)
        app.screen.query_one("#backend", Select).value = backend
        await choose_preset(app, pilot, "quick")
        screen = app.screen
        assert isinstance(screen, LaunchScreen)
        plan = screen.build()
        remote = modal_estimate(plan.on_modal())
        assert plan.cost_estimate().cost == pytest.approx(remote.cost)
        cost_line = next(line for line in plan_text(app).splitlines() if line.startswith("cost"))
        assert f"{fmt_money(remote.cost)} on Modal" in cost_line
        assert ("free here" in cost_line) == (backend == "local")
        assert f"{remote.mem_gib_hours:.2f} GiB-h" in cost_line
