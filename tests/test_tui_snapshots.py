"""Screenshots of the screens at two terminal sizes, compared with the stored SVGs.

The data is the fixed fixture workspace (no clocks, no randomness); the launch screen uses the
Modal backend so the plan does not depend on this machine's core count. Update the stored
screenshots with `pytest tests/test_tui_snapshots.py --snapshot-update` after a deliberate change.
"""

from __future__ import annotations

import pytest
from test_tui_support import populated_ws
from textual.widgets import Select

from core.paths import Workspace
from tui.app import EwtuiApp

__all__ = ["populated_ws"]
SIZES = [pytest.param((100, 32), id="100x32"), pytest.param((160, 48), id="160x48")]


@pytest.mark.parametrize("size", SIZES)
def test_launch_screen(snap_compare, populated_ws: Workspace, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def modal_smoke(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.screen.query_one("#backend", Select).value = "modal"
        pilot.app.screen.query_one("#preset", Select).value = "smoke"
        await pilot.pause()

    assert snap_compare(EwtuiApp(populated_ws), terminal_size=size, run_before=modal_smoke)


@pytest.mark.parametrize("size", SIZES)
def test_matrix_screen(snap_compare, populated_ws: Workspace, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(EwtuiApp(populated_ws), terminal_size=size, press=["v"])


@pytest.mark.parametrize("size", SIZES)
def test_weights_screen(snap_compare, populated_ws: Workspace, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(EwtuiApp(populated_ws), terminal_size=size, press=["w"])


def test_matrix_screen_no_color(
    snap_compare, populated_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """With NO_COLOR the heat map still prints every value and its band marker."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = EwtuiApp(populated_ws)
    assert app.no_color
    assert snap_compare(app, terminal_size=(160, 48), press=["v"])
