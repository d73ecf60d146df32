"""The monitor's view of a run, folded from pipeline events (no Textual needed)."""

from __future__ import annotations

from core.events import (
    DoneEvent,
    GenerationEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    PhaseChanged,
    ProgressEvent,
    RawEvent,
    StartEvent,
    parse_event_line,
)
from tui.widgets.log_pane import DEFAULT_MAX_LINES, clean_line
from tui.widgets.run_view import RunView


def job(ev, job_id: str = "train-generalist", container: str | None = "ta-1") -> JobEvent:  # type: ignore[no-untyped-def]
    return JobEvent(job_id, container, ev)


def test_training_job_is_folded_in_order() -> None:
    view = RunView(run_id="r1", state="running")
    view.apply(PhaseChanged("train", "started"))
    view.apply(JobStateChanged("train-generalist", "queued", "4 cores"))
    view.apply(job(StartEvent(kind="train", total=3, unit="generation")))
    for g, best in ((1, 0.4), (2, 0.35), (3, 0.5)):
        view.apply(
            job(
                GenerationEvent(
                    gen=g,
                    generations=3,
                    best_fitness=best,
                    best_fitness_ever=max(0.4, best),
                    mean_fitness=0.3,
                    sigma=0.2,
                )
            )
        )
    view.apply(job(LogEvent(level="info", msg="hello")))
    view.apply(job(LogEvent(level="debug", msg="stderr copy")))
    view.apply(job(DoneEvent(summary={"best_fitness": 0.5})))
    view.apply(JobStateChanged("train-generalist", "ok"))

    j = view.jobs["train-generalist"]
    assert (j.kind, j.state, j.container_id) == ("train", "ok", "ta-1")
    assert j.gens == [1, 2, 3] and j.best == [0.4, 0.35, 0.5]
    assert j.best_fitness == 0.5 and (j.done, j.total) == (3.0, 3.0)
    assert view.phases["train"] == "started"
    shown = j.lines_since(0)
    assert "[info] hello" in shown and "[debug] stderr copy" not in shown
    assert "[debug] stderr copy" in j.lines_since(0, debug=True)
    assert j.lines_since(j.lines_total) == []
    assert view.dirty == {"", "train-generalist"}


def test_validation_progress_unknown_events_and_end() -> None:
    view = RunView(run_id="r2", state="running")
    view.apply(job(StartEvent(kind="validate", total=80, unit="game"), "validate-all", None))
    view.apply(job(ProgressEvent(done=40, total=80, unit="game"), "validate-all", None))
    view.apply(job(RawEvent(event="heartbeat"), "validate-all", None))
    view.apply(JobStateChanged("train-x", "queued"))
    v = view.jobs["validate-all"]
    assert (v.done, v.total, v.state) == (40.0, 80.0, "running")
    assert v.lines_since(0)[-1] == "[heartbeat] event"
    view.end("interrupted")
    assert view.state == "interrupted"
    assert view.jobs["train-x"].state == "skipped"
    assert view.jobs_finished == 1


def test_log_is_bounded() -> None:
    view = RunView()
    for i in range(DEFAULT_MAX_LINES + 10):
        view.apply(job(LogEvent(level="info", msg=f"line {i}")))
    j = view.jobs["train-generalist"]
    lines = j.lines_since(0)
    assert len(lines) == DEFAULT_MAX_LINES
    assert lines[-1] == f"[info] line {DEFAULT_MAX_LINES + 9}"


def test_clean_line_strips_escapes_and_controls() -> None:
    assert clean_line("\x1b[1;31mred\x1b[0m text") == "red text"
    assert clean_line("\x1b]0;title\x07after") == "after"
    assert clean_line("progress 10%\rprogress 90%") == "progress 90%"
    assert clean_line("bell\x07 and \x00nul\ttab") == "bell and nul\ttab"
    ev = parse_event_line('{"v":1,"event":"log","level":"info","msg":"\\u001b[2Jwipe"}')
    assert isinstance(ev, LogEvent) and clean_line(ev.msg) == "wipe"


def test_a_generation_is_logged_once() -> None:
    """tune sends a generation event and logs the same generation: the pane shows one line
    (the log's copy waits with the debug lines)."""
    view = RunView(run_id="r1", state="running")
    view.apply(job(GenerationEvent(gen=1, generations=2, best_fitness=0.4, best_fitness_ever=0.4)))
    view.apply(job(LogEvent(level="info", msg="gen 1/2: in-training fitness best 0.4000")))
    view.apply(job(LogEvent(level="info", msg="general remark")))
    shown = view.jobs["train-generalist"].lines_since(0)
    assert [line for line in shown if "gen 1/2" in line] == [
        "gen 1/2: in-training best 0.4000 (ever 0.4000, noisy), mean -, sigma -"
    ]
    assert "[info] general remark" in shown
    assert "[info] gen 1/2: in-training fitness best 0.4000" in view.jobs[
        "train-generalist"
    ].lines_since(0, debug=True)
