"""Near misses: a number that is right but for its last digits.

A wrong number is a near miss of a target (the key, or what follows from
the student's own earlier values) when it is within ``FACTOR`` times the
step's tolerance, or when it is the target rounded to the significant digits
the student wrote (``0.2`` for 0.1966). Such an answer needs more digits, not
another idea, and its message says so (``grader.feedback.near_miss``).

Pure: no Django.
"""

import math
import re
from collections.abc import Mapping

import numpy as np

from engine.equivalence import numbers_match

FACTOR = 10
# A rounded answer counts as a near miss only this close (relatively), and only
# when the student wrote a decimal point: a bare "1" for 0.96 is an idea, not
# a rounding.
ROUNDED_WITHIN = 0.05
_DECIMAL = re.compile(r"\s*[-+−]?\s*(\d*)\.?(\d*)(?:[eE][-+]?\d+)?\s*")


def widened(tolerance: Mapping, factor: int = FACTOR) -> dict:
    """The tolerance ``factor`` times as loose (``sigfigs`` one digit fewer)."""
    ((kind, amount),) = tolerance.items()
    if kind == "sigfigs":
        return {"sigfigs": max(1, int(amount) - 1)}
    return {kind: float(amount) * factor}


def significant_digits(text: str) -> int | None:
    """The significant digits of a plain decimal literal (``-0.134`` -> 3), else None.

    Examples
    ========
    >>> significant_digits("0.2"), significant_digits("-0.1340"), significant_digits("1/3")
    (1, 4, None)
    """
    match = _DECIMAL.fullmatch(text or "")
    if not match or not (match.group(1) or match.group(2)):
        return None
    digits = (match.group(1) + match.group(2)).lstrip("0")
    if not digits:
        return None
    return len(digits) if match.group(2) else len(digits.rstrip("0")) or 1


def _rounded(value: float, digits: int) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def is_near_miss(value, text: str, target, tolerance: Mapping) -> bool:
    """Whether ``value`` (typed as ``text``) misses ``target`` only by its precision."""
    if value is None or target is None:
        return False
    s = np.asarray(value, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    if s.size != t.size or not (np.all(np.isfinite(s)) and np.all(np.isfinite(t))):
        return False
    s, t = s.reshape(t.shape) if s.size == 1 else s, t
    if s.shape != t.shape:
        return False
    if numbers_match(s, t, widened(tolerance)):
        return True
    if t.size != 1 or "." not in (text or ""):
        return False
    digits = significant_digits(text)
    got, want = float(s.reshape(())), float(t.reshape(()))
    return (
        digits is not None
        and abs(got - want) <= ROUNDED_WITHIN * abs(want)
        and got == _rounded(want, digits)
    )


def digits_wanted(tolerance: Mapping) -> str:
    """What to keep for ``tolerance``: "at least 4 significant digits".

    Examples
    ========
    >>> digits_wanted({"rel": 0.001}), digits_wanted({"abs": 0.01})
    ('at least 4 significant digits', 'at least 2 decimal places')
    """
    ((kind, amount),) = tolerance.items()
    if kind == "sigfigs":
        return f"{int(amount)} significant digits"
    amount = float(amount)
    places = max(1, math.ceil(-math.log10(amount))) if amount > 0 else 6
    if kind == "abs":
        return f"at least {places} decimal places"
    return f"at least {places + 1} significant digits"
