"""Hints on demand: the rule and the factors of one step, logged, optionally penalised.

A hint comes from the graph (``engine.explain.hint``), never from an author,
and never holds the step's number. Each asked hint is stored once per
variant and step (``HintRequest``): course staff see them in the admin, and
grading reads them (``hinted_steps``), so a step hinted before a submission
earns ``1 - hint_penalty`` of its credit there (``spec["hint_penalty"]``,
default 0: hints are free). No hints inside a quiz.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from courseware.compiled import Compiled
from courseware.models import HintRequest, Problem, Submission
from courseware.services import variant_get_or_create
from courseware.workspace import problem_workspace
from engine.explain import hint

NO_HINTS_IN_QUIZZES = "Hints are not available in a quiz."


def hint_request(*, student, problem: Problem, step_id: str, in_quiz: bool) -> dict:
    """``{step_id, hint, penalty}`` for one step of the student's variant; logged once.

    Raises ``ValidationError`` for a step the problem does not have and
    ``PermissionDenied`` inside a quiz.
    """
    if in_quiz:
        raise PermissionDenied(NO_HINTS_IN_QUIZZES)
    variant = variant_get_or_create(student=student, problem=problem)
    workspace = problem_workspace(problem, variant.seed)
    if workspace["trace"] is None or step_id not in workspace["step_ids"]:
        raise ValidationError(f"{step_id!r} is not a step of this problem.")
    HintRequest.objects.get_or_create(variant=variant, step_id=step_id)
    return {
        "step_id": step_id,
        "hint": hint(workspace["trace"], step_id),
        "penalty": float(problem.spec.get("hint_penalty", 0)),
    }


def hinted_steps(submission: Submission) -> frozenset[str]:
    """The steps of ``submission`` the student asked a hint for before submitting."""
    if submission.quiz_id is not None:
        return frozenset()
    rows = _HINTED.rows(variant=submission.variant_id, before=submission.created_at)
    return frozenset(row["step_id"] for row in rows)


# Read by every grading: compiled once (``courseware.compiled``).
_HINTED = Compiled(
    lambda variant, before: HintRequest.objects.filter(
        variant_id=variant, created_at__lte=before
    ).values("step_id"),
    variant="int",
    before="datetime",
)
