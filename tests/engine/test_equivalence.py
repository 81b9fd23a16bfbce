"""Equivalence of answers: exact by default, tolerances inclusive, always bounded."""

import mpmath
import numpy as np
import pytest
import sympy

from engine.equivalence import equivalent, numbers_match
from engine.expressions import ParseError

X = ["x"]
EXPANDED_OFF_BY_ONE = (  # STACK's test: 512*(2x+5)^7*(5x-1)^5*(70x+67) expanded, -1
    "14336000000*x^13+250265600000*x^12+1862860800000*x^11+7623925760000*x^10"
    "+18290677760000*x^9+24744757985280*x^8+14567212351488*x^7"
    "-3267871272960*x^6-6408053107200*x^5+670406720000*x^4+1179708800000*x^3"
    "-429244800000*x^2+56696000000*x-2680000001"
)

EXACT = [
    # (student, expected, symbols, verdict)
    ("0.5", "1/2", [], True),
    ("0.33", "1/3", [], False),
    ("0.333333333333333", "1/3", [], False),
    ("5.1e-2", "51/1000", [], True),
    ("4^(-1/2)", "1/2", [], True),
    ("sqrt(12)", "2*sqrt(3)", [], True),
    ("sqrt(11+6*sqrt(2))", "3+sqrt(2)", [], True),
    ("(sqrt(108)+10)^(1/3)-(sqrt(108)-10)^(1/3)", "2", [], True),
    ("e^1 - e^(-1)", "2*(e - 1/e)/2", [], True),
    ("relu(x)", "x", X, False),
    ("relu(x)", "(x + abs(x))/2", X, True),
    ("x", "sqrt(x^2)", X, False),
    ("abs(x)", "sqrt(x^2)", X, True),
    ("(x-1)^2", "x^2 - 2x + 1", X, True),
    ("(x-1)*(x^2+x+1)", "x^3-1", X, True),
    ("x-1", "(x^2-1)/(x+1)", X, True),
    ("(0.5+x)*2", "2*x+1", X, True),
    ("0.333333333333333*x^2", "x^2/3", X, False),
    ("cos(x)^2 + sin(x)^2", "1", X, True),
    ("2*cos(x)^2 - 1", "cos(2x)", X, True),
    ("sigmoid(x)*(1-sigmoid(x))", "exp(-x)/(1+exp(-x))^2", X, True),
    ("sigmoid(x)", "tanh(x/2)/2 + 1/2", X, True),
    ("sigmoid(x)", "1 - sigmoid(-x)", X, True),
    ("sigmoid(x)", "sigmoid(x)*(1-sigmoid(x))", X, False),
    ("2*(x*y+b)*y", "2*y*(b + x*y)", ["x", "y", "b"], True),
    ("2*(x*y+b)", "2*(x*y+b)*y", ["x", "y", "b"], False),
    ("a^b*a^c", "a^(b+c)", ["a", "b", "c"], True),
    ("(a^b)^c", "a^(b*c)", ["a", "b", "c"], False),
    ("(x-a)^6000", "(x-a)^5999", ["a", "x"], False),
    ("(a-x)^6000", "(x-a)^6000", ["a", "x"], True),
    ("(4a-x)^6000", "(x-4a)^6000", ["a", "x"], True),
    ("258552*x^7*(81*x^8+1)^398", "x^3*(x^4+1)^399", X, False),
    ("sqrt(2*x*sqrt(x^2+1)+2*x^2+1)-sqrt(x^2+1)-x", "0", X, True),
    ("abs(x^2-4)/(abs(x-2)*abs(x+2))", "1", X, True),
    # The real domain counts: where k/m < 0 the left side has no real value.
    ("sqrt(k/m)*sqrt(m/k)", "1", ["k", "m"], False),
    ("sqrt(x)**2", "relu(x)", X, False),
    ("sqrt(x)*sqrt(x)", "x", X, False),
    ("log(a)", "log(abs(a))", ["a"], False),
    ("log(x) + log(y)", "log(x*y)", ["x", "y"], False),
    ("exp(log(x))", "x", X, False),
    # ... but a single removable point is not a different domain.
    ("x/x", "1", X, True),
    ("(x^2 - 1)/(x - 1)", "x + 1", X, True),
    ("sin(x)/cos(x)", "tan(x)", X, True),
    ("1/(2*sqrt(w))", "0.5*w^(-1/2)", ["w"], True),
    ("1/(n*(n+1))", "1/n - 1/(n+1)", ["n"], True),
    ("1/(a-b)-1/(b-a)", "1/(a-b)+1/(b-a)", ["a", "b"], False),
    ("sin(pi*x)", "0", X, False),  # zero at every integer, not elsewhere
    ("log(x^2)", "2*log(x)", X, False),  # x < 0: only the left side is real
    ("log(-1 - x^2)", "log(-2 - x^2)", X, None),  # never real: undecided
    ("sqrt(-1 - x^2)", "1", X, False),  # one side never real
    ("x^(10000)", "x^(9999)*x", X, True),
    # A variable in the exponent of a negative constant is read as an integer.
    ("(-1)^n*cos(x)^n", "(-cos(x))^n", ["n", "x"], True),
    ("cos(pi*n)", "(-1)^n", ["n"], True),
    ("(-1)^(2*n)", "1", ["n"], True),
    ("(-1)^n", "1", ["n"], False),
    ("(-2)^n", "2^n", ["n"], False),
    ("(-1/2)^(n+1)", "-(-1/2)^n/2", ["n"], True),
    ("(-1)^n*cos(x)^n", "cos(x)^n", ["n", "x"], False),
    (
        EXPANDED_OFF_BY_ONE,
        "512*(2*x+5)^7*(5*x-1)^5*(70*x+67)",
        X,
        False,
    ),
]


@pytest.mark.parametrize(("student", "expected", "symbols", "verdict"), EXACT)
def test_equivalent_exact(student, expected, symbols, verdict):
    assert equivalent(student, expected, symbols) is verdict


# A declared domain: the same pairs, compared only where the variables live.
POSITIVE = "positive"
IN_DOMAIN = [
    ("sqrt(x)**2", "relu(x)", {"x": POSITIVE}, True),
    ("sqrt(x)*sqrt(x)", "x", {"x": POSITIVE}, True),
    ("log(a)", "log(abs(a))", {"a": POSITIVE}, True),
    ("log(a)", "log(abs(a))", {"a": "negative"}, False),  # log(a) is never real
    ("log(x) + log(y)", "log(x*y)", {"x": POSITIVE, "y": POSITIVE}, True),
    ("log(x) + log(y)", "log(x*y)", {"x": "negative"}, False),  # y < 0: only one side
    ("exp(log(x))", "x", {"x": POSITIVE}, True),
    ("log(x^2)", "2*log(x)", {"x": POSITIVE}, True),
    ("sqrt(x^2)", "x", {"x": POSITIVE}, True),
    ("sqrt(x^2)", "x", {"x": "negative"}, False),  # there it is -x
    ("abs(x)/x", "1", {"x": POSITIVE}, True),
    ("abs(x)/x", "sign(x)", {"x": "nonzero"}, True),
    ("relu(x)", "0", {"x": "negative"}, True),
    ("relu(x)", "x", {"x": POSITIVE}, True),
    ("sqrt(k/m)*sqrt(m/k)", "1", {"k": POSITIVE, "m": POSITIVE}, True),
    ("x^(1/2)", "sqrt(x)", {"x": POSITIVE}, True),
    ("2*x", "x", {"x": POSITIVE}, False),  # a domain never makes a wrong answer right
    # STACK decides these two by assuming positive and integer variables.
    ("(-1)^n*cos(x)^n", "(-cos(x))^n", {"n": "integer"}, True),
    ("(-1)^n*cos(x)^n", "(-cos(x))^n", {"n": POSITIVE}, False),
    ("(-1)^(2*n)", "1", {"n": "integer"}, True),
    ("(-1)^n", "1", {"n": "integer"}, False),
    ("sin(pi*n)", "0", {"n": "integer"}, True),
]


@pytest.mark.parametrize(("student", "expected", "domain", "verdict"), IN_DOMAIN)
def test_equivalent_on_a_declared_domain(student, expected, domain, verdict):
    symbols = sorted(set(domain) | {"x", "y", "a", "k", "m", "n"})
    assert equivalent(student, expected, symbols, domain=domain) is verdict


def test_an_unknown_domain_is_refused():
    with pytest.raises(ValueError, match="unknown domain 'big'"):
        equivalent("x", "x", ["x"], domain={"x": "big"})


TOLERANT = [
    ("1.05", "1", {"rel": 0.05}, True),
    ("0.95", "1", {"rel": 0.05}, True),
    ("0.949", "1", {"rel": 0.05}, False),
    ("1.05e33", "1e33", {"rel": 0.05}, True),
    ("1.06e-33", "1e-33", {"rel": 0.05}, False),
    ("3.14", "pi", {"rel": 0.001}, True),
    ("1.05", "1", {"abs": 0.05}, True),
    ("1.0500001", "1", {"abs": 0.05}, False),
    ("3.14", "pi", {"abs": 0.001}, False),
    ("0.0141", "1.41e-2", {"abs": 0.0001}, True),
    ("3.14", "pi", {"sigfigs": 3}, True),
    ("3.15", "pi", {"sigfigs": 3}, False),
    ("0.1234", "0.12345", {"sigfigs": 3}, True),
    ("0.1235", "0.12345", {"sigfigs": 3}, False),
    ("2.5", "3", {"sigfigs": 1}, True),  # half rounds away from zero
    ("2*x + 0.001", "2*x", {"abs": 0.001}, True),
    ("2*x + 0.002", "2*x", {"abs": 0.001}, False),
]


@pytest.mark.parametrize(("student", "expected", "tolerance", "verdict"), TOLERANT)
def test_equivalent_with_tolerance(student, expected, tolerance, verdict):
    assert equivalent(student, expected, ["x"], tolerance=tolerance) is verdict


def test_equivalent_accepts_sympy_expected():
    x, y, b = sympy.symbols("x y b")
    local = sympy.diff((x * y + b) ** 2, x)
    assert equivalent("2y(x y + b)", local, ["x", "y", "b"]) is True
    assert equivalent("2(x y + b)", local, ["x", "y", "b"]) is False


def test_equivalent_relu_derivative_is_heaviside():
    x = sympy.Symbol("x")
    assert equivalent("1", sympy.diff(sympy.Max(0, x), x), X) is False
    assert equivalent("(1 + x/abs(x))/2", sympy.Heaviside(x), X) is True


def test_equivalent_sympy_outside_the_language_is_undecided():
    x = sympy.Symbol("x")
    assert equivalent("x", sympy.gamma(x), X) is None


def test_equivalent_matrices():
    expected = sympy.Matrix([[sympy.Rational(-1, 20), sympy.Rational(-3, 10)]])
    assert equivalent("[[-0.05, -0.3]]", expected, []) is True
    assert equivalent("[[-0.05, -0.31]]", expected, []) is False
    assert equivalent("[[-0.05], [-0.3]]", expected, []) is False
    assert equivalent("-0.05", expected, []) is False
    assert equivalent("[[-0.05, -0.31]]", expected, [], {"abs": 0.01}) is True


def test_equivalent_raises_parse_error_for_unreadable_text():
    with pytest.raises(ParseError):
        equivalent("x-1)^2", "(x-1)^2", X)
    with pytest.raises(ParseError):
        equivalent("1/0", "1", [])


def test_equivalent_rejects_unknown_tolerance():
    with pytest.raises(ValueError, match="unknown tolerance"):
        equivalent("1", "1", [], tolerance={"relative": 0.1})


def test_equivalent_leaves_global_mpmath_precision_alone():
    before = mpmath.mp.prec
    equivalent("sqrt(2)^2", "2", [])
    assert mpmath.mp.prec == before


NUMBERS = [
    (1.05, 1.0, {"rel": 0.05}, True),
    (0.95, 1, {"rel": 0.05}, True),
    (1.0501, 1.0, {"rel": 0.05}, False),
    (0.1 + 0.2, 0.3, None, True),
    (1, 1, None, True),
    (0.3333, 1 / 3, None, False),
    (2.0, 2, {"abs": 0}, True),
    (3.14159, np.pi, {"sigfigs": 4}, True),
    (np.array([[1.0, 2.0]]), np.array([[1.0, 2.05]]), {"abs": 0.05}, True),
    (np.array([[1.0, 2.0]]), np.array([[1.0, 2.06]]), {"abs": 0.05}, False),
    (np.array([[1.0, 2.0]]), np.array([1.0, 2.0]), None, False),
    ([[1, 2], [3, 4]], np.array([[1, 2], [3, 4]]), None, True),
    (float("nan"), float("nan"), None, False),
    (float("inf"), float("inf"), None, False),
]


@pytest.mark.parametrize(("student", "expected", "tolerance", "verdict"), NUMBERS)
def test_numbers_match(student, expected, tolerance, verdict):
    assert numbers_match(student, expected, tolerance) is verdict
