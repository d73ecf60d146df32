import json

from core.events import (
    DoneEvent,
    ErrorEvent,
    GenerationEvent,
    JobEvent,
    JobStateChanged,
    LogEvent,
    MatchupEvent,
    PhaseChanged,
    ProgressEvent,
    RawEvent,
    StartEvent,
    event_to_json,
    parse_event_line,
    pipeline_event_to_json,
)


def line(**kw: object) -> str:
    return json.dumps({"v": 1, "t": 1.0, **kw})


def test_each_known_type_parses_to_its_model() -> None:
    cases = {
        "start": StartEvent,
        "generation": GenerationEvent,
        "progress": ProgressEvent,
        "matchup": MatchupEvent,
        "log": LogEvent,
        "done": DoneEvent,
        "error": ErrorEvent,
    }
    for name, cls in cases.items():
        ev = parse_event_line(line(event=name))
        assert type(ev) is cls, name


def test_generation_fields_and_unknown_fields_are_kept() -> None:
    ev = parse_event_line(
        line(event="generation", gen=3, generations=10, best_fitness=0.61, sigma=0.2, future=7)
    )
    assert isinstance(ev, GenerationEvent)
    assert (ev.gen, ev.generations, ev.best_fitness, ev.sigma) == (3, 10, 0.61, 0.2)
    assert ev.model_extra == {"future": 7}


def test_unknown_type_becomes_raw_event_with_its_fields() -> None:
    ev = parse_event_line(line(event="heartbeat", beat=4))
    assert isinstance(ev, RawEvent)
    assert ev.event == "heartbeat" and ev.model_extra == {"beat": 4}


def test_mistyped_known_event_degrades_to_raw_instead_of_being_lost() -> None:
    ev = parse_event_line(line(event="generation", gen="three"))
    assert isinstance(ev, RawEvent) and ev.event == "generation"


def test_non_event_lines_give_none() -> None:
    for bad in ["", "   ", "not json", "[1,2]", "42", '{"no_event": 1}', b"\n", '{"event": 5}']:
        assert parse_event_line(bad) is None, bad


def test_bytes_lines_parse() -> None:
    ev = parse_event_line(line(event="progress", done=5, total=10, unit="game").encode())
    assert isinstance(ev, ProgressEvent) and (ev.done, ev.total) == (5, 10)


def test_event_to_json_is_the_original_line_plus_job_and_container() -> None:
    original = {"v": 1, "event": "checkpoint", "t": 2.5, "path": "/x/checkpoint.json", "gen": 4}
    ev = parse_event_line(json.dumps(original))
    assert ev is not None
    out = json.loads(event_to_json(JobEvent("train-generalist", "c1", ev)))
    assert out == {**original, "job": "train-generalist", "container": "c1"}


def test_pipeline_events_serialise() -> None:
    a = json.loads(pipeline_event_to_json(JobStateChanged("j", "running", "x")))
    b = json.loads(pipeline_event_to_json(PhaseChanged("train", "started")))
    assert a["event"] == "job_state" and a["state"] == "running"
    assert b["event"] == "phase" and b["phase"] == "train"
