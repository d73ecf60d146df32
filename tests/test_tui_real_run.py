"""The control center driving the real release binaries: a smoke run from the launch screen to
the end, then its outputs in the experiments browser, the matrix and the weights screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import form_ready, settled, shown_text, wait_until
from textual.widgets import DataTable, Select, SelectionList, Static

from core.paths import Workspace
from core.weights import history
from tui.app import EwtuiApp
from tui.screens.experiments import ExperimentsScreen
from tui.screens.matrix import MatrixScreen
from tui.screens.monitor import MonitorScreen
from tui.widgets.heatmap import Heatmap
from tui.widgets.job_card import JobCard
from tui.widgets.log_pane import LogPane


@pytest.mark.slow
async def test_smoke_run_on_the_local_backend(
    ws: Workspace, real_bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWTUI_BIN_DIR", str(real_bin_dir))
    app = EwtuiApp(ws)
    async with app.run_test(size=(150, 45)) as pilot:
        await form_ready(pilot)
        app.screen.query_one("#preset", Select).value = "smoke"
        await settled(pilot)
        await pilot.press("ctrl+r")
        await settled(pilot)
        assert isinstance(app.screen, MonitorScreen)
        await wait_until(pilot, lambda: app.run_view.state != "running", timeout=900)
        await pilot.pause(0.5)
        view = app.run_view
        assert view.state == "ok", [(j.job_id, j.state, j.detail) for j in view.jobs.values()]
        assert all(j.state == "ok" for j in view.jobs.values())
        for job in view.jobs.values():
            if job.kind == "train":
                assert job.gens == [1, 2] and job.best_fitness is not None
            else:
                assert job.total and job.done == job.total
        assert len(list(app.screen.query(JobCard))) == len(view.jobs)
        # The binaries' stderr copy of their log is hidden until `b` shows it.
        pane = app.screen.query_one("#log-train-generalist", LogPane)
        assert not any(line.startswith("[debug]") for line in pane.lines)
        await pilot.press("b")
        await pilot.pause(0.3)
        assert any(line.startswith("[debug]") for line in pane.lines)
        # A smoke training proves nothing: the deploy gate keeps the shipped files, and the
        # monitor says why, one line per target.
        assert history(ws) == []
        gate = shown_text(app.screen.query_one("#gate", Static))
        for target in ("generalist", "argentum", "symbiote", "obsidion"):
            assert f"deploy gate: {target}: kept the deployed file" in gate

        await pilot.press("e")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        table = screen.query_one("#exp-table", DataTable)
        kinds = sorted(table.get_row(k)[1] for k in table.rows)
        assert kinds == ["train"] * 4 + ["validation"]

        await pilot.press("v")
        await settled(pilot)
        matrix = app.screen
        assert isinstance(matrix, MatrixScreen) and matrix.report is not None
        assert matrix.report.games == 40 * 2 * 1
        assert len(list(matrix.query_one(Heatmap).cells)) == 2 * 40


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The .* function is executing locally")
async def test_modal_run_shows_containers(
    ws: Workspace, real_bin_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The Modal backend with its function bodies run here (`.local()`, a temporary directory
    for the volume, an in-memory queue): the monitor shows each job's container id."""
    from modal_doubles import InProcessSpawner, MemoryQueue

    from remote import app as remote_app
    from remote.backend import ModalBackend

    volume = tmp_path / "volume"
    volume.mkdir()
    monkeypatch.setenv("EWTUI_VOLUME_ROOT", str(volume))
    monkeypatch.setenv("EWTUI_BIN_DIR", str(real_bin_dir))
    monkeypatch.setenv("EWTUI_CONTAINER_CORES", "2")
    monkeypatch.setenv("MODAL_TASK_ID", "ta-tui-test")
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path / "no-modal.toml"))

    def backend_factory(name: str, options: object) -> ModalBackend:
        assert name == "modal"
        spawner = InProcessSpawner(
            remote_app.train, remote_app.validate_matchup, remote_app.validate_all
        )
        return ModalBackend(ws, spawner=spawner, progress=MemoryQueue())

    app = EwtuiApp(ws, backend_factory=backend_factory)
    async with app.run_test(size=(150, 45)) as pilot:
        await form_ready(pilot)
        app.screen.query_one("#backend", Select).value = "modal"
        app.screen.query_one("#preset", Select).value = "smoke"
        app.screen.query_one("#configs", SelectionList).deselect_all()
        app.screen.query_one("#configs", SelectionList).select("generalist")
        await settled(pilot)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.run_view.state != "running", timeout=900)
        await pilot.pause(0.5)
        view = app.run_view
        assert view.state == "ok", [(j.job_id, j.state, j.detail) for j in view.jobs.values()]
        assert {j.container_id for j in view.jobs.values()} == {"ta-tui-test"}
        card = app.screen.query_one("#card-train-generalist", JobCard)
        assert "container ta-tui-test" in shown_text(card.query_one("#facts", Static))
