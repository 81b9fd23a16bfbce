"""One student flooding slow submissions cannot hold up another student's grading.

A real worker (two pool processes, a private Redis) takes a flood of
submissions whose every cell is slow to check (``CUBE_ROOTS``: minutes of
SymPy work without the cell budget). The flooding student hits the cap on
work in flight; the backlog they do get queued waits behind another
student's ordinary submission (grading priority), which is graded within
5 s. The flood itself is graded too: every cell ``invalid``, never ``error``.
"""

import pytest
from django.core.exceptions import ValidationError

from courseware import services
from courseware.models import Submission
from courseware.services import submission_create
from tests.faults.conftest import key_answers
from tests.grader.problems import WORK_THIS
from tests.security.hostile import CUBE_ROOTS
from tests.workers import wait_for

pytestmark = [
    pytest.mark.fault,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

CAP = 10
FLOOD = 15
FAIR_WAIT_SECONDS = 5


def _final(pk) -> Submission | None:
    submission = Submission.objects.get(pk=pk)
    return submission if submission.status in ("graded", "error") else None


def test_a_flood_of_slow_submissions_does_not_delay_another_student(
    worker_factory,
    broker_url,
    use_broker,
    make_problem,
    student,
    django_user_model,
    settings,
    course,
):
    settings.GRADING_MAX_IN_FLIGHT = CAP
    use_broker(broker_url)
    worker_factory(broker_url=broker_url, WORKER_CONCURRENCY="2")
    problem = make_problem("work-this", WORK_THIS)
    mallory = django_user_model.objects.create_user("mallory", password="pw-m-1")
    services.course_enrol(course=course.course, user=mallory)
    hostile = {step: CUBE_ROOTS for step in key_answers(problem, mallory)}

    flood, refused = [], 0
    for _ in range(FLOOD):
        try:
            flood.append(
                submission_create(student=mallory, problem=problem, answers=hostile).pk
            )
        except ValidationError:
            refused += 1
    assert (len(flood), refused) == (CAP, FLOOD - CAP)
    busy = Submission.objects.filter(pk__in=flood, status="grading")
    wait_for(lambda: busy.count() == 2, timeout=60)  # both pool processes taken

    ordinary = submission_create(
        student=student, problem=problem, answers=key_answers(problem, student)
    )
    graded = wait_for(lambda: _final(ordinary.pk), timeout=120)
    assert graded.status == "graded" and graded.score == 1.0
    waited = (graded.graded_at - graded.created_at).total_seconds()
    assert waited < FAIR_WAIT_SECONDS, f"waited {waited:.1f} s behind the flood"
    behind = Submission.objects.filter(pk__in=flood, status="queued").count()
    assert behind > 0  # it really went past a backlog

    wait_for(lambda: all(_final(pk) for pk in flood), timeout=180)
    for submission in Submission.objects.filter(pk__in=flood):
        assert submission.status == "graded", submission.result
        assert submission.result["outcome"] == "invalid"
        assert {s["status"] for s in submission.result["steps"]} == {"invalid"}
