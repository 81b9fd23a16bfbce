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
from kombu.exceptions import ChannelError

from courseware.hints import hinted_steps
from courseware.models import StepResult, Submission
from grader import feedback
from grader.grading import grade
from grader.models import WorkerHeartbeat
from grader.results import ERROR, GradeResult, error_result

logger = logging.getLogger(__name__)

MAX_DELIVERIES = 3
# The sweeper (see ``submissions_sweep``) re-sends submissions:
# - queued, never sent (the broker was down), after ``SWEEP_QUEUED_AFTER`` s;
# - queued and sent, when the grading queue is empty (so the broker lost the
#   message) or after ``RESEND_AFTER`` s whatever the queue holds;
# - claimed by a worker that died (still ``grading``) ``SWEEP_GRADING_AFTER``
#   s after the claim: longer than the hard time limit, so a running task is
#   never sent twice.
SWEEP_QUEUED_AFTER = settings.GRADING_SWEEP_QUEUED_AFTER
SWEEP_GRADING_AFTER = max(
    settings.GRADING_SWEEP_GRADING_AFTER, settings.GRADING_TIME_LIMIT + 5
)
RESEND_AFTER = settings.GRADING_RESEND_AFTER
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

    Only what there is reason to believe lost (see ``SWEEP_QUEUED_AFTER``
    above): a message waiting in a long queue is left alone. A duplicate
    message is harmless anyway: storing is exactly once.
    """
    from courseware.services import GRADE_QUEUE, submissions_enqueue

    now = now or timezone.now()
    queued = Q(status=Submission.Status.QUEUED)
    lost = queued & Q(
        sent_at__isnull=True, created_at__lt=now - timedelta(seconds=SWEEP_QUEUED_AFTER)
    )
    resend_before = now - timedelta(
        seconds=SWEEP_QUEUED_AFTER if queue_size(GRADE_QUEUE) == 0 else RESEND_AFTER
    )
    lost |= queued & Q(sent_at__lt=resend_before)
    claimed_before = now - timedelta(seconds=SWEEP_GRADING_AFTER)
    lost |= Q(status=Submission.Status.GRADING, deliveries__lte=MAX_DELIVERIES) & (
        Q(claimed_at__lt=claimed_before)
        # Claimed before claims were timed: count from the submission.
        | Q(claimed_at__isnull=True, created_at__lt=claimed_before)
    )
    ids = [
        str(pk)
        for pk in Submission.objects.filter(lost)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    ]
    submissions_enqueue(submission_ids=ids, now=now)
    if ids:
        logger.info("Sweeper re-sent %d submission(s)", len(ids))
    return ids


def queue_size(queue: str) -> int | None:
    """Messages waiting in a broker queue, or ``None`` when the broker cannot say."""
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return conn.default_channel.queue_declare(
                queue=queue, passive=True
            ).message_count
    except ChannelError as error:
        if "NOT_FOUND" in str(error):
            # kombu's Redis transport has no queue once its lists are empty
            # (Redis drops an empty list): nothing is waiting.
            return 0
        logger.warning("Could not read the size of queue %s: %r", queue, error)
        return None
    except Exception as error:  # broker down
        logger.warning("Could not read the size of queue %s: %r", queue, error)
        return None


def _submission_claim(*, submission_id: Any) -> Submission | None:
    with transaction.atomic():
        submission = (
            # Lock the submission row alone (``of``), and in the weaker mode that
            # does not block foreign-key checks (``no_key``): a student submitting
            # at the same moment locks the variant and key-shares the problem
            # version, so locking those here too could deadlock with them.
            Submission.objects.select_for_update(of=("self",), no_key=True)
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
        submission.claimed_at = timezone.now()
        submission.save(update_fields=["deliveries", "status", "claimed_at"])
    return submission


def _grade_safely(submission: Submission) -> GradeResult:
    try:
        return grade(
            submission.problem_version.spec,
            submission.answers,
            seed=submission.variant.seed,
            hinted=hinted_steps(submission),
        )
    except Exception as error:
        if type(error).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
            raise
        logger.exception("Grading submission %s failed", submission.pk)
        return error_result(feedback.SYSTEM_ERROR)


def _submission_store(*, submission_id: Any, result: GradeResult) -> Submission | None:
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(no_key=True)
            .filter(pk=submission_id)
            .first()
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


def worker_heartbeat_record(*, hostname: str) -> None:
    """Note that the worker ``hostname`` is alive and consuming now."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )


def worker_seen_recently(*, max_age: float) -> bool:
    """Whether any worker recorded a heartbeat in the last ``max_age`` seconds."""
    since = timezone.now() - timedelta(seconds=max_age)
    return WorkerHeartbeat.objects.filter(seen_at__gte=since).exists()
