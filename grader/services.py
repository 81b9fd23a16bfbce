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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from kombu.exceptions import ChannelError

from config.celery import app
from courseware.hints import hinted_steps
from courseware.models import StepResult, Submission
from courseware.services import GRADE_QUEUE, submissions_enqueue
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
    claimed = _submission_claim(submission_id=submission_id)
    if claimed is None:
        return None
    result = _grade_safely(claimed)
    return _submission_store(submission_id=claimed.submission.pk, result=result)


def submission_fail(*, submission_id: Any, message: str) -> Submission | None:
    """Mark a submission ``error`` with a message for the student, unless it is final."""
    return _submission_store(submission_id=submission_id, result=error_result(message))


def submissions_sweep(*, now=None) -> list[str]:
    """Re-send grading for submissions whose message was lost; returns their ids.

    Only what there is reason to believe lost (see ``SWEEP_QUEUED_AFTER``
    above): a message waiting in a long queue is left alone. A duplicate
    message is harmless anyway: storing is exactly once.
    """
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


@dataclass(frozen=True)
class _Claimed:
    """What grading a claimed submission needs, read by the claim itself."""

    submission: Submission  # pk, answers, quiz, variant and created_at only
    spec: Any
    seed: int
    deliveries: int


def _claim_sql() -> str:
    table = Submission._meta.db_table
    version = Submission._meta.get_field("problem_version").related_model._meta
    variant = Submission._meta.get_field("variant").related_model._meta
    return (
        f'UPDATE "{table}" AS s SET deliveries = s.deliveries + 1, '
        "status = %(grading)s, claimed_at = %(now)s "
        f'FROM "{version.db_table}" AS pv, "{variant.db_table}" AS v '
        "WHERE s.id = %(id)s AND NOT (s.status = ANY(%(final)s)) "
        "AND pv.id = s.problem_version_id AND v.id = s.variant_id "
        "RETURNING s.deliveries, pv.spec, v.seed, s.answers, s.quiz_id, "
        "s.variant_id, s.created_at"
    )


def _submission_claim(*, submission_id: Any) -> _Claimed | None:
    """Mark the submission ``grading`` and count the delivery, unless it is final:
    one UPDATE, which locks the submission row alone for its duration (in the
    mode that does not block foreign-key checks: a student submitting at the
    same moment locks the variant and key-shares the problem version, so
    locking those here too could deadlock with them), and reads back the spec,
    the seed and the answers. ``None``: final already, unknown, or given up."""
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(),
            {
                "id": submission_id,
                "grading": str(Submission.Status.GRADING),
                "now": timezone.now(),
                "final": [str(status) for status in _FINAL],
            },
        )
        row = cursor.fetchone()
    if row is None:
        logger.info(
            "Submission %s is final or unknown; nothing to grade", submission_id
        )
        return None
    deliveries, spec, seed, answers, quiz_id, variant_id, created_at = row
    if deliveries > MAX_DELIVERIES:
        logger.error(
            "Submission %s was delivered %d times without finishing; marked error",
            submission_id,
            deliveries,
        )
        _submission_store(
            submission_id=submission_id, result=error_result(feedback.GAVE_UP)
        )
        return None
    submission = Submission(
        pk=submission_id,
        answers=_decoded(Submission, "answers", answers),
        quiz_id=quiz_id,
        variant_id=variant_id,
        created_at=created_at,
    )
    spec = _decoded(
        Submission._meta.get_field("problem_version").related_model, "spec", spec
    )
    return _Claimed(submission=submission, spec=spec, seed=seed, deliveries=deliveries)


def _decoded(model, name: str, value):
    return model._meta.get_field(name).from_db_value(value, None, connection)


def _grade_safely(claimed: _Claimed) -> GradeResult:
    submission = claimed.submission
    try:
        return grade(
            claimed.spec,
            submission.answers,
            seed=claimed.seed,
            hinted=hinted_steps(submission),
        )
    except Exception as error:
        if type(error).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
            raise
        logger.exception("Grading submission %s failed", submission.pk)
        return error_result(feedback.SYSTEM_ERROR)


def _store_sql() -> str:
    return (
        f'UPDATE "{Submission._meta.db_table}" SET result = %(result)s, '
        "score = %(score)s, status = %(status)s, graded_at = %(now)s "
        "WHERE id = %(id)s AND NOT (status = ANY(%(final)s)) RETURNING *"
    )


def _submission_store(*, submission_id: Any, result: GradeResult) -> Submission | None:
    """Store the final state unless another delivery did: the UPDATE (the row
    locked), the step rows and, after the commit, ``submission_graded``, in one
    transaction. Returns the stored submission, else None."""
    status = (
        Submission.Status.ERROR if result.outcome == ERROR else Submission.Status.GRADED
    )
    field = Submission._meta.get_field("result")
    params = {
        "id": submission_id,
        "result": field.get_db_prep_save(result.to_dict(reveal=True), connection),
        "score": result.score,
        "status": str(status),
        "now": timezone.now(),
        "final": [str(status) for status in _FINAL],
    }
    with transaction.atomic():
        submission = next(iter(Submission.objects.raw(_store_sql(), params)), None)
        if submission is None:
            return None
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
                exclude=["submission"],
                validate_unique=False,
                validate_constraints=False,
            )
        StepResult.objects.bulk_create(rows)
        transaction.on_commit(lambda: _announce(submission))
    return submission


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
