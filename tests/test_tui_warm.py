"""Screens built ahead of their keys, and the disk read only in worker threads.

The control center builds every screen in the background once the launch form is drawn
(`EwtuiApp.warm_up`), so a screen's first key only shows it. These tests check that the
screens so built are the screens built on their key, and that no action reads the workspace
on the event loop: a Python audit hook records every file opened and directory listed under
the workspace, with the thread that did it."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import pytest
from test_tui_support import (
    VALIDATION_RUN,
    form_ready,
    populated_ws,
    settled,
    shown_text,
    wait_until,
)
from textual.widgets import DataTable, Select, Static

import tui.app
from core.paths import Workspace
from tui.app import WARM_UP_ORDER, EwtuiApp, screen_filled
from tui.screens.experiments import CompareScreen, ExperimentsScreen
from tui.screens.matrix import MatrixScreen
from tui.screens.weights import WeightsScreen

__all__ = ["populated_ws"]

SCREEN_KEYS = {"experiments": "e", "matrix": "v", "weights": "w", "ladder": "a", "monitor": "m"}

_WATCH: dict[str, Any] = {"root": None, "thread": None, "seen": []}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Record a file opened or a directory listed under the watched root by the watched
    thread (the event loop's)."""
    root, thread = _WATCH["root"], _WATCH["thread"]
    if root is None or threading.get_ident() != thread:
        return
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    path = args[0]
    if isinstance(path, str | bytes | os.PathLike) and os.fsdecode(path).startswith(root):
        _WATCH["seen"].append((event, os.fsdecode(path)))


_hooked = False


@pytest.fixture
def loop_reads(populated_ws: Workspace) -> Any:
    """The files opened and directories listed under the workspace by the event loop's thread
    (call `.watch()` from the loop); the audit hook stays installed but idle afterwards."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: idle when root is None
        _hooked = True

    class Reads(list[tuple[str, str]]):
        def watch(self) -> None:
            _WATCH.update(root=str(populated_ws.root), thread=threading.get_ident(), seen=self)

    reads = Reads()
    yield reads
    _WATCH.update(root=None, thread=None, seen=[])


def row_ids(table: DataTable) -> list[str]:
    return [str(k.value) for k in table.rows]


async def _press(pilot: Any, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settled(pilot)


@pytest.mark.parametrize("warm", [False, True], ids=["built-on-key", "built-ahead"])
async def test_no_action_reads_the_disk_on_the_event_loop(
    populated_ws: Workspace, loop_reads: Any, warm: bool
) -> None:
    """From the start: the launch form and its plan (filled, then a preset chosen), first
    visits (built on their key or ahead), highlighting rows, `g` on every screen that has it,
    `enter` on a validation run and on a training experiment, `n`/`p`, compare: the workspace
    is read only in worker threads. The hook itself is checked: reading a file of the
    workspace on the loop is seen."""
    app = EwtuiApp(populated_ws, warm_up=warm)
    async with app.run_test(size=(150, 45)) as pilot:
        loop_reads.watch()
        await form_ready(pilot)
        app.screen.query_one("#preset", Select).value = "smoke"
        await settled(pilot)
        assert "smoke" in shown_text(app.screen.query_one("#plan", Static))
        if warm:
            await wait_until(pilot, lambda: app.warmed_up)
        assert loop_reads == []
        (populated_ws.root / "data" / "rules.toml").read_text()
        assert loop_reads == [("open", str(populated_ws.root / "data" / "rules.toml"))]
        loop_reads.clear()

        await _press(pilot, "e", "down", "g")
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        table = screen.query_one("#exp-table", DataTable)
        ids = row_ids(table)
        assert VALIDATION_RUN in ids
        # compare two training curves
        table.move_cursor(row=ids.index("2026-01-10_0900_generalist-v1"))
        await _press(pilot, "space")
        table.move_cursor(row=ids.index("2026-01-15_0830_generalist-v2"))
        await _press(pilot, "c")
        assert isinstance(app.screen, CompareScreen)
        await _press(pilot, "escape")
        # enter on the validation run: its matrix
        table.move_cursor(row=ids.index(VALIDATION_RUN))
        await _press(pilot, "enter")
        assert isinstance(app.screen, MatrixScreen) and app.screen.report is not None
        await _press(pilot, "n", "p", "g")
        assert app.screen.report is not None
        # enter on a training experiment: its weights
        await _press(pilot, "e")
        table.move_cursor(row=ids.index("2026-01-12_1400_argentum-v1"))
        await _press(pilot, "enter")
        weights = app.screen
        assert isinstance(weights, WeightsScreen)
        assert weights.source is not None and weights.source.id == "2026-01-12_1400_argentum-v1"
        assert weights.query_one("#diff", DataTable).row_count > 0
        await _press(pilot, "down", "g", "a", "m", "l")
    assert loop_reads == []


async def test_screens_built_ahead_are_the_screens_built_on_their_key(
    populated_ws: Workspace,
) -> None:
    """At 80x24: after the warm-up every screen is built, and each shows, on its first key,
    exactly what the same screen built on its key shows. A headless app does not warm up
    unless asked."""
    pictures: dict[bool, dict[str, str]] = {}
    for warm in (False, True):
        app = EwtuiApp(populated_ws, warm_up=warm)
        async with app.run_test(size=(80, 24)) as pilot:
            await form_ready(pilot)
            if warm:
                await wait_until(pilot, lambda a=app: a.warmed_up)  # type: ignore[misc]
                for mode in WARM_UP_ORDER:
                    assert app.get_screen_stack(mode), mode
            else:
                assert app.warm_up_worker is None
            shown = {}
            for mode, key in SCREEN_KEYS.items():
                await _press(pilot, key)
                assert app.current_mode == mode
                shown[mode] = app.export_screenshot(simplify=True)
            pictures[warm] = shown
    headless = EwtuiApp(populated_ws)
    async with headless.run_test(size=(80, 24)) as pilot:
        await form_ready(pilot)
        assert headless.warm_up_worker is None
    for mode in SCREEN_KEYS:
        assert pictures[True][mode] == pictures[False][mode], mode


def built(app: EwtuiApp, mode: str) -> bool:
    """Whether the screen of `mode` is made (mounted or mounting)."""
    try:
        return bool(app.get_screen_stack(mode))
    except KeyError:
        return False


async def test_a_key_pressed_during_the_warm_up_comes_before_the_builds(
    populated_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the warm-up builds Experiments (its listing held back here), `v` shows Matrix at
    once, built on its key and filled, before Experiments' build is over; Experiments, once
    filled, is neither laid out nor rendered ahead, nor is the next screen built, while the
    user is busy (a quiet time no test outlasts); once quiet, the warm-up resumes, skips the
    screen built on its key and renders Experiments ahead."""
    hold = threading.Event()
    monkeypatch.setattr(tui.app, "WARM_UP_QUIET_S", 3600.0)
    real_store = ExperimentsScreen.store

    class HeldStore:
        def __init__(self, store: Any) -> None:
            self._store = store

        def list(self) -> Any:
            hold.wait(60)
            return self._store.list()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._store, name)

    monkeypatch.setattr(
        ExperimentsScreen, "store", property(lambda s: HeldStore(real_store.fget(s)))
    )
    app = EwtuiApp(populated_ws, warm_up=True)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await form_ready(pilot)
            await wait_until(pilot, lambda: built(app, "experiments"))
            experiments = app.get_screen_stack("experiments")[0]
            rendered: list[str] = []
            render = experiments._compositor.render_strips
            monkeypatch.setattr(
                experiments._compositor,
                "render_strips",
                lambda *a, **k: rendered.append("experiments") or render(*a, **k),
            )
            await _press(pilot, "v")
            assert app.current_mode == "matrix" and screen_filled(app.screen)
            assert isinstance(app.screen, MatrixScreen) and app.screen.report is not None
            matrix = app.screen
            assert not screen_filled(experiments)  # its build is not over
            hold.set()
            await wait_until(pilot, lambda: screen_filled(experiments))
            await pilot.pause(0.3)
            # The user pressed a key within the quiet time: nothing more is built or drawn.
            assert rendered == [] and not built(app, "weights")
            monkeypatch.setattr(tui.app, "WARM_UP_QUIET_S", 0.0)
            await wait_until(pilot, lambda: app.warmed_up)
            assert rendered == ["experiments"]
            assert app.get_screen_stack("matrix") == [matrix]
            for mode in WARM_UP_ORDER:
                assert app.get_screen_stack(mode), mode
    finally:
        hold.set()
