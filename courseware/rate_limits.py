"""Per-user rate limits for the student pages' own endpoints (live preview, submit).

The pages share the API's scopes and counters (``courseware.api.throttles``,
rates in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``): a student who used up
the API's submission limit cannot go on through the page, and the reverse.
As there, a cache outage lets requests through rather than failing them.
"""

from collections.abc import Callable
from functools import wraps
from math import ceil
from types import SimpleNamespace

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from courseware.api.throttles import ScopedThrottle

TOO_MANY = (
    "Too many requests: you can try again in {seconds} seconds. "
    "Nothing you typed was lost."
)


def rate_limited(scope: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Limit a view's ``methods`` to the ``scope`` rate, per user (per address if anonymous).

    Over the limit the view is not called: 429 with ``Retry-After``, as JSON
    ``{ok: false, message}`` for a script and as a page for a person.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                throttle = ScopedThrottle()
                if not throttle.allow_request(
                    request, SimpleNamespace(throttle_scope=scope)
                ):
                    return _too_many(request, ceil(throttle.wait() or 1))
            return view(request, *args, **kwargs)

        return limited

    return decorator


def _too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    message = TOO_MANY.format(seconds=seconds)
    accepts_json = "application/json" in request.headers.get("Accept", "")
    if accepts_json or request.content_type == "application/json":
        body = {"ok": False, "latex": None, "column": None, "message": message}
        response: HttpResponse = JsonResponse({**body, "errors": [message]}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
