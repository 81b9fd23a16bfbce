"""Manage the tool's LTI signing keys (django-lti's ``Key`` rows, served at the JWKS URL).

    manage.py lti_keys create     # a first key; refuses when an active key exists
    manage.py lti_keys rotate     # a new signing key; older keys stay in the JWKS
                                  # for --keep-days, so tokens in flight still verify
    manage.py lti_keys list       # key ids, state and age

The newest active key signs; every active key is published.
"""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from lti_tool.models import Key


class Command(BaseCommand):
    help = "Create, rotate or list the tool's LTI signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "rotate", "list"])
        parser.add_argument(
            "--keep-days",
            type=int,
            default=7,
            help="rotate: keys older than this many days are withdrawn (default 7).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            if Key.objects.active().exists():
                raise CommandError(
                    "An active key already exists; use 'lti_keys rotate' to replace it."
                )
            key = Key.objects.generate()
            self.stdout.write(self.style.SUCCESS(f"Created key {key}."))
        elif action == "rotate":
            cutoff = timezone.now() - timedelta(days=options["keep_days"])
            with transaction.atomic():
                key = Key.objects.generate()
                withdrawn = (
                    Key.objects.active()
                    .exclude(pk=key.pk)
                    .filter(datetime_created__lt=cutoff)
                    .update(is_active=False)
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created key {key}; withdrew {withdrawn} old key(s)."
                )
            )
        for key in Key.objects.order_by("-datetime_created"):
            state = "active" if key.is_active else "withdrawn"
            self.stdout.write(
                f"{key}  {state}  created {key.datetime_created:%Y-%m-%d %H:%M}"
            )
