"""The single-answer kinds: ``expression``, ``numeric`` and ``choice`` (step ``answer``).

- ``expression``: ``answer`` (text), ``symbols`` (names), optional ``tolerance``
  (exact when absent) and ``derivative_of`` (then a wrong answer is diagnosed as
  the trace's local step of that function would be).
- ``numeric``: ``answer`` (a number, a text like ``"1/3"``, or a matrix as nested
  lists), optional ``tolerance``; near misses and wrong shapes are told so.
- ``choice``: ``options`` (list of ``{key, text, correct, feedback}``),
  ``multiple`` (bool). Multiple choice scores
  ``max(0, (right picks - wrong picks) / right options)``.

Pure: no Django.
"""

from collections.abc import Mapping

import numpy as np

from engine.equivalence import equivalent
from engine.expressions import parse
from engine.trace import trace as build_trace
from grader import feedback
from grader.budget import Budget, CellError
from grader.cells import (
    DEFAULT_TOLERANCE,
    Cell,
    cell_text,
    close,
    grade_result,
    invalid_result,
    need_number,
    read_cell,
    read_or_result,
    shaped_like,
)
from grader.misconceptions import symbolic_candidates
from grader.near_miss import digits_wanted, is_near_miss
from grader.results import CORRECT, INCORRECT, INVALID, MISSING, GradeResult, StepResult


def grade_expression(spec: Mapping, answers: Mapping) -> GradeResult:
    symbols = tuple(spec.get("symbols") or ())
    expected = parse(str(spec.get("expected", spec.get("answer"))), symbols)
    tolerance = spec.get("tolerance")
    cell = read_or_result(
        "answer", cell_text(answers.get("answer")), lambda t: read_cell(t, symbols)
    )
    if isinstance(cell, StepResult):
        return grade_result([cell], spec)
    shown = {"interpreted": cell.interpreted, "expected": str(expected)}
    try:
        step = Budget().check(
            lambda: _expression_step(spec, cell, expected, symbols, tolerance, shown)
        )
    except CellError as error:
        step = invalid_result("answer", error)
    return grade_result([step], spec)


def _expression_step(
    spec: Mapping, cell: Cell, expected, symbols, tolerance, shown
) -> StepResult:
    verdict = equivalent(cell.expr, expected, symbols, tolerance)
    if verdict:
        step = StepResult("answer", CORRECT, 1.0, feedback.CORRECT, **shown)
    elif verdict is None:
        step = StepResult("answer", INCORRECT, 0.0, feedback.UNDECIDED, **shown)
    else:
        code = derivative_misconception(spec, cell.expr, symbols, tolerance)
        if code is None and equivalent(cell.expr, -expected, symbols, tolerance):
            code = "sign_error"
        of = str(spec.get("derivative_of", ""))
        message = feedback.misconception(code, of) if code else feedback.wrong("answer")
        step = StepResult("answer", INCORRECT, 0.0, message, code, **shown)
    return step


def derivative_misconception(spec: Mapping, answer, symbols, tolerance) -> str | None:
    """The misconception a wrong derivative shows, as a trace's local step would.

    An ``expression`` problem whose answer is the derivative of
    ``derivative_of`` (with respect to its first symbol) is read as the one
    edge of the trace ``f = <derivative_of>``, and the answer is matched
    against that edge's buggy variants (``grader.misconceptions``).
    """
    of, wrt = spec.get("derivative_of"), (list(symbols) or [None])[0]
    if not of or wrt is None:
        return None
    out = next(n for n in ("f", "g", "h", "out") if n not in symbols)
    edge = single_edge(f"{out} = {of}", symbols, f"local:{out}/{wrt}")
    if edge is None:
        return None
    for code, buggy in symbolic_candidates(edge, f"local:{out}/{wrt}"):
        if equivalent(answer, buggy, symbols, tolerance):
            return code
    return None


def single_edge(program: str, symbols, step_id: str):
    """The trace of a one-operation ``program`` when it has the edge ``step_id``."""
    spec = {"kind": "scalar_trace", "program": program}
    spec["inputs"] = {name: 1.3 for name in symbols}
    edge = build_trace(spec)
    return edge if step_id in edge.symbolic else None


def _numeric_key(expected) -> float | np.ndarray:
    if isinstance(expected, (list, tuple)):
        return np.array(expected, dtype=np.float64)
    if isinstance(expected, str):
        return need_number(read_cell(expected, ()))
    return float(expected)


def grade_numeric(spec: Mapping, answers: Mapping) -> GradeResult:
    key = _numeric_key(spec.get("expected", spec.get("answer")))
    tolerance = spec.get("tolerance") or DEFAULT_TOLERANCE
    cell = read_or_result(
        "answer", cell_text(answers.get("answer")), lambda t: read_cell(t, ())
    )
    if isinstance(cell, StepResult):
        return grade_result([cell], spec)
    try:
        step = Budget().check(lambda: _numeric_step(cell, key, tolerance))
    except CellError as error:
        step = invalid_result("answer", error)
    return grade_result([step], spec)


def _numeric_step(cell: Cell, key, tolerance) -> StepResult:
    shown = {"interpreted": cell.interpreted, "expected": feedback.format_value(key)}
    if close(cell.value, key, tolerance):
        return StepResult("answer", CORRECT, 1.0, feedback.CORRECT, **shown)
    if close(cell.value, -np.asarray(key), tolerance):
        message = feedback.misconception("sign_error")
        return StepResult("answer", INCORRECT, 0.0, message, "sign_error", **shown)
    value = shaped_like(cell.value, key)
    if np.size(value) != np.size(key) or (
        np.size(key) > 1 and np.shape(value) != np.shape(key)
    ):
        message = feedback.wrong_shape(np.shape(value), np.shape(key))
    elif is_near_miss(value, cell.text, key, tolerance):
        message = feedback.near_miss(digits_wanted(tolerance))
    else:
        message = feedback.wrong("answer")
    return StepResult("answer", INCORRECT, 0.0, message, **shown)


def option_keys(spec: Mapping) -> list[str]:
    """The keys a student may pick in a ``choice`` problem, in order."""
    return list(_options(spec))


def _options(spec: Mapping) -> dict[str, Mapping]:
    options = {}
    for index, option in enumerate(spec.get("options") or ()):
        key = option.get("key", option.get("id", "abcdefghijklmnopqrstuvwxyz"[index]))
        options[str(key)] = option
    return options


def grade_choice(spec: Mapping, answers: Mapping) -> GradeResult:
    options = _options(spec)
    right = {k for k, o in options.items() if o.get("correct")}
    given = answers.get("answer")
    if isinstance(given, str):
        picked = (
            [p.strip() for p in given.split(",")]
            if spec.get("multiple")
            else [given.strip()]
        )
    elif isinstance(given, (list, tuple)):
        picked = [str(p).strip() for p in given]
    else:
        picked = []
    picked = [p for p in picked if p]
    if not picked:
        return grade_result(
            [StepResult("answer", MISSING, 0.0, feedback.MISSING)], spec
        )
    unknown = [p for p in picked if p not in options]
    if unknown:
        message = feedback.NOT_A_CHOICE.format(
            given=unknown[0], keys=", ".join(options)
        )
        return grade_result([StepResult("answer", INVALID, 0.0, message)], spec)
    chosen = set(picked)
    expected = ", ".join(sorted(right))
    notes = [
        options[p].get("feedback", "") for p in picked if options[p].get("feedback")
    ]
    if chosen == right:
        message = " ".join(notes) or feedback.CORRECT
        step = StepResult("answer", CORRECT, 1.0, message, expected=expected)
    else:
        hits, misses = len(chosen & right), len(chosen - right)
        score = (
            max(0.0, (hits - misses) / len(right))
            if spec.get("multiple") and right
            else 0.0
        )
        wrong_notes = [
            options[p]["feedback"]
            for p in picked
            if p not in right and options[p].get("feedback")
        ]
        message = " ".join(wrong_notes) or feedback.wrong("answer")
        step = StepResult(
            "answer", INCORRECT, round(score, 6), message, expected=expected
        )
    return grade_result([step], spec)
