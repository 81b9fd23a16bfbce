"""A real Celery worker process picks tasks from each broker we support."""

import time
import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection

from config.broker import Transport
from config.celery import app
from grader.models import Heartbeat
from tests.services import redis_url
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _send_heartbeat(conn: Connection) -> str:
    token = uuid.uuid4().hex
    sent = datetime.now(UTC).isoformat()
    app.send_task("grader.tasks.heartbeat", args=[token, sent], connection=conn,
                  queue="default")  # fmt: skip
    return token


def test_worker_consumes_from_redis(worker_factory):
    url = redis_url()
    worker = worker_factory(broker_url=url)
    with Connection(url) as conn:
        token = _send_heartbeat(conn)
    row = wait_for(lambda: Heartbeat.objects.filter(token=token).first(), timeout=30)
    assert row.hostname.startswith("test-"), worker.log()


def test_worker_consumes_from_the_embedded_broker(worker_factory, tmp_path):
    """With no broker configured, the worker reads the SQLite broker in var/."""
    var = tmp_path / "var"
    worker = worker_factory(
        broker_url=None, CELERY_BROKER_URL="", REDIS_URL="", TRACEGRADE_VAR_DIR=str(var)
    )
    assert (var / "broker.sqlite3").exists(), worker.log()
    with Connection(f"sqlite:///{var / 'broker.sqlite3'}", transport=Transport) as conn:
        token = _send_heartbeat(conn)
    row = wait_for(lambda: Heartbeat.objects.filter(token=token).first(), timeout=30)
    assert row.hostname.startswith("test-"), worker.log()


def _sessions() -> int:
    """Connections PostgreSQL has seen end in this database (its statistics)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_the_worker_keeps_its_database_connection_between_tasks(worker_factory):
    """Celery's Django fixup would close it around every task: a new PostgreSQL
    backend (a process) per task, about half a no-op task's CPU."""
    url = redis_url()
    worker = worker_factory(broker_url=url)
    with Connection(url) as conn:
        warm = _send_heartbeat(conn)
    wait_for(lambda: Heartbeat.objects.filter(token=warm).exists(), timeout=30)
    time.sleep(1.5)  # backends report their statistics within a second
    before = _sessions()
    with Connection(url) as conn:
        tokens = [_send_heartbeat(conn) for _ in range(30)]
    wait_for(
        lambda: Heartbeat.objects.filter(token__in=tokens).count() == 30, timeout=60
    )
    time.sleep(1.5)
    assert _sessions() - before < 5, worker.log()


def test_a_worker_whose_connection_was_cut_reconnects(worker_factory):
    """A kept connection that PostgreSQL ended (a restart, a failover) is found
    dead by Django's health check at the next task, which opens a new one."""
    from django.db import connection

    url = redis_url()
    worker = worker_factory(broker_url=url)
    with Connection(url) as conn:
        first = _send_heartbeat(conn)
    wait_for(lambda: Heartbeat.objects.filter(token=first).exists(), timeout=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1  # the worker's connection, at least
    with Connection(url) as conn:
        second = _send_heartbeat(conn)
    wait_for(lambda: Heartbeat.objects.filter(token=second).exists(), timeout=30)
    assert "Traceback" not in worker.log()
