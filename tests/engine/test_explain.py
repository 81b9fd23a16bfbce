"""Hints and worked solutions derived from the graph (engine.explain)."""

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from engine.explain import hint, number, worked_solution
from engine.specs import instantiate
from engine.trace import trace

PROBLEMS = sorted(Path("content/problems").glob("*.yaml"))
TRACES = [
    p for p in PROBLEMS if yaml.safe_load(p.read_text())["kind"].endswith("_trace")
]


def _trace(path: Path):
    return trace(instantiate(yaml.safe_load(path.read_text())["spec"], None))


@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
def test_every_step_of_every_content_trace_has_a_hint_without_its_number(path):
    t = _trace(path)
    program_numbers = set(
        re.findall(r"\d+(?:\.\d+)?", " ".join(n.label for n in t.nodes))
    )
    for step in t.steps(("forward", "local", "grad")):
        text = hint(t, step)
        assert text, step
        value = number(t.values[step])
        if value not in program_numbers and value not in ("0", "1", "2"):
            assert value not in text, (step, text)


@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
def test_the_worked_solution_ends_every_line_at_the_key(path):
    t = _trace(path)
    lines = worked_solution(t)
    assert [line.step_id for line in lines] == t.steps(("forward", "local", "grad"))
    for line in lines:
        assert line.text.endswith("= " + number(t.values[line.step_id])), line


def test_a_gradient_line_writes_out_each_paths_product():
    t = trace(
        {
            "kind": "scalar_trace",
            "program": "u = a*b\nw = u*c\nz = u + w\n",
            "inputs": {"a": 2, "b": 3, "c": 4},
        }
    )
    lines = {line.step_id: line.text for line in worked_solution(t)}
    assert lines["grad:u"] == (
        "∂z/∂u = ∂z/∂w · ∂w/∂u + 1 · ∂z/∂u (local) = 1 · 4 + 1 · 1 = 5"
    )
    assert lines["forward:w"] == "w = u*c = 6*4 = 24"
    assert "2 paths" in hint(t, "grad:u")


def test_scalar_products_in_the_worked_solution_are_the_keys_arithmetic():
    t = trace(
        {
            "kind": "scalar_trace",
            "program": "u = x*y\nv = u + b\nz = v**2\n",
            "inputs": {"x": 2, "y": -3, "b": 1},
        }
    )
    for line in worked_solution(t):
        if line.step_id.startswith("grad:"):
            products = line.text.split(" = ")[-2]
            total = sum(
                np.prod([float(f.strip("() ")) for f in term.split("·")])
                for term in products.split(" + ")
            )
            assert total == pytest.approx(t.values[line.step_id])


def test_a_network_gradient_names_its_backward_rule():
    t = trace(
        {
            "kind": "network_trace",
            "x": [[1.0, 2.0]],
            "layers": [{"W": [[0.5], [0.25]], "activation": "sigmoid"}],
            "target": [[1.0]],
            "convention": "row",
        }
    )
    lines = {line.step_id: line.text for line in worked_solution(t)}
    assert lines["grad:W1"].startswith("∂loss/∂W1 = xᵀ · ∂loss/∂z1 = ")
    assert lines["grad:z1"].startswith("∂loss/∂z1 = ∂loss/∂a1 ⊙ sigmoid'(z1) = ")
    assert "σ(v)(1 - σ(v))" in hint(t, "grad:z1")  # the function's own rule
