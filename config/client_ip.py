"""The client's address, for rate limits and login lockouts.

``X-Forwarded-For`` is set by whoever sends the request, so it is believed
only as far as the operator says proxies stand in front of the app:
``TRUSTED_PROXY_COUNT`` (default 0) is how many. With 0 the address is
``REMOTE_ADDR``, whatever the header says; with ``n`` it is the ``n``-th
address from the right of the header (the one the outermost trusted proxy
saw), which is how DRF reads its ``NUM_PROXIES``. API throttles
(``courseware.api.throttles``) and django-axes (``AXES_CLIENT_IP_CALLABLE``)
both call this one function.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``, as far as it can be trusted."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(proxies, len(addresses))]
