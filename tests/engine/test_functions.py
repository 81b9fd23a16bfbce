"""Every consumer of ``engine.functions`` knows every function.

Each test runs over every record, so a new record that lacks a form, or whose
forms disagree, fails here (the bug this registry replaced: a function known to
the grammar but not to SymPy made every answer using it a system error).
"""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy

from engine import functions
from engine.depth import layer1_gradient
from engine.equivalence import equivalent
from engine.explain import LOCAL_RULES, hint
from engine.expressions import ParseError, parse, parse_tree, to_latex
from engine.functions import FUNCTIONS, TYPED
from engine.gradcheck import check_grads
from engine.network import ACTIVATIONS
from engine.numeric import compile_float, compile_mp, from_sympy, mp_context
from engine.rules import ARRAY, FLOAT, RULES, SYMBOLIC
from engine.scalar import Value
from engine.trace import trace

RECORDS = list(FUNCTIONS.values())
TYPED_RECORDS = [r for r in RECORDS if r.typed]
NAMES = ("x", "y")


def ids(records):
    return [r.name for r in records]


def points(record):
    """Four points inside the record's domain, away from 0 and from ties."""
    low, high = record.domain
    fractions = (0.13, 0.38, 0.61, 0.89)
    xs = [low + (high - low) * f for f in fractions]
    xs = [x if abs(x) > 1e-3 else 0.2 for x in xs]
    if record.arity == 1:
        return [(x,) for x in xs]
    return [(x, y) for x, y in zip(xs, reversed(xs), strict=True) if x != y]


def call(record) -> str:
    return f"{record.name}({', '.join(NAMES[: record.arity])})"


def close(a, b, rtol=1e-9, atol=1e-12):
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_every_form_gives_the_same_value(record):
    ctx = mp_context(100)
    symbols = [sympy.Symbol(n) for n in NAMES[: record.arity]]
    for args in points(record):
        expected = record.float(*args)
        assert close(record.mp(ctx, *map(ctx.mpf, args)), expected), args
        exact = record.sympy(*[sympy.Rational(Fraction(a)) for a in args])
        assert close(complex(exact).real, expected), (args, exact)
        array = record.numpy(*[np.array([a, a]) for a in args])
        assert np.allclose(array, expected, rtol=1e-9), args
        # SymPy back to a tree (how expected answers are evaluated)
        evaluate = compile_float(from_sympy(record.sympy(*symbols)))
        assert close(evaluate(dict(zip(NAMES, args))), expected), args


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_every_derivative_matches_central_differences(record):
    symbols = [sympy.Symbol(n) for n in NAMES[: record.arity]]
    symbolic_out = record.sympy(*symbols)
    for args in points(record):
        out = record.float(*args)
        for i, partial in enumerate(record.derivatives):
            h = 1e-6 * max(1.0, abs(args[i]))
            up = list(args)
            down = list(args)
            up[i] += h
            down[i] -= h
            numeric = (record.float(*up) - record.float(*down)) / (2 * h)
            analytic = partial(FLOAT, out, *args)
            assert close(analytic, numeric, rtol=1e-5, atol=1e-6), (i, args)
            exact_args = [sympy.Rational(Fraction(a)) for a in args]
            exact = partial(SYMBOLIC, record.sympy(*exact_args), *exact_args)
            assert close(complex(sympy.sympify(exact)).real, analytic), (i, args)
            arrays = [np.array([a]) for a in args]
            array = partial(ARRAY, record.numpy(*arrays), *arrays)
            assert np.allclose(array, analytic, rtol=1e-9), (i, args)
            # The symbolic derivative in names (trace.symbolic) evaluates too.
            in_names = sympy.sympify(partial(SYMBOLIC, symbolic_out, *symbols))
            evaluate = compile_float(from_sympy(in_names))
            assert close(evaluate(dict(zip(NAMES, args))), analytic), (i, args)


@pytest.mark.parametrize("record", TYPED_RECORDS, ids=ids(TYPED_RECORDS))
def test_every_typed_function_parses_evaluates_and_renders(record):
    text = call(record)
    tree = parse_tree(text, NAMES)
    latex = to_latex(tree)
    assert latex and "#" not in latex
    assert sympy.latex(parse(text, NAMES))
    symbols = [sympy.Symbol(n) for n in NAMES[: record.arity]]
    assert parse(text, NAMES) == record.sympy(*symbols)
    floats, precise = compile_float(tree), compile_mp(tree, 100)
    ctx = mp_context(100)
    for args in points(record):
        point = dict(zip(NAMES, args))
        assert close(floats(point), record.float(*args))
        assert close(precise({k: ctx.mpf(v) for k, v in point.items()}), floats(point))
    assert equivalent(text, record.sympy(*symbols), NAMES) is True
    for alias in record.aliases:
        assert parse(text.replace(record.name, alias, 1), NAMES) == parse(text, NAMES)


def worked_hint_rule(record) -> str:
    return LOCAL_RULES[record.name]


@pytest.mark.parametrize("record", TYPED_RECORDS, ids=ids(TYPED_RECORDS))
def test_every_typed_function_traces_with_gradients_checked(record):
    inputs = dict(zip(NAMES, points(record)[1]))
    program = f"z = {call(record)}"
    spec = {"kind": "scalar_trace", "program": program, "inputs": inputs}
    t = trace(spec)
    assert close(t.values["forward:z"], record.float(*inputs.values()))
    for name in inputs:
        assert f"local:z/{name}" in t.symbolic
        # Its hint (engine.explain) states the record's own rule, never the number.
        assert record.rule
        assert record.rule in hint(t, f"local:z/{name}")
    assert record.rule in worked_hint_rule(record)
    check_grads(t)


@pytest.mark.parametrize("record", TYPED_RECORDS, ids=ids(TYPED_RECORDS))
def test_every_typed_function_is_a_value_method(record):
    args = points(record)[2]
    values = [Value(a) for a in args]
    out = getattr(values[0], record.name)(*values[1:])
    out.backward()
    assert close(out.data, record.float(*args))
    for value, partial in zip(values, record.derivatives, strict=True):
        assert close(value.grad, partial(FLOAT, out.data, *args))


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_every_function_is_a_rule(record):
    assert RULES[record.name].partials == record.derivatives


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_runs_a_network_and_a_depth_chain(name):
    spec = {
        "kind": "network_trace",
        "x": [[1.5, 0.5]],
        "layers": [
            {"W": [[0.4, -0.3], [0.8, 0.1]], "b": [0.1, -0.2], "activation": name},
            {"W": [[0.7], [-0.5]], "activation": name},
        ],
        "target": [[0.3]],
        "loss": "mse",
    }
    check_grads(spec)
    assert layer1_gradient(3, name, width=4) > 0


def test_adding_a_record_without_a_form_fails():
    with pytest.raises(TypeError):
        functions.Function("cube", float=lambda a: a**3)  # no other forms


def test_names_are_unique_and_hooks_are_known_codes():
    from grader.misconceptions import CODES

    typed = [n for r in TYPED_RECORDS for n in (r.name, *r.aliases)]
    assert len(typed) == len(set(typed)) == len(TYPED)
    for record in RECORDS:
        assert record.misconceptions <= set(CODES), record.name
        assert record.label


# -- the new functions -----------------------------------------------------------


@pytest.mark.parametrize(
    "student, expected, names",
    [
        ("max(0, x)", "relu(x)", "x"),
        ("sech(z)^2", "1 - tanh(z)^2", "z"),
        ("cosh(x)^2 - sinh(x)^2", "1", "x"),
        ("sign(x)*x", "abs(x)", "x"),
        ("min(x, y)", "-max(-x, -y)", "xy"),
        ("max(x, y) + min(x, y)", "x + y", "xy"),
        ("softplus(x) - softplus(-x)", "x", "x"),
        ("leaky_relu(x)", "max(x, 0.01*x)", "x"),
        ("elu(x)", "relu(x) + exp(min(0, x)) - 1", "x"),
        ("gelu(x)", "x*(1 + erf(x/sqrt(2)))/2", "x"),
        ("atan(x) + atan(1/x)", "pi/2", "x"),  # false for x < 0
        ("arctan(x)", "atan(x)", "x"),
    ],
)
def test_identities_of_the_new_functions(student, expected, names):
    verdict = equivalent(student, expected, list(names))
    assert verdict is (student != "atan(x) + atan(1/x)")


@pytest.mark.parametrize(
    "method, args, grads",
    [
        ("relu", (0.0,), (0.0,)),  # torch: relu'(0) = 0
        ("abs", (0.0,), (0.0,)),  # torch: abs'(0) = sign(0) = 0
        ("sign", (0.0,), (0.0,)),
        ("leaky_relu", (0.0,), (0.01,)),  # torch: the negative slope at 0
        ("leaky_relu", (-2.0,), (0.01,)),
        ("elu", (0.0,), (1.0,)),
        ("max", (1.5, 1.5), (0.5, 0.5)),  # torch.maximum splits a tie
        ("min", (1.5, 1.5), (0.5, 0.5)),
        ("max", (2.0, 1.0), (1.0, 0.0)),
        ("min", (2.0, 1.0), (0.0, 1.0)),
        ("gelu", (0.0,), (0.5,)),
    ],
)
def test_derivative_conventions_at_kinks_follow_pytorch(method, args, grads):
    values = [Value(a) for a in args]
    getattr(values[0], method)(*values[1:]).backward()
    assert tuple(v.grad for v in values) == pytest.approx(grads)


def test_the_key_of_max_uses_the_tie_convention_exactly():
    spec = {
        "kind": "scalar_trace",
        "program": "z = max(x, y)",
        "inputs": {"x": 1, "y": 1},
    }
    t = trace(spec)
    assert t.values["local:z/x"] == t.values["local:z/y"] == 0.5
    assert str(t.symbolic["local:z/x"]) == "Heaviside(x - y)"


@pytest.mark.parametrize(
    "text, message",
    [
        ("max(x)", "max takes two arguments: write max(a, b)"),
        ("max(x, y, 1)", "max takes two arguments: write max(a, b)"),
        ("sin(x, y)", "sin takes one argument only"),
        ("heaviside(x)", "Unknown function 'heaviside'"),
        ("identity(x)", "Unknown function 'identity'"),
    ],
)
def test_arity_and_internal_names_are_refused(text, message):
    with pytest.raises(ParseError) as caught:
        parse(text, NAMES)
    assert message in caught.value.message


def test_exp_like_arguments_are_capped_at_parse_time():
    for name in ("exp", "sinh", "cosh"):
        with pytest.raises(ParseError, match="too large"):
            parse(f"{name}(10^6)", [])


def test_trace_of_a_max_of_a_shared_input_sums_both_partials():
    spec = {"kind": "scalar_trace", "program": "z = max(x, 2*x)", "inputs": {"x": 3}}
    t = trace(spec)
    assert t.values["grad:x"] == 2.0
    check_grads(t)
