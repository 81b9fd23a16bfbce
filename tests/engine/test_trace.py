from fractions import Fraction

import pytest
import sympy

from engine.program import ProgramError, UndefinedValue
from engine.trace import trace

WORK_THIS = {
    "kind": "scalar_trace",
    "program": "z = (x*y + b)**2",
    "inputs": {"x": 2, "y": 3, "b": 1},
}


def scalar(program, **inputs):
    return trace({"kind": "scalar_trace", "program": program, "inputs": inputs})


def test_work_this_forward_values():
    t = trace(WORK_THIS)
    assert [t.values[f"forward:{n}"] for n in "uvz"] == [6.0, 7.0, 49.0]


def test_work_this_local_derivatives():
    t = trace(WORK_THIS)
    assert t.values["local:z/v"] == 14.0
    assert t.values["local:v/u"] == 1.0
    assert t.values["local:u/x"] == 3.0


def test_work_this_gradient():
    t = trace(WORK_THIS)
    assert t.values["grad:x"] == 42.0
    assert t.values["grad:x"] == (
        t.values["local:z/v"] * t.values["local:v/u"] * t.values["local:u/x"]
    )


def test_work_this_symbolic_locals_in_parent_names():
    t = trace(WORK_THIS)
    v, x, y = sympy.symbols("v x y")
    assert t.symbolic == {
        "local:u/x": y,
        "local:u/y": x,
        "local:v/u": 1,
        "local:v/b": 1,
        "local:z/v": 2 * v,
    }


def test_one_expression_program_names_intermediates_in_evaluation_order():
    t = trace(WORK_THIS)
    assert [n.label for n in t.nodes] == [
        "x (input)",
        "y (input)",
        "b (input)",
        "u = x*y",
        "v = u + b",
        "z = v**2",
    ]
    assert t.output == "z"


def test_multi_line_program_keeps_author_names():
    t = scalar("h = x*y\ng = h + b\nz = g**2", x=2, y=3, b=1)
    assert [n.name for n in t.nodes] == ["x", "y", "b", "h", "g", "z"]
    assert t.values["grad:x"] == 42.0


def test_engine_names_avoid_input_names():
    t = scalar("z = (u*v + w)**2", u=2, v=3, w=1)
    assert [n.name for n in t.nodes] == ["u", "v", "w", "p", "q", "z"]


def test_engine_names_fall_back_to_numbers():
    t = scalar("z = exp(sin(cos(tanh(sigmoid(relu(log(sqrt(abs(x)))))))))", x=3)
    assert [n.name for n in t.nodes][1:] == [f"t{i}" for i in range(1, 9)] + ["z"]


def test_constants_are_folded_into_operations():
    t = scalar("z = 2*x + 3**2", x=1)
    assert [(n.name, n.op, n.parents, n.args) for n in t.nodes[1:]] == [
        ("u", "mul", ("x",), (2, "x")),
        ("z", "add", ("u",), ("u", 9)),
    ]
    assert t.values["forward:z"] == 11.0


def test_pow_node_has_one_parent():
    t = trace(WORK_THIS)
    z = t.nodes[-1]
    assert (z.op, z.parents, z.args) == ("pow", ("v",), ("v", 2))


def test_value_used_twice_sums_both_paths():
    t = scalar("z = x*x + x", x=3)
    assert t.values["local:u/x"] == 6.0
    assert t.values["grad:x"] == 7.0


def test_exact_values():
    t = scalar("z = x/3 + y", x=1, y="1/3")
    assert t.exact["forward:z"] == sympy.Rational(2, 3)
    assert t.exact["local:u/x"] == sympy.Rational(1, 3)
    assert t.values["forward:z"] == pytest.approx(2 / 3)


def test_decimal_inputs_are_exact():
    t = scalar("z = x + y", x=0.1, y=0.2)
    assert t.exact["forward:z"] == sympy.Rational(3, 10)
    assert t.exact_node_values["x"] == sympy.Rational(1, 10)


def test_node_exprs_are_in_input_names():
    t = trace(WORK_THIS)
    x, y, b = sympy.symbols("x y b")
    assert t.node_exprs["z"] == (x * y + b) ** 2


def test_steps_display_order():
    t = trace(WORK_THIS)
    assert t.steps(["forward", "local", "grad"]) == [
        "forward:u",
        "forward:v",
        "forward:z",
        "local:u/x",
        "local:u/y",
        "local:v/u",
        "local:v/b",
        "local:z/v",
        "grad:v",
        "grad:u",
        "grad:b",
        "grad:y",
        "grad:x",
    ]
    assert t.steps(["grad"]) == ["grad:v", "grad:u", "grad:b", "grad:y", "grad:x"]


def test_every_step_has_a_value():
    t = trace(WORK_THIS)
    assert set(t.values) == set(t.steps())
    assert set(t.exact) == set(t.steps())


def test_children():
    t = scalar("u = x*y\nz = u + x", x=1, y=2)
    assert t.children("x") == ("u", "z")
    assert t.children("z") == ()


@pytest.mark.parametrize(
    "program, local, expected",
    [
        ("z = relu(x)", "local:z/x", sympy.Heaviside(sympy.Symbol("x"), 0)),
        ("z = tanh(x)", "local:z/x", 1 - sympy.tanh(sympy.Symbol("x")) ** 2),
        ("z = log(x)", "local:z/x", 1 / sympy.Symbol("x")),
        ("z = x/y", "local:z/y", -sympy.Symbol("x") / sympy.Symbol("y") ** 2),
        ("z = 2**x", "local:z/x", 2 ** sympy.Symbol("x") * sympy.log(2)),
    ],
)
def test_symbolic_local_rules(program, local, expected):
    t = scalar(program, **{name: 2 for name in "xy" if name in program})
    assert sympy.simplify(t.symbolic[local] - expected) == 0


def test_relu_derivative_at_zero_is_zero():
    t = scalar("z = relu(x)", x=0)
    assert t.values["local:z/x"] == 0.0


def test_recompute_without_overrides_equals_values():
    t = trace(WORK_THIS)
    assert t.recompute({}) == pytest.approx(t.values)


def test_recompute_follows_through_a_wrong_forward_value():
    t = trace(WORK_THIS)
    again = t.recompute({"forward:v": 8.0})
    assert again["forward:v"] == 7.0  # never its own override
    assert again["forward:z"] == 64.0
    assert again["local:z/v"] == 16.0
    assert again["grad:v"] == 16.0


def test_recompute_follows_through_wrong_local_and_grad_values():
    t = trace(WORK_THIS)
    again = t.recompute({"local:z/v": 7.0})
    assert again["grad:v"] == 7.0 and again["grad:x"] == 21.0
    again = t.recompute({"grad:u": 10.0})
    assert again["grad:u"] == 14.0 and again["grad:x"] == 30.0


def test_recompute_undefined_is_nan():
    t = scalar("z = log(x*y)", x=1, y=2)
    assert str(t.recompute({"forward:u": -1.0})["forward:z"]) == "nan"


@pytest.mark.parametrize(
    "program, inputs",
    [
        ("z = log(x - 1)", {"x": 1}),
        ("z = 1/(x - y)", {"x": 2, "y": 2}),
        ("z = sqrt(x)", {"x": 0}),
        ("z = x**y", {"x": -8, "y": Fraction(1, 3)}),
    ],
)
def test_undefined_values_are_reported(program, inputs):
    with pytest.raises(UndefinedValue, match="undefined"):
        scalar(program, **inputs)


@pytest.mark.parametrize(
    "program, inputs, message, line",
    [
        ("u = x*\nz = u", {"x": 1}, "line 1: The expression ends too early", 1),
        ("u = x*q", {"x": 1}, "Unknown name 'q'", 1),
        ("u = x*2\nz = u\n", {"x": 1}, "line 2: 'z' must be computed", 2),
        ("u = x*2\nu = u+1", {"x": 1}, "already", 2),
        ("z = x*2", {"x": 1, "y": 2}, "input 'y' is not used", None),
        ("u = x*2\nz = x+1", {"x": 1}, "line 1: 'u' is never used", 1),
        ("x*2", {"x": 1}, "expected an assignment", 1),
        ("z = [[x]]", {"x": 1}, "matrix", 1),
    ],
)
def test_program_errors(program, inputs, message, line):
    with pytest.raises(ProgramError, match=message.replace("*", r"\*")) as error:
        scalar(program, **inputs)
    assert error.value.line == line


def test_parse_error_column_is_in_the_program_line():
    with pytest.raises(ProgramError) as error:
        scalar("z = x + )", x=1)
    assert error.value.column == 9


def test_unknown_kind():
    with pytest.raises(ValueError, match="cannot trace kind"):
        trace({"kind": "essay"})


def test_caret_and_unary_minus():
    t = scalar("z = -x^2", x=3)
    assert [(n.name, n.op) for n in t.nodes[1:]] == [("u", "pow"), ("z", "neg")]
    assert (t.values["forward:z"], t.values["grad:x"]) == (-9.0, -6.0)


def test_labels_show_constants_as_written():
    t = scalar("z = e**x + x*(-2) - 1/2", x=1)
    assert [n.label for n in t.nodes[1:]] == [
        "u = e**x",
        "v = x*(-2)",
        "w = u + v",
        "z = w - (1/2)",
    ]


def test_recompute_ignores_overrides_that_are_not_numbers():
    t = trace(WORK_THIS)
    assert t.recompute({"forward:v": [[1.0]], "grad:u": None}) == t.recompute({})
