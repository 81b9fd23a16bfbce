"""Assignment and Grade Services (AGS): scores from an offering to its LMS gradebook.

Each line item (LMS gradebook column) is posted to on its own: one column's
refusal never stops the others. A column the LMS says is gone (404/410) is
retired, reported on the offering page and never tried again; 429 and 5xx
are the platform's trouble and raise ``PlatformUnavailable`` so the task
retries with backoff; posting a score is idempotent (the LMS keeps the latest).
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from lti_tool.models import LtiContext, LtiLaunch, LtiLineItem, LtiUser
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem

from config.celery import app
from courseware import selectors
from courseware.lti.services import (
    LINEITEM_SCOPE,
    SCORE_SCOPE,
    Resource,
    line_item_record,
)
from courseware.lti.tokens import CachedServiceConnector
from courseware.models import (
    LtiLineItemState,
    Offering,
    OfferingMembership,
    Problem,
    Quiz,
    Submission,
)

logger = logging.getLogger(__name__)

GONE = {404, 410}


class PlatformUnavailable(Exception):
    """The LMS answered 429 or 5xx, or did not answer: worth trying again later."""


@dataclass
class PassbackReport:
    posted: int = 0
    retired: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Progress:
    activity: str
    grading: str


def connector_for(context: LtiContext) -> CachedServiceConnector:
    return CachedServiceConnector(context.deployment.registration.to_registration())


# --- Which columns -------------------------------------------------------------


def live_line_items(*, offering: Offering) -> QuerySet[LtiLineItem]:
    """The offering's line items that were not retired, of contexts that take scores."""
    return (
        LtiLineItem.objects.filter(
            context__offering_link__offering=offering,
            context__can_publish_scores=True,
        )
        .exclude(state__retired_at__isnull=False)
        .select_related("context__deployment__registration")
    )


def retired_line_items(*, offering: Offering) -> QuerySet[LtiLineItem]:
    """Columns the LMS reported gone, for the offering page."""
    return LtiLineItem.objects.filter(
        context__offering_link__offering=offering, state__retired_at__isnull=False
    ).select_related("state")


def passback_line_items(*, submission: Submission) -> QuerySet[LtiLineItem]:
    """The live line items a graded submission updates: its problem's and its quiz's,
    in its own offering only."""
    if submission.offering_id is None:
        return LtiLineItem.objects.none()
    refs = [f"problem:{submission.problem_id}"]
    if submission.quiz_id:
        refs.append(f"quiz:{submission.quiz_id}")
    return live_line_items(offering=submission.offering).filter(resource_id__in=refs)


def passback_wanted(*, submission: Submission) -> bool:
    return passback_line_items(submission=submission).exists()


def launch_line_item_record(
    *, lti_launch: LtiLaunch, resource: Resource
) -> LtiLineItem | None:
    """The column a launch's scores go to: the launch's own ``lineitem``, else
    one found or made through its ``lineitems`` container."""
    return line_item_record(
        lti_launch=lti_launch, resource=resource
    ) or line_item_ensure(lti_launch=lti_launch, resource=resource)


def line_item_ensure(
    *, lti_launch: LtiLaunch, resource: Resource
) -> LtiLineItem | None:
    """For a launch that carries only the ``lineitems`` container: find the column
    of the resource (by ``resourceId``) or create it, and remember it.

    Never fails the launch: a platform error is logged and the next launch tries again.
    """
    claim = lti_launch.ags_claim or {}
    container = claim.get("lineitems") if isinstance(claim, dict) else None
    scopes = claim.get("scope") or [] if isinstance(claim, dict) else []
    if not isinstance(container, str) or not container or resource.kind == "lesson":
        return None
    if SCORE_SCOPE not in scopes or claim.get("lineitem"):
        return None
    context = lti_launch.context
    known = LtiLineItem.objects.filter(context=context, resource_id=resource.ref)
    if known.exclude(state__retired_at__isnull=False).exists():
        return known.first()
    points = resource.obj.points if resource.kind == "problem" else 1.0
    wanted = (
        LineItem()
        .set_label(resource.obj.title)
        .set_score_maximum(points)
        .set_resource_id(resource.ref)
    )
    link = lti_launch.resource_link
    if link is not None:
        wanted.set_resource_link_id(link.id_on_platform)
    ags = AssignmentsGradesService(
        connector_for(context), {"scope": list(scopes), "lineitems": container}
    )
    try:
        found = ags.find_lineitem_by_resource_id(resource.ref)
        if found is None and LINEITEM_SCOPE not in scopes:
            return None
        found = found or ags.find_or_create_lineitem(wanted, find_by="resource_id")
    except (LtiException, LtiServiceException, requests.RequestException) as exc:
        logger.warning(
            "Line item for %s in %s not made: %s", resource.ref, container, exc
        )
        return None
    if LtiLineItem.objects.filter(url=found.get_id()).exclude(context=context).exists():
        logger.warning("Platform named line item %s of another context", found.get_id())
        return None
    item, _ = LtiLineItem.objects.update_or_create(
        url=found.get_id(),
        defaults={
            "context": context,
            "resource_link": link,
            "resource_id": resource.ref,
            "label": (found.get_label() or resource.obj.title)[:255],
            "maximum_score": found.get_score_maximum() or points,
        },
    )
    return item


# --- What to send --------------------------------------------------------------


def score_and_progress(
    *, resource_id: str, student, offering: Offering
) -> tuple[float, Progress] | None:
    """The 0..1 score (the best graded attempts, so a grade never drops) and the
    AGS progress that is true now; ``None`` when there is nothing to report."""
    kind, _, pk = resource_id.partition(":")
    if kind == "quiz":
        quiz = Quiz.objects.filter(pk=int(pk)).first()
        if quiz is None:
            return None
        problems = [item.problem for item in quiz.items.select_related("problem")]
        best = selectors.best_scores(
            student=student, problems=problems, quiz=quiz, offering=offering
        )
        if not best:
            return None
        score = selectors.quiz_score_for_student(
            quiz=quiz, student=student, offering=offering
        )
        if len(best) < len(problems):
            # Some items are not answered yet: the score is partial and will change.
            return score, Progress("InProgress", "Pending")
        done = all(_finished(student, p, best[p.pk], quiz) for p in problems)
        return score, Progress("Completed" if done else "Submitted", "FullyGraded")
    problem = Problem.objects.filter(pk=int(pk)).first()
    if problem is None:
        return None
    best = selectors.best_scores(student=student, problems=[problem], offering=offering)
    if problem.pk not in best:
        return None
    done = _finished(student, problem, best[problem.pk], None)
    return best[problem.pk], Progress(
        "Completed" if done else "Submitted", "FullyGraded"
    )


def _finished(student, problem: Problem, best: float, quiz: Quiz | None) -> bool:
    """Solved, or no attempt left: the student can no longer change the score."""
    if best >= 1.0 - 1e-9:
        return True
    return selectors.attempts_left(student=student, problem=problem, quiz=quiz) == 0


# --- Posting -------------------------------------------------------------------


def score_passback(*, submission_id: str) -> PassbackReport:
    """Post the student's score to every live line item the submission counts towards.

    Raises ``PlatformUnavailable`` after trying every item when some answered
    429/5xx or not at all, so the task retries (the others are posted again,
    which changes nothing on the LMS).
    """
    submission = Submission.objects.select_related(
        "problem", "student", "offering"
    ).get(pk=submission_id)
    report = PassbackReport()
    if submission.status != Submission.Status.GRADED:
        return report
    for line_item in passback_line_items(submission=submission):
        _post_line_item(
            line_item=line_item,
            student=submission.student,
            offering=submission.offering,
            report=report,
        )
    _raise_if_unavailable(report)
    return report


def offering_scores_resend(*, offering: Offering) -> PassbackReport:
    """Post every learner's current score to every live column of the offering
    (the instructor's "resend grades")."""
    report = PassbackReport()
    learners = [
        membership.user
        for membership in OfferingMembership.objects.filter(
            offering=offering, role=OfferingMembership.Role.LEARNER, is_active=True
        ).select_related("user")
    ]
    for line_item in live_line_items(offering=offering):
        for student in learners:
            _post_line_item(
                line_item=line_item, student=student, offering=offering, report=report
            )
            if line_item.url in report.retired:
                break
    _raise_if_unavailable(report)
    return report


def _raise_if_unavailable(report: PassbackReport) -> None:
    if report.unavailable:
        raise PlatformUnavailable(
            f"{len(report.unavailable)} line item(s) unavailable: "
            + ", ".join(sorted(set(report.unavailable)))
        )


def _post_line_item(
    *, line_item: LtiLineItem, student, offering: Offering, report: PassbackReport
) -> None:
    reported = score_and_progress(
        resource_id=line_item.resource_id, student=student, offering=offering
    )
    if reported is None:
        return
    score, progress = reported
    subs = LtiUser.objects.filter(
        registration=line_item.context.deployment.registration,
        auth_user=student,
        memberships__context=line_item.context,
    ).values_list("sub", flat=True)
    for sub in subs:
        try:
            _post_score(line_item=line_item, sub=sub, score=score, progress=progress)
        except LtiServiceException as exc:
            code = exc.response.status_code
            _line_item_note(line_item=line_item, code=code, error=str(exc)[:1000])
            if code in GONE:
                report.retired.append(line_item.url)
                return
            if code == 429 or code >= 500:
                report.unavailable.append(line_item.url)
            else:
                report.refused.append(line_item.url)
                logger.error("LTI score for %s refused: %s", line_item.url, exc)
            continue
        except requests.RequestException as exc:
            logger.warning("LTI score for %s not delivered: %s", line_item.url, exc)
            report.unavailable.append(line_item.url)
            continue
        report.posted += 1


def _line_item_note(*, line_item: LtiLineItem, code: int, error: str) -> None:
    state, _ = LtiLineItemState.objects.get_or_create(line_item=line_item)
    state.last_status = code
    state.last_error = error
    if code in GONE and state.retired_at is None:
        state.retired_at = timezone.now()
        logger.warning("LTI line item %s is gone (%s): retired", line_item.url, code)
    state.save()


def _post_score(
    *, line_item: LtiLineItem, sub: str, score: float, progress: Progress
) -> None:
    ags = AssignmentsGradesService(
        connector_for(line_item.context),
        {"scope": [SCORE_SCOPE], "lineitem": line_item.url},
    )
    grade = (
        Grade()
        .set_score_given(round(score * line_item.maximum_score, 6))
        .set_score_maximum(line_item.maximum_score)
        .set_timestamp(datetime.now(UTC).isoformat())
        .set_activity_progress(progress.activity)
        .set_grading_progress(progress.grading)
        .set_user_id(sub)
    )
    ags.put_grade(grade)
    logger.info("LTI score %.3f for %s posted to %s", score, sub, line_item.url)


def offering_resend_request(*, offering: Offering) -> None:
    """Queue the resending of every score of ``offering`` (after commit, by task name)."""
    offering_id = offering.pk

    def send() -> None:
        try:
            app.send_task("courseware.tasks.lti_offering_resend", args=[offering_id])
        except Exception:
            logger.exception("Could not queue resending grades of %s", offering_id)

    transaction.on_commit(send)
