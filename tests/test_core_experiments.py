from datetime import datetime

import pytest
from expfixtures import write_train, write_validation

from core.errors import ConfigError
from core.experiments import ExperimentStore
from core.paths import Workspace


@pytest.fixture
def store(ws: Workspace) -> ExperimentStore:
    e = ws.experiments_dir
    write_train(e, "2026-01-01_1000_generalist-v1", tag="generalist-v1", fitness=0.61)
    write_train(
        e,
        "2026-01-02_0900_argentum-v1",
        tag="argentum-v1",
        mode="specialist",
        faction="argentum",
        fitness=0.7,
    )
    write_train(
        e,
        "2026-01-03_0800_symbiote-v1",
        tag="symbiote-v1",
        mode="specialist",
        faction="symbiote",
        complete=False,
    )
    write_validation(e, "2026-01-02_120000")
    (e / "runs").mkdir()
    (e / "validation" / ".weights").mkdir()
    return ExperimentStore(ws)


def test_list_reads_summaries_newest_first(store: ExperimentStore) -> None:
    rows = store.list()
    assert [r.id for r in rows] == [
        "2026-01-03_0800_symbiote-v1",
        "2026-01-02_120000",
        "2026-01-02_0900_argentum-v1",
        "2026-01-01_1000_generalist-v1",
    ]
    sym, val, arg, gen = rows
    assert not sym.complete and sym.tag == "symbiote-v1"
    assert val.kind == "validation" and val.verdict and val.games == 20
    assert val.faction_win_rates["argentum"] == 0.6
    assert arg.best_fitness == 0.7 and arg.target == "argentum" and gen.target == "generalist"
    assert gen.win_rates == {"random": 0.9, "greedy": 0.6, "mcts": None}


def test_filter_and_sort(store: ExperimentStore) -> None:
    assert [r.tag for r in store.filter(tag="argentum")] == ["argentum-v1"]
    assert {r.tag for r in store.filter(mode="specialist")} == {"argentum-v1", "symbiote-v1"}
    assert [r.tag for r in store.filter(min_fitness=0.65)] == ["argentum-v1"]
    assert len(store.filter(since=datetime(2026, 1, 2))) == 3
    assert [r.kind for r in store.filter(kind="validation")] == ["validation"]
    by_fit = store.sort("best_fitness", reverse=True)
    assert [r.best_fitness for r in by_fit[:2]] == [0.7, 0.61]
    assert by_fit[-1].best_fitness is None  # no value: last either way


def test_load_stats_and_summary(store: ExperimentStore) -> None:
    gen = store.get("2026-01-01_1000_generalist-v1")
    rows = store.load_stats(gen)
    assert [r["gen"] for r in rows] == [1.0, 2.0, 3.0]
    assert rows[0]["win_rate_mcts"] is None
    assert store.load_summary(gen)["tag"] == "generalist-v1"
    assert store.load_summary(store.get("2026-01-02_120000"))["games"] == 20


def test_unknown_experiment_and_bad_stats(store: ExperimentStore) -> None:
    with pytest.raises(ConfigError, match="no experiment named `nope`"):
        store.get("nope")
    gen = store.get("2026-01-01_1000_generalist-v1")
    (store.ws.experiments_dir / gen.id / "stats.csv").write_text("gen,best\n1,abc\n")
    with pytest.raises(ConfigError, match="line 2: column `best`"):
        store.load_stats(gen)
