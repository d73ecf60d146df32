#!/usr/bin/env python3
"""How fast the control center starts and switches screens (docs/tui.md, "Figures").

Start-up: a fresh interpreter per run, from its first line to the first frame of the launch
screen (the first non-empty update `App._display` is given for it), beside
an empty Textual app (header and footer) measured the same way in the same rounds, interleaved,
so both see the same machine load. The launch form's own figure, to its plan drawn, is given
too: the form is filled after the first frame.

Screen switch: one app on a workspace with experiments and a validation run; each screen key is
pressed in turn, several rounds, and timed from the key to the first frame of that screen and
to the first frame that shows its data (`tui.app.screen_filled`), in three ways (`WAYS`):
screens built ahead and keys pressed once the warm-up is over, keys pressed while it is under
way, and no warm-up (each screen built on its key). The first round is the first visit.

    python scripts/tui_bench.py                    # on a copy of the repository's data/ with
                                                   # the test fixture's experiments
    python scripts/tui_bench.py --rounds 9 --json
    python scripts/tui_bench.py --workspace DIR    # on an existing workspace
    python scripts/tui_bench.py --rounds 0 --ways warm,cold   # switches only, two ways

Medians over the rounds; the machine's load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

# Both probes time from their first line to the first frame drawn; the ewtui one goes on to
# the plan drawn (the form is filled after the first frame).
EWTUI_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from tui.app import EwtuiApp
from core.paths import Workspace
t_import = time.perf_counter()
marks = {}

app = EwtuiApp(Workspace(sys.argv[1]))
display = app._display

def timed_display(screen, renderable):
    display(screen, renderable)
    if renderable is None or type(screen).__name__ != "LaunchScreen":
        return
    now = time.perf_counter()
    marks.setdefault("frame", now)
    if screen.query("#plan.plan-ready") and "form" not in marks:
        marks["form"] = now
        app.exit()

app._display = timed_display
app.run(headless=True, size=(120, 40))
print(json.dumps({"import_s": t_import - t0, "frame_s": marks["frame"] - t0,
                  "form_s": marks["form"] - t0}))
"""

EMPTY_PROBE = """
import json, time
t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Header
t_import = time.perf_counter()
marks = {}

class Empty(App):
    def compose(self):
        yield Header()
        yield Footer()

    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if renderable is not None and "frame" not in marks:
            marks["frame"] = time.perf_counter()
            self.exit()

Empty().run(headless=True, size=(120, 40))
print(json.dumps({"import_s": t_import - t0, "frame_s": marks["frame"] - t0}))
"""


def probe(code: str, root: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("NO_COLOR", None)
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def startup(root: Path, rounds: int) -> dict[str, Any]:
    empty: list[dict[str, float]] = []
    ewtui: list[dict[str, float]] = []
    probe(EMPTY_PROBE, root)  # warm the file cache and the bytecode of both
    probe(EWTUI_PROBE, root)
    for _ in range(rounds):
        empty.append(probe(EMPTY_PROBE, root))
        ewtui.append(probe(EWTUI_PROBE, root))

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    frame, base = med(ewtui, "frame_s"), med(empty, "frame_s")
    return {
        "rounds": rounds,
        "ewtui_import_s": med(ewtui, "import_s"),
        "ewtui_first_frame_s": frame,
        "ewtui_plan_drawn_s": med(ewtui, "form_s"),
        "empty_app_import_s": med(empty, "import_s"),
        "empty_app_first_frame_s": base,
        "ratio_first_frame": frame / base,
        "ratio_plan_drawn": med(ewtui, "form_s") / base,
        "ratio_per_round": [
            round(e["frame_s"] / b["frame_s"], 2) for e, b in zip(ewtui, empty, strict=True)
        ],
    }


SCREEN_KEYS = {
    "experiments": "e",
    "matrix": "v",
    "weights": "w",
    "ladder": "a",
    "monitor": "m",
    "launch": "l",
}
"""Each mode's key, in the order the switches are timed (the screens' classes: tui.app)."""

WAYS = {
    "warm": "built in the background, keys pressed once the warm-up is over",
    "early": "built in the background, keys pressed as soon as the launch form is drawn",
    "cold": "no warm-up: each screen is built on its first key",
}


async def switches(root: Path, rounds: int, way: str) -> dict[str, dict[str, list[float]]]:
    """Seconds from each screen key to the first frame of that screen (`frame`) and to the
    first frame that shows its data (`filled`), per screen, over `rounds` rounds; the first
    round is the first visit. `way`: one of WAYS."""
    sys.path.insert(0, str(REPO))
    from core.paths import Workspace
    from tui.app import SCREEN_CLASSES, EwtuiApp, screen_filled

    frames: list[tuple[float, str, bool]] = []

    app = EwtuiApp(Workspace(root), warm_up=way != "cold")
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            frames.append((time.perf_counter(), type(screen).__name__, screen_filled(screen)))

    async def until(condition: Any, what: str) -> None:
        deadline = time.perf_counter() + 60
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError(what)
            await asyncio.sleep(0.001)

    app._display = timed_display  # type: ignore[method-assign]
    out: dict[str, dict[str, list[float]]] = {
        name: {"frame": [], "filled": []} for name in SCREEN_KEYS
    }
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: bool(app.screen.query("#plan.plan-ready")), "the launch form")
        if way == "warm":
            await until(lambda: app.warmed_up, "the warm-up")
        await pilot.pause(0.2 if way == "early" else 1.0)
        for _ in range(rounds):
            for name, key in SCREEN_KEYS.items():
                screen = SCREEN_CLASSES[name][1]
                frames.clear()
                start = time.perf_counter()
                await pilot.press(key)
                await until(lambda s=screen: any(f[1] == s for f in frames), screen)
                drawn = next(t for t, s, _ in frames if s == screen)
                # Data shown: the first frame drawn with the screen filled.
                await until(lambda s=screen: any(f[1:] == (s, True) for f in frames), screen)
                filled = next(t for t, s, f in frames if s == screen and f)
                out[name]["frame"].append(drawn - start)
                out[name]["filled"].append(filled - start)
                await pilot.pause(0.3)  # let the screen's workers settle before the next key
    return out


def populated_workspace(tmp: Path) -> Path:
    """A copy of the repository's data/ with the test fixture's experiments and validation
    run (its report is built by the real `validate merge`, so the release binaries are needed:
    `$EWTUI_BIN_DIR`, or built from rust/)."""
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from conftest import make_workspace  # type: ignore[import-not-found]
    from test_tui_support import populate  # type: ignore[import-not-found]

    if not os.environ.get("EWTUI_BIN_DIR"):
        from core.binaries import ensure_binaries

        os.environ["EWTUI_BIN_DIR"] = str(ensure_binaries(REPO).tune.parent)
    ws = make_workspace(tmp / "ws")
    populate(ws)
    return Path(ws.root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=7, help="start-up rounds (default 7; 0: no start-up figures)"
    )
    parser.add_argument("--switch-rounds", type=int, default=5, help="screen switch rounds")
    parser.add_argument("--workspace", type=Path, help="an existing workspace to measure on")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--ways",
        default="warm,early,cold",
        help="screen switch ways, comma separated: "
        + "; ".join(f"{k}: {v}" for k, v in WAYS.items()),
    )
    args = parser.parse_args()
    ways = [w for w in args.ways.split(",") if w]
    with tempfile.TemporaryDirectory() as tmp:
        root = args.workspace or populated_workspace(Path(tmp))
        load = os.getloadavg()[0]
        up = startup(root, args.rounds) if args.rounds else None
        sw = {way: asyncio.run(switches(root, args.switch_rounds, way)) for way in ways}
        load_after = os.getloadavg()[0]

    def ms(seconds: float) -> float:
        return round(1000 * seconds, 1)

    result: dict[str, Any] = {"load_avg": [round(load, 2), round(load_after, 2)]}
    if up is not None:
        result["startup"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in up.items()}
    for way, figures in sw.items():
        result[f"switch_{way}"] = {
            kind: {
                "first_ms": {k: ms(v[kind][0]) for k, v in figures.items()},
                "later_median_ms": {
                    k: ms(statistics.median(v[kind][1:])) if len(v[kind]) > 1 else None
                    for k, v in figures.items()
                },
            }
            for kind in ("frame", "filled")
        }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"load average {load:.2f} before, {load_after:.2f} after")
    if up is not None:
        s = result["startup"]
        print(
            f"start-up, median of {s['rounds']}: ewtui first frame {s['ewtui_first_frame_s']:.3f} s"
            f" (imports {s['ewtui_import_s']:.3f} s), plan drawn {s['ewtui_plan_drawn_s']:.3f} s;"
            f" empty Textual app {s['empty_app_first_frame_s']:.3f} s"
            f" (imports {s['empty_app_import_s']:.3f} s)"
        )
        print(
            f"ratio to the empty app: first frame {s['ratio_first_frame']:.2f} (target <= 1.3),"
            f" plan drawn {s['ratio_plan_drawn']:.2f}; per round {s['ratio_per_round']}"
        )
    for way in sw:
        print(f"screen switch, {way} ({WAYS[way]}), key to first frame / to data shown (ms):")
        for kind in ("frame", "filled"):
            figures = result[f"switch_{way}"][kind]
            print(f"  {kind:6s} first visit {figures['first_ms']}")
            if args.switch_rounds > 1:
                print(f"  {kind:6s} later, median {figures['later_median_ms']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
