"""Random text never gets past the parser as anything but an expression or a
ParseError, and every expression it accepts can be compared with itself."""

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.equivalence import equivalent
from engine.expressions import ParseError, parse

SYMBOLS = ["x", "y", "W1"]
ALPHABET = "xyW1 0123456789.e+-*/^()[],σ²−·×√!'\"_=:;|{}abcdefghijklmnopqrstuvwxyz"
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_parse_returns_an_expression_or_a_parse_error(text):
    try:
        result = parse(text, SYMBOLS)
    except ParseError as error:
        assert error.message and error.column >= 1
    else:
        assert isinstance(result, (sympy.Expr, sympy.MatrixBase))


@FUZZ
@given(st.text(max_size=40))
def test_parse_survives_any_unicode(text):
    try:
        parse(text, SYMBOLS)
    except ParseError:
        pass


ATOMS = st.sampled_from(["x", "y", "W1", "2", "0.5", "3", "pi", "e", "1.5e-1"])


def _combine(children):
    binary = st.tuples(
        children, st.sampled_from(["+", "-", "*", "/", "^"]), children
    ).map(lambda t: f"({t[0]}){t[1]}({t[2]})")
    call = st.tuples(
        st.sampled_from(
            ["exp", "log", "sqrt", "abs", "sin", "tanh", "sigmoid", "relu"]
        ),
        children,
    ).map(lambda t: f"{t[0]}({t[1]})")
    return binary | call | children.map(lambda s: f"-({s})")


EXPRESSIONS = st.recursive(ATOMS, _combine, max_leaves=8)


@FUZZ
@given(EXPRESSIONS)
def test_generated_expressions_equal_themselves(text):
    try:
        parse(text, SYMBOLS)
    except ParseError:
        return  # e.g. a constant division by zero
    assert equivalent(text, text, SYMBOLS) in (True, None)


@FUZZ
@given(EXPRESSIONS, EXPRESSIONS)
def test_equivalent_answers_a_verdict_or_none(left, right):
    try:
        verdict = equivalent(left, right, SYMBOLS)
    except ParseError:
        return
    assert verdict in (True, False, None)


def test_relu_of_a_non_real_constant_is_undecided_not_a_crash():
    """Found by a random run: SymPy's Max refuses a non-real argument."""
    text = "relu((-(e))^(-(0.5)))"
    assert equivalent(text, text, SYMBOLS) is None
    assert equivalent("max(x, (-1)^(1/2))", "x", SYMBOLS) in (False, None)
