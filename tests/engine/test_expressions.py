"""The student maths language: what it reads, what it refuses, and what it says."""

import pytest
import sympy
from sympy import Abs, E, Integer, Matrix, Max, Rational, Symbol, exp, log, pi, sqrt

from engine.expressions import ParseError, parse, parse_tree, to_latex, to_sympy
from engine.syntax import Binary, Call, Name, Number

x, y, z, a, b, c, d, v = (Symbol(n) for n in "xyzabcdv")
W1, a1, z1, loss = Symbol("W1"), Symbol("a1"), Symbol("z1"), Symbol("loss")
SYMBOLS = {"x", "y", "z", "a", "b", "c", "d", "v", "W1", "a1", "z1", "loss"}

VALID = [
    ("42", Integer(42)),
    ("-0.5", Rational(-1, 2)),
    (".5", Rational(1, 2)),
    ("1/3", Rational(1, 3)),
    ("1.5e-3", Rational(3, 2000)),
    ("2E3", Integer(2000)),
    ("x + 2*y", x + 2 * y),
    ("(x*y + b)**2", (x * y + b) ** 2),
    ("(x*y + b)^2", (x * y + b) ** 2),
    ("x^-1", 1 / x),
    ("2^-1", Rational(1, 2)),
    ("-x^2", -(x**2)),
    ("x^2^3", x**8),
    ("2x", 2 * x),
    ("2(x+1)", 2 * x + 2),
    ("(a+b)(c+d)", (a + b) * (c + d)),
    ("2 v", 2 * v),
    ("x y", x * y),
    ("a(1-a)", a * (1 - a)),
    ("2x^2", 2 * x**2),
    ("x/2y", None),  # ambiguous: see INVALID
    ("x − 1", x - 1),
    ("2·x", 2 * x),
    ("3×y", 3 * y),
    ("x÷2", x / 2),
    ("σ(z)", 1 / (1 + exp(-z))),
    ("sigmoid(z)", 1 / (1 + exp(-z))),
    ("x²", x**2),
    ("x³ + x⁻¹", x**3 + 1 / x),
    ("√x", sqrt(x)),
    ("√(x+1)", sqrt(x + 1)),
    ("π", pi),
    ("pi/2", pi / 2),
    ("e", E),
    ("e^x", exp(x)),
    ("2e", 2 * E),
    ("exp(-x)", exp(-x)),
    ("ln(x)", log(x)),
    ("log(x)", log(x)),
    ("abs(x)", Abs(x)),
    ("relu(x)", Max(0, x)),
    ("sqrt(4)", Integer(2)),
    ("sin(x)^2 + cos(x)^2", sympy.sin(x) ** 2 + sympy.cos(x) ** 2),
    ("tan(x) + tanh(x)", sympy.tan(x) + sympy.tanh(x)),
    ("W1*a1 + z1", W1 * a1 + z1),
    ("2*loss", 2 * loss),
    ("  x\t+\u00a0y ", x + y),
    ("[[1, x], [0, 2]]", Matrix([[1, x], [0, 2]])),
    ("[[-0.05, -0.3], [-0.1, -0.6]]", Matrix([[-0.05, -0.3], [-0.1, -0.6]])),
]


@pytest.mark.parametrize(("text", "expected"), [c for c in VALID if c[1] is not None])
def test_parse(text, expected):
    result = parse(text, SYMBOLS)
    if isinstance(expected, Matrix):
        assert result.shape == expected.shape
        assert all(sympy.nsimplify(e) == r for e, r in zip(expected, result))
    else:
        assert result == expected


INVALID = [
    # (text, symbols, words the student reads, column)
    ("", {"x"}, "empty", 1),
    ("   ", {"x"}, "empty", 1),
    ("x-1)^2", {"x"}, "Unexpected ')'", 4),
    ("(x-1", {"x"}, "never closed", 1),
    ("2*((x+1)", {"x"}, "never closed", 3),
    ("[[1, 2]", set(), "never closed", 1),
    ("x +", {"x"}, "missing after '+'", 4),
    ("x ^", {"x"}, "missing after '^'", 4),
    ("x^^2", {"x"}, "Unexpected '^'", 3),
    ("xy", {"x", "y"}, "did you mean x*y?", 1),
    ("2 + ab", {"a", "b"}, "did you mean a*b?", 5),
    ("sigma(z)", {"z"}, "did you mean sigmoid?", 1),
    ("X + 1", {"x"}, "did you mean x?", 1),
    ("Sin(x)", {"x"}, "did you mean sin?", 1),
    ("ReLU(x)", {"x"}, "did you mean relu?", 1),
    ("sigmiod(x)", {"x"}, "did you mean sigmoid?", 1),
    ("f(x)", {"x"}, "Unknown function 'f'", 1),
    ("q + 1", {"x"}, "Unknown name 'q'", 1),
    ("y", set(), "only numbers", 1),
    ("sin x", {"x"}, "needs its argument in brackets", 1),
    ("2*exp", {"x"}, "needs its argument in brackets", 3),
    ("sin^2(x)", {"x"}, "write sin(x)^2", 4),
    ("sqrt()", {"x"}, "missing its argument", 5),
    ("log(x, 2)", {"x"}, "one argument", 6),
    ("()", set(), "Empty brackets", 1),
    ("1/2x", {"x"}, "ambiguous", 4),
    ("2 3", set(), "add an operator before '3'", 3),
    ("x 2", {"x"}, "add an operator before '2'", 3),
    ("2,5", set(), "decimal point", 2),
    ("1.2.3", set(), "one decimal point", 4),
    ("x!", {"x"}, "Factorials", 2),
    ("x = 2", {"x"}, "without '='", 3),
    ("|x|", {"x"}, "abs(x)", 1),
    ("\\frac{1}{2}", set(), "LaTeX", 1),
    ("'x'", {"x"}, "Quotes", 1),
    ("x.y", {"x", "y"}, "Unexpected '.'", 2),
    ("x[0]", {"x"}, "square brackets", 2),
    ("[[1, 2], [3]]", set(), "every row needs the same length", 10),
    ("1 + [[1]]", set(), "whole answer", 5),
    ("1/0", set(), "Division by zero", 3),
    ("x/(1-1)", {"x"}, "Division by zero", 4),
    ("log(0)", set(), "log(0) is undefined", 1),
    ("5%", set(), "0.05", 2),
    ("x ⊕ y", {"x", "y"}, "Unexpected character '⊕'", 3),
    ("x\x00", {"x"}, "U+0000", 2),
    ("1" * 101, set(), "too many digits", 1),
    ("1e401", set(), "power of ten is too large", 2),
    ("x^10001", {"x"}, "power is too large", 3),
    ("2^2^2^2^2^2", set(), "power is too large", 5),
    ("(2^1000)^1000", set(), "too large", 2),
    ("exp(1e5)", set(), "too large", 1),
    ("x" * 1001, {"x"}, "too long", 1001),
    ("(" * 60 + "x" + ")" * 60, {"x"}, "nested too deeply", 51),
    ("-" * 60 + "x", {"x"}, "nested too deeply", 51),
]


@pytest.mark.parametrize(("text", "symbols", "words", "column"), INVALID)
def test_parse_error_message_and_column(text, symbols, words, column):
    with pytest.raises(ParseError) as caught:
        parse(text, symbols)
    assert words in caught.value.message
    assert caught.value.column == column
    assert str(caught.value) == f"Column {column}: {caught.value.message}"


HOSTILE = [
    "__import__('os').system('echo hacked')",
    "__import__",
    "x.__class__.__mro__",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 0",
    "(lambda q: q)(1)",
    "x[0]",
    "x[1:2]",
    "'abc'",
    '"abc"',
    'f"{x}"',
    "b'x'",
    "(y := 1)",
    "[i for i in range(9)]",
    "{i: i for i in x}",
    "(i for i in x)",
    "{1, 2}",
    "x if x else y",
    "not x",
    "x and y",
    "x or y",
    "x @ y",
    "x // y",
    "x % y",
    "x << y",
    "x | y",
    "~x",
    "x == y",
    "*x",
    "**x",
    "open('/etc/passwd').read()",
    "eval('1')",
    "exec('1')",
    "globals()",
    "import os",
    "del x",
    "print(x)",
    "x; y",
    "x # comment",
    "\\x41",
    "1j",
    "0x1F",
    "1_000",
    "Symbol('q')",
    "getattr(x, 'y')",
    "9**9**9",
    "10**100000",
    "1" + "0" * 100_000,
    "(" * 10_000 + "x" + ")" * 10_000,
    "x" * 100_000,
    "x+" * 50_000 + "x",
    "exp(exp(exp(exp(exp(100)))))",
    "2^(10^(10^10))",
    "sqrt(2)^100000",
    "\u202ex",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_input_is_a_clean_parse_error(text):
    with pytest.raises(ParseError) as caught:
        parse(text, {"x", "y"})
    assert caught.value.message
    assert 1 <= caught.value.column <= 1001


def test_parse_tree_columns():
    tree = parse_tree("2*x + sigmoid(y)", {"x", "y"})
    assert tree.column == 1
    assert tree.left.right == Name("x", 3)
    assert tree.right == Call("sigmoid", (Name("y", 15),), 7)


def test_parse_tree_numbers_are_exact():
    tree = parse_tree("0.1", set())
    assert isinstance(tree, Number) and tree.value * 10 == 1


def test_parse_tree_author_program_right_hand_side():
    tree = parse_tree("(x*y + b)**2", {"x", "y", "b"})
    assert isinstance(tree, Binary) and tree.op == "**"
    assert tree.left == Binary(
        "+", Binary("*", Name("x", 2), Name("y", 4), 2), Name("b", 8), 2
    )


def test_declared_name_wins_over_constant():
    assert parse("e", {"e"}) == Symbol("e")


def test_huge_but_allowed_power_builds_without_expanding():
    assert parse("(x-a)^6000", {"x", "a"}) == (x - a) ** 6000


def test_parse_error_is_an_exception_with_attributes():
    error = ParseError("Unexpected ')': check your brackets", 7)
    assert isinstance(error, Exception)
    assert (error.message, error.column) == ("Unexpected ')': check your brackets", 7)


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("x^2/2", "\\frac{x^{2}}{2}"),
        ("2x", "2 \\cdot x"),
        ("a - (b - c)", "a - \\left(b - c\\right)"),
        ("(a+b)^2", "\\left(a + b\\right)^{2}"),
        ("sigmoid(z1)", "\\sigma\\left(z_{1}\\right)"),
        ("abs(x) + sqrt(y)", "\\left|x\\right| + \\sqrt{y}"),
        ("2*loss", "2 \\cdot \\mathrm{loss}"),
        ("1.5e-3", "1.5 \\times 10^{-3}"),
        ("[[1, 2], [3, 4]]", "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}"),
    ],
)
def test_to_latex_shows_what_was_typed(text, latex):
    assert to_latex(parse_tree(text, SYMBOLS)) == latex


def test_to_latex_of_sympy():
    assert to_latex(parse("x*y", SYMBOLS)) == "x y"


def test_to_sympy_of_tree():
    assert to_sympy(parse_tree("relu(x)", {"x"})) == Max(0, x)
