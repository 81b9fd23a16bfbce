"""The embedded broker holds up under load: every message arrives whole, the worker lives.

kombu's filesystem transport, the previous default, let a worker read a
message file that was still being written (``JSONDecodeError``), which
stopped the worker for good. Here several processes write at once while the
machine is busy, as under ``make run`` with a class submitting.
"""

import subprocess
import sys
import threading

import pytest
from kombu import Connection

from config.broker import Transport
from config.celery import app
from courseware.models import Submission
from courseware.services import GRADE_QUEUE, GRADE_TASK_NAME, submission_create
from tests.faults.conftest import key_answers
from tests.grader.problems import WORK_THIS
from tests.workers import wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

SUBMISSIONS = 240
WRITERS = 4


@pytest.fixture
def busy_machine():
    """Two processes spinning on the CPU for as long as the test runs."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)
    ]
    yield
    for spinner in spinners:
        spinner.kill()
        spinner.wait()


def test_a_burst_from_several_writers_is_graded_whole_on_a_busy_machine(
    worker_factory, tmp_path, make_problem, student, busy_machine, monkeypatch
):
    var = tmp_path / "var"
    worker = worker_factory(
        broker_url=None,
        CELERY_BROKER_URL="",
        REDIS_URL="",
        TRACEGRADE_VAR_DIR=str(var),
        WORKER_CONCURRENCY="2",
    )
    problem = make_problem("work-this", WORK_THIS)
    answers = key_answers(problem, student)
    # Stored first (not sent), then sent by several writers at once.
    monkeypatch.setattr(
        "courseware.services._grading_send", lambda pk, priority=0: True
    )
    ids = []
    for _ in range(SUBMISSIONS):
        submission = submission_create(
            student=student, problem=problem, answers=answers
        )
        ids.append(str(submission.pk))
    url = f"sqlite:///{var / 'broker.sqlite3'}"
    options = {"connect_args": {"timeout": 30}}
    errors: list[BaseException] = []

    def write(chunk: list[str]) -> None:
        try:
            with Connection(
                url, transport=Transport, transport_options=options
            ) as conn:
                for submission_id in chunk:
                    app.send_task(GRADE_TASK_NAME, args=[submission_id],
                                  queue=GRADE_QUEUE, connection=conn)  # fmt: skip
        except BaseException as error:  # reported below, with the worker's log
            errors.append(error)

    threads = [
        threading.Thread(target=write, args=(ids[i::WRITERS],)) for i in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    def graded() -> bool:
        return Submission.objects.filter(pk__in=ids, status="graded").count() == len(
            ids
        )

    wait_for(graded, timeout=240, interval=0.5)
    assert worker.process.poll() is None, worker.log()
    assert "Unrecoverable error" not in worker.log()
    # Exactly once: the burst was sent once, and each was graded on its first delivery.
    assert set(
        Submission.objects.filter(pk__in=ids).values_list("deliveries", flat=True)
    ) == {1}
