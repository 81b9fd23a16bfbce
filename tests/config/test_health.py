import signal

import pytest
from django.conf import settings

from config.celery import app
from grader.models import WorkerHeartbeat
from tests.workers import wait_for


@pytest.mark.django_db
def test_healthz_answers(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_without_a_live_worker(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": True,
        "broker": True,
        "worker": False,
    }
    assert response["Retry-After"]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_readyz_follows_a_real_worker_and_fails_when_it_dies(
    client, worker_factory, settings
):
    settings.WORKER_HEARTBEAT_MAX_AGE = 3
    worker = worker_factory(WORKER_HEARTBEAT_SECONDS="0.5")
    ready = wait_for(lambda: client.get("/readyz").status_code == 200, timeout=30)
    assert ready, worker.log()
    beat = WorkerHeartbeat.objects.get()
    assert beat.hostname.startswith("test-")

    worker.kill(signal.SIGKILL)  # no goodbye: the heartbeat just stops
    wait_for(lambda: client.get("/readyz").status_code == 503, timeout=30)
    assert client.get("/readyz").json()["checks"]["worker"] is False


@pytest.mark.django_db
def test_readyz_is_503_when_broker_is_down(client, monkeypatch):
    # Nothing listens on port 1: the broker is down.
    # Celery reads CELERY_BROKER_URL from the environment before its settings,
    # so the environment alone redirects it (and monkeypatch restores it after).
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False
    monkeypatch.undo()
    assert app.conf.broker_url == settings.CELERY_BROKER_URL  # later tests enqueue
