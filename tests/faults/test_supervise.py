"""``make run``'s supervisor restarts a grading worker that dies, and says so."""

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from courseware.models import Submission
from courseware.services import submission_create
from tests.faults.conftest import free_port, key_answers
from tests.grader.problems import WORK_THIS
from tests.workers import ROOT, database_url, wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def test_a_killed_worker_is_restarted_and_grading_goes_on(
    tmp_path, broker_url, use_broker, make_problem, student
):
    use_broker(broker_url)
    port = free_port()
    log_path = tmp_path / "supervise.log"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "TRACEGRADE_VAR_DIR": str(tmp_path / "var"),
    }
    with open(log_path, "wb") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "config.supervise", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:

        def worker_pids() -> list[int]:
            return [
                int(p) for p in re.findall(r"worker pid (\d+)", log_path.read_text())
            ]

        def serving() -> bool:
            try:
                url = f"http://127.0.0.1:{port}/healthz"
                return urllib.request.urlopen(url, timeout=2).status == 200
            except OSError:
                return False

        wait_for(serving, timeout=60)
        first = wait_for(worker_pids, timeout=30)[0]
        wait_for(lambda: " ready." in log_path.read_text(), timeout=60)

        os.kill(first, signal.SIGKILL)
        wait_for(lambda: len(worker_pids()) == 2, timeout=30)
        assert "the grading worker exited (status -9); restarting it." in (
            log_path.read_text()
        )
        assert worker_pids()[1] != first

        def orphans() -> list[int]:
            """Processes of the killed worker (its pool and beat) still alive."""
            second = worker_pids()[1]
            found = []
            for entry in Path("/proc").iterdir():
                try:
                    command = (entry / "cmdline").read_bytes()
                    pgid = os.getpgid(int(entry.name))
                except (ValueError, OSError):
                    continue
                if str(tmp_path / "var").encode() in command and pgid != second:
                    found.append(int(entry.name))
            return found

        wait_for(lambda: not orphans(), timeout=10)

        problem = make_problem("work-this", WORK_THIS)
        submission = submission_create(
            student=student, problem=problem, answers=key_answers(problem, student)
        )
        wait_for(
            lambda: Submission.objects.get(pk=submission.pk).status == "graded",
            timeout=90,
        )
    finally:
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=40) == 0, log_path.read_text()[-3000:]
    assert not serving()
