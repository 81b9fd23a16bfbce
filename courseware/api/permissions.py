"""Who may do what in the API: course roles (CourseMembership) and site staff.

Reading follows ``courseware.selectors`` (a student sees their courses and their
own work); writing problems and reading gradebooks needs the instructor role.
"""

from rest_framework.exceptions import PermissionDenied

from courseware import selectors
from courseware.models import Course


def require_instructor(user, course: Course) -> None:
    """Raise 403 unless ``user`` teaches ``course`` (or is staff)."""
    if not selectors.user_is_instructor(user=user, course=course):
        raise PermissionDenied("Only instructors of this course may do that.")
