"""Is the student's answer the expected one? Exact semantics, bounded time.

``equivalent`` compares two expressions as real functions of their variables:

1. Constants made only of rationals (``0.5``, ``1/2``, ``4.52*10^2``) are compared
   exactly with ``fractions.Fraction``.
2. Everything else is evaluated at fixed sample points (negatives, zero, integers,
   half-integers and "generic" non-integers) in floats, to find the points where
   the two sides look most different, then at those points with mpmath at 200+
   bits. The float value doubles as a low-precision run, so the gap between the
   two runs estimates the rounding error of the precise one; two values are equal
   when they differ by no more than that error. ``0.333333333333333`` is not
   ``1/3``; ``(x-1)^2`` is ``x^2-2x+1``; ``(x-a)^6000`` against ``(x-a)^5999`` is
   a few powers of one number, not an expansion.
3. The two sides must have the same real domain: a point where one side is
   defined and the other is not (``sqrt(x)**2`` against ``relu(x)`` at x = -1,
   ``log(a)`` against ``log(abs(a))`` at a = -2) is a difference, unless it is a
   single removable point (``x/x`` at 0: both sides are defined just beside it).
   A point where both sides are undefined is skipped. When no point is left, a
   bounded symbolic check runs (SymPy ``simplify`` on small expressions, under a
   hard deadline, ``engine.deadline``); if that cannot decide, the answer is
   ``None``.

A problem may declare a domain for some variables (``{"x": "positive"}``; see
``DOMAINS``: positive, negative, nonzero, integer): those are then sampled only there, so ``log(x) + log(y)`` is
``log(x*y)`` for positive x and y, and ``sqrt(x)**2`` is ``relu(x)`` for
positive x. One domain is read from the text itself: a variable in the exponent
of a negative constant (``(-1)^n``) is an integer, since only there is that
power a real number in every sense in which it is written; so ``(-1)^n*cos(x)^n``
is ``(-cos(x))^n`` and ``cos(pi*n)`` is ``(-1)^n``. A declared domain for that
variable takes precedence.

With a tolerance (``{"rel": r}``, ``{"abs": a}`` or ``{"sigfigs": n}``) each point
is compared with that bound instead, inclusively and in exact rational arithmetic
on the precise values, so 1.05 against 1 at ``rel`` 0.05 is equal.
"""

import math
import random
from collections.abc import Iterable, Mapping
from fractions import Fraction

import numpy as np
import sympy

from engine.deadline import TooSlow, within
from engine.expressions import ParseError, parse_tree, to_sympy
from engine.grammar import MAX_DIGITS
from engine.numeric import (
    Undefined,
    Unsupported,
    compile_float,
    compile_mp,
    from_sympy,
    mp_context,
    names_in,
)
from engine.syntax import Binary, Call, Constant, Matrix, Name, Node, Number, Unary

BASE_BITS = 200
FLOAT_BITS = 53
MAX_EXACT_POWER = 64  # integer powers evaluated exactly in tolerance mode
SAFETY_BITS = 20  # how far the rounding-error estimate is trusted
CANDIDATES_PER_VARIABLE = 24
MAX_CANDIDATES = 96
PRECISE_POINTS = 8  # points evaluated with mpmath, most suspicious first
MAX_PRECISE_ATTEMPTS = 24  # including points where a side turns out undefined
MIN_VALID_POINTS = 3
# A point where one side only is undefined is checked this far away on both
# sides, to tell a domain difference from a removable point.
NEARBY_STEPS = (Fraction(1, 1009), Fraction(-1, 1013))
SIMPLIFY_SECONDS = 0.25
SIMPLIFY_MAX_OPS = 40
FLOAT_RELATIVE = Fraction(1, 10**9)
FLOAT_ABSOLUTE = Fraction(1, 10**12)

# Sample values: integers and halves (where powers of negatives are real), zero,
# and irregular non-integers (where identities that hold only at integers fail).
SAMPLE_VALUES = tuple(
    Fraction(text)
    for text in [
        "-3",
        "-5/2",
        "-2",
        "-3/2",
        "-1",
        "-1/2",
        "0",
        "1/2",
        "1",
        "3/2",
        "2",
        "5/2",
        "3",
        "-2.71",
        "-1.83",
        "-1.27",
        "-0.61",
        "-0.37",
        "0.29",
        "0.43",
        "0.77",
        "1.19",
        "1.61",
        "2.07",
        "2.83",
        "3.41",
    ]
)

SMALL_VALUES = tuple(
    Fraction(t) for t in ["-2", "-3/2", "-1", "-1/2", "0", "1/2", "1", "3/2", "2"]
)

Tolerance = dict[str, float | int | str | Fraction]
# Where a declared variable is sampled: the sample values that satisfy it.
DOMAINS = {
    "positive": lambda v: v > 0,
    "negative": lambda v: v < 0,
    "nonzero": lambda v: v != 0,
    "integer": lambda v: v.denominator == 1,
}
DISCRETE_DOMAINS = {"integer"}  # no interval around a point: the point itself counts


def equivalent(
    student,
    expected,
    symbols: Iterable[str],
    tolerance: Tolerance | None = None,
    domain: Mapping[str, str] | None = None,
) -> bool | None:
    """Whether two expressions are equal as real functions: True, False or None.

    Parameters
    ----------
    student, expected : text in the expression language, a SymPy expression, or a
        ``sympy.Matrix`` (then compared entry by entry; shapes must match).
    symbols : the names the text may use.
    tolerance : None for exact comparison, or ``{"rel": r}``, ``{"abs": a}``,
        ``{"sigfigs": n}`` (inclusive bounds; ``rel`` is relative to ``expected``).
    domain : name -> one of ``DOMAINS`` ("positive", "negative", "nonzero",
        "integer"): the
        values that variable takes (all reals when absent).

    Returns
    -------
    True or False, or None when undecided within the limits (e.g. neither side has
    a real value at any sample point and no short proof was found).

    Raises
    ------
    ParseError when a string cannot be read.

    Examples
    --------
    >>> equivalent("0.5", "1/2", [])
    True
    >>> equivalent("0.33", "1/3", [])
    False
    >>> equivalent("relu(x)", "x", ["x"])
    False
    >>> equivalent("(x-1)^2", "x^2 - 2x + 1", ["x"])
    True
    >>> equivalent("1.05", "1", [], tolerance={"rel": 0.05})
    True
    >>> equivalent("log(x) + log(y)", "log(x*y)", ["x", "y"])
    False
    >>> equivalent("log(x) + log(y)", "log(x*y)", ["x", "y"],
    ...            domain={"x": "positive", "y": "positive"})
    True
    """
    symbols = list(symbols)
    left, right = _tree(student, symbols), _tree(expected, symbols)
    if left is None or right is None:
        return None
    pools = _pools(_implied_domain(left, right) | dict(domain or {}))
    if isinstance(left, Matrix) or isinstance(right, Matrix):
        return _matrices_equivalent(left, right, tolerance, pools)
    return _trees_equivalent(left, right, _bound(tolerance), pools)


def _pools(domain: Mapping[str, str]) -> dict[str, tuple]:
    """Name -> (its small sample values, all of them, the domain's test, whether
    it is discrete), for the names with a domain."""
    unknown = set(domain.values()) - set(DOMAINS)
    if unknown:
        raise ValueError(
            f"unknown domain {sorted(unknown)[0]!r}; use {', '.join(DOMAINS)}"
        )
    return {
        name: (
            tuple(v for v in SMALL_VALUES if DOMAINS[kind](v)),
            tuple(v for v in SAMPLE_VALUES if DOMAINS[kind](v)),
            DOMAINS[kind],
            kind in DISCRETE_DOMAINS,
        )
        for name, kind in domain.items()
    }


def _implied_domain(*nodes: Node) -> dict[str, str]:
    """``{name: "integer"}`` for each variable in the exponent of a power whose
    base is a negative constant, such as n in ``(-1)^n`` or ``(-1/2)^(2*n+1)``."""
    implied = {}
    for node in _subtrees(*nodes):
        if isinstance(node, Binary) and node.op == "**" and _negative(node.left):
            implied |= dict.fromkeys(names_in(node.right), "integer")
    return implied


def _negative(node: Node) -> bool:
    """Whether ``node`` is a negative constant (a variable is never constant:
    ``_rational`` without a point refuses it)."""
    try:
        return _rational(node) < 0
    except (Unsupported, ZeroDivisionError):
        return False


def _subtrees(*nodes: Node):
    """Every node of the trees, each tree's root first."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Binary):
            stack.extend((node.left, node.right))
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack.extend(node.args)
        elif isinstance(node, Matrix):
            stack.extend(entry for row in node.rows for entry in row)


def numbers_match(student, expected, tolerance: Tolerance | None = None) -> bool:
    """Whether numbers (or arrays of numbers) agree within a tolerance, inclusively.

    Floats are read as the decimals they print as (``0.1`` is 1/10) and compared
    exactly with ``Fraction``. With ``tolerance=None``: integers and fractions must
    be equal; when a float is involved the bound is ``1e-9`` relative plus ``1e-12``
    absolute (float rounding, nothing more). Different shapes never match; NaN and
    infinities match nothing.

    Examples
    --------
    >>> numbers_match(1.05, 1.0, {"rel": 0.05})
    True
    >>> numbers_match(0.1 + 0.2, 0.3, None)
    True
    >>> numbers_match([[1, 2]], [1, 2], None)
    False
    """
    bound = _bound(tolerance)
    student_array, expected_array = _as_array(student), _as_array(expected)
    if student_array is None or expected_array is None:
        return False
    if student_array.shape != expected_array.shape:
        return False
    for got, want in zip(student_array.flat, expected_array.flat, strict=True):
        got_exact, want_exact = _exact(got), _exact(want)
        if got_exact is None or want_exact is None:
            return False
        if bound is None and (isinstance(got, float) or isinstance(want, float)):
            slack = FLOAT_RELATIVE * max(abs(got_exact), abs(want_exact))
            if abs(got_exact - want_exact) > slack + FLOAT_ABSOLUTE:
                return False
        elif not _within(got_exact, want_exact, bound):
            return False
    return True


# -- inputs -------------------------------------------------------------------------


def _tree(value, symbols: list[str]) -> Node | None:
    """A syntax tree from text or SymPy; None for SymPy outside the language."""
    if isinstance(value, str):
        return parse_tree(value, symbols)
    if isinstance(value, Number | Name | Constant | Unary | Binary | Call | Matrix):
        return value
    if isinstance(value, (int, float, Fraction)):
        value = (
            sympy.Float(value) if isinstance(value, float) else sympy.Rational(value)
        )
    try:
        if isinstance(value, sympy.MatrixBase):
            rows = tuple(
                tuple(from_sympy(value[i, j]) for j in range(value.cols))
                for i in range(value.rows)
            )
            return Matrix(rows)
        return from_sympy(value)
    except (Unsupported, RecursionError):
        return None


def _matrices_equivalent(left: Node, right: Node, tolerance, pools) -> bool | None:
    if not (isinstance(left, Matrix) and isinstance(right, Matrix)):
        return False
    shape = (len(left.rows), len(left.rows[0]))
    if shape != (len(right.rows), len(right.rows[0])):
        return False
    bound = _bound(tolerance)
    results = [
        _trees_equivalent(a, b, bound, pools)
        for row_a, row_b in zip(left.rows, right.rows, strict=True)
        for a, b in zip(row_a, row_b, strict=True)
    ]
    if False in results:
        return False
    return None if None in results else True


# -- tolerances -----------------------------------------------------------------------


def _bound(tolerance) -> tuple[str, Fraction] | None:
    """Validate a tolerance dict into (kind, exact amount)."""
    if tolerance is None or isinstance(tolerance, tuple):
        return tolerance
    if not isinstance(tolerance, dict) or len(tolerance) != 1:
        raise ValueError(
            "tolerance must be one of {'rel': r}, {'abs': a}, {'sigfigs': n}"
        )
    ((kind, amount),) = tolerance.items()
    if kind not in ("rel", "abs", "sigfigs"):
        raise ValueError(f"unknown tolerance {kind!r}: use rel, abs or sigfigs")
    exact = _exact(amount)
    if exact is None or exact < 0 or (kind == "sigfigs" and exact.denominator != 1):
        raise ValueError(f"invalid {kind} tolerance {amount!r}")
    return kind, exact


def _within(got: Fraction, want: Fraction, bound: tuple[str, Fraction] | None) -> bool:
    """Exact, inclusive comparison of two rationals under a bound."""
    if bound is None:
        return got == want
    kind, amount = bound
    if kind == "rel":
        return abs(got - want) <= amount * abs(want)
    if kind == "abs":
        return abs(got - want) <= amount
    return _round_sigfigs(got, int(amount)) == _round_sigfigs(want, int(amount))


def _round_sigfigs(value: Fraction, figures: int) -> Fraction:
    """Round half away from zero to ``figures`` significant figures, exactly.

    Examples
    --------
    >>> _round_sigfigs(Fraction("0.12345"), 3)
    Fraction(123, 1000)
    >>> _round_sigfigs(Fraction("2.5"), 1)
    Fraction(3, 1)
    """
    if value == 0 or figures <= 0:
        return value
    magnitude = abs(value)
    exponent = math.floor(
        math.log10(magnitude.numerator) - math.log10(magnitude.denominator)
    )
    while Fraction(10) ** exponent > magnitude:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= magnitude:
        exponent += 1
    unit = Fraction(10) ** (exponent - figures + 1)
    rounded = math.floor(magnitude / unit + Fraction(1, 2)) * unit
    return rounded if value > 0 else -rounded


def _exact(value) -> Fraction | None:
    """A number as an exact Fraction (floats as their shortest decimal)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    return Fraction(repr(value))


def _as_array(value) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=object)
    except (ValueError, TypeError):
        return None
    return array


# -- the comparison ------------------------------------------------------------------------


def _trees_equivalent(left: Node, right: Node, bound, pools=None) -> bool | None:
    names = sorted(names_in(left) | names_in(right))
    if not names:
        exact = _rational_constants(left, right)
        if exact is not None:
            return _within(exact[0], exact[1], bound)
    bits = BASE_BITS + 4 * _literal_digits(left, right)
    verdict, valid = _sampled(left, right, names, bits, bound, pools or {})
    if verdict is not None:
        return verdict
    if valid == 0 and bound is None:
        return _bounded_proof(left, right)
    return None


def _sampled(left: Node, right: Node, names, bits: int, bound, pools) -> tuple:
    """Compare at sample points: (verdict or None, number of valid points)."""
    ctx = mp_context(bits)
    fast = (compile_float(left), compile_float(right))
    precise = (compile_mp(left, bits), compile_mp(right, bits))
    candidates = _ranked_points(fast, names, pools)
    valid = mismatched = 0
    for point, floats in candidates[:MAX_PRECISE_ATTEMPTS]:
        if valid >= PRECISE_POINTS:
            break
        mp_point = {
            name: ctx.mpf(v.numerator) / v.denominator for name, v in point.items()
        }
        values = _precise_values(precise, mp_point)
        if values[0] is None and values[1] is None:
            continue
        if values[0] is None or values[1] is None:
            if _one_sided_nearby(precise, point, ctx, values[0] is None, pools):
                return False, valid  # defined on one side of an interval only
            mismatched += 1  # a removable point, such as x/x at x = 0
            continue
        valid += 1
        if bound is not None:
            values = _exact_values(left, right, point) or values
        if not _point_agrees(ctx, values, floats, bits, bound):
            return False, valid
    needed = 1 if not names else MIN_VALID_POINTS
    if valid >= needed:
        return True, valid
    if valid == 0 and mismatched:
        return False, valid  # one side has real values, the other never
    return None, valid


def _precise_values(precise, mp_point) -> list:
    values = []
    for function in precise:
        try:
            values.append(function(mp_point))
        except (Undefined, ZeroDivisionError, OverflowError, ValueError):
            values.append(None)
    return values


def _one_sided_nearby(precise, point, ctx, left_undefined: bool, pools) -> bool:
    """Whether the same side stays undefined (and the other defined) near ``point``.

    That is a difference on a whole interval (``sqrt(x)**2`` against ``relu(x)``
    for x < 0, ``log(x) + log(y)`` against ``log(x*y)`` for x, y < 0); a single
    point where one side is undefined (``x/x`` at 0) is not. Only points inside
    the declared domain count.
    """
    for step in NEARBY_STEPS:
        if any(
            name in pools and not pools[name][2](v + step) for name, v in point.items()
        ):
            return False
        shifted = {
            name: ctx.mpf((v + step).numerator) / (v + step).denominator
            for name, v in point.items()
        }
        values = _precise_values(precise, shifted)
        if (values[0] is None, values[1] is None) != (
            left_undefined,
            not left_undefined,
        ):
            return False
    return True


def _ranked_points(fast, names, pools) -> list:
    """Sample points, most suspicious first (largest float disagreement)."""
    points = _points(names, pools)
    ranked = []
    for point in points:
        float_point = {name: float(value) for name, value in point.items()}
        floats = []
        for function in fast:
            try:
                floats.append(function(float_point))
            except (Undefined, OverflowError, ZeroDivisionError, ValueError):
                floats.append(None)
        if floats[0] is None and floats[1] is None:
            score = -2.0  # probably undefined on both sides: try last
        elif floats[0] is None or floats[1] is None:
            score = 2.0  # probably defined on one side only: a domain difference?
        else:
            gap = abs(floats[0] - floats[1])
            score = gap / (abs(floats[0]) + abs(floats[1]) + 1e-300) if gap else 0.0
        ranked.append((score, len(ranked), point, floats))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [(point, floats) for _, _, point, floats in ranked]


def _points(names: list[str], pools=None) -> list[dict[str, Fraction]]:
    """Deterministic sample points: the same names always get the same points.

    A name with a declared domain takes only the sample values inside it.
    """
    pools = pools or {}
    if not names:
        return [{}]
    if len(names) == 1:
        values = pools[names[0]][1] if names[0] in pools else SAMPLE_VALUES
        return [{names[0]: value} for value in values]
    generator = random.Random(len(names) * 7919 + 17)
    count = min(MAX_CANDIDATES, CANDIDATES_PER_VARIABLE * (len(names) + 1))
    # Half the points use only small integers and halves, so that combinations
    # such as a < 0, b = 2, c = 1/2 (where (a^b)^c differs from a^(bc)) occur.
    default = (SMALL_VALUES, SAMPLE_VALUES)
    return [
        {name: generator.choice(pools.get(name, default)[index % 2]) for name in names}
        for index in range(count)
    ]


def _point_agrees(ctx, values, floats, bits: int, bound) -> bool:
    """Compare two precise values, allowing for their estimated rounding error."""
    a, b = values
    if bound is not None:
        return _within(_mp_fraction(a), _mp_fraction(b), bound)
    error = ctx.mpf(0)
    for precise, rough in zip(values, floats, strict=True):
        scale = max(abs(precise), 1)
        error += ctx.ldexp(scale, SAFETY_BITS + FLOAT_BITS - bits)
        if rough is not None:
            error += ctx.ldexp(abs(precise - rough), SAFETY_BITS + FLOAT_BITS - bits)
    return abs(a - b) <= error


def _exact_values(left: Node, right: Node, point) -> tuple[Fraction, Fraction] | None:
    """Exact values at a rational point when both sides are rational functions."""
    try:
        return _rational(left, point), _rational(right, point)
    except (Unsupported, ZeroDivisionError):
        return None


def _mp_fraction(value) -> Fraction:
    if isinstance(value, Fraction):
        return value
    mantissa, exponent = value.man, value.exp
    if exponent >= 0:
        return Fraction(int(mantissa) << int(exponent))
    return Fraction(int(mantissa), 1 << int(-exponent))


# -- exact constants --------------------------------------------------------------------------


def _rational_constants(left: Node, right: Node) -> tuple[Fraction, Fraction] | None:
    try:
        return _rational(left), _rational(right)
    except (Unsupported, ZeroDivisionError):
        return None


def _rational(node: Node, point: dict[str, Fraction] | None = None) -> Fraction:
    """The exact value of rationals combined with + - * / and small integer
    powers, at a rational point; ``Unsupported`` otherwise."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name) and point is not None:
        return point[node.id]
    if isinstance(node, Unary):
        value = _rational(node.operand, point)
        return -value if node.op == "-" else value
    if not isinstance(node, Binary):
        raise Unsupported("not rational")
    left, right = _rational(node.left, point), _rational(node.right, point)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if node.op == "/":
        return left / right
    if right.denominator != 1 or (left == 0 and right < 0):
        raise Unsupported("not rational")
    if point is not None and abs(right) > MAX_EXACT_POWER:
        raise Unsupported("too large to compute exactly")
    return left**right.numerator


def _literal_digits(*nodes: Node) -> int:
    """The most digits in any number literal (precision must exceed it)."""
    return max(
        (
            min(len(node.text), MAX_DIGITS + 10)
            for node in _subtrees(*nodes)
            if isinstance(node, Number)
        ),
        default=0,
    )


# -- bounded symbolic proof ---------------------------------------------------------------------


def _bounded_proof(left: Node, right: Node) -> bool | None:
    """Try ``simplify(a - b) == 0`` on small expressions under a deadline; else None."""
    try:
        a, b = to_sympy(left), to_sympy(right)
    except ParseError:
        return None
    if a == b:
        return True
    difference = a - b
    if sympy.count_ops(difference) > SIMPLIFY_MAX_OPS:
        return None
    try:
        return within(SIMPLIFY_SECONDS, lambda: sympy.simplify(difference) == 0 or None)
    except TooSlow:
        return None
