"""``make run``'s embedded default under load: SQLite, the SQLite broker, the supervisor.

In a throwaway var/ folder: migrate, import ``content/``, make students with
API tokens, then start ``python -m config.supervise`` (runserver and one
worker with beat, exactly as ``make run`` does) and keep the machine busy
with two CPU spinners while N "Work this" submissions are POSTed by four
clients. Prints how many were accepted and graded, how long it took, and
whether the worker ever exited (the supervisor says so in its log).

    .venv/bin/python bench/embedded.py [--submissions 1000]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import free_port, wait_until  # noqa: E402

SETUP = """
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from courseware import services
from courseware.models import Problem
from engine.specs import instantiate
from engine.trace import trace
import json
problem = Problem.objects.select_related("lesson__course").get(slug="work-this-trace")
out = []
for n in range({students}):
    user = get_user_model().objects.create_user(username=f"load{{n}}", password="x-" * 8)
    services.course_enrol(course=problem.lesson.course, user=user)
    variant = services.variant_get_or_create(student=user, problem=problem)
    values = trace(instantiate(problem.spec, variant.seed)).values
    out.append({{"token": AuthToken.objects.create(user)[1], "problem": problem.pk,
                "answers": {{k: repr(float(v)) for k, v in values.items()}}}})
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--students", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracegrade-embedded-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(
        DEBUG="1",
        TRACEGRADE_VAR_DIR=str(tmp / "var"),
        THROTTLE_SUBMIT="1000000/min",
        LOG_LEVEL="WARNING",
    )
    python = sys.executable

    def manage(*argv: str) -> str:
        return subprocess.run([python, "manage.py", *argv], cwd=ROOT, env=env,
                              check=True, capture_output=True, text=True).stdout  # fmt: skip

    manage("migrate", "--noinput")
    manage("import_content", "content/")
    students = json.loads(
        manage("shell", "-c", SETUP.format(students=args.students)).splitlines()[-1]
    )
    port = free_port()
    log_path = tmp / "supervise.log"
    with open(log_path, "wb") as log:
        supervisor = subprocess.Popen(
            [python, "-m", "config.supervise", "--port", str(port)], cwd=ROOT,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    spinners = [subprocess.Popen([python, "-c", "while True: pass"]) for _ in range(2)]
    try:
        wait_until(lambda: " ready." in log_path.read_text(), 120, "the worker")

        def submit(i: int) -> int:
            student = students[i % len(students)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            body = json.dumps(
                {"problem": student["problem"], "answers": student["answers"]}
            )
            conn.request("POST", "/api/v1/submissions/", body, {
                "Authorization": f"Token {student['token']}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            })  # fmt: skip
            status = conn.getresponse().status
            conn.close()
            return status

        start = time.time()
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(submit, range(args.submissions)))
        accepted = time.time()
        db = sqlite3.connect(tmp / "var" / "tracegrade.sqlite3", timeout=30)

        def graded() -> int:
            return db.execute(
                "SELECT count(*) FROM courseware_submission WHERE status = 'graded'"
            ).fetchone()[0]

        wait_until(lambda: graded() >= statuses.count(201), 1800, "grading", 1.0)
        done = time.time()
        log = log_path.read_text()
        restarts = len(re.findall(r"worker exited", log))
        print(
            f"embedded (SQLite + SQLite broker, runserver, 1 worker x2, 2 CPU spinners): "
            f"{statuses.count(201)}/{args.submissions} accepted in "
            f"{accepted - start:.1f} s, all graded {done - start:.1f} s after the first; "
            f"worker exits: {restarts}; 'Unrecoverable error' in the log: "
            f"{'Unrecoverable error' in log}; supervisor alive: {supervisor.poll() is None}"
        )
    finally:
        for spinner in spinners:
            spinner.kill()
        os.killpg(supervisor.pid, signal.SIGTERM)
        supervisor.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
