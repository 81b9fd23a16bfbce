"""The zero-setup default (SQLite, no Redis) takes and counts submissions.

The compiled queries of the submission and grading path
(``courseware.compiled``) are built for each database's own parameters: SQLite
takes datetimes as text. A separate process, since the suite runs on PostgreSQL.
"""

import json
import os
import subprocess
import sys

from tests.workers import ROOT

SCRIPT = r"""
import json
import django
django.setup()
from unittest import mock
from django.contrib.auth import get_user_model
from django.core.management import call_command
from courseware import services
from courseware.hints import hinted_steps
from courseware.models import HintRequest, Problem

call_command("migrate", verbosity=0)
call_command("import_content", "content/", verbosity=0)
user = get_user_model().objects.create_user("ada", password="pw-for-tests-1")
problem = Problem.objects.get(slug="work-this-trace")
services.course_enrol(course=problem.lesson.course, user=user)
answers = {"forward:u": "6"}
with mock.patch("courseware.services._grading_send", return_value=True):
    first = services.submission_create(
        student=user, problem=problem, answers=answers, idempotency_key="k1"
    )
    again = services.submission_retried(
        student=user, problem=problem, answers=answers, key="k1"
    )
    second = services.submission_create(student=user, problem=problem, answers=answers)
    variant = services.variant_get_or_create(student=user, problem=problem)
    HintRequest.objects.create(variant=variant, step_id="grad:x")
    third = services.submission_create(student=user, problem=problem, answers=answers)
print(json.dumps({
    "retried": again.pk == first.pk,
    "attempts": [first.attempt, second.attempt, third.attempt],
    "hinted_first": sorted(hinted_steps(first)),
    "hinted_third": sorted(hinted_steps(third)),
}))
"""


def test_submissions_on_the_sqlite_default(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CELERY_BROKER_URL", "TRACEGRADE_REQUIRE_ALL")
    }
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="config.settings",
        TRACEGRADE_VAR_DIR=str(tmp_path / "var"),
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["retried"] is True
    assert result["attempts"] == [1, 2, 3]
    # A hint counts for the submissions made after it only.
    assert (result["hinted_first"], result["hinted_third"]) == ([], ["grad:x"])
