"""API tokens (django-rest-knox) outliving their reason: revoked when the password changes."""

from knox.models import AuthToken


def api_tokens_revoke(*, user) -> int:
    """Delete every API token of ``user``; returns how many there were.

    A token stands for the password it was exchanged for: whoever changes a
    password (say, after it leaked) expects every client holding a token made
    with the old one to be signed out.
    """
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
