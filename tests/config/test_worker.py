"""A real Celery worker process picks tasks from each broker we support."""

import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection

from config.celery import app
from grader.models import Heartbeat
from tests.services import redis_url
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _send_heartbeat(broker_url: str, transport_options: dict | None = None) -> str:
    token = uuid.uuid4().hex
    sent = datetime.now(UTC).isoformat()
    with Connection(broker_url, transport_options=transport_options or {}) as conn:
        app.send_task("grader.tasks.heartbeat", args=[token, sent], connection=conn,
                      queue="default")
    return token


def test_worker_consumes_from_redis(worker_factory):
    url = redis_url()
    worker = worker_factory(broker_url=url)
    token = _send_heartbeat(url)
    row = wait_for(lambda: Heartbeat.objects.filter(token=token).first(), timeout=30)
    assert row.hostname.startswith("test-"), worker.log()
    assert worker.process.pid != 0


def test_worker_consumes_from_filesystem_transport(worker_factory, tmp_path):
    var = tmp_path / "var"
    broker = var / "broker"
    (broker / "processed").mkdir(parents=True)
    worker = worker_factory(broker_url="filesystem://", TRACEGRADE_VAR_DIR=str(var))
    options = {"data_folder_in": str(broker), "data_folder_out": str(broker),
               "control_folder": str(broker / "control")}
    token = _send_heartbeat("filesystem://", options)
    row = wait_for(lambda: Heartbeat.objects.filter(token=token).first(), timeout=30)
    assert row.hostname.startswith("test-"), worker.log()
