"""Celery tasks. Thin like views: take an id, load, call a service."""

from datetime import datetime

from celery import shared_task

from grader.models import Heartbeat


@shared_task(bind=True, name="grader.tasks.heartbeat")
def heartbeat(self, token: str, sent_at: str) -> None:
    Heartbeat.objects.get_or_create(
        token=token,
        defaults={
            "hostname": self.request.hostname or "unknown",
            "sent_at": datetime.fromisoformat(sent_at),
        },
    )
