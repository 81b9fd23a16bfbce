"""200 students reading, checking and submitting, through the API (run by bench/load.py).

Each simulated student signs in with their own API token (made by the runner
and passed in the JSON file named by ``TRACEGRADE_LOAD_STUDENTS``), then, with
one to three seconds between actions: reads the lesson and their variant of
"Work this", checks answers with the validate endpoint, or submits and polls
until the submission is graded. Any non-2xx answer, or a submission not graded
within 30 s, counts as a failure.
"""

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path

from locust import HttpUser, between, task

STUDENTS = json.loads(Path(os.environ["TRACEGRADE_LOAD_STUDENTS"]).read_text())
GRADED_WITHIN = 30.0
_seats = itertools.count()
# What students type while working: right, wrong, symbolic and unreadable.
DRAFTS = ["6", "7", "2*v", "2*(x*y+b)", "v^2", "x*y+", "1/0", "sigmoid(u)", "(u"]


class Student(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.me = STUDENTS[next(_seats) % len(STUDENTS)]
        self.client.headers["Authorization"] = f"Token {self.me['token']}"
        self.client.headers["Accept"] = "application/json"

    @task(3)
    def read_lesson(self) -> None:
        me = self.me
        self.client.get(
            f"/api/v1/courses/{me['course']}/lessons/{me['lesson']}/", name="lesson"
        )
        self.client.get(f"/api/v1/problems/{me['problem']}/variant/", name="variant")

    @task(3)
    def validate(self) -> None:
        answers = {step: random.choice(DRAFTS) for step in ("forward:u", "local:z/v")}
        self.client.post(
            f"/api/v1/problems/{self.me['problem']}/validate/",
            json={"answers": answers},
            name="validate",
        )

    @task(1)
    def submit(self) -> None:
        answers = dict(self.me["answers"])
        if random.random() < 0.5:
            answers["forward:u"] = random.choice(DRAFTS)  # a slip, carried forward
        with self.client.post(
            "/api/v1/submissions/",
            json={"problem": self.me["problem"], "answers": answers},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            name="submit",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"submit answered {response.status_code}")
                return
            submission = response.json()["id"]
        deadline = time.monotonic() + GRADED_WITHIN
        while True:
            with self.client.get(
                f"/api/v1/submissions/{submission}/",
                name="submission status",
                catch_response=True,
            ) as response:
                status = response.json().get("status") if response.ok else None
                if status == "graded":
                    return
                if status == "error" or time.monotonic() > deadline:
                    response.failure(f"submission {submission} ended {status!r}")
                    return
            time.sleep(0.25)  # gevent-patched: other students run meanwhile
