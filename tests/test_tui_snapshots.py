"""Screenshots of every screen at 80x24 (the default terminal) and 160x48, and a NO_COLOR set,
compared with the stored SVGs.

The data is the fixed fixture workspace (no clocks, no randomness); the launch screen uses the
Modal backend so the plan does not depend on this machine's core count; the monitor draws a run
folded from a fixed list of events. Update the stored screenshots with
`pytest tests/test_tui_snapshots.py --snapshot-update` after a deliberate change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from test_tui_support import form_ready, populated_ws, settled
from textual.widgets import Select

from core.events import (
    GenerationEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    PhaseChanged,
    ProgressEvent,
    StartEvent,
)
from core.paths import Workspace
from tui.app import EwtuiApp
from tui.widgets.run_view import RunView

__all__ = ["populated_ws"]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]

Steps = Callable[[Any], Awaitable[None]]


def monitor_view() -> RunView:
    """A run part-way: one training job at generation 7, one failed with a long error, the
    validation jobs waiting."""
    view = RunView(run_id="2026-02-01_120000", state="running")
    for job_id, kind in (
        ("train-generalist", "train"),
        ("train-argentum", "train"),
        ("validate-argentum-symbiote", "validate"),
        ("validate-argentum-obsidion", "validate"),
    ):
        view.job(job_id, kind)
    view.apply(PhaseChanged("train", "started"))
    view.apply(JobStateChanged("train-generalist", "running", "tune --mode generalist"))
    view.apply(JobEvent("train-generalist", None, StartEvent(kind="train", total=20, unit="gen")))
    for g in range(1, 8):
        best = 0.40 + 0.02 * g
        view.apply(
            JobEvent(
                "train-generalist",
                None,
                GenerationEvent(
                    gen=g,
                    generations=20,
                    best_fitness=best,
                    best_fitness_ever=best,
                    mean_fitness=best - 0.1,
                    sigma=0.3,
                ),
            )
        )
    view.apply(JobStateChanged("train-argentum", "running", "tune --mode specialist"))
    view.apply(
        JobEvent("train-argentum", None, LogEvent(level="error", msg="deck file unreadable"))
    )
    view.apply(
        JobStateChanged(
            "train-argentum",
            "failed",
            "exit code 2: data/decks/argentum/iron_bastion.toml: card 14: field `cost`: "
            "expected an integer between 0 and 10, found 12",
        )
    )
    for job_id in ("validate-argentum-symbiote", "validate-argentum-obsidion"):
        view.apply(JobStateChanged(job_id, "queued", "1 cores"))
        view.apply(JobEvent(job_id, None, ProgressEvent(done=0, total=200)))
    view.jobs["validate-argentum-symbiote"].state = "queued"
    view.jobs["validate-argentum-obsidion"].state = "queued"
    return view


async def launch_steps(pilot: Any) -> None:
    await form_ready(pilot)
    pilot.app.screen.query_one("#backend", Select).value = "modal"
    pilot.app.screen.query_one("#preset", Select).value = "smoke"
    await settled(pilot)  # the plan is built in a worker thread


async def monitor_steps(pilot: Any) -> None:
    await form_ready(pilot)
    pilot.app.run_view = monitor_view()
    await pilot.press("m")
    await pilot.pause(0.5)


def keys(*pressed: str) -> Steps:
    async def steps(pilot: Any) -> None:
        # The launch form is filled by a worker after the first frame; let it finish first, so
        # no screenshot depends on when it does.
        await form_ready(pilot)
        for key in pressed:
            await pilot.press(key)
            # Experiments and Matrix are filled by worker threads: each key acts on what
            # they read, and the screenshot shows it.
            await settled(pilot)
        await pilot.pause(0.3)

    return steps


SCREENS: dict[str, Steps] = {
    "launch": launch_steps,
    "monitor": monitor_steps,
    "experiments": keys("e"),
    "matrix": keys("v"),
    "weights": keys("w"),
    "ladder": keys("a"),
    "compare": keys("e", "down", "space", "down", "c"),
    "deploy_dialog": keys("w", "d"),
    "help": keys("question_mark"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, populated_ws: Workspace, screen: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(EwtuiApp(populated_ws), terminal_size=size, run_before=SCREENS[screen])


@pytest.mark.parametrize("screen", ["launch", "monitor", "matrix", "experiments"])
def test_screen_no_color(
    snap_compare, populated_ws: Workspace, monkeypatch: pytest.MonkeyPatch, screen: str
) -> None:  # type: ignore[no-untyped-def]
    """With NO_COLOR every state still reads: ticks in the boxes, the heat map's band markers,
    the verdict as a badge."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = EwtuiApp(populated_ws)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=SCREENS[screen])


class WaitingBackend:
    """Where a run part-way lives for the questions below: `cancel` and `cancel_remote` record
    what was asked (nothing here answers them)."""

    def __init__(self, remote: bool) -> None:
        self.cancelled: list[str] = []
        if remote:
            self.cancel_remote = self._cancel_remote

    def cancel(self, job_id: str) -> None:
        self.cancelled.append(job_id)

    async def _cancel_remote(self) -> None:
        self.cancelled.append("run")


def run_going(remote: bool, *pressed: str) -> Steps:
    """The monitor during a run (the fixed run part-way; its pipeline worker waits until the
    app closes), then `pressed`: the question it asks is the screenshot."""

    async def steps(pilot: Any) -> None:
        await form_ready(pilot)
        app = pilot.app
        app.backend = WaitingBackend(remote)
        app.run_view = monitor_view()
        app.pipeline_worker = app.run_worker(
            asyncio.Event().wait(), name="pipeline", group="pipeline", exit_on_error=False
        )
        await pilot.press("m")
        await pilot.pause(0.3)
        assert app.running
        await pilot.press(*pressed)
        await pilot.pause(0.3)

    return steps


QUESTIONS: dict[str, Steps] = {
    "quit_local": run_going(False, "q"),
    "quit_modal": run_going(True, "q"),
    "cancel_job": run_going(False, "x"),
    "cancel_run": run_going(False, "ctrl+x"),
}


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_run_question(snap_compare, populated_ws: Workspace, question: str) -> None:  # type: ignore[no-untyped-def]
    """The question `q`, `x` or `ctrl+x` asks while a run is going, at 80x24: what it does to
    the run, and the keys that answer it, all on screen."""
    app = EwtuiApp(populated_ws)
    assert snap_compare(app, terminal_size=(80, 24), run_before=QUESTIONS[question])
