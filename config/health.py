"""Liveness and readiness probes for load balancers, docker-compose and people.

``/healthz``: this web process answers. ``/readyz``: submissions would be
graded now: the database answers, the broker answers, and a worker has been
seen consuming within ``WORKER_HEARTBEAT_MAX_AGE`` seconds.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app
from grader.services import worker_seen_recently


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """503 unless the database, the broker and a live worker all answer."""
    database = _database_ok()
    checks = {
        "database": database,
        "broker": _broker_ok(),
        "worker": database and _worker_ok(),
    }
    ready = all(checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = "10"
    return response


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            conn.default_channel  # noqa: B018 - opening the channel is the check
        return True
    except Exception:
        return False


def _worker_ok() -> bool:
    try:
        return worker_seen_recently(max_age=settings.WORKER_HEARTBEAT_MAX_AGE)
    except Exception:
        return False
