"""Authoring writes: publish, duplicate, question tests, regrade.

Saving a problem (the admin's, the API's and the import's) is
``courseware.problem_saving.problem_save``. Every function takes
keyword-only arguments and checks models with ``full_clean()`` before saving.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from courseware import fairness, problem_saving, services
from courseware.authoring import question_tests
from courseware.models import Lesson, Problem, QuestionTest, StepResult, Submission
from courseware.problem_saving import PROBLEM_FIELDS


def problems_publish(*, problems: Iterable[Problem], published: bool) -> int:
    """Publish or unpublish problems; returns how many changed."""
    changed = 0
    with transaction.atomic():
        for problem in problems:
            if problem.published != published:
                problem.published = published
                problem.full_clean()
                problem.save(update_fields=["published"])
                changed += 1
    return changed


@transaction.atomic
def problem_duplicate(*, problem: Problem) -> Problem:
    """A copy of ``problem`` and its question tests: unpublished, version 1, slug ``-copy``."""
    slug = _free_slug(problem.lesson, f"{problem.slug}-copy"[:100])
    fields = {name: getattr(problem, name) for name in PROBLEM_FIELDS}
    fields.update(
        title=f"{problem.title} (copy)"[:200], published=False, order=problem.order + 1
    )
    copy, _ = problem_saving.problem_save(
        lesson=problem.lesson, slug=slug, spec=problem.spec, **fields
    )
    for test in problem.question_tests.all():
        question_test_save(
            problem=copy,
            name=test.name,
            answers=test.answers,
            expected_score=test.expected_score,
            expected_statuses=test.expected_statuses,
            variants=test.variants,
        )
    return copy


def _free_slug(lesson: Lesson, base: str) -> str:
    taken = set(
        Problem.objects.filter(lesson=lesson, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


# --- Question tests -------------------------------------------------------------


def question_test_save(
    *,
    problem: Problem,
    name: str,
    answers: dict,
    expected_score: float,
    expected_statuses: dict | None = None,
    variants: int = 5,
) -> QuestionTest:
    """Create or update the problem's question test called ``name``."""
    test = QuestionTest.objects.filter(problem=problem, name=name).first()
    test = test or QuestionTest(problem=problem, name=name)
    test.answers = answers
    test.expected_score = expected_score
    test.expected_statuses = expected_statuses or {}
    test.variants = variants
    test.full_clean()
    test.save()
    return test


def question_tests_replace(*, problem: Problem, tests: list[dict]) -> bool:
    """Make the problem's question tests exactly ``tests`` (the content files' shape).

    Returns whether anything changed.
    """
    before = question_tests_data(problem=problem)
    if before == tests:
        return False
    with transaction.atomic():
        problem.question_tests.exclude(name__in=[t["name"] for t in tests]).delete()
        for test in tests:
            question_test_save(problem=problem, **test)
    return True


def question_tests_data(*, problem: Problem) -> list[dict]:
    """The problem's question tests as plain data (what ``problems/*.yaml`` holds)."""
    return [
        {
            "name": test.name,
            "answers": test.answers,
            "expected_score": test.expected_score,
            "expected_statuses": test.expected_statuses,
            "variants": test.variants,
        }
        for test in problem.question_tests.order_by("name")
    ]


def question_tests_run(*, problem: Problem) -> list[question_tests.CaseReport]:
    """Run the self-tests and the stored question tests of the problem's current spec."""
    spec = problem.spec
    if problem.prompt and not spec.get("prompt"):
        spec = {**spec, "prompt": problem.prompt}
    cases = [
        question_tests.Case(
            name=test.name,
            answers=test.answers if isinstance(test.answers, dict) else {},
            expected_score=test.expected_score,
            expected_statuses=test.expected_statuses
            if isinstance(test.expected_statuses, dict)
            else {},
            variants=test.variants,
        )
        for test in problem.question_tests.order_by("name")
    ]
    return question_tests.run_all(spec, cases)


# --- Regrading ------------------------------------------------------------------


def problem_regrade(
    *, problem: Problem, to_current_version: bool = False
) -> tuple[datetime, int]:
    """Grade every final submission of ``problem`` again, on the workers.

    In one transaction each ``graded`` or ``error`` submission is reset to
    ``queued`` (its step rows deleted, deliveries back to 0), so the grader's
    exactly-once claim accepts it again; after the commit each is enqueued
    (``courseware.services.submission_enqueue``; the sweeper resends any the
    broker refuses). With ``to_current_version`` the submissions are first
    moved to the problem's current version (a corrected key). Submissions
    still queued or grading are left to finish on their own.

    Returns ``(started_at, count)``; ``regrade_progress`` reports on the batch.
    """
    started_at = timezone.now()
    final = (Submission.Status.GRADED, Submission.Status.ERROR)
    with transaction.atomic():
        submissions = list(
            Submission.objects.select_for_update()
            .filter(problem=problem, status__in=final, created_at__lte=started_at)
            .values_list("pk", flat=True)
        )
        StepResult.objects.filter(submission_id__in=submissions).delete()
        changes: dict[str, Any] = {
            "status": Submission.Status.QUEUED,
            "score": None,
            "result": None,
            "graded_at": None,
            "deliveries": 0,
            "sent_at": started_at,  # sent after commit; cleared if that fails
            "claimed_at": None,
        }
        if to_current_version:
            changes["problem_version"] = problem_saving.problem_version_current(
                problem=problem
            )
        Submission.objects.filter(pk__in=submissions).update(**changes)
        for submission_id in submissions:
            transaction.on_commit(
                lambda pk=str(submission_id): services.submission_enqueue(
                    submission_id=pk, priority=fairness.PRIORITY_BACKLOG
                )
            )
    return started_at, len(submissions)
