"""``numeric``: one number or matrix (``answer: 1/3``, ``answer: [[1, 2]]``), within
the ``tolerance`` (default ``grader.cells.DEFAULT_TOLERANCE``); a near miss and
a wrong shape are told so.

Fields: ``prompt``, ``answer`` (a number, a text like ``"1/3"``, or a matrix as
nested lists), optional ``tolerance``.

Pure: no Django.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.specs import COMMON_FIELDS, SpecError, number_errors, prompt_errors
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
from grader.kinds.base import ANSWER, Kind, expected_answer, typed
from grader.near_miss import digits_wanted, is_near_miss
from grader.results import CORRECT, INCORRECT, GradeResult, StepResult


class Numeric(Kind):
    name = "numeric"
    label = "Numeric"
    order = 40
    fields = (*COMMON_FIELDS, "answer")

    def errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        return prompt_errors(spec) + number_errors(spec.get("answer"), "answer")

    def summary(self, spec: Mapping[str, Any]) -> str:
        return f"{self.label}: {spec.get('answer')}"

    def reader(self, concrete: Mapping[str, Any], trace=None):
        def read_number(_step_id: str, text: str) -> Cell:
            cell = read_cell(text, ())
            need_number(cell)
            return cell

        return read_number

    def answer_key(self, concrete: Mapping[str, Any], trace=None) -> dict[str, str]:
        answer = expected_answer(concrete)
        return {ANSWER: answer if isinstance(answer, str) else typed(answer)}

    def grade(
        self, concrete: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> GradeResult:
        return grade_numeric(concrete, answers)


def _numeric_key(expected) -> float | np.ndarray:
    if isinstance(expected, (list, tuple)):
        return np.array(expected, dtype=np.float64)
    if isinstance(expected, str):
        return need_number(read_cell(expected, ()))
    return float(expected)


def grade_numeric(spec: Mapping, answers: Mapping) -> GradeResult:
    key = _numeric_key(expected_answer(spec))
    tolerance = spec.get("tolerance") or DEFAULT_TOLERANCE
    cell = read_or_result(
        ANSWER, cell_text(answers.get(ANSWER)), lambda t: read_cell(t, ())
    )
    if isinstance(cell, StepResult):
        return grade_result([cell], spec)
    try:
        step = Budget().check(lambda: _numeric_step(cell, key, tolerance))
    except CellError as error:
        step = invalid_result(ANSWER, error)
    return grade_result([step], spec)


def _numeric_step(cell: Cell, key, tolerance) -> StepResult:
    shown = {"interpreted": cell.interpreted, "expected": feedback.format_value(key)}
    if close(cell.value, key, tolerance):
        return StepResult(ANSWER, CORRECT, 1.0, feedback.CORRECT, **shown)
    if close(cell.value, -np.asarray(key), tolerance):
        message = feedback.misconception("sign_error")
        return StepResult(ANSWER, INCORRECT, 0.0, message, "sign_error", **shown)
    value = shaped_like(cell.value, key)
    if np.size(value) != np.size(key) or (
        np.size(key) > 1 and np.shape(value) != np.shape(key)
    ):
        message = feedback.wrong_shape(np.shape(value), np.shape(key))
    elif is_near_miss(value, cell.text, key, tolerance):
        message = feedback.near_miss(digits_wanted(tolerance))
    else:
        message = feedback.wrong(ANSWER)
    return StepResult(ANSWER, INCORRECT, 0.0, message, **shown)


KIND = Numeric()
