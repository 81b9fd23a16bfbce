"""Writes of the grader: store each submission's grade exactly once.

Celery delivers a task at least once (late acks: a worker that dies mid-task
gets its message redelivered), so the exactly-once guarantee lives here, in
the database:

1. Claim, in its own committed transaction with the row locked: a submission
   already ``graded`` or ``error`` is left alone (a redelivery changes
   nothing); otherwise ``deliveries`` goes up by one, and a submission
   delivered more than ``MAX_DELIVERIES`` times (it keeps killing its
   worker) is marked ``error`` instead of looping. Else it becomes
   ``grading``.
2. Grade outside any lock: ``grader.grading.grade`` is pure, so grading twice
   gives the same result.
3. Store, in one transaction with the row locked again: unless another
   delivery stored first, the full result (with expected values), the score,
   one ``StepResult`` row per step and status ``graded`` (or ``error``) are
   written together.

After the commit, ``submission_graded`` is sent with the submission: score
passback (LTI) and other follow-ups connect there. Receivers hold no business
logic; they call services.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from courseware.models import StepResult, Submission
from grader import feedback
from grader.grading import grade
from grader.results import ERROR, GradeResult, error_result

logger = logging.getLogger(__name__)

MAX_DELIVERIES = 3
# The sweeper re-sends submissions still queued after this many seconds, and
# ones stuck in ``grading`` (their worker died and the message was lost)
# after ``SWEEP_GRADING_AFTER``.
SWEEP_QUEUED_AFTER = getattr(settings, "GRADING_SWEEP_QUEUED_AFTER", 30)
SWEEP_GRADING_AFTER = getattr(
    settings, "GRADING_SWEEP_GRADING_AFTER", max(300, 4 * settings.GRADING_TIME_LIMIT)
)
SWEEP_BATCH = 500

# Sent after a submission reaches a final status (``graded`` or ``error``)
# and the transaction that stored it has committed. Argument: ``submission``.
submission_graded = Signal()

_FINAL = (Submission.Status.GRADED, Submission.Status.ERROR)


def submission_grade(*, submission_id: Any) -> Submission | None:
    """Grade one submission and store the result exactly once (see the module doc).

    Returns the submission when this call stored its result, else ``None``
    (already final, unknown id, or given up after too many deliveries).
    A soft time limit (Celery's ``SoftTimeLimitExceeded``) propagates to the
    task, which marks the submission ``error``.
    """
    submission = _submission_claim(submission_id=submission_id)
    if submission is None:
        return None
    result = _grade_safely(submission)
    return _submission_store(submission_id=submission.pk, result=result)


def submission_fail(*, submission_id: Any, message: str) -> Submission | None:
    """Mark a submission ``error`` with a message for the student, unless it is final."""
    return _submission_store(submission_id=submission_id, result=error_result(message))


def submissions_sweep(*, now=None) -> list[str]:
    """Re-send grading for submissions whose message was lost; returns their ids.

    Picks submissions still ``queued`` after ``SWEEP_QUEUED_AFTER`` seconds
    (the broker was down when they arrived) and ones stuck in ``grading``
    after ``SWEEP_GRADING_AFTER`` seconds with deliveries left. A duplicate
    message is harmless: storing is exactly once.
    """
    from courseware.services import submission_enqueue

    now = now or timezone.now()
    stale = Q(
        status=Submission.Status.QUEUED,
        created_at__lt=now - timedelta(seconds=SWEEP_QUEUED_AFTER),
    ) | Q(
        status=Submission.Status.GRADING,
        deliveries__lte=MAX_DELIVERIES,
        created_at__lt=now - timedelta(seconds=SWEEP_GRADING_AFTER),
    )
    ids = [
        str(pk)
        for pk in Submission.objects.filter(stale)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    ]
    for submission_id in ids:
        submission_enqueue(submission_id=submission_id)
    if ids:
        logger.info("Sweeper re-enqueued %d submission(s)", len(ids))
    return ids


def _submission_claim(*, submission_id: Any) -> Submission | None:
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .filter(pk=submission_id)
            .select_related("problem_version", "variant")
            .first()
        )
        if submission is None:
            logger.warning(
                "Submission %s does not exist; nothing to grade", submission_id
            )
            return None
        if submission.status in _FINAL:
            return None
        submission.deliveries += 1
        if submission.deliveries > MAX_DELIVERIES:
            logger.error(
                "Submission %s was delivered %d times without finishing; marked error",
                submission_id,
                submission.deliveries,
            )
            _finish(submission, error_result(feedback.GAVE_UP))
            return None
        submission.status = Submission.Status.GRADING
        submission.save(update_fields=["deliveries", "status"])
    return submission


def _grade_safely(submission: Submission) -> GradeResult:
    try:
        return grade(
            submission.problem_version.spec,
            submission.answers,
            seed=submission.variant.seed,
        )
    except Exception as error:
        if type(error).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
            raise
        logger.exception("Grading submission %s failed", submission.pk)
        return error_result(feedback.SYSTEM_ERROR)


def _submission_store(*, submission_id: Any, result: GradeResult) -> Submission | None:
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update().filter(pk=submission_id).first()
        )
        if submission is None or submission.status in _FINAL:
            return None
        _finish(submission, result)
    return submission


def _finish(submission: Submission, result: GradeResult) -> None:
    """Write the final state; call inside a transaction holding the row lock."""
    submission.result = result.to_dict(reveal=True)
    submission.score = result.score
    submission.status = (
        Submission.Status.ERROR if result.outcome == ERROR else Submission.Status.GRADED
    )
    submission.graded_at = timezone.now()
    submission.save(
        update_fields=["result", "score", "status", "graded_at", "deliveries"]
    )
    rows = [
        StepResult(
            submission=submission,
            step_id=step.id,
            status=step.status,
            score=step.score,
            misconception=step.misconception or "",
            message=step.message,
        )
        for step in result.steps
    ]
    for row in rows:
        row.full_clean(
            exclude=["submission"], validate_unique=False, validate_constraints=False
        )
    StepResult.objects.bulk_create(rows)
    transaction.on_commit(lambda: _announce(submission))


def _announce(submission: Submission) -> None:
    # A failing receiver (say, an LMS that is down) must not undo or repeat grading.
    sent = submission_graded.send_robust(sender=Submission, submission=submission)
    for receiver, response in sent:
        if isinstance(response, Exception):
            logger.error(
                "submission_graded receiver %r failed for %s: %r",
                receiver,
                submission.pk,
                response,
            )
