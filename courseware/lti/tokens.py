"""OAuth2 access tokens for the platform's services, cached until they expire.

pylti1p3's ``ServiceConnector`` keeps a token for the life of one connector
object, so every score fetched a new one. This connector keeps it in the
Django cache (shared by web and worker processes) for the ``expires_in`` the
platform gave, less a margin, and forgets it when the platform answers 401.
"""

import hashlib
import time
import uuid

from django.core.cache import cache
from pylti1p3.exception import LtiServiceException
from pylti1p3.service_connector import ServiceConnector

# Platforms that send no ``expires_in`` get this lifetime (RFC 6749 leaves it open;
# LTI platforms issue one-hour tokens).
DEFAULT_LIFETIME = 3600
# A token is dropped this long before it expires, so it is never used stale.
MARGIN = 60
REQUEST_TIMEOUT = 20


class CachedServiceConnector(ServiceConnector):
    def _cache_key(self, scopes) -> str:
        registration = self._registration
        ident = "|".join(
            [
                registration.get_issuer() or "",
                registration.get_client_id() or "",
                registration.get_auth_token_url() or "",
                *sorted(scopes),
            ]
        )
        return "lti-access-token-" + hashlib.sha256(ident.encode()).hexdigest()

    def get_access_token(self, scopes) -> str:
        key = self._cache_key(scopes)
        token = cache.get(key)
        if token:
            return token
        registration = self._registration
        client_id = str(registration.get_client_id())
        token_url = str(registration.get_auth_token_url())
        now = int(time.time())
        assertion = self.encode_jwt(
            {
                "iss": client_id,
                "sub": client_id,
                "aud": registration.get_auth_audience() or token_url,
                "iat": now - 5,
                "exp": now + 60,
                "jti": "lti-service-token-" + str(uuid.uuid4()),
            },
            registration.get_tool_private_key(),
            {"kid": registration.get_kid()} if registration.get_kid() else {},
        )
        response = self._requests_session.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": (
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                ),
                "client_assertion": assertion,
                "scope": " ".join(sorted(scopes)),
            },
            timeout=REQUEST_TIMEOUT,
        )
        if not response.ok:
            raise LtiServiceException(response)
        body = response.json()
        lifetime = body.get("expires_in")
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = DEFAULT_LIFETIME
        token = body["access_token"]
        if lifetime > MARGIN:
            cache.set(key, token, int(lifetime - MARGIN))
        return token

    def make_service_request(self, scopes, url, *args, **kwargs):
        try:
            return super().make_service_request(scopes, url, *args, **kwargs)
        except LtiServiceException as exc:
            if exc.response.status_code != 401:
                raise
            # The platform revoked the token before its time: get a new one, once.
            cache.delete(self._cache_key(scopes))
            return super().make_service_request(scopes, url, *args, **kwargs)
