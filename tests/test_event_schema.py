"""The pydantic event models against ``docs/events.schema.json``, the schema generated from the
Rust enum that writes the lines (``ew_jobs::events``; a Rust test keeps the file current).

Both sides must name the same events with the same fields, and every JSON type the binary may
write for a field must be accepted by the model, so a field added, renamed or retyped on one side
only fails here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from core import events

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "events.schema.json"
ENVELOPE = {"v", "t", "event"}
Schema = dict[str, Any]


def _models() -> dict[str, type[events.BaseEvent]]:
    """The model of each known event type, from the reader's own union."""
    union = get_args(events.Event)[0]
    out: dict[str, type[events.BaseEvent]] = {}
    for member in get_args(union):
        model, tag = get_args(member)
        if tag.tag != "raw":
            out[tag.tag] = model
    return out


class _Resolver:
    def __init__(self, root: Schema) -> None:
        self.defs: dict[str, Schema] = root.get("$defs", {})

    def __call__(self, node: Schema) -> Schema:
        while "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            node = {
                **self.defs[name],
                **rest,
                "properties": {
                    **self.defs[name].get("properties", {}),
                    **rest.get("properties", {}),
                },
            }
        return node


def _types(node: Schema, resolve: _Resolver) -> set[str] | None:
    """The JSON types a schema node admits; None for any value."""
    node = resolve(node)
    for key in ("anyOf", "oneOf"):
        if key in node:
            acc: set[str] = set()
            for sub in node[key]:
                t = _types(sub, resolve)
                if t is None:
                    return None
                acc |= t
            return acc
    if "type" in node:
        t = node["type"]
        return set(t) if isinstance(t, list) else {t}
    if "const" in node or "enum" in node:
        values = [node["const"]] if "const" in node else node["enum"]
        return {"string" if isinstance(v, str) else "number" for v in values}
    return None


def _accepts(reader: set[str] | None, writer: set[str] | None) -> bool:
    if reader is None:
        return True
    if writer is None:
        return False
    widened = reader | ({"integer"} if "number" in reader else set())
    return writer <= widened


def _fields(node: Schema, resolve: _Resolver) -> dict[str, Schema]:
    return dict(resolve(node).get("properties", {}))


def mismatches(rust: Schema, rust_root: Schema, model: type[BaseModel], path: str) -> list[str]:
    """How the model differs from the Rust object schema ``rust`` (field names both ways, the
    types Rust writes accepted by the model, nested objects recursively)."""
    py_root = model.model_json_schema(mode="validation")
    r_res, p_res = _Resolver(rust_root), _Resolver(py_root)
    return _compare(_fields(rust, r_res), r_res, _fields(py_root, p_res), p_res, path)


def _compare(
    r_fields: dict[str, Schema],
    r_res: _Resolver,
    p_fields: dict[str, Schema],
    p_res: _Resolver,
    path: str,
) -> list[str]:
    out: list[str] = []
    r_names, p_names = set(r_fields) - ENVELOPE, set(p_fields) - ENVELOPE
    out += [f"{path}.{n}: written by Rust, missing in the model" for n in sorted(r_names - p_names)]
    out += [f"{path}.{n}: in the model, never written by Rust" for n in sorted(p_names - r_names)]
    for name in sorted(r_names & p_names):
        r_t, p_t = _types(r_fields[name], r_res), _types(p_fields[name], p_res)
        if not _accepts(p_t, r_t):
            out.append(f"{path}.{name}: Rust writes {r_t}, the model accepts {p_t}")
            continue
        r_sub, p_sub = _fields(r_fields[name], r_res), _fields(p_fields[name], p_res)
        if r_sub and p_sub:
            out += _compare(r_sub, r_res, p_sub, p_res, f"{path}.{name}")
    return out


@pytest.fixture(scope="module")
def schema() -> Schema:
    return dict(json.loads(SCHEMA.read_text()))


def _variants(schema: Schema) -> dict[str, Schema]:
    out = {}
    for variant in schema["oneOf"]:
        out[variant["properties"]["event"]["const"]] = variant
    return out


def test_same_event_types(schema: Schema) -> None:
    assert set(_variants(schema)) == set(_models())


def test_envelope_matches(schema: Schema) -> None:
    assert set(schema["properties"]) | {"event"} == ENVELOPE
    base = set(events.BaseEvent.model_fields)
    assert base >= ENVELOPE


@pytest.mark.parametrize("kind", sorted(_models()))
def test_model_matches_rust(schema: Schema, kind: str) -> None:
    rust = _variants(schema)[kind]
    assert mismatches(rust, schema, _models()[kind], kind) == []


def test_a_field_on_one_side_only_is_caught(schema: Schema) -> None:
    """The comparison can fail: a model with an extra field, one missing a field, and one with
    a narrower type are each reported."""
    rust = _variants(schema)["checkpoint"]

    class Extra(events.CheckpointEvent):
        novel: int = 0

    class Narrow(events.BaseEvent):
        path: str = ""
        gen: str = ""

    class Missing(events.BaseEvent):
        path: str = ""

    assert mismatches(rust, schema, Extra, "x") == ["x.novel: in the model, never written by Rust"]
    assert mismatches(rust, schema, Missing, "x") == [
        "x.gen: written by Rust, missing in the model"
    ]
    (narrow,) = mismatches(rust, schema, Narrow, "x")
    assert narrow.startswith("x.gen: Rust writes {'integer'}")
