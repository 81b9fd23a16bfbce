"""Who may do what in the API: course roles (CourseMembership) and site staff."""

from rest_framework.permissions import BasePermission

from courseware import selectors


class IsCourseInstructor(BasePermission):
    """Object permission: instructors of the object's course, and staff."""

    message = "Only instructors of this course may do that."

    def has_object_permission(self, request, view, obj) -> bool:
        return selectors.user_is_instructor(user=request.user, course=course_of(obj))


def course_of(obj):
    """The course a course, lesson, problem or quiz belongs to."""
    for path in ("course", "lesson.course"):
        target = obj
        try:
            for name in path.split("."):
                target = getattr(target, name)
        except AttributeError:
            continue
        return target
    return obj
