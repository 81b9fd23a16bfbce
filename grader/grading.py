"""Grade a submission step by step: ``grade(spec, answers, seed=None) -> GradeResult``.

Pure: no Django, so it runs anywhere (a worker, the admin's question tests,
a benchmark). Every asked step is graded on its own:

1. Read the cell with the expression grammar. A cell that cannot be read is
   ``invalid`` (the parser's message and column); an empty one is ``missing``.
2. Compare with the key: numbers and matrices within the problem's
   ``tolerance`` (default ``DEFAULT_TOLERANCE``), symbolic local derivatives by
   ``engine.equivalence.equivalent`` (node names and input names both work).
3. Follow-through: a wrong answer that is right for the student's own earlier
   values (``Trace.recompute``) is ``carried`` and scores ``carried_credit``
   (default 1.0); a step matching the true key is always ``correct``.
4. A wrong step is matched against the catalogue of buggy backprop
   (``grader.misconceptions``) and its message explains the mistake.

Bounded. Everything a cell's text triggers after parsing (building its number
or SymPy expression and LaTeX, follow-through, equivalence, diagnosis) runs
under the submission's ``grader.budget.Budget``: a cell that cannot be checked
in time, overflows or fails in any other way is ``invalid`` with a message
("too complex to check: simplify it"), and the other cells are still graded.

Scoring. Each asked step weighs 1 unless ``spec["weights"]`` gives a weight by
step id (``"grad:x": 2``) or by family (``"grad": 2``); the score is the
weighted mean. ``invalid`` and ``missing`` steps score 0 and stay in the
denominator (leaving a cell unreadable can never raise a score). "Not
penalised" means an unreadable cell is never marked wrong or diagnosed, never
blocks the other cells, and when *no* answered cell can be read the outcome
is ``invalid`` (PrairieLearn's convention): courseware does not count such a
submission as an attempt.

The parts: ``grader.kinds`` (one module per problem kind, each grading its
own specs: the single-answer kinds ``expression``, ``numeric`` and ``choice``
with step id ``answer``, and the two trace kinds), ``grader.cells`` (reading
and comparing cells, the one rule for what each step accepts),
``grader.follow_through`` (marking traces) and ``grader.misconceptions``
(diagnosis).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from grader import feedback, kinds
from grader.budget import is_time_limit
from grader.cells import grade_result
from grader.results import GRADED, GradeResult, error_result

logger = logging.getLogger(__name__)


def with_hint_penalty(result: GradeResult, spec: Mapping, hinted) -> GradeResult:
    """``result`` with each hinted step's credit cut by ``spec["hint_penalty"]``."""
    penalty = float(spec.get("hint_penalty") or 0)
    hinted = set(hinted)
    if not penalty or not hinted or result.outcome != GRADED:
        return result
    steps = [
        replace(
            step,
            score=round(step.score * (1 - penalty), 6),
            message=f"{step.message} {feedback.HINTED}",
        )
        if step.id in hinted and step.score > 0
        else step
        for step in result.steps
    ]
    return grade_result(steps, spec)


# --- Entry point --------------------------------------------------------------


def grade(
    spec: Mapping[str, Any],
    answers: Mapping[str, Any],
    seed: int | None = None,
    hinted: Iterable[str] = (),
) -> GradeResult:
    """Grade ``answers`` (step id -> text) against a problem ``spec`` (contract 1).

    Parameters
    ==========
    spec: the problem's spec; with ``randomize`` it is instantiated with ``seed``.
    answers: step id -> the text the student typed (``answer`` for single-answer kinds).
    seed: the variant's seed.
    hinted: steps the student took a hint on; each earns ``1 - hint_penalty``
        (``spec["hint_penalty"]``, default 0) of its credit.

    Returns
    =======
    A ``GradeResult`` (contract 3). A failure of the system (a broken spec, a
    bug) gives outcome ``error`` with a message for the student; the
    traceback goes to the log, never to the result.

    Examples
    ========

    >>> grade({"kind": "numeric", "answer": 0.5}, {"answer": "1/2"}).score
    1.0
    """
    name = spec.get("kind") if isinstance(spec, Mapping) else None
    try:
        kind = kinds.get(name)
        if "randomize" in spec:
            spec = kind.concrete(spec, seed)
        answers = answers if isinstance(answers, Mapping) else {}
        return with_hint_penalty(kind.grade(spec, answers), spec, hinted)
    except Exception as error:
        if is_time_limit(error):
            raise
        logger.exception("Grading a %s problem failed", name)
        return error_result(feedback.SYSTEM_ERROR)
