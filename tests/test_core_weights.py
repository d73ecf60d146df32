from pathlib import Path

import pytest

from core import weights as W
from core.errors import ConfigError
from core.paths import Workspace


def spec_of(ws: Workspace) -> W.WeightSpec:
    return W.load_spec(ws)


def good_text(spec: W.WeightSpec, shift: float = 0.0) -> str:
    # A value inside the bounds, moved by `shift` of the range from the default.
    lines = []
    for b in spec.bounds:
        v = min(b.max, max(b.min, b.default + shift * (b.max - b.min)))
        lines.append(f"{b.name} = {v!r}")
    return "\n".join(lines) + "\n"


def test_deployed_weights_load_in_spec_order(ws: Workspace) -> None:
    spec = spec_of(ws)
    w = W.load_weights(ws.weights_file("generalist"), spec)
    assert list(w.values) == spec.names


def test_bad_weights_are_refused_naming_file_and_key(ws: Workspace, tmp_path: Path) -> None:
    spec = spec_of(ws)
    b = spec.bounds[0]
    base = good_text(spec)
    cases = {
        "unknown": base + "no_such_weight = 1.0\n",
        "missing": "\n".join(base.splitlines()[1:]) + "\n",
        "string": base.replace(f"{b.name} = ", f'{b.name} = "x" #', 1),
        "high": base.replace(f"{b.name} = ", f"{b.name} = {b.max + abs(b.max) + 1.0!r} #", 1),
        "nan": base.replace(f"{b.name} = ", f"{b.name} = nan #", 1),
        "corrupt": "this is not = = toml",
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            W.load_weights(path, spec)
        msg = str(info.value)
        assert str(path) in msg, name
        if name not in ("corrupt",):
            assert "key `" in msg, (name, msg)


def test_an_optional_weight_may_be_left_out_and_takes_its_default(
    ws: Workspace, tmp_path: Path
) -> None:
    # Files written before an optional weight existed must keep loading and playing as before.
    spec = spec_of(ws)
    optional = [b for b in spec.bounds if b.optional]
    assert optional, "the spec marks the weights added later as optional"
    text = "\n".join(
        line for line in good_text(spec).splitlines() if line.split(" = ")[0] != optional[0].name
    )
    path = tmp_path / "old.toml"
    path.write_text(text + "\n")
    w = W.load_weights(path, spec)
    assert list(w.values) == spec.names
    assert w.values[optional[0].name] == optional[0].default


def test_deploy_backs_up_writes_atomically_and_rolls_back(ws: Workspace, tmp_path: Path) -> None:
    spec = spec_of(ws)
    target = ws.weights_file("argentum")
    before = target.read_text()
    src = tmp_path / "weights.toml"
    src.write_text(good_text(spec, 0.2))
    rec = W.deploy(ws, src, "argentum")
    assert rec.backup and Path(rec.backup).read_text() == before
    assert W.load_weights(target, spec).values == W.load_weights(src, spec).values
    assert any(d.delta != 0 for d in rec.deltas)
    assert [e.target for e in W.history(ws)] == ["argentum"]
    assert not list(target.parent.glob(".*.tmp"))

    restored = W.rollback(ws)
    assert [e.target for e in restored] == ["argentum"]
    assert target.read_text() == before
    assert W.history(ws) == []
    with pytest.raises(ConfigError, match="no deployed weights"):
        W.rollback(ws)


def test_one_rollback_undoes_a_whole_multi_file_deploy(ws: Workspace) -> None:
    spec = spec_of(ws)
    before = {t: ws.weights_file(t).read_text() for t in W.TARGETS}
    items = [(f"src-{t}", good_text(spec, 0.1), t) for t in ("generalist", "symbiote")]
    W.deploy_many(ws, items)
    assert ws.weights_file("symbiote").read_text() != before["symbiote"]
    W.rollback(ws)
    assert {t: ws.weights_file(t).read_text() for t in W.TARGETS} == before


def test_refused_deploy_overwrites_nothing(ws: Workspace, tmp_path: Path) -> None:
    spec = spec_of(ws)
    before = {t: ws.weights_file(t).read_text() for t in W.TARGETS}
    bad = good_text(spec).replace(f"{spec.bounds[-1].name} = ", f"{spec.bounds[-1].name} = 1e300 #")
    items = [("ok", good_text(spec, 0.1), "generalist"), ("bad", bad, "obsidion")]
    with pytest.raises(ConfigError, match="bad: key"):
        W.deploy_many(ws, items)
    assert {t: ws.weights_file(t).read_text() for t in W.TARGETS} == before
    assert W.history(ws) == []


def test_diff_reports_delta_percent_and_large_changes(ws: Workspace, tmp_path: Path) -> None:
    spec = spec_of(ws)
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(good_text(spec))
    first = spec.bounds[0]
    new_first = first.min if first.default - first.min > (first.max - first.min) / 2 else first.max
    b.write_text(good_text(spec).replace(f"{first.name} = ", f"{first.name} = {new_first!r} #", 1))
    deltas = W.diff(W.load_weights(a, spec), W.load_weights(b, spec), spec)
    assert [d.name for d in deltas] == spec.names
    d0 = deltas[0]
    assert d0.delta == pytest.approx(new_first - first.default) and d0.large
    assert all(d.delta == 0 and not d.large for d in deltas[1:])


def test_deploy_writes_with_tomli_w_and_keeps_layout(ws: Workspace, tmp_path: Path) -> None:
    spec = spec_of(ws)
    src = tmp_path / "w.toml"
    src.write_text(good_text(spec, 0.05))
    W.deploy(ws, src, "generalist")
    reread = W.load_weights(ws.weights_file("generalist"), spec)
    assert reread.values == W.load_weights(src, spec).values


def test_unknown_target_is_refused(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown weights target"):
        W.deploy(ws, ws.weights_file("generalist"), "neutral")
