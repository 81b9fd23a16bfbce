"""LTI 1.3 rules: who a launch signs in, which offering and resource it opens.

django-lti (``lti_tool``) validates launches and keeps the platform's view of
users, contexts and memberships; these functions map that onto Tracegrade:
an LMS context (registration + deployment + context id) is linked once, by
an instructor who may author the course, to its own ``Offering``; every later
launch from that context reaches only that offering and its course's content.
"""

import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from lti_tool.lti_core.constants import ContextRole
from lti_tool.lti_core.utils import normalize_role
from lti_tool.models import LtiContext, LtiLaunch, LtiLineItem, LtiUser
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from courseware import offerings
from courseware.lti.claims import LaunchRefused
from courseware.models import (
    Course,
    Lesson,
    LtiContextLink,
    Offering,
    OfferingMembership,
    Problem,
    Quiz,
)

logger = logging.getLogger(__name__)

__all__ = ["LaunchRefused"]

CUSTOM_RESOURCE = "tracegrade_resource"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
_INSTRUCTING_ROLES = {ContextRole.INSTRUCTOR.value, ContextRole.ADMINISTRATOR.value}
_STAFF_ROLES = {ContextRole.CONTENT_DEVELOPER.value, ContextRole.MENTOR.value}
# Sub-roles such as teaching assistants: ".../membership/Instructor#TeachingAssistant".
_SUBROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership/"
_KINDS = {"lesson": Lesson, "problem": Problem, "quiz": Quiz}


@dataclass(frozen=True)
class Resource:
    """What a resource link opens: a lesson, a problem or a quiz."""

    kind: str
    obj: Lesson | Problem | Quiz

    @property
    def ref(self) -> str:
        return resource_ref(self.obj)

    @property
    def course(self) -> Course:
        lesson = self.obj if self.kind == "lesson" else self.obj.lesson
        return lesson.course


@dataclass(frozen=True)
class Launch:
    """A provisioned launch: who, and either their offering or the need to link one."""

    user: object
    offering: Offering | None
    role: str


def resource_ref(obj: Lesson | Problem | Quiz) -> str:
    """The stable reference a deep link stores: ``problem:12``, ``quiz:3``, ``lesson:1``."""
    kind = {Lesson: "lesson", Problem: "problem", Quiz: "quiz"}[type(obj)]
    return f"{kind}:{obj.pk}"


def resource_parse(ref: object) -> Resource:
    """The object behind a reference, or ``LaunchRefused`` naming what is wrong."""
    if not isinstance(ref, str):
        raise LaunchRefused(
            f"This link's {CUSTOM_RESOURCE} is {ref!r}, not a reference like "
            "'problem:12'; ask your instructor to add it again with the content picker.",
            400,
        )
    kind, _, pk = ref.partition(":")
    model = _KINDS.get(kind)
    if model is None or not pk.isdigit() or len(pk) > 18:
        raise LaunchRefused(
            f"This link names no Tracegrade resource ({ref[:100]!r}); "
            "ask your instructor to add it again with the content picker.",
            400,
        )
    related = "course" if model is Lesson else "lesson__course"
    obj = model.objects.select_related(related).filter(pk=int(pk)).first()
    if obj is None:
        raise LaunchRefused(f"The {kind} this link opens no longer exists.", 404)
    return Resource(kind=kind, obj=obj)


def resource_from_launch(lti_launch: LtiLaunch) -> Resource:
    """The resource a launch opens: the custom parameter set by deep linking, else
    ``?resource=`` on the target link URI (for links made by hand in the LMS)."""
    ref = lti_launch.get_custom_claim(CUSTOM_RESOURCE)
    if ref is None or ref == "":
        target = lti_launch.get_claim(
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
        )
        target = target if isinstance(target, str) else ""
        ref = parse_qs(urlsplit(target).query).get("resource", [""])[0]
    return resource_parse(ref)


def offering_role_from_roles(roles: list[str] | None) -> str:
    """Instructors and administrators instruct; teaching assistants, mentors and
    content developers are staff (they read); everyone else learns."""
    normalized = {normalize_role(role) for role in roles or [] if isinstance(role, str)}
    Role = OfferingMembership.Role
    if any(r.startswith(_SUBROLE + "Instructor#TeachingAssistant") for r in normalized):
        return Role.STAFF  # even when the principal role Instructor comes along
    if normalized & _INSTRUCTING_ROLES:
        return Role.INSTRUCTOR
    if normalized & _STAFF_ROLES or any(r.startswith(_SUBROLE) for r in normalized):
        # Sub-roles such as Instructor#TeachingAssistant; Learner#... sub-roles
        # are rare and still read-only staff rather than an instructor.
        if any(r.startswith(_SUBROLE + "Learner#") for r in normalized):
            return Role.LEARNER
        return Role.STAFF
    return Role.LEARNER


def is_instructing_launch(lti_launch: LtiLaunch) -> bool:
    role = offering_role_from_roles(lti_launch.roles_claim)
    return role == OfferingMembership.Role.INSTRUCTOR


def user_provision(*, lti_user: LtiUser):
    """The Django user behind an LMS user, created on the first launch.

    The username is derived from the registration and the platform's ``sub``
    (stable, never the LMS's display name, which users may change). Names come
    from ``given_name``/``family_name``, else from ``name`` (Open edX sends it alone).
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
    user_names_update(
        user=user,
        given_name=lti_user.given_name,
        family_name=lti_user.family_name,
        name=lti_user.name,
        email=lti_user.email,
    )
    return user


def user_names_update(
    *,
    user,
    given_name: str | None,
    family_name: str | None,
    name: str | None,
    email: str | None,
) -> None:
    """Keep the names the LMS knows; a lone ``name`` is split at its last space."""
    first, last = (given_name or "").strip(), (family_name or "").strip()
    if not first and not last and (name or "").strip():
        first, _, last = name.strip().rpartition(" ")
        if not first:
            first, last = last, ""
    changed = {"first_name": first[:150], "last_name": last[:150]}
    if email:
        changed["email"] = email[:254]
    if any(getattr(user, field) != value for field, value in changed.items()):
        for field, value in changed.items():
            setattr(user, field, value)
        user.save(update_fields=list(changed))


def offering_for_context(context: LtiContext | None) -> Offering | None:
    if context is None:
        return None
    link = (
        LtiContextLink.objects.filter(context=context)
        .select_related("offering__course")
        .first()
    )
    return link.offering if link else None


@transaction.atomic
def launch_provision(*, lti_launch: LtiLaunch) -> Launch:
    """The user and offering of a launch, enrolled with the role the LMS gives.

    Refused (``LaunchRefused``) when the launch has no LMS course, when the
    LMS course is not linked to an offering yet and the user cannot link it,
    and when the launch's resource belongs to another course than its offering's.
    An instructor's launch from an unlinked course returns ``offering=None``:
    the caller shows the page that links it.
    """
    context = lti_launch.context
    if context is None or not context.id_on_platform:
        raise LaunchRefused(
            "This launch comes from no LMS course (it has no context claim); "
            "Tracegrade opens links placed in a course only.",
            400,
        )
    user = user_provision(lti_user=lti_launch.user)
    role = offering_role_from_roles(lti_launch.roles_claim)
    offering = offering_for_context(context)
    if offering is None:
        if role == OfferingMembership.Role.INSTRUCTOR:
            return Launch(user=user, offering=None, role=role)
        raise LaunchRefused(
            f"This LMS course ({context.title or context.id_on_platform}) is not "
            "set up in Tracegrade yet. Your instructor must open a Tracegrade link "
            "once to link it to a course; try again after that."
        )
    offerings.offering_enrol(offering=offering, user=user, role=role)
    return Launch(user=user, offering=offering, role=role)


def resource_launch_check(*, resource: Resource, offering: Offering) -> None:
    """Refuse a resource of another course than the offering's (403)."""
    if resource.course.pk != offering.course_id:
        raise LaunchRefused(
            f"This link opens content of another Tracegrade course than the one "
            f"this LMS course is linked to ({offering.course.title}). Ask your "
            "instructor to add the content again with the content picker."
        )
    if resource.kind == "problem" and not resource.obj.published:
        raise LaunchRefused("This problem is not published yet.", 404)


def courses_linkable(*, user) -> list[Course]:
    """The courses an instructor may link an LMS course to: those they author."""
    return list(offerings.courses_authored_by(user=user).order_by("title"))


def context_link(*, context: LtiContext, course: Course, user) -> Offering:
    """Link an LMS course to a new offering of ``course``; its linker instructs it.

    Only a user who may author ``course`` may link it. An LMS course linked
    already keeps its offering (a second click or a colleague is not an error).
    """
    if not offerings.courses_authored_by(user=user).filter(pk=course.pk).exists():
        raise LaunchRefused("You may link only a course you author in Tracegrade.")
    existing = offering_for_context(context)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            offering = offerings.offering_create(
                course=course,
                title=context.title or context.label or context.id_on_platform,
                created_by=user,
            )
            link = LtiContextLink(context=context, offering=offering)
            link.full_clean()
            link.save()
    except IntegrityError:  # linked by someone else at the same moment
        return offering_for_context(context)
    offerings.offering_enrol(
        offering=offering, user=user, role=OfferingMembership.Role.INSTRUCTOR
    )
    logger.info("LMS context %s linked to offering %s", context.pk, offering.pk)
    return offering


def line_item_record(
    *, lti_launch: LtiLaunch, resource: Resource
) -> LtiLineItem | None:
    """Remember the launch's line item (the LMS gradebook column) for its resource."""
    claim = lti_launch.ags_claim or {}
    url = claim.get("lineitem") if isinstance(claim, dict) else None
    if not isinstance(url, str) or not url or resource.kind == "lesson":
        return None
    if SCORE_SCOPE not in (claim.get("scope") or []):
        return None
    if LtiLineItem.objects.filter(url=url).exclude(context=lti_launch.context).exists():
        # Another LMS course's column: never moved over (tenancy), whatever a launch says.
        logger.warning("Launch names line item %s of another context; ignored", url)
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


def deep_link_choices(*, offering: Offering) -> list[Resource]:
    """What an instructor may place in the LMS: the linked course's published
    problems, and its quizzes whose every problem is published."""
    complete = (
        Quiz.objects.filter(lesson__course=offering.course_id, items__isnull=False)
        .exclude(items__problem__published=False)
        .values("pk")
    )
    quizzes = (
        Quiz.objects.filter(pk__in=complete)
        .select_related("lesson__course")
        .order_by("lesson__order", "slug")
    )
    problems = (
        Problem.objects.filter(lesson__course=offering.course_id, published=True)
        .select_related("lesson__course")
        .order_by("lesson__order", "order", "slug")
    )
    return [Resource("quiz", quiz) for quiz in quizzes] + [
        Resource("problem", problem) for problem in problems
    ]


def deep_link_resources(
    *, refs: list[str], launch_url: str, offering: Offering
) -> list[DeepLinkResource]:
    """Content items for the deep-linking response: one LTI resource link per pick,
    each with a line item so the LMS makes a gradebook column."""
    allowed = {choice.ref for choice in deep_link_choices(offering=offering)}
    items = []
    for ref in refs:
        resource = resource_parse(ref)
        if resource.ref not in allowed:
            raise LaunchRefused(
                f"{ref} is not published content of {offering.course.title}.", 400
            )
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
