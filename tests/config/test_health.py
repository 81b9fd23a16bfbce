import pytest
from django.conf import settings

from config.celery import app


@pytest.mark.django_db
def test_healthz_answers(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_with_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_readyz_is_503_when_broker_is_down(client, monkeypatch):
    # Nothing listens on port 1: the broker is down.
    # Celery reads CELERY_BROKER_URL from the environment before its settings,
    # so the environment alone redirects it (and monkeypatch restores it after).
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "broker": False}
    monkeypatch.undo()
    assert app.conf.broker_url == settings.CELERY_BROKER_URL  # later tests enqueue

