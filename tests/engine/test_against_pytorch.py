"""The engine against PyTorch: forward values and gradients of scalar programs
and dense networks, recorded by ``golden/pytorch_golden.py`` (torch is not a
dependency; rerun that script after changing a case)."""

import json
from pathlib import Path

import numpy as np
import pytest

from engine.functions import TYPED
from engine.network import ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS
from engine.trace import trace

GOLDEN = json.loads((Path(__file__).parent / "golden" / "pytorch.json").read_text())
CASES = GOLDEN["cases"]


def test_the_recording_covers_every_kind_of_node():
    specs = [case["spec"] for case in CASES]
    networks = [s for s in specs if s["kind"] == "network_trace"]
    layers = [layer for s in networks for layer in s["layers"]]
    assert {layer["activation"] for layer in layers} == {
        *ACTIVATIONS, *OUTPUT_ACTIVATIONS
    }  # fmt: skip
    assert {s["loss"] for s in networks} == set(LOSSES)
    assert {s["convention"] for s in networks} == {"row", "column"}
    assert {np.ndim(layer["b"]) for layer in layers if "b" in layer} == {1, 2}
    assert any("b" not in layer for layer in layers)
    assert len(specs) - len(networks) >= 40


def test_the_recording_covers_every_function():
    ops = {
        node.op
        for case in CASES
        if case["spec"]["kind"] == "scalar_trace"
        for node in trace(case["spec"]).nodes
    }
    assert {record.name for record in TYPED.values()} <= ops


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_engine_agrees_with_pytorch(case):
    ours = trace(case["spec"]).values
    expected = case["values"]
    assert expected.keys() <= ours.keys()
    for step, value in expected.items():
        mine, theirs = (
            np.asarray(ours[step], dtype=float),
            np.asarray(value, dtype=float),
        )
        if theirs.ndim == 1 and step.startswith("grad:b"):
            # PyTorch keeps a 1-D bias 1-D; the engine reads it as the row (or
            # column) it is added as, so its gradient has that shape.
            assert mine.shape in {(1, theirs.size), (theirs.size, 1)}, step
            mine = mine.reshape(-1)
        np.testing.assert_allclose(
            mine,
            theirs,
            rtol=1e-9,
            atol=1e-12,
            err_msg=step,
        )
