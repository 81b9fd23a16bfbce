"""Create the demo accounts ``instructor`` and ``student`` (idempotent).

The password comes from ``TRACEGRADE_DEMO_PASSWORD``; when unset, one is
generated, kept in ``var/demo_password`` and printed. It is set when an
account is created (or when ``TRACEGRADE_DEMO_PASSWORD`` is given), never
on later runs, so a password changed in the admin survives ``make run``. Both are enrolled in
the demo course from ``content/`` (instructor as instructor, student as student).
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from courseware.demo import demo_enrolment_ensure


class Command(BaseCommand):
    help = "Create or update the demo accounts 'instructor' and 'student'."

    def handle(self, *args, **options) -> None:
        password, generated = _demo_password()
        User = get_user_model()
        kept = []
        for username, staff in (("instructor", True), ("student", False)):
            user, created = User.objects.get_or_create(username=username)
            user.is_staff = staff
            user.is_superuser = staff
            if created or not generated:
                user.set_password(password)
            else:
                kept.append(username)
            user.save()
        course = demo_enrolment_ensure()
        where = " (generated; kept in var/demo_password)" if generated else ""
        note = f" ({', '.join(kept)}: password kept as it was)" if kept else ""
        self.stdout.write(
            f"Demo accounts: instructor / student, password: {password}{where}"
            f"{note}; enrolled in '{course.slug}'"
        )


def _demo_password() -> tuple[str, bool]:
    given = os.environ.get("TRACEGRADE_DEMO_PASSWORD")
    if given:
        return given, False
    path = settings.VAR_DIR / "demo_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip(), True
