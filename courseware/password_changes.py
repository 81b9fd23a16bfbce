"""Noticing a password change, wherever it happens (admin, ``changepassword``, code).

Django has no "password changed" signal, but every change goes through
``set_password``, which leaves the new raw password in ``_password`` until the
user is saved (a hash upgrade on sign-in clears it first, so it does not
count). The receivers only notice; ``courseware.api.tokens`` does the work.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from courseware.api.tokens import api_tokens_revoke

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="courseware.password_change_noted")
def _note_password_change(sender, instance, **kwargs) -> None:
    instance._tracegrade_password_changed = (
        instance.pk is not None and getattr(instance, "_password", None) is not None
    )


@receiver(post_save, sender=User, dispatch_uid="courseware.password_change_revokes")
def _revoke_tokens_on_password_change(sender, instance, created, **kwargs) -> None:
    if created or not getattr(instance, "_tracegrade_password_changed", False):
        return
    instance._tracegrade_password_changed = False
    # In the same transaction as the new password: both happen, or neither.
    api_tokens_revoke(user=instance)
