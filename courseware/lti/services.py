"""LTI 1.3 rules: who a launch signs in, what it opens, what goes back to the LMS.

django-lti (``lti_tool``) validates launches and keeps the platform's view of
users, contexts and memberships; these functions map that onto Tracegrade's
users, course memberships, problems and quizzes, and post scores back with
Assignment and Grade Services (AGS) through pylti1p3.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from lti_tool.lti_core.constants import ContextRole
from lti_tool.lti_core.utils import normalize_role
from lti_tool.models import LtiLaunch, LtiLineItem, LtiRegistration, LtiUser
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from courseware import selectors, services
from courseware.models import CourseMembership, Lesson, Problem, Quiz, Submission

logger = logging.getLogger(__name__)

CUSTOM_RESOURCE = "tracegrade_resource"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
_TEACHING_ROLES = {
    ContextRole.INSTRUCTOR.value,
    ContextRole.ADMINISTRATOR.value,
    ContextRole.CONTENT_DEVELOPER.value,
}
# Sub-roles such as teaching assistants: ".../membership/Instructor#TeachingAssistant".
_TEACHING_SUBROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#"
_KINDS = {"lesson": Lesson, "problem": Problem, "quiz": Quiz}


class LaunchRefused(Exception):
    """A valid launch Tracegrade cannot serve; the message is shown to the user."""


@dataclass(frozen=True)
class Resource:
    """What a resource link opens: a lesson, a problem or a quiz."""

    kind: str
    obj: Lesson | Problem | Quiz

    @property
    def ref(self) -> str:
        return resource_ref(self.obj)

    @property
    def course(self):
        lesson = self.obj if self.kind == "lesson" else self.obj.lesson
        return lesson.course


def resource_ref(obj: Lesson | Problem | Quiz) -> str:
    """The stable reference a deep link stores: ``problem:12``, ``quiz:3``, ``lesson:1``."""
    kind = {Lesson: "lesson", Problem: "problem", Quiz: "quiz"}[type(obj)]
    return f"{kind}:{obj.pk}"


def resource_parse(ref: str) -> Resource:
    """The object behind a reference, or ``LaunchRefused`` naming what is wrong."""
    kind, _, pk = (ref or "").partition(":")
    model = _KINDS.get(kind)
    if model is None or not pk.isdigit():
        raise LaunchRefused(
            f"This link names no Tracegrade resource ({ref!r}); "
            "ask your instructor to add it again with the content picker."
        )
    related = "course" if model is Lesson else "lesson__course"
    obj = model.objects.select_related(related).filter(pk=int(pk)).first()
    if obj is None:
        raise LaunchRefused(f"The {kind} this link opens no longer exists.")
    return Resource(kind=kind, obj=obj)


def resource_from_launch(lti_launch: LtiLaunch) -> Resource:
    """The resource a launch opens: the custom parameter set by deep linking, else
    ``?resource=`` on the target link URI (for links made by hand in the LMS)."""
    ref = lti_launch.get_custom_claim(CUSTOM_RESOURCE)
    if not ref:
        target = lti_launch.get_claim(
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
        )
        ref = parse_qs(urlsplit(target or "").query).get("resource", [""])[0]
    return resource_parse(ref)


def course_role_from_roles(roles: list[str] | None) -> str:
    """Instructors, administrators and content developers teach; everyone else learns."""
    normalized = {normalize_role(role) for role in roles or []}
    if normalized & _TEACHING_ROLES or any(
        role.startswith(_TEACHING_SUBROLE) for role in normalized
    ):
        return CourseMembership.Role.INSTRUCTOR
    return CourseMembership.Role.STUDENT


def is_teaching_launch(lti_launch: LtiLaunch) -> bool:
    return (
        course_role_from_roles(lti_launch.roles_claim)
        == CourseMembership.Role.INSTRUCTOR
    )


def user_provision(*, lti_user: LtiUser):
    """The Django user behind an LMS user, created on the first launch.

    The username is derived from the registration and the platform's ``sub``
    (stable, never the LMS's display name, which users may change).
    """
    User = get_user_model()
    user = lti_user.auth_user
    digest = hashlib.sha256(
        f"{lti_user.registration_id}:{lti_user.sub}".encode()
    ).hexdigest()[:20]
    if user is None:
        user = User.objects.filter(username=f"lti-{digest}").first()
        if user is None:
            user = User(username=f"lti-{digest}")
            user.set_unusable_password()  # signs in through the LMS only
            user.save()
        lti_user.auth_user = user
        lti_user.save(update_fields=["auth_user", "datetime_modified"])
    changed = {
        "first_name": (lti_user.given_name or "")[:150],
        "last_name": (lti_user.family_name or "")[:150],
        "email": lti_user.email or "",
    }
    if any(getattr(user, name) != value for name, value in changed.items()):
        for name, value in changed.items():
            setattr(user, name, value)
        user.save(update_fields=list(changed))
    return user


@transaction.atomic
def launch_provision(*, lti_launch: LtiLaunch) -> tuple[object, Resource]:
    """Sign-in data for a resource-link launch: the user (enrolled with the role the
    LMS gives) and the resource; records the AGS line item for score passback."""
    resource = resource_from_launch(lti_launch)
    user = user_provision(lti_user=lti_launch.user)
    role = course_role_from_roles(lti_launch.roles_claim)
    if not user.is_staff:
        services.course_enrol(course=resource.course, user=user, role=role)
    line_item_record(lti_launch=lti_launch, resource=resource)
    return user, resource


def line_item_record(
    *, lti_launch: LtiLaunch, resource: Resource
) -> LtiLineItem | None:
    """Remember the launch's line item (the LMS gradebook column) for its resource."""
    claim = lti_launch.ags_claim or {}
    url = claim.get("lineitem")
    if not url or SCORE_SCOPE not in claim.get("scope", []):
        return None
    if resource.kind == "lesson":
        return None
    points = resource.obj.points if resource.kind == "problem" else 1.0
    item, _ = LtiLineItem.objects.update_or_create(
        url=url,
        defaults={
            "context": lti_launch.context,
            "resource_link": lti_launch.resource_link,
            "resource_id": resource.ref,
            "label": resource.obj.title[:255],
            "maximum_score": points,
        },
    )
    return item


def deep_link_choices() -> list[Resource]:
    """What an instructor may place in the LMS: every quiz and published problem.

    A teaching launch comes from a deployment an administrator activated, and
    the LMS course it comes from maps to no Tracegrade course until a link exists.
    """
    quizzes = Quiz.objects.select_related("lesson__course").order_by(
        "lesson__course__title", "lesson__order", "slug"
    )
    problems = (
        Problem.objects.filter(published=True)
        .select_related("lesson__course")
        .order_by("lesson__course__title", "lesson__order", "order", "slug")
    )
    return [Resource("quiz", quiz) for quiz in quizzes] + [
        Resource("problem", problem) for problem in problems
    ]


def deep_link_resources(*, refs: list[str], launch_url: str) -> list[DeepLinkResource]:
    """Content items for the deep-linking response: one LTI resource link per pick,
    each with a line item so the LMS makes a gradebook column."""
    items = []
    for ref in refs:
        resource = resource_parse(ref)
        maximum = resource.obj.points if resource.kind == "problem" else 1.0
        line_item = (
            LineItem()
            .set_score_maximum(maximum)
            .set_label(resource.obj.title)
            .set_resource_id(resource.ref)
        )
        items.append(
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(resource.obj.title)
            .set_custom_params({CUSTOM_RESOURCE: resource.ref})
            .set_lineitem(line_item)
        )
    return items


# --- Assignment and Grade Services ------------------------------------------


def passback_line_items(*, submission: Submission):
    """The line items a graded submission updates: its problem's, and its quiz's."""
    refs = [f"problem:{submission.problem_id}"]
    if submission.quiz_id:
        refs.append(f"quiz:{submission.quiz_id}")
    return (
        LtiLineItem.objects.filter(
            resource_id__in=refs,
            context__can_publish_scores=True,
            context__memberships__user__auth_user=submission.student_id,
        )
        .select_related("context__deployment__registration")
        .distinct()
    )


def passback_wanted(*, submission: Submission) -> bool:
    return passback_line_items(submission=submission).exists()


def score_for_line_item(*, line_item: LtiLineItem, submission: Submission) -> float:
    """The 0..1 score to report: the best graded attempt, so a grade never drops."""
    kind, _, pk = line_item.resource_id.partition(":")
    if kind == "quiz":
        quiz = Quiz.objects.get(pk=int(pk))
        return selectors.quiz_score_for_student(quiz=quiz, student=submission.student)
    best = selectors.best_scores(
        student=submission.student, problems=[submission.problem]
    )
    return best.get(submission.problem_id, 0.0)


def score_passback(*, submission_id: str) -> int:
    """Post the student's score to every LMS line item the submission counts towards.

    Returns how many scores were posted. Raises pylti1p3's ``LtiServiceException``
    or ``requests`` errors when a platform does not answer, so the task can retry:
    posting a score is idempotent (the LMS keeps the latest).
    """
    submission = Submission.objects.select_related("problem", "student").get(
        pk=submission_id
    )
    if submission.status != Submission.Status.GRADED:
        return 0
    posted = 0
    for line_item in passback_line_items(submission=submission):
        registration: LtiRegistration = line_item.context.deployment.registration
        lti_users = LtiUser.objects.filter(
            Q(registration=registration) & Q(auth_user=submission.student_id)
        )
        score = score_for_line_item(line_item=line_item, submission=submission)
        for lti_user in lti_users:
            _post_score(line_item=line_item, sub=lti_user.sub, score=score)
            posted += 1
    return posted


def _post_score(*, line_item: LtiLineItem, sub: str, score: float) -> None:
    registration = line_item.context.deployment.registration
    connector = ServiceConnector(registration.to_registration())
    ags = AssignmentsGradesService(
        connector, {"scope": [SCORE_SCOPE], "lineitem": line_item.url}
    )
    grade = (
        Grade()
        .set_score_given(round(score * line_item.maximum_score, 6))
        .set_score_maximum(line_item.maximum_score)
        .set_timestamp(datetime.now(UTC).isoformat())
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(sub)
    )
    ags.put_grade(grade)
    logger.info("LTI score %.3f for %s posted to %s", score, sub, line_item.url)
