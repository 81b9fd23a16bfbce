"""The demo accounts' course: the course in ``content/``, imported when missing."""

from django.conf import settings
from django.contrib.auth import get_user_model

from courseware import content_io, services
from courseware.models import Course, CourseMembership

DEMO_USERNAMES = {
    "instructor": CourseMembership.Role.INSTRUCTOR,
    "student": CourseMembership.Role.STUDENT,
}


def demo_enrolment_ensure() -> Course:
    """Enrol the demo accounts in the demo course (the course in ``content/``).

    Imports ``content/`` first when the course is not in the database yet, so
    ``create_demo_accounts`` works on a fresh database too. Idempotent.
    """
    folder = settings.BASE_DIR / "content"
    slug = content_io.course_slug(folder)
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        content_io.import_folder(folder)
        course = Course.objects.get(slug=slug)
    User = get_user_model()
    for username, role in DEMO_USERNAMES.items():
        user = User.objects.filter(username=username).first()
        if user is not None:
            services.course_enrol(course=course, user=user, role=role)
    return course
