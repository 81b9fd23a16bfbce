"""Celery tasks of courseware: LTI score passback, grade resending, roster sync.

Thin like views: take an id, call a service, retry only when the platform
or the network failed. Posting a score is idempotent (the LMS keeps the
latest), so a retry or a redelivery is safe.
"""

import logging

import requests
from celery import shared_task
from django.dispatch import receiver

from courseware.lti import passback, roster
from courseware.lti.passback import PlatformUnavailable
from courseware.models import Offering
from grader.services import submission_graded

logger = logging.getLogger(__name__)

PASSBACK_MAX_RETRIES = 8
RETRYING = {
    "autoretry_for": (PlatformUnavailable, requests.RequestException),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": PASSBACK_MAX_RETRIES,
}

__all__ = ["PlatformUnavailable"]


@shared_task(bind=True, name="courseware.tasks.lti_score_passback", **RETRYING)
def lti_score_passback(self, submission_id: str) -> int:
    """Post a graded submission's score to the LMS line items it counts towards."""
    return passback.score_passback(submission_id=submission_id).posted


@shared_task(bind=True, name="courseware.tasks.lti_offering_resend", **RETRYING)
def lti_offering_resend(self, offering_id: int) -> int:
    """Post every learner's current score of an offering to its LMS columns."""
    offering = Offering.objects.get(pk=offering_id)
    return passback.offering_scores_resend(offering=offering).posted


@shared_task(bind=True, name="courseware.tasks.lti_roster_sync", **RETRYING)
def lti_roster_sync(self, offering_id: int) -> int:
    """Fetch an offering's LMS roster (NRPS) and store names and roles."""
    offering = Offering.objects.get(pk=offering_id)
    return roster.offering_roster_sync(offering=offering)


@receiver(submission_graded, dispatch_uid="courseware.lti_score_passback")
def enqueue_score_passback(sender, submission, **kwargs) -> None:
    """After grading, send the score to the LMS when the student came from one."""
    if submission.status != submission.Status.GRADED:
        return
    if passback.passback_wanted(submission=submission):
        lti_score_passback.delay_on_commit(str(submission.pk))
