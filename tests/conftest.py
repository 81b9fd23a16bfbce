from pathlib import Path

import pytest

from tests.workers import WorkerProcess


@pytest.fixture
def worker_factory(tmp_path: Path):
    """Start real Celery worker processes; every one is stopped after the test."""
    started: list[WorkerProcess] = []

    def start(
        broker_url: str | None = None, args: tuple[str, ...] = (), **env: str
    ) -> WorkerProcess:
        worker = WorkerProcess(tmp_path, broker_url, args, **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
