"""Scoped throttles for the endpoints that take student text or credentials.

The rate is looked up when a request arrives (not when the class is defined),
so settings overrides and the environment apply without a restart of imports.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """Counts per user, or per client address when nobody is signed in."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
