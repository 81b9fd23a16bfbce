"""Offerings: one run of an authored course for one group of students.

Content is shared from the authored ``Course``; who is in an offering, their
submissions and their gradebook are the offering's own. Authors (course
instructors in ``CourseMembership``, and site staff) edit content; an
offering's instructors and staff read its roster, submissions and gradebook.
"""

from django.db.models import Q, QuerySet

from courseware import selectors
from courseware.models import Course, CourseMembership, Offering, OfferingMembership

# The session key that remembers, per course, the offering the browser last
# launched into (so two tabs of two courses each submit to their own).
SESSION_OFFERINGS = "tracegrade_offerings"
READING_ROLES = (OfferingMembership.Role.STAFF, OfferingMembership.Role.INSTRUCTOR)


# --- Reads ---------------------------------------------------------------------


def courses_authored_by(*, user) -> QuerySet[Course]:
    """Courses whose content ``user`` may edit: site staff, or course instructors."""
    if not user.is_authenticated:
        return Course.objects.none()
    if user.is_staff:
        return Course.objects.all()
    return Course.objects.filter(
        memberships__user=user, memberships__role=CourseMembership.Role.INSTRUCTOR
    ).distinct()


def offering_role(*, user, offering: Offering) -> str | None:
    """``learner``, ``staff``, ``instructor`` or ``None`` (not in the offering)."""
    if not user.is_authenticated:
        return None
    return (
        OfferingMembership.objects.filter(offering=offering, user=user, is_active=True)
        .values_list("role", flat=True)
        .first()
    )


def offering_readable_by(*, user, offering: Offering) -> bool:
    """Whether ``user`` may read the offering's roster, submissions and gradebook."""
    if not user.is_authenticated:
        return False
    if courses_authored_by(user=user).filter(pk=offering.course_id).exists():
        return True
    return offering_role(user=user, offering=offering) in READING_ROLES


def offerings_readable_by(*, user) -> QuerySet[Offering]:
    """The offerings whose roster and gradebook ``user`` may read."""
    if not user.is_authenticated:
        return Offering.objects.none()
    return (
        Offering.objects.filter(
            Q(course__in=courses_authored_by(user=user))
            | Q(
                memberships__user=user,
                memberships__is_active=True,
                memberships__role__in=READING_ROLES,
            )
        )
        .select_related("course")
        .distinct()
    )


def offering_managed_by(*, user, offering: Offering) -> bool:
    """Whether ``user`` may act for the offering (resend grades, sync the roster)."""
    if courses_authored_by(user=user).filter(pk=offering.course_id).exists():
        return True
    return offering_role(user=user, offering=offering) == (
        OfferingMembership.Role.INSTRUCTOR
    )


def offerings_of_user(*, user, course: Course | None = None) -> QuerySet[Offering]:
    """The offerings ``user`` is an active member of (of ``course`` when given)."""
    if not user.is_authenticated:
        return Offering.objects.none()
    offerings = Offering.objects.filter(
        memberships__user=user, memberships__is_active=True
    )
    if course is not None:
        offerings = offerings.filter(course=course)
    return offerings.distinct()


def offering_for_submission(
    *, user, course: Course, session=None, member: bool | None = None
) -> Offering | None:
    """The offering a new submission of ``user`` to ``course`` belongs to.

    The one this browser last launched into for that course, when ``user`` is
    still its member; else the user's only offering of the course; else none
    (direct work). ``member=False``: the caller knows the user is in no active
    offering of the course (``selectors.with_viewer_role`` read it), so the
    answer is none without a query.
    """
    if member is False:
        return None
    mine = offerings_of_user(user=user, course=course)
    remembered = (session or {}).get(SESSION_OFFERINGS, {}).get(str(course.pk))
    if remembered is not None:
        offering = mine.filter(pk=remembered).first()
        if offering is not None:
            return offering
    candidates = list(mine[:2])
    return candidates[0] if len(candidates) == 1 else None


def offering_members(
    *, offering: Offering, role: str | None = None
) -> QuerySet[OfferingMembership]:
    members = OfferingMembership.objects.filter(offering=offering, is_active=True)
    if role is not None:
        members = members.filter(role=role)
    return members.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__username"
    )


# --- Writes --------------------------------------------------------------------


def offering_create(*, course: Course, title: str, created_by=None) -> Offering:
    offering = Offering(course=course, title=title[:500], created_by=created_by)
    offering.full_clean()
    offering.save()
    return offering


def offering_enrol(
    *, offering: Offering, user, role: str = OfferingMembership.Role.LEARNER
) -> OfferingMembership:
    """Put ``user`` in ``offering`` with ``role`` (the LMS's word is the latest)."""
    membership = OfferingMembership.objects.filter(offering=offering, user=user).first()
    membership = membership or OfferingMembership(offering=offering, user=user)
    if membership._state.adding or (membership.role, membership.is_active) != (
        role,
        True,
    ):
        membership.role = role
        membership.is_active = True
        membership.full_clean()
        membership.save()
    selectors.forget_course_roles(user)
    return membership


def session_offering_remember(*, session, offering: Offering) -> None:
    """Remember in the browser's session which offering its course was launched in."""
    remembered = dict(session.get(SESSION_OFFERINGS, {}))
    remembered[str(offering.course_id)] = offering.pk
    session[SESSION_OFFERINGS] = remembered
