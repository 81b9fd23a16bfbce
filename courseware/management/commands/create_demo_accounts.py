"""Create the demo accounts ``instructor`` and ``student`` (idempotent).

The password comes from ``TRACEGRADE_DEMO_PASSWORD``; when unset, one is
generated, kept in ``var/demo_password`` and printed.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or update the demo accounts 'instructor' and 'student'."

    def handle(self, *args, **options) -> None:
        password, generated = _demo_password()
        User = get_user_model()
        for username, staff in (("instructor", True), ("student", False)):
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = staff
            user.is_superuser = staff
            user.set_password(password)
            user.save()
        hook = _after_accounts_hook()
        if hook:
            hook()
        where = " (generated; kept in var/demo_password)" if generated else ""
        self.stdout.write(
            f"Demo accounts: instructor / student, password: {password}{where}"
        )


def _demo_password() -> tuple[str, bool]:
    given = os.environ.get("TRACEGRADE_DEMO_PASSWORD")
    if given:
        return given, False
    path = settings.VAR_DIR / "demo_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip(), True


def _after_accounts_hook():
    """Enrol the demo accounts in the demo course, once courseware provides it."""
    try:
        from courseware.services import demo_enrolment_ensure
    except ImportError:
        return None
    return demo_enrolment_ensure
