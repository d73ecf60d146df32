"""The headless reporter: live bars on a terminal, plain lines otherwise, and the summary."""

import asyncio
import io
import json

import pytest
from rich.console import Console

from core.binaries import Binaries
from core.config import load_project_config
from core.errors import BackendUnavailable
from core.events import JobEvent, JobStateChanged, PhaseChanged, parse_event_line
from core.local import LocalBackend
from core.paths import Workspace
from core.plan import RunOptions, build_plan
from core.runner import run_pipeline
from tui.backends import make_backend
from tui.headless import Reporter, plain_output


def events() -> list:  # type: ignore[type-arg]
    def ev(**kw: object) -> JobEvent:
        e = parse_event_line(json.dumps({"v": 1, "t": 1.0, **kw}))
        assert e is not None
        return JobEvent("train-generalist", None, e)

    return [
        PhaseChanged("train", "started", "1 jobs"),
        JobStateChanged("train-generalist", "running"),
        ev(event="start", kind="train", total=3, unit="generation"),
        ev(event="generation", gen=1, generations=3, best_fitness=0.5, best_fitness_ever=0.5),
        ev(event="generation", gen=2, generations=3, best_fitness=0.4, best_fitness_ever=0.5),
        ev(event="log", level="warn", msg="sigma is small"),
        ev(event="done", summary={}, outputs={}),
        JobStateChanged("train-generalist", "ok"),
    ]


def test_live_bars_on_a_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120)
    assert not plain_output(console) or "NO_COLOR" in __import__("os").environ
    with Reporter(console, None, plain=False) as rep:
        for e in events():
            rep.handle(e)
    text = buf.getvalue()
    assert "train-generalist" in text and "gen 2/3 in-training best 0.500" in text
    assert "warn: sigma is small" in text


def test_plain_lines_and_json_out() -> None:
    buf, out = io.StringIO(), io.StringIO()
    console = Console(file=buf, force_terminal=False, width=120)
    assert plain_output(console)
    with Reporter(console, out, plain=True) as rep:
        for e in events():
            rep.handle(e)
    text = buf.getvalue()
    assert "\x1b[" not in text
    assert "[train-generalist] gen 1/3 in-training best 0.500" in text
    assert "[train-generalist] ok" in text and "== train: started (1 jobs)" in text
    lines = [json.loads(ln) for ln in out.getvalue().splitlines()]
    assert [ln["event"] for ln in lines][:3] == ["phase", "job_state", "start"]


def test_modal_backend_is_built_from_the_plan_and_closed_after_the_run(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Modal run is detached (orchestrated on Modal, followed from here) under the plan's
    run id; whatever backend a run used is closed when it ends."""
    import remote.preflight
    from remote.detached import DetachedBackend

    monkeypatch.setattr(remote.preflight, "modal_problem", lambda: None)
    project = load_project_config(ws.configs_file)
    options = RunOptions(backend="modal", mode="validate-only", validation_timeout=90)
    plan = build_plan(project, options, ws, run_id="2026-03-04_050607")
    backend = make_backend(ws, plan)
    assert isinstance(backend, DetachedBackend)
    assert backend.run_id == "2026-03-04_050607"
    assert backend.capacity_cores == project.modal.train.cpu * len(plan.training)

    closed: list[str] = []

    class ClosingLocal(LocalBackend):
        async def aclose(self) -> None:
            closed.append("closed")

    local_plan = build_plan(project, RunOptions(mode="validate-only", preset="smoke", cores=2), ws)
    local = ClosingLocal(ws, cores=2, bins=fake_bins)
    record = asyncio.run(run_pipeline(local_plan, local, ws, lambda e: None))
    assert record.state == "ok" and closed == ["closed"]

    # Closed also when the run stops on an error.
    local = ClosingLocal(ws, cores=2, bins=fake_bins)

    async def broken_check() -> None:
        raise BackendUnavailable("no backend today")

    monkeypatch.setattr(local, "check", broken_check)
    with pytest.raises(BackendUnavailable):
        asyncio.run(run_pipeline(local_plan, local, ws, lambda e: None))
    assert closed == ["closed", "closed"]


def test_the_summaries_lead_with_the_held_out_result_and_the_gate(
    ws: Workspace, fake_bins: Binaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.summary import render_run_summary

    monkeypatch.setenv("FAKE_H2H", "0.51")
    project = load_project_config(ws.configs_file)
    options = RunOptions(mode="train-only", preset="smoke", cores=2, single="generalist")
    plan = build_plan(project, options, ws)
    local = LocalBackend(ws, cores=2, bins=fake_bins)
    record = asyncio.run(run_pipeline(plan, local, ws, lambda e: None))
    head = "+1.0 points vs deployed [-1.5, 3.5]"
    text = render_run_summary(record)
    assert "train-generalist" in text and head in text
    assert "held-out fitness 0.505 [" in text and "in-training best" in text and "(noisy)" in text
    assert f"Deploy gate:\n  generalist: kept the deployed file: {head}" in text
    assert "Deployed weights:" not in text


def test_modal_run_prints_the_same_lines_as_ewtui_run() -> None:
    """One renderer: `modal run ::main` and `ewtui --run` without a terminal print the same
    progress lines for the same events."""
    from remote.entry import LinePrinter

    buf = io.StringIO()
    with Reporter(Console(file=buf, force_terminal=False, width=200), None, plain=True) as rep:
        for e in events():
            rep.handle(e)
    out = io.StringIO()
    printer = LinePrinter(out)
    for e in events():
        printer(e)
    assert out.getvalue().splitlines() == buf.getvalue().splitlines()
    assert "[train-generalist] warn: sigma is small" in out.getvalue()


def test_the_summary_explains_time_verdict_deploy_and_estimate(
    ws: Workspace, fake_bins: Binaries
) -> None:
    """A full smoke run: where the time went, the verdict with its pointer to summary.txt and
    the warning that 1 game per seat order cannot judge balance, what the deploy replaced with
    the command that undoes it, and the estimate against the actual."""
    from core.summary import render_run_summary

    project = load_project_config(ws.configs_file)
    options = RunOptions(preset="smoke", cores=2, single="generalist")
    plan = build_plan(project, options, ws)
    local = LocalBackend(ws, cores=2, bins=fake_bins)
    record = asyncio.run(run_pipeline(plan, local, ws, lambda e: None))
    text = render_run_summary(record, build_s=12.0, queued_s=3.0)
    assert "Time: build 12 s, queued 3.0 s (longest wait for cores), running " in text
    assert "warning: too few games to judge balance: 1 per seat order" in text
    assert record.validation is not None
    assert f"every warning and matchup: {record.validation.dir}/summary.txt" in text
    if record.validation.verdict != "balanced":
        assert "  because: " in text
    assert record.deploys, text
    assert "Deployed weights:" in text and "undo: ewtui weights rollback" in text
    assert "weights changed" in text
    # The estimate against the CPU time the binaries measured, not the cores the jobs held.
    from core.cost import cpu_ratio, measured_cpu_s

    cpu_s = measured_cpu_s(r.summary for r in record.results())
    assert cpu_s is not None and cpu_s > 0
    ratio = cpu_ratio(record.estimate.core_hours, cpu_s)
    assert ratio is not None
    assert "Estimate: estimated " in text and " of CPU time, measured " in text
    assert f"({ratio:.2f}x the estimate)" in text
    assert "e-0" not in text and "e+" not in text  # readable units, never an exponent
