from django.db import models


class Heartbeat(models.Model):
    """A row written by a worker for a ``heartbeat`` task: proof a worker is consuming.

    Used by the broker round-trip benchmark (the no-op floor) and by tests that
    check a real worker process picks tasks from the broker.
    """

    token = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.token} @ {self.hostname}"


class WorkerHeartbeat(models.Model):
    """When each Celery worker (by hostname) was last seen consuming.

    Refreshed by every worker every ``WORKER_HEARTBEAT_SECONDS`` while it is
    connected to the broker (``config.celery.WorkerHeartbeatStep``); ``/readyz``
    fails when no worker has been seen for ``WORKER_HEARTBEAT_MAX_AGE``.
    """

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
