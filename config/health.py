"""Liveness and readiness probes for load balancers and docker-compose."""

from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """503 unless the database and the broker both answer."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ready = all(checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)


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
            # The filesystem transport "connects" to anything: check its folder.
            conn.default_channel
        return True
    except Exception:
        return False
