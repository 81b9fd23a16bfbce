"""A real Celery worker process picks tasks from each broker we support."""

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
