"""Per-problem analytics, CSV exports and regrading, from seeded graded submissions."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from courseware import problem_saving, services
from courseware.authoring import selectors
from courseware.authoring import services as authoring
from courseware.models import StepResult, Submission
from grader.services import submission_fail, submission_grade

pytestmark = pytest.mark.django_db

SPEC = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2\n",
    "inputs": {"x": 2, "y": 3, "b": 1},
    "ask": ["forward", "local", "grad"],
}
KEY = {
    "forward:u": "6", "forward:v": "7", "forward:z": "49",
    "local:u/x": "3", "local:u/y": "2", "local:v/u": "1", "local:v/b": "1",
    "local:z/v": "14",
    "grad:v": "14", "grad:u": "14", "grad:b": "14", "grad:y": "28", "grad:x": "42",
}  # fmt: skip
STEPS = len(KEY)  # 13


@pytest.fixture
def problem():
    course, _ = services.course_upsert(slug="dl", title="Deep Learning")
    lesson, _ = services.lesson_upsert(course=course, slug="ca", title="Credit")
    problem, _ = problem_saving.problem_save(
        lesson=lesson, slug="t", title="T", spec=SPEC
    )
    return problem


def graded(username: str, problem, changes: dict | None = None, only=None):
    User = get_user_model()
    student = User.objects.filter(username=username).first()
    student = student or User.objects.create_user(username)
    answers = only if only is not None else {**KEY, **(changes or {})}
    submission = services.submission_create(
        student=student, problem=problem, answers=answers
    )
    submission_grade(submission_id=submission.pk)
    return submission


@pytest.fixture
def seeded(problem):
    """Five graded submissions by four students, and one that failed."""
    graded("ada", problem)  # 1
    graded("bob", problem, {"local:z/v": "v", "grad:x": "3"})  # 11/13
    graded("cy", problem, {"forward:u": "7", "forward:v": "8", "forward:z": "64"})
    graded("cy", problem)  # 1
    graded("dee", problem, only={"forward:u": "6"})  # 1/13, 12 missing
    failed = services.submission_create(
        student=get_user_model().objects.get(username="dee"),
        problem=problem,
        answers={"forward:u": "6"},
    )
    submission_fail(submission_id=failed.pk, message="The grader broke.")
    return problem


def test_analytics_figures(seeded):
    figures = selectors.problem_analytics(problem=seeded)
    assert (figures.submissions, figures.graded, figures.students) == (6, 5, 4)
    assert figures.mean_score == pytest.approx((1 + 11 / 13 + 12 / 13 + 1 + 1 / 13) / 5)
    steps = {step.step_id: step for step in figures.steps}
    assert [s.step_id for s in figures.steps][:3] == [
        "forward:u",
        "forward:v",
        "forward:z",
    ]
    assert all(step.answered == 5 for step in figures.steps)
    assert steps["forward:u"].errors == 1  # cy's wrong u
    assert steps["forward:u"].counts == {"correct": 4, "incorrect": 1}
    assert steps["forward:v"].errors == 1  # dee's missing v; cy's carried v is right
    assert steps["forward:v"].counts == {"correct": 3, "carried": 1, "missing": 1}
    assert steps["local:z/v"].error_rate == pytest.approx(2 / 5)
    assert steps["grad:x"].error_rate == pytest.approx(2 / 5)
    assert steps["grad:y"].error_rate == pytest.approx(1 / 5)
    assert figures.misconceptions == [("power_rule", 1), ("upstream_dropped", 1)]
    hardest = [step.step_id for step in figures.hardest_steps]
    assert hardest[:2] == ["local:z/v", "grad:x"]
    assert len(hardest) == 5
    assert dict(figures.score_buckets) == {
        "0–0.2": 1, "0.2–0.4": 0, "0.4–0.6": 0, "0.6–0.8": 0, "0.8–1": 4,
    }  # fmt: skip


def test_analytics_of_a_problem_without_submissions(problem):
    figures = selectors.problem_analytics(problem=problem)
    assert (figures.submissions, figures.graded, figures.mean_score) == (0, 0, None)
    assert figures.steps == [] and figures.hardest_steps == []


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("teacher", password="pw-12345678")
    client.force_login(user)
    return user


def test_analytics_page_draws_charts(client, staff, seeded):
    url = reverse("admin:courseware_problem_analytics", args=[seeded.pk])
    content = client.get(url).content.decode()
    assert '<dd id="figure-submissions">6</dd>' in content
    assert '<dd id="figure-mean">77%</dd>' in content  # 10/13
    assert '<svg class="chart chart-errors"' in content
    assert "<title>local:z/v: 40% of 5</title>" in content
    assert "<title>power_rule: 1</title>" in content
    assert "<code>local:z/v</code>: 2 of 5 wrong (40%)" in content


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_gradebook_csv(client, staff, seeded):
    url = reverse("admin:courseware_problem_gradebook_csv", args=[seeded.pk])
    response = client.get(url)
    assert 'filename="t-gradebook.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == [
        "student",
        "attempts",
        "best_score",
        "latest_score",
        "latest_status",
    ]
    by_student = {row[0]: row for row in rows[1:]}
    assert by_student["ada"][1:] == ["1", "1.0", "1.0", "graded"]
    assert by_student["cy"][1:3] == ["2", "1.0"]
    assert by_student["dee"][1:] == ["1", str(1 / 13), "", "error"]


def test_step_results_csv(client, staff, seeded):
    url = reverse("admin:courseware_problem_step_results_csv", args=[seeded.pk])
    rows = rows_of(client.get(url))
    assert rows[0][5:] == ["step_id", "status", "score", "misconception"]
    assert len(rows) == 1 + 5 * STEPS
    power = [row for row in rows if row[8] == "power_rule"]
    assert [(r[1], r[5], r[6]) for r in power] == [("bob", "local:z/v", "incorrect")]


# --- Regrading --------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr(
        services,
        "submission_enqueue",
        lambda *, submission_id, priority: sent.append(submission_id),
    )
    return sent


def test_regrade_resets_and_enqueues_after_commit(
    seeded, enqueued, django_capture_on_commit_callbacks
):
    before = selectors.problem_analytics(problem=seeded)
    with django_capture_on_commit_callbacks(execute=True):
        started_at, count = authoring.problem_regrade(problem=seeded)
        assert enqueued == []  # nothing is sent before the commit
    assert count == 6
    assert sorted(enqueued) == sorted(str(s.pk) for s in Submission.objects.all())
    assert set(Submission.objects.values_list("status", flat=True)) == {"queued"}
    assert not StepResult.objects.exists()
    progress = selectors.regrade_progress(problem=seeded, started_at=started_at)
    assert (progress.total, progress.queued, progress.graded, progress.done) == (
        6, 6, 0, False,
    )  # fmt: skip
    for submission_id in enqueued:
        submission_grade(submission_id=submission_id)  # what each worker task does
    progress = selectors.regrade_progress(problem=seeded, started_at=started_at)
    assert (progress.graded, progress.error, progress.done) == (6, 0, True)
    after = selectors.problem_analytics(problem=seeded)
    assert after.misconceptions == before.misconceptions
    assert after.graded == 6  # the one that failed is graded this time


def test_regrade_against_the_current_version_uses_the_corrected_key(
    seeded, enqueued, django_capture_on_commit_callbacks
):
    corrected = {**SPEC, "inputs": {"x": 2, "y": 3, "b": 2}}
    problem, _ = problem_saving.problem_save(problem=seeded, spec=corrected)
    assert problem.version == 2
    with django_capture_on_commit_callbacks(execute=True):
        authoring.problem_regrade(problem=problem, to_current_version=True)
    for submission_id in enqueued:
        submission_grade(submission_id=submission_id)
    ada = Submission.objects.get(student__username="ada")
    assert ada.problem_version.number == 2
    assert ada.score < 1  # the old key's v = 7 is wrong now


def test_regrade_view_redirects_to_progress_that_polls(
    client, staff, seeded, enqueued, django_capture_on_commit_callbacks
):
    url = reverse("admin:courseware_problem_regrade", args=[seeded.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"version": "own"})
    assert response.status_code == 302 and "regrade-progress" in response.url
    page = client.get(response.url)
    assert "Regrading: 0 of 6 graded, 6 queued, 0 grading." in page.content.decode()
    data = client.get(response.url + "&format=json").json()
    assert data == {"total": 6, "queued": 6, "grading": 0, "graded": 0, "error": 0,
                    "done": False}  # fmt: skip
    assert client.get(url).status_code == 405  # regrading needs a POST
