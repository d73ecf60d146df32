"""The headless reporter: live bars on a terminal, plain lines otherwise, and the summary."""

import io
import json

from rich.console import Console

from core.events import JobEvent, JobStateChanged, PhaseChanged, parse_event_line
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
    assert "train-generalist" in text and "gen 2/3 best 0.500" in text
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
    assert "[train-generalist] gen 1/3 best 0.500" in text
    assert "[train-generalist] ok" in text and "== train: started (1 jobs)" in text
    lines = [json.loads(ln) for ln in out.getvalue().splitlines()]
    assert [ln["event"] for ln in lines][:3] == ["phase", "job_state", "start"]
