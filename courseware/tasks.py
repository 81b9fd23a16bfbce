"""Celery tasks of courseware: LTI score passback after grading.

Thin like views: take an id, call a service, retry only when the platform
or the network failed. Posting a score is idempotent (the LMS keeps the
latest), so a retry or a redelivery is safe.
"""

import logging

import requests
from celery import shared_task
from django.dispatch import receiver
from pylti1p3.exception import LtiServiceException

from courseware.lti import services as lti_services
from grader.services import submission_graded

logger = logging.getLogger(__name__)

PASSBACK_MAX_RETRIES = 8


class PlatformUnavailable(Exception):
    """The LMS answered 429 or 5xx: worth trying again later."""


@shared_task(
    bind=True,
    name="courseware.tasks.lti_score_passback",
    autoretry_for=(PlatformUnavailable, requests.RequestException),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=PASSBACK_MAX_RETRIES,
)
def lti_score_passback(self, submission_id: str) -> int:
    """Post a graded submission's score to the LMS line items it counts towards."""
    try:
        return lti_services.score_passback(submission_id=submission_id)
    except LtiServiceException as exc:
        code = exc.response.status_code
        if code == 429 or code >= 500:
            raise PlatformUnavailable(str(exc)) from exc
        # Any other refusal (revoked access, deleted column) will not heal by retrying.
        logger.error("LTI score passback for %s refused: %s", submission_id, exc)
        return 0


@receiver(submission_graded, dispatch_uid="courseware.lti_score_passback")
def enqueue_score_passback(sender, submission, **kwargs) -> None:
    """After grading, send the score to the LMS when the student came from one."""
    if submission.status != submission.Status.GRADED:
        return
    if lti_services.passback_wanted(submission=submission):
        lti_score_passback.delay_on_commit(str(submission.pk))
