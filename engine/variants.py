"""Informative variants: numbers that let a mistake show.

A randomized variant can hide mistakes its author's own numbers would reveal:
``b = 0`` in ``u = a*b`` makes ``u``, ``w`` and ``z`` all 0, so forgetting a
factor still gives the right number; five gradients that all come out as 2
cannot tell one path from another. ``variant_flaws`` lists, for one seed, every
step that is 0 and every group of steps that coincide *where they do not at
the spec's own inputs* (so structural facts, such as ``grad:u == grad:v`` after
``v = u + b``, are never flaws). ``informative_seed`` picks, deterministically,
the first seed in a short sequence that has none.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.graph import StepId
from engine.specs import instantiate
from engine.trace import trace

TRIES = 20  # seeds tried before giving up and keeping the first
_DIGITS = 12  # values equal to this many significant digits coincide


def variant_flaws(spec: Mapping[str, Any], seed: int) -> list[str]:
    """What makes variant ``seed`` less informative than the spec's own numbers.

    Examples
    ========

    >>> spec = {"kind": "scalar_trace", "program": "u = a*b\\nz = u + c",
    ...         "inputs": {"a": 2, "b": 3, "c": 1},
    ...         "randomize": {"b": {"choice": [0]}}}
    >>> variant_flaws(spec, 1)
    ['forward:u, grad:a are 0', 'forward:z, grad:c, grad:u are all 1']
    """
    if not spec.get("randomize"):  # only trace specs randomize (grader.kinds)
        return []
    base = _steps(spec, None)
    values = _steps(spec, seed)
    if base is None:
        return []
    if values is None:
        return ["a value is undefined"]
    flaws = []
    zeros = [s for s, v in values.items() if _zero(v) and not _zero(base[s])]
    if zeros:
        verb = "is" if len(zeros) == 1 else "are"
        flaws.append(f"{', '.join(zeros)} {verb} 0")
    groups: dict[Any, list[str]] = {}
    for step, value in values.items():
        if not _zero(value):
            groups.setdefault(value, []).append(step)
    for steps in groups.values():
        if len({base[s] for s in steps}) >= 2:  # distinct at the own numbers
            flaws.append(f"{', '.join(steps)} are all {_shown(values[steps[0]])}")
    return flaws


def informative_seed(spec: Mapping[str, Any], seed: int) -> int:
    """``seed`` if its variant has no flaws, else the first flawless of ``TRIES`` others.

    The others are derived from ``seed`` alone, so the same seed always gives
    the same answer; a spec with no flawless variant keeps ``seed``.
    """
    if not spec.get("randomize"):  # only trace specs randomize (grader.kinds)
        return seed
    for attempt in range(TRIES):
        candidate = seed if attempt == 0 else _derived(seed, attempt)
        if not variant_flaws(spec, candidate):
            return candidate
    return seed


def _derived(seed: int, attempt: int) -> int:
    digest = hashlib.sha256(f"{seed}:informative:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def _steps(spec: Mapping[str, Any], seed: int | None) -> dict[str, Any] | None:
    """Forward and gradient values of a variant (what students type), or None."""
    try:
        values = trace(instantiate(spec, seed)).values
    except ValueError:  # UndefinedValue and friends: check_variants reports those
        return None
    return {
        step: _rounded(value)
        for step, value in values.items()
        if StepId.parse(step).family != "local"
    }


def _rounded(value) -> Any:
    array = np.asarray(value, dtype=float)
    flat = tuple(float(f"{v:.{_DIGITS}g}") for v in array.ravel())
    return (array.shape, flat)


def _zero(value) -> bool:
    return all(v == 0 for v in value[1])


def _shown(value) -> str:
    shape, flat = value
    if shape == ():
        return f"{flat[0]:g}"
    return f"{np.array(flat).reshape(shape).tolist()}"
