"""Random networks: gradients agree with central differences; recompute follows."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.gradcheck import check_grads
from engine.rules import ARRAY, RULES
from engine.trace import trace

PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
entries = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))


def matrix(draw, rows, columns, elements=entries):
    return [[draw(elements) for _ in range(columns)] for _ in range(rows)]


@st.composite
def networks(draw):
    convention = draw(st.sampled_from(["row", "column"]))
    loss = draw(st.sampled_from(["squared_error", "mse", "bce"]))
    widths = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    batch = draw(st.integers(1, 2))

    def shaped(rows, columns, elements=entries):
        if convention == "column":
            rows, columns = columns, rows
        return matrix(draw, rows, columns, elements)

    layers = []
    for fan_in, fan_out in itertools.pairwise(widths):
        layer = {
            "W": shaped(fan_in, fan_out),
            "activation": draw(
                st.sampled_from(["identity", "relu", "sigmoid", "tanh"])
            ),
        }
        if draw(st.booleans()):
            layer["b"] = [draw(entries) for _ in range(fan_out)]
        layers.append(layer)
    targets = entries
    if loss == "bce":
        layers[-1]["activation"] = "sigmoid"
        targets = st.floats(0, 1).map(lambda v: round(v, 2))
    return {
        "kind": "network_trace",
        "x": shaped(batch, widths[0]),
        "layers": layers,
        "target": shaped(batch, widths[-1], targets),
        "loss": loss,
        "convention": convention,
    }


def traced(spec):
    t = trace(spec)
    for node in t.nodes:
        if node.op == "relu":  # keep away from relu's kink at 0
            assume(np.all(np.abs(t.node_values[node.parents[0]]) > 1e-4))
    if spec["loss"] == "bce":
        # A saturated output makes dL/da = 1/(1 - a) so steep that central
        # differences, not the engine, are off (seen: a = sigmoid(12), target 0).
        a = t.node_values[t.nodes[-2].name]
        assume(np.all((a > 1e-3) & (a < 1 - 1e-3)))
    return t


@PROPERTY
@given(networks())
def test_gradients_agree_with_central_differences(spec):
    check_grads(traced(spec), rtol=1e-4, atol=1e-6)


@PROPERTY
@given(networks())
def test_recompute_without_overrides_equals_values(spec):
    t = traced(spec)
    again = t.recompute({})
    assert set(again) == set(t.values) == set(t.steps())
    for step, value in t.values.items():
        np.testing.assert_allclose(again[step], value)


@PROPERTY
@given(networks(), st.data())
def test_overridden_pre_activation_propagates(spec, data):
    t = traced(spec)
    z1 = np.array(t.node_values["z1"])
    wrong = z1 + data.draw(st.floats(0.1, 1.0))
    again = t.recompute({"forward:z1": wrong})
    rule = RULES[t.nodes[[n.name for n in t.nodes].index("a1")].op]
    np.testing.assert_allclose(again["forward:a1"], rule.forward(ARRAY, wrong))
    np.testing.assert_allclose(again["forward:z1"], z1)
    # grad:z1 uses the wrong z1 in the activation's derivative.
    expected = again["grad:a1"] * rule.partials[0](
        ARRAY, rule.forward(ARRAY, wrong), wrong
    )
    np.testing.assert_allclose(again["grad:z1"], expected)


@PROPERTY
@given(networks())
def test_conventions_are_transposes(spec):
    def t_(m):
        return np.array(m, dtype=float).T.tolist()

    other = "row" if spec["convention"] == "column" else "column"
    flipped = dict(
        spec,
        convention=other,
        x=t_(spec["x"]),
        target=t_(spec["target"]),
        layers=[dict(layer, W=t_(layer["W"])) for layer in spec["layers"]],
    )
    a, b = trace(spec).values, trace(flipped).values
    for step in a:
        if step == "forward:loss":
            assert a[step] == pytest.approx(b[step])
        else:
            np.testing.assert_allclose(a[step], np.transpose(b[step]), atol=1e-12)
