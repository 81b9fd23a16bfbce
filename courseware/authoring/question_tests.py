"""Question tests: grade stored answer cases on several variants and compare.

Pure: no Django. A case is answers (step id -> template), an expected score
and expected step statuses. It runs on ``variants`` random variants (seeds
1..N; a problem without ``randomize`` has one variant, its own numbers).

Answer templates, the whole mini-syntax:

- plain text is sent as written: ``"6"``, ``"2*v"``, ``"2*("``;
- ``{key}`` is the step's correct answer in the variant under test;
- ``{key}+n``, ``{key}-n``, ``{key}*n`` (n a number) is that answer shifted or
  scaled, entry by entry for a matrix: ``{key}+1`` is a wrong forward value
  that later steps can carry forward.

Every problem also tests itself (``self_test_cases``): its own key grades 1.0
with every step correct, and a malformed answer (``2*(``) is ``invalid``.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader import kinds
from grader.grading import grade
from grader.kinds.base import typed

TEMPLATE = re.compile(
    r"\{key\}\s*(?:([+\-*])\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?))?"
)
MALFORMED = "2*("
SCORE_TOLERANCE = 1e-6


class TemplateError(ValueError):
    """An answer template that is not plain text, ``{key}`` or ``{key}<op><number>``."""


@dataclass(frozen=True)
class Case:
    """One test case: answers (templates), expected score (``None``: not checked)."""

    name: str
    answers: Mapping[str, str]
    expected_score: float | None
    expected_statuses: Mapping[str, str] = field(default_factory=dict)
    variants: int = 5
    automatic: bool = False


@dataclass(frozen=True)
class VariantRun:
    """A case on one variant: what was sent, what came back, what differed."""

    seed: int | None
    answers: Mapping[str, str]
    score: float | None
    statuses: Mapping[str, str]
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class CaseReport:
    case: Case
    runs: tuple[VariantRun, ...]

    @property
    def passed(self) -> bool:
        return all(run.passed for run in self.runs)

    @property
    def failed_runs(self) -> list[VariantRun]:
        return [run for run in self.runs if not run.passed]


def variant_seeds(spec: Mapping[str, Any], count: int) -> list[int | None]:
    """Seeds 1..count, or ``[None]`` (the spec's own numbers) when nothing is randomized."""
    if not spec.get("randomize"):
        return [None]
    return list(range(1, max(1, count) + 1))


def answer_key(spec: Mapping[str, Any], seed: int | None) -> dict[str, str]:
    """Step id -> the correct answer as a student would type it, for variant ``seed``
    (the kind's ``answer_key``: trace steps as numbers with 12 significant
    digits, a local derivative as its formula when ``local_form`` is ``symbolic``).
    """
    kind = kinds.of(spec)
    return kind.answer_key(kind.concrete(spec, seed))


def fill(template: str, key: str | None) -> str:
    """One answer from its template and the step's key (see the module doc).

    Examples
    ========

    >>> fill("{key}+1", "6"), fill("{key}*2", "[[1, 2]]"), fill("7", None)
    ('7', '[[2, 4]]', '7')
    """
    if "{key}" not in template:
        return template
    match = TEMPLATE.fullmatch(template.strip())
    if match is None:
        raise TemplateError(
            f"{template!r}: use {{key}}, or {{key}} followed by +n, -n or *n"
        )
    if key is None:
        raise TemplateError(f"{template!r}: this step has no key in the variant")
    operator, operand = match.groups()
    if operator is None:
        return key
    try:
        value = np.asarray(_numbers(key), dtype=np.float64)
    except (ValueError, SyntaxError) as error:
        if key and "[" not in key:  # a formula: shift it symbolically
            return f"({key}){operator}{operand}"
        raise TemplateError(f"{template!r}: the key {key!r} is not a number") from error
    number = float(operand)
    shifted = {"+": value + number, "-": value - number, "*": value * number}
    return typed(shifted[operator])


def _numbers(text: str):
    """Parse a number or a nested list of numbers (a key as ``typed`` wrote it)."""
    import ast

    value = ast.literal_eval(text)
    if not isinstance(value, int | float | list) or isinstance(value, bool):
        raise ValueError(text)  # noqa: TRY004 - the caller catches ValueError
    return value


def self_test_cases(spec: Mapping[str, Any], variants: int = 5) -> list[Case]:
    """The checks every problem passes: its key grades 1.0; a malformed answer is invalid."""
    key = answer_key(spec, None)
    steps = list(key)
    first = steps[0]
    return [
        Case(
            name="The answer key grades 1.0",
            answers={step: "{key}" for step in steps},
            expected_score=1.0,
            expected_statuses={step: "correct" for step in steps},
            variants=variants,
            automatic=True,
        ),
        Case(
            name=f"A malformed answer ({MALFORMED}) is invalid",
            answers={first: MALFORMED},
            expected_score=None,
            expected_statuses={first: "invalid"},
            variants=1,
            automatic=True,
        ),
    ]


def run_case(spec: Mapping[str, Any], case: Case) -> CaseReport:
    """Grade ``case`` on each of its variants and compare with what it expects."""
    return CaseReport(
        case,
        tuple(
            _run_variant(spec, case, seed)
            for seed in variant_seeds(spec, case.variants)
        ),
    )


def run_all(spec: Mapping[str, Any], cases: Sequence[Case]) -> list[CaseReport]:
    """The automatic self-tests first, then ``cases``."""
    variants = max([case.variants for case in cases] + [5])
    return [run_case(spec, case) for case in [*self_test_cases(spec, variants), *cases]]


def _run_variant(spec: Mapping[str, Any], case: Case, seed: int | None) -> VariantRun:
    try:
        key = answer_key(spec, seed)
        answers = {
            step: fill(str(text), key.get(step)) for step, text in case.answers.items()
        }
    except (TemplateError, ValueError) as error:
        return VariantRun(seed, {}, None, {}, (str(error),))
    result = grade(spec, answers, seed=seed)
    statuses = {step.id: step.status for step in result.steps}
    failures = []
    if result.outcome == "error":
        failures.append("grading failed with outcome 'error' (see the server log)")
    expected = case.expected_score
    if expected is not None and (
        result.score is None or abs(result.score - expected) > SCORE_TOLERANCE
    ):
        failures.append(f"score {_score(result.score)}, expected {_score(expected)}")
    for step, status in case.expected_statuses.items():
        got = statuses.get(step, "not graded")
        if got != status:
            failures.append(f"{step}: {got}, expected {status}")
    return VariantRun(seed, answers, result.score, statuses, tuple(failures))


def _score(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"
