"""Speed of the control center: figures measured with pytest-benchmark (docs/tui.md quotes them)
and the properties they rest on, asserted:

- start-up: a fresh interpreter imports the app and shows its first screen; what makes it fast
  is that nothing the launch screen does not need is loaded (modal, remote, the pipeline,
  reports, charts), which is asserted;
- a log pane fed 100,000 lines stays responsive: the work it adds to the event loop is bounded
  by time, not by the lines fed (one batched write per tick, never more than its cap), which
  is asserted; the cost of one full write is benchmarked.

Run `pytest tests/test_tui_perf.py --benchmark-enable -s` for the figures; without it each
scenario still runs once and its assertions apply.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from test_tui_support import populated_ws
from textual.app import App, ComposeResult

from core.paths import Workspace
from tui.widgets.log_pane import DEFAULT_MAX_LINES, FLUSH_INTERVAL_S, LogPane

__all__ = ["populated_ws"]
REPO = Path(__file__).resolve().parents[1]

STARTUP_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from tui.app import EwtuiApp
from core.paths import Workspace
t_import = time.perf_counter()
ready = {}

async def probe(pilot):
    await pilot.pause()
    ready["t"] = time.perf_counter()
    ready["screen"] = type(pilot.app.screen).__name__
    ready["modules"] = sorted(sys.modules)
    pilot.app.exit()

EwtuiApp(Workspace(sys.argv[1])).run(headless=True, size=(120, 40), auto_pilot=probe)
print(json.dumps({"import_s": t_import - t0, "ready_s": ready["t"] - t0,
                  "screen": ready["screen"], "modules": ready["modules"]}))
"""

NOT_AT_STARTUP = (
    "modal", "remote", "plotext", "textual_plotext",
    "core.pipeline", "core.runner", "core.validation", "core.experiments", "core.local",
)  # fmt: skip
"""What the launch screen does not need, so start-up must not load it (each is loaded by the
screen or command that uses it)."""


# The same measurement for an empty Textual app (header and footer): the floor on this machine.
BASELINE_PROBE = """
import json, time
t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Header
t_import = time.perf_counter()
ready = {}

class Empty(App):
    def compose(self):
        yield Header()
        yield Footer()

async def probe(pilot):
    await pilot.pause()
    ready["t"] = time.perf_counter()
    pilot.app.exit()

Empty().run(headless=True, size=(120, 40), auto_pilot=probe)
print(json.dumps({"import_s": t_import - t0, "ready_s": ready["t"] - t0}))
"""


def measure_startup(root: Path, probe: str = STARTUP_PROBE) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NO_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def test_startup(benchmark: Any, ws: Workspace) -> None:
    """Time from interpreter start (after Python itself) to the launch screen being shown."""
    runs: list[dict[str, Any]] = []
    floor: list[dict[str, Any]] = []

    def once() -> None:
        # Interleaved with the baseline so both see the same machine load.
        floor.append(measure_startup(ws.root, BASELINE_PROBE))
        runs.append(measure_startup(ws.root))

    benchmark.pedantic(once, rounds=3, iterations=1)
    best = min(r["ready_s"] for r in runs)
    base = min(r["ready_s"] for r in floor)
    benchmark.extra_info["ready_s"] = [round(r["ready_s"], 3) for r in runs]
    benchmark.extra_info["import_s"] = [round(r["import_s"], 3) for r in runs]
    benchmark.extra_info["empty_app_ready_s"] = [round(r["ready_s"], 3) for r in floor]
    benchmark.extra_info["ratio_to_empty_app"] = round(best / base, 2)
    print(
        f"\nstart-up to the launch screen: best {best:.3f} s of {len(runs)} "
        f"(imports {min(r['import_s'] for r in runs):.3f} s); "
        f"an empty Textual app: best {base:.3f} s; ratio {best / base:.2f} (target <= 1.3)"
    )
    for r in runs:
        assert r["screen"] == "LaunchScreen"
        early = [
            m for m in r["modules"] if any(m == n or m.startswith(n + ".") for n in NOT_AT_STARTUP)
        ]
        assert not early, f"loaded before the launch screen needs them: {early}"


SWITCH_ORDER = ("experiments", "matrix", "weights", "ladder", "monitor", "launch")


async def switch_times(root: Path) -> dict[str, list[float]]:
    """Seconds from a screen key to that screen drawn, per screen: the first switch (the screen
    was built ahead, once the launch form was drawn) and then later switches (it is kept as a
    mode and only resumed)."""
    from test_tui_support import form_ready, wait_until
    from textual.widgets import Static

    from tui.app import EwtuiApp

    keys = {"experiments": "e", "matrix": "v", "weights": "w", "ladder": "a"}
    keys |= {"monitor": "m", "launch": "l"}
    app = EwtuiApp(Workspace(root), warm_up=True)
    out: dict[str, list[float]] = {name: [] for name in SWITCH_ORDER}
    async with app.run_test(size=(120, 40)) as pilot:
        await form_ready(pilot)
        await wait_until(pilot, lambda: app.warmed_up)
        for _ in range(4):
            for name in SWITCH_ORDER:
                start = time.perf_counter()
                await pilot.press(keys[name])  # returns once the key is handled
                await pilot.pause()  # and the screen has been drawn
                out[name].append(time.perf_counter() - start)
                assert app.current_mode == name
                assert app.screen.query(Static) is not None
    return out


def test_screen_switch(benchmark: Any, populated_ws: Workspace) -> None:
    """A screen switch, key to drawn screen: the first visit shows the screen built ahead,
    later ones resume it (target <= 150 ms; scripts/tui_bench.py gives every way apart)."""
    results: list[dict[str, list[float]]] = []
    benchmark.pedantic(
        lambda: results.append(asyncio.run(switch_times(populated_ws.root))),
        rounds=1,
        iterations=1,
    )
    figures = results[-1]
    first = {k: round(1000 * v[0], 1) for k, v in figures.items()}
    warm = {k: round(1000 * sorted(v[1:])[len(v[1:]) // 2], 1) for k, v in figures.items()}
    benchmark.extra_info.update({"first_ms": first, "warm_median_ms": warm})
    print(f"\nscreen switch, first visit (ms): {first}\nwarm, median (ms): {warm}")


class TimedPane(LogPane):
    """A log pane that records each write to the underlying `Log` (its size) and how long each
    batch write takes on the event loop."""

    def __init__(self) -> None:
        super().__init__(id="pane")
        self.flush_times: list[float] = []
        self.writes: list[int] = []

    def write_lines(self, lines: Any, scroll_end: bool | None = None) -> Any:
        lines = list(lines)
        self.writes.append(len(lines))
        return super().write_lines(lines, scroll_end)

    def flush(self) -> None:
        start = time.perf_counter()
        had = self.pending
        super().flush()
        if had:
            self.flush_times.append(time.perf_counter() - start)


class PaneApp(App[None]):
    """One log pane, plus a probe that records how late a 10 ms timer fires: the worst delay
    is the longest the event loop was blocked (by flushes, layout and rendering)."""

    def __init__(self) -> None:
        super().__init__()
        self.lags: list[float] = []
        self._last = 0.0

    def compose(self) -> ComposeResult:
        yield TimedPane()

    def on_mount(self) -> None:
        self._last = time.perf_counter()
        self.set_interval(0.01, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lags.append(max(0.0, now - self._last - 0.01))
        self._last = now


async def key_round_trips(pilot: Any, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await pilot.press("up")  # returns once the app has handled the key
        out.append(time.perf_counter() - start)
    return out


def _ms(values: list[float], q: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


async def stream_into_pane(total: int, chunk: int) -> dict[str, float]:
    """Feed `total` lines in chunks of `chunk` (a chatty job between two screen refreshes),
    letting the app run between chunks, and time key presses against an idle baseline."""
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(TimedPane)
        pane.focus()
        idle = await key_round_trips(pilot, 10)
        app.lags.clear()
        busy: list[float] = []
        t0 = time.perf_counter()
        for sent in range(0, total, chunk):
            pane.extend(
                [f"\x1b[32m[info]\x1b[0m line {sent + i} of the job's log" for i in range(chunk)]
            )
            if (sent // chunk) % 10 == 0:
                busy += await key_round_trips(pilot, 1)
            else:
                await pilot.pause(0.02)
        elapsed = time.perf_counter() - t0
        pane.flush()
        await pilot.pause()
        lags = list(app.lags)
        assert pane.lines_received == total
        assert pane.line_count == DEFAULT_MAX_LINES  # bounded
        assert pane.lines[-1] == f"[info] line {total - 1} of the job's log"  # escapes removed
        # Responsive by construction: the pane writes to the screen only on its timer (one
        # layout pass per tick however many lines arrive) and never more than its cap at once.
        ticks = elapsed / FLUSH_INTERVAL_S
        assert len(pane.writes) <= ticks + 2, (len(pane.writes), ticks)
        assert max(pane.writes) <= DEFAULT_MAX_LINES
        assert len(busy) == total // chunk // 10  # every key pressed while streaming was handled
        await pilot.press("end")
        assert pane.is_vertical_scroll_end
    return {
        "lines": float(total),
        "elapsed_s": elapsed,
        "key_idle_p50_ms": _ms(idle, 0.5),
        "key_busy_p50_ms": _ms(busy, 0.5),
        "key_busy_max_ms": _ms(busy, 1.0),
        "loop_lag_p50_ms": _ms(lags, 0.5),
        "loop_lag_p99_ms": _ms(lags, 0.99),
        "loop_lag_max_ms": _ms(lags, 1.0),
        "flush_p50_ms": _ms(pane.flush_times, 0.5),
        "flush_max_ms": _ms(pane.flush_times, 1.0),
        "flushes": float(len(pane.flush_times)),
        "lines_written": float(sum(pane.writes)),
    }


def test_log_pane_100k_lines_stays_responsive(benchmark: Any) -> None:
    results: list[dict[str, float]] = []
    benchmark.pedantic(
        lambda: results.append(asyncio.run(stream_into_pane(100_000, 1_000))),
        rounds=1,
        iterations=1,
    )
    figures = results[-1]
    benchmark.extra_info.update({k: round(v, 2) for k, v in figures.items()})
    print(f"\nlog pane, 100,000 lines: {figures}")


def test_log_pane_full_batch_write(benchmark: Any) -> None:
    """The most a pane adds to one tick of the event loop: a burst of twice its cap between two
    ticks is written as one batch of `DEFAULT_MAX_LINES` lines (the lines it would prune at
    once are never written) to a pane that is already full."""

    async def measure() -> tuple[int, int]:
        app = PaneApp()
        async with app.run_test(size=(120, 40)):
            pane = app.query_one(TimedPane)
            lines = [f"[info] line {i} of the job's log" for i in range(2 * DEFAULT_MAX_LINES)]

            def full_write() -> None:
                pane.extend(lines)
                pane.flush()

            benchmark.pedantic(full_write, rounds=5, iterations=1, warmup_rounds=1)
            return max(pane.writes), pane.line_count

    biggest, shown = asyncio.run(measure())
    assert biggest == DEFAULT_MAX_LINES and shown == DEFAULT_MAX_LINES
