"""Celery tasks. Thin like views: take an id, load, call a service.

``grade_submission`` runs on the ``grading`` queue with late acks (a worker
that dies mid-task gets the message redelivered; ``grader.services`` makes
the redelivery harmless), a soft time limit that marks the submission
``error``, and a hard limit that kills the pool process (the delivery count
then stops a submission that keeps killing workers).

``sweep_queued`` runs every 30 seconds from Celery beat (``beat_schedule``
in ``config.celery``): start beat next to the workers with
``celery -A config beat``, or embed it in one worker with ``celery -A config
worker -B``.
"""

import logging
from datetime import datetime

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from grader import feedback
from grader.models import Heartbeat
from grader.services import submission_fail, submission_grade, submissions_sweep

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(bind=True, name="grader.tasks.heartbeat")
def heartbeat(self, token: str, sent_at: str) -> None:
    Heartbeat.objects.get_or_create(
        token=token,
        defaults={
            "hostname": self.request.hostname or "unknown",
            "sent_at": datetime.fromisoformat(sent_at),
        },
    )


@shared_task(
    bind=True,
    name="grader.tasks.grade_submission",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.GRADING_SOFT_TIME_LIMIT,
    time_limit=settings.GRADING_TIME_LIMIT,
    max_retries=MAX_RETRIES,
)
def grade_submission(self, submission_id: str) -> None:
    try:
        submission_grade(submission_id=submission_id)
    except SoftTimeLimitExceeded:
        logger.error("Grading submission %s hit the soft time limit", submission_id)
        submission_fail(submission_id=submission_id, message=feedback.TOO_SLOW)
    except (OperationalError, InterfaceError) as error:
        # The database is unreachable or restarting: try again later.
        countdown = min(60, 2**self.request.retries)
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(name="grader.tasks.sweep_queued")
def sweep_queued() -> int:
    """Re-enqueue submissions whose grading message was lost; returns how many."""
    return len(submissions_sweep())
