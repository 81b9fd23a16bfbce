import os
import resource
from pathlib import Path

import pytest
from hypothesis import settings

from tests.workers import WorkerProcess

# Property tests draw the same examples on every run (HYPOTHESIS_PROFILE=explore
# draws new ones): CI never fails on a new draw; a case an exploring run finds
# is kept as a plain test.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def cpu_limit_restored():
    """A task run in this process (``task.apply()``) moves its ``RLIMIT_CPU`` like a
    pool process's (``config.celery.limit_task_cpu``); put it back, or the test
    run itself gets SIGXCPU some CPU-heavy tests later."""
    before = resource.getrlimit(resource.RLIMIT_CPU)
    yield
    if resource.getrlimit(resource.RLIMIT_CPU) != before:
        resource.setrlimit(resource.RLIMIT_CPU, before)


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
