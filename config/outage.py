"""Answers for when the infrastructure fails: the database, the cache or the broker.

A request that fails because a service is down gets ``503 Service
Unavailable`` with ``Retry-After``: JSON in the API's error shape for API
clients (an LMS integration must never parse an HTML error page), a page
that says what happened for people. Anything else that escapes a view is a
plain 500, again JSON for the API. Neither shows a traceback, and neither
touches the database (which may be the thing that is down).
"""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
UNAVAILABLE = (
    "Tracegrade cannot reach one of its services right now. Nothing you sent "
    "was lost; please try again in a minute."
)
SERVER_ERROR = (
    "Something went wrong on our side. It has been logged; please try again, "
    "and contact the course staff if it keeps happening."
)


def _infrastructure_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (
        OperationalError,
        InterfaceError,
        BrokerError,
        RedisConnectionError,
        RedisTimeoutError,
    )


INFRASTRUCTURE_ERRORS = _infrastructure_errors()


def is_infrastructure_error(error: BaseException | None) -> bool:
    """Whether ``error`` means a service is down (not a bug, not bad input)."""
    if isinstance(error, INFRASTRUCTURE_ERRORS):
        return True
    # psycopg reports a lost connection mid-query as a plain DatabaseError
    # whose cause is an OperationalError.
    cause = getattr(error, "__cause__", None)
    return isinstance(error, DatabaseError) and isinstance(cause, INFRASTRUCTURE_ERRORS)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/readyz")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After``, JSON for the API and a page for people."""
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"errors": [{"field": None, "message": UNAVAILABLE}]}, status=503
        )
    else:
        response = HttpResponse(
            loader.render_to_string("503.html", {"message": UNAVAILABLE}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OutageMiddleware:
    """Turns an infrastructure error raised by a view into a 503 (see the module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not is_infrastructure_error(exception):
            return None
        logger.error(
            "Service unavailable on %s %s: %r", request.method, request.path, exception
        )
        return unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: also reached when a middleware (say, the session's) fails."""
    error = sys.exc_info()[1]
    if is_infrastructure_error(error):
        return unavailable_response(request)
    if wants_json(request):
        return JsonResponse(
            {"errors": [{"field": None, "message": SERVER_ERROR}]}, status=500
        )
    return HttpResponse(loader.render_to_string("500.html"), status=500)
