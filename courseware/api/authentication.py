"""Token authentication (django-rest-knox) without housekeeping on every request.

knox's ``TokenAuthentication`` loads every other token of the user on each
request to delete the expired ones: a query per API call for work that
changes nothing the request sees. Here the token presented is still checked
(an expired one is deleted and refused, as knox does); the user's other
expired tokens are deleted when a new token is made (``TokenCreateView``),
and an expired token is refused whenever it is presented, so keeping it a
while longer lets nothing in.
"""

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import get_token_model
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        """Whether ``auth_token`` has expired (then it is deleted)."""
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(
            sender=self.__class__, username=username, source="auth_token"
        )
        return True


def expired_tokens_delete(*, user) -> int:
    """Delete ``user``'s expired tokens; returns how many."""
    deleted, _ = (
        get_token_model().objects.filter(user=user, expiry__lt=timezone.now()).delete()
    )
    return deleted


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of this class: knox's own."""

    target_class = "courseware.api.authentication.TokenAuthentication"
