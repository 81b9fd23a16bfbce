"""The Celery app: JSON only, late acks, one message at a time per process.

Results are not kept by Celery: grading results live in our own tables.
"""

import os
import resource

from celery import Celery
from celery.signals import worker_process_init

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

# Periodic tasks, run by Celery beat: ``celery -A config beat`` beside the
# workers, or ``celery -A config worker -B`` for a single embedded worker.
# The sweeper re-sends grading for submissions whose message never reached a
# worker (broker down at submit time) or was lost with a dead worker.
app.conf.beat_schedule = {
    "sweep-queued-submissions": {
        "task": "grader.tasks.sweep_queued",
        "schedule": 30.0,
        "options": {"queue": "default", "expires": 25.0},
    },
}


@worker_process_init.connect
def limit_worker_process(**_kwargs) -> None:
    """Cap memory and CPU of each pool process, so one submission cannot take the box."""
    from django.conf import settings

    megabytes = settings.WORKER_MEMORY_LIMIT_MB
    if megabytes:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    seconds = settings.WORKER_CPU_LIMIT_SECONDS
    if seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
