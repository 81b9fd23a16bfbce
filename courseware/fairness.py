"""Fairness between students: one student's slow work cannot hold up the others.

Grading is bounded per cell and per submission (``grader.budget``), so a
hostile submission costs a worker seconds, not the soft time limit. On top:

- **Work in flight.** A student may have at most ``GRADING_MAX_IN_FLIGHT``
  submissions queued or being graded; another one is refused with a message
  (nothing stored, no attempt used) until some are graded.
- **Priority.** Each grading message carries a priority. The Redis transport
  keeps one list per priority step (kombu's ``priority_steps`` 0, 3, 6, 9) and
  its ``BRPOP`` takes from the lower number first, so a worker that comes free
  takes an ordinary student's submission before the backlog of a student
  who already has work in flight. A student whose recent submissions ended in
  ``error`` (a time limit or a system failure, which cost no attempt) has
  spent their budget for ``TROUBLE_WINDOW``: their next submissions go to the
  slow lane, behind everyone else's. Regrades run behind students' work.
  Transports without priorities (the embedded broker) ignore it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from courseware.models import Submission

PRIORITY_NORMAL = 0  # served first
PRIORITY_BUSY = 3  # the student already has a submission in flight
PRIORITY_BACKLOG = 6  # the student has several in flight; also regrades
PRIORITY_SLOW_LANE = 9  # the student's recent submissions failed or ran too long
BACKLOG_AFTER = 3
TROUBLE_WINDOW = timedelta(minutes=10)
TROUBLE_BUDGET = 1  # errors in the window before the slow lane

IN_FLIGHT = (Submission.Status.QUEUED, Submission.Status.GRADING)


def grading_priority_for(*, student) -> int:
    """The priority of a new submission's grading; ``ValidationError`` when the
    student already has ``GRADING_MAX_IN_FLIGHT`` submissions in flight."""
    load = Submission.objects.filter(student=student).aggregate(**grading_load())
    return grading_priority_of(load)


def trouble_since() -> datetime:
    """Errors after this moment count towards the slow lane (``TROUBLE_WINDOW``)."""
    return timezone.now() - TROUBLE_WINDOW


def grading_load(*, since: datetime | None = None) -> dict:
    """The aggregates of a student's submissions that ``grading_priority_of`` reads
    (``in_flight``, ``troubled``: errors since ``since``, by default
    ``trouble_since()``), to compute in one query with others."""
    since = since or trouble_since()
    return {
        "in_flight": Count("pk", filter=Q(status__in=IN_FLIGHT)),
        "troubled": Count(
            "pk", filter=Q(status=Submission.Status.ERROR, created_at__gte=since)
        ),
    }


def grading_priority_of(load: dict) -> int:
    """``grading_priority_for`` from the aggregates of ``grading_load``."""
    limit = settings.GRADING_MAX_IN_FLIGHT
    if load["in_flight"] >= limit:
        raise ValidationError(
            f"You have {load['in_flight']} submissions waiting to be graded (the "
            f"limit is {limit}). Wait for them to be graded, then submit again; "
            "this did not use an attempt."
        )
    if load["troubled"] >= TROUBLE_BUDGET:
        return PRIORITY_SLOW_LANE
    if load["in_flight"] >= BACKLOG_AFTER:
        return PRIORITY_BACKLOG
    if load["in_flight"]:
        return PRIORITY_BUSY
    return PRIORITY_NORMAL
