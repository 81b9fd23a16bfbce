"""The Celery app: JSON only, late acks, one message at a time per process.

Results are not kept by Celery: grading results live in our own tables.
"""

import logging
import os

from celery import Celery, bootsteps
from celery.signals import task_postrun, task_prerun, worker_process_init

from config import limits

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracegrade")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    result_backend=None,
    task_default_queue="default",
    task_routes={"grader.tasks.grade_submission": {"queue": "grading"}},
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()
logger = logging.getLogger(__name__)


# Periodic tasks, run by Celery beat: ``celery -A config beat`` beside the
# workers, or ``celery -A config worker -B`` for a single embedded worker.
# The sweeper re-sends grading for submissions whose message never reached a
# worker (broker down at submit time) or was lost with a dead worker.
def _sweep_every() -> float:
    from django.conf import settings

    return settings.GRADING_SWEEP_EVERY


app.conf.beat_schedule = {
    "sweep-queued-submissions": {
        "task": "grader.tasks.sweep_queued",
        "schedule": _sweep_every(),
        "options": {"queue": "default", "expires": _sweep_every() - 1},
    },
}


@worker_process_init.connect
def limit_worker_process(**_kwargs) -> None:
    """Cap memory and CPU of each pool process, so one submission cannot take the box."""
    from django.conf import settings

    limits.memory_limit_set(settings.WORKER_MEMORY_LIMIT_MB)
    limits.cpu_budget_reset(settings.WORKER_CPU_LIMIT_SECONDS)


@task_prerun.connect
@task_postrun.connect
def database_connections_checked(sender=None, **_kwargs) -> None:
    """Around each task, as Django does around each request: a connection past
    ``CONN_MAX_AGE`` or broken by an error is closed (the next query opens a new
    one), a good one is kept (``CELERY_DB_REUSE_MAX``). Not for a task run in
    the caller's process (``apply``), whose transaction it would end."""
    from django.db import close_old_connections

    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


@task_prerun.connect
def limit_task_cpu(**_kwargs) -> None:
    """A fresh CPU budget for every task (see ``config.limits``)."""
    from django.conf import settings

    limits.cpu_budget_reset(settings.WORKER_CPU_LIMIT_SECONDS)


class WorkerHeartbeatStep(bootsteps.StartStopStep):
    """Records, every few seconds while connected to the broker, that this worker lives.

    A consumer step: it runs only while the worker consumes (it stops when the
    broker connection is lost and starts again when it is back), so
    ``/readyz`` sees a worker that died, hangs or lost its broker.
    """

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.timer_entry = None

    def start(self, parent) -> None:
        from django.conf import settings

        hostname = parent.hostname
        self._beat(hostname)
        self.timer_entry = parent.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, self._beat, (hostname,), priority=10
        )

    def stop(self, parent) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    shutdown = stop

    @staticmethod
    def _beat(hostname: str) -> None:
        from grader.services import worker_heartbeat_record

        try:
            worker_heartbeat_record(hostname=hostname)
        except Exception as error:  # the database is down: /readyz says so anyway
            logger.warning("Could not record the worker heartbeat: %r", error)


app.steps["consumer"].add(WorkerHeartbeatStep)
