"""Random programs: trace, Value and central differences agree."""

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.gradcheck import check_grads
from engine.scalar import Value
from engine.trace import UndefinedValue, trace

INPUTS = ("x", "y", "w")
BINARY = ("+", "-", "*", "/")
FUNCTIONS = ("exp", "tanh", "sigmoid", "relu", "log")
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

numbers = st.one_of(
    st.integers(-3, 3),
    st.fractions(min_value=-3, max_value=3, max_denominator=4),
)


@st.composite
def programs(draw):
    """(program text, inputs, steps): steps rebuild the program with Values."""
    inputs = {name: draw(numbers) for name in INPUTS}
    names = list(INPUTS)
    lines, steps = [], []
    for i in range(draw(st.integers(1, 4))):
        target = f"n{i + 1}"
        kind = draw(st.sampled_from(("binary", "function", "power")))
        a = draw(st.sampled_from(names))
        if kind == "binary":
            op = draw(st.sampled_from(BINARY))
            b = draw(st.one_of(st.sampled_from(names), st.integers(1, 3)))
            if draw(st.booleans()):
                a, b = b, a
            lines.append(f"{target} = {a} {op} {b}")
            steps.append((target, op, a, b))
        elif kind == "function":
            func = draw(st.sampled_from(FUNCTIONS))
            lines.append(f"{target} = {func}({a})")
            steps.append((target, func, a, None))
        else:
            exponent = draw(st.integers(2, 3))
            lines.append(f"{target} = {a}**{exponent}")
            steps.append((target, "**", a, exponent))
        names.append(target)
    # The output sums every value nothing else uses, so every line matters.
    used = {s for _, _, a, b in steps for s in (a, b)}
    unused = [n for n in names if n not in used]
    lines.append("out = " + " + ".join(unused) + (" + 0*x" if len(unused) == 1 else ""))
    return "\n".join(lines), inputs, steps, unused


def run_values(inputs, steps, unused):
    values = {name: Value(float(v)) for name, v in inputs.items()}

    def operand(a):
        return values[a] if isinstance(a, str) else a

    for target, op, a, b in steps:
        left, right = operand(a), operand(b)
        if op == "+":
            values[target] = left + right
        elif op == "-":
            values[target] = left - right
        elif op == "*":
            values[target] = left * right
        elif op == "/":
            values[target] = left / right
        elif op == "**":
            values[target] = left**right
        else:
            values[target] = getattr(left, op)()
    out = sum((values[n] for n in unused[1:]), values[unused[0]])
    if len(unused) == 1:
        out = out + 0 * values["x"]
    out.backward()
    return values, out


def traced(program, inputs):
    try:
        t = trace({"kind": "scalar_trace", "program": program, "inputs": inputs})
    except UndefinedValue:
        assume(False)
    assume(all(abs(v) < 1e4 for v in t.values.values()))
    # No relu at its kink: there the one-sided slopes differ by design.
    for node in t.nodes:
        if node.op == "relu":
            assume(abs(t.node_values[node.parents[0]]) > 1e-3)
    return t


@PROPERTY
@given(programs())
def test_gradients_agree_with_central_differences(case):
    program, inputs, _, _ = case
    check_grads(traced(program, inputs), rtol=1e-4, atol=1e-6)


@PROPERTY
@given(programs())
def test_value_and_trace_agree(case):
    program, inputs, steps, unused = case
    t = traced(program, inputs)
    values, out = run_values(inputs, steps, unused)
    for target, *_ in steps:
        assert t.values[f"forward:{target}"] == pytest.approx(values[target].data)
    assert t.values["forward:out"] == pytest.approx(out.data)
    for name in INPUTS:
        assert t.values[f"grad:{name}"] == pytest.approx(values[name].grad, abs=1e-9)


@PROPERTY
@given(programs())
def test_recompute_without_overrides_equals_values(case):
    program, inputs, _, _ = case
    t = traced(program, inputs)
    assert t.recompute({}) == pytest.approx(t.values, rel=1e-9, abs=1e-12)


@PROPERTY
@given(programs(), st.data())
def test_overridden_forward_value_propagates_downstream(case, data):
    program, inputs, _, _ = case
    t = traced(program, inputs)
    node = data.draw(st.sampled_from([n.name for n in t.nodes[:-1]]))
    h = 1e-6
    again = t.recompute({f"forward:{node}": t.node_values[node] + h})
    # The output moves by (its gradient) x (the nudge), to first order.
    moved = (again["forward:out"] - t.values["forward:out"]) / h
    assert moved == pytest.approx(t.values[f"grad:{node}"], rel=1e-3, abs=1e-4)
    # Its own forward step never takes its own override.
    if f"forward:{node}" in t.values:
        assert again[f"forward:{node}"] == pytest.approx(t.values[f"forward:{node}"])


@pytest.mark.parametrize(
    "program, inputs",
    [
        ("z = sin(x)*cos(y)", {"x": 1, "y": 2}),
        ("z = sqrt(x) + abs(y)", {"x": 2, "y": -3}),
        ("z = tan(x)/y - exp(-x)", {"x": "1/2", "y": 3}),
        ("z = x**y", {"x": 2, "y": "1/3"}),
        ("u = x*y\nv = u + x\nz = u*v", {"x": 2, "y": -1}),
    ],
)
def test_more_functions_agree_with_central_differences(program, inputs):
    check_grads({"kind": "scalar_trace", "program": program, "inputs": inputs})


def test_exact_and_float_agree():
    t = trace(
        {
            "kind": "scalar_trace",
            "program": "z = sigmoid(x)*log(y)",
            "inputs": {"x": "1/3", "y": 5},
        }
    )
    for step, exact in t.exact.items():
        assert math.isclose(float(exact), t.values[step])
