"""Property tests: the key grades 1.0; each misconception is named by its code."""

import itertools
import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from grader.cells import DEFAULT_TOLERANCE, close
from grader.grading import grade
from grader.misconceptions import CODES

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
BINARY = ("+", "-", "*")
UNARY = ("sigmoid", "tanh", "relu")


@st.composite
def programs(draw) -> dict:
    """A random scalar program of primitive lines over two or three inputs.

    Each line uses the line before it (the engine wants every line used), and
    may reuse any earlier name, so values fan out.
    """
    count = draw(st.integers(2, 3))
    values = st.sampled_from([-3, -2, -1, 1, 2, 3, 0.5, -1.5])
    inputs = {f"x{i}": draw(values) for i in range(count)}
    unused = list(inputs)
    names = list(inputs)
    previous = unused.pop(0)
    lines = []
    for i in range(draw(st.integers(2, 6))):
        form = draw(st.sampled_from(["binary", "binary", "unary", "square"]))
        if form == "binary":
            other = unused.pop(0) if unused else draw(st.sampled_from(names))
            expr = f"{previous} {draw(st.sampled_from(BINARY))} {other}"
        elif form == "unary":
            expr = f"{draw(st.sampled_from(UNARY))}({previous})"
        else:
            expr = f"{previous}**2"
        previous = f"n{i}"
        lines.append(f"{previous} = {expr}")
        names.append(previous)
    # The output uses every input still unused.
    lines.append(
        f"out = {' * '.join([previous, *unused] if unused else [previous, '2'])}"
    )
    return {
        "kind": "scalar_trace",
        "program": "\n".join(lines) + "\n",
        "inputs": inputs,
        "ask": ["forward", "local", "grad"],
    }


def key_answers(trace) -> dict[str, str]:
    return {s: _text(v) for s, v in trace.values.items()}


def _text(value) -> str:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return repr(float(array))
    return (
        "["
        + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in array)
        + "]"
    )


@SETTINGS
@given(programs())
def test_key_grades_full_marks_on_random_programs(spec):
    from engine.trace import trace

    key = trace(spec)
    assume(
        all(
            np.all(np.isfinite(np.asarray(v, dtype=float))) for v in key.values.values()
        )
    )
    result = grade(spec, key_answers(key))
    assert result.score == 1.0, [s for s in result.steps if s.status != "correct"]


@SETTINGS
@given(programs())
def test_symbolic_key_grades_full_marks(spec):
    import sympy

    from engine.trace import trace

    key = trace(spec)
    answers = key_answers(key)
    for step, expr in key.symbolic.items():
        if not sympy.S(expr).has(sympy.Heaviside, sympy.Max):
            answers[step] = sympy.sstr(expr)
    result = grade(spec, answers)
    assert result.score == 1.0, [s for s in result.steps if s.status != "correct"]


@st.composite
def networks(draw) -> dict:
    convention = draw(st.sampled_from(["row", "column"]))
    sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 4)))]
    weight = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 2))
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        shape = (n_in, n_out) if convention == "row" else (n_out, n_in)
        W = [[draw(weight) for _ in range(shape[1])] for _ in range(shape[0])]
        layers.append(
            {"W": W, "activation": draw(st.sampled_from(["identity", *UNARY]))}
        )
    layers[-1]["activation"] = draw(st.sampled_from(["identity", "sigmoid"]))
    x = [[draw(weight) for _ in range(sizes[0])]]
    target = [[draw(weight) for _ in range(sizes[-1])]]
    if convention == "column":
        x, target = np.array(x).T.tolist(), np.array(target).T.tolist()
    return {
        "kind": "network_trace",
        "x": x,
        "layers": layers,
        "target": target,
        "loss": draw(st.sampled_from(["squared_error", "mse"])),
        "convention": convention,
    }


@SETTINGS
@given(networks())
def test_key_grades_full_marks_on_random_networks(spec):
    from engine.trace import trace

    key = trace(spec)
    answers = {s: _text(v) for s, v in key.values.items() if not s.startswith("local:")}
    result = grade(spec, answers)
    assert result.score == 1.0, [s for s in result.steps if s.status != "correct"]


# --- Each buggy variant is diagnosed as its own code -----------------------------


def _diagnosed(spec, key, step, buggy, code) -> None:
    """Grade the key with ``step`` replaced by ``buggy``; expect ``code``.

    Skipped (``assume``) when the buggy value is the right one, or when a more
    specific variant gives the same number (then that one is named, by design).
    """
    from grader.misconceptions import Believed, candidates

    tolerance = spec.get("tolerance") or DEFAULT_TOLERANCE
    truth = key.values[step]
    assume(np.all(np.isfinite(np.asarray(buggy, dtype=float))))
    assume(not close(buggy, truth, tolerance))
    earlier = [
        c
        for c, v in candidates(Believed(key, key.values, spec), step)
        if CODES.index(c) < CODES.index(code) and close(buggy, v, tolerance)
    ]
    assume(not earlier)
    answers = {s: _text(v) for s, v in key.values.items()}
    answers[step] = _text(buggy)
    found = grade(spec, answers).step(step)
    assert found.status == "incorrect", found
    assert found.misconception == code, (found, buggy)


def _scalar_variants(key, step: str) -> list[tuple[str, float]]:
    """Independent arithmetic for the misconceptions of ``grad:p``."""
    parent = step.split(":")[1]
    nodes = {n.name: n for n in key.nodes}
    value = lambda n: float(key.node_values[n])
    up = lambda c: float(key.values.get(f"grad:{c}", 1.0))
    local = lambda c: float(key.values[f"local:{c}/{parent}"])
    children = key.children(parent)
    terms = {c: up(c) * local(c) for c in children}
    total = sum(terms.values())
    out = [
        ("sign_error", -float(key.values[step])),
        ("forward_value_for_derivative", value(parent)),
        ("upstream_dropped", sum(local(c) for c in children)),
    ]
    if len(children) > 1:
        out += [("fanout_not_summed", terms[c]) for c in children]
    for c in children:
        node, rest = nodes[c], total - terms[c]
        args = tuple(getattr(node, "args", ()) or node.parents)
        if node.op == "pow" and len(args) == 2 and args[1] == 2:
            out.append(("power_rule", rest + up(c) * value(parent)))
        if node.op == "mul" and len(args) == 2 and args[0] != args[1]:
            out.append(("local_swapped", rest + up(c) * value(parent)))
        if node.op in ("sigmoid", "tanh"):
            out.append(("activation_derivative_missing", rest + up(c)))
        if node.op in UNARY:
            out.append(("activation_value_for_derivative", rest + up(c) * value(c)))
        if node.op == "relu" and value(parent) <= 0:
            out.append(("relu_derivative", rest + up(c)))
    return out


@SETTINGS
@given(programs(), st.data())
def test_each_scalar_variant_is_diagnosed_as_its_code(spec, data):
    from engine.trace import trace

    key = trace(spec)
    grads = [s for s in key.steps(["grad"])]
    step = data.draw(st.sampled_from(grads))
    code, buggy = data.draw(st.sampled_from(_scalar_variants(key, step)))
    assume(math.isfinite(buggy))
    _diagnosed(spec, key, step, buggy, code)


def _network_variants(spec, key) -> list[tuple[str, str, np.ndarray]]:
    v = {s: np.asarray(x, dtype=float) for s, x in key.values.items()}
    last = len(spec["layers"])
    out = [("grad:" + f"a{last}", "loss_derivative_factor", v[f"grad:a{last}"] / 2)]
    for i, layer in enumerate(spec["layers"], start=1):
        W = np.asarray(layer["W"], dtype=float)
        g_a, a = v[f"grad:a{i}"], v[f"forward:a{i}"]
        out += [
            (f"grad:W{i}", "transpose", v[f"grad:W{i}"].T),
            (f"grad:W{i}", "forward_value_for_derivative", W),
            (f"grad:z{i}", "sign_error", -v[f"grad:z{i}"]),
        ]
        a_prev = (
            np.asarray(spec["x"], dtype=float) if i == 1 else v[f"forward:a{i - 1}"]
        )
        ones = np.ones_like(v[f"grad:z{i}"])
        dropped = a_prev.T @ ones if spec["convention"] == "row" else ones @ a_prev.T
        out.append((f"grad:W{i}", "upstream_dropped", dropped))
        activation = layer["activation"]
        if activation in ("sigmoid", "tanh"):
            out.append((f"grad:z{i}", "activation_derivative_missing", g_a))
        if activation in UNARY:
            out.append((f"grad:z{i}", "activation_value_for_derivative", g_a * a))
        if activation == "relu":
            out.append((f"grad:z{i}", "relu_derivative", g_a))
    return out


@SETTINGS
@given(networks(), st.data())
def test_each_network_variant_is_diagnosed_as_its_code(spec, data):
    from engine.trace import trace

    key = trace(spec)
    step, code, buggy = data.draw(st.sampled_from(_network_variants(spec, key)))
    _diagnosed(spec, key, step, buggy, code)
