"""Hints on demand and the worked solution, on the problem page (issue 16)."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from courseware.models import HintRequest, Problem, Quiz
from courseware.problem_saving import problem_spec_update
from tests.courseware import test_views
from tests.courseware.test_views import (
    WORK_THIS,
    client_for,
    key_of,
    submit_and_grade,
    url,
)

course, student = test_views.course, test_views.student  # the fixtures


def ask_hint(client, step_id: str, **extra):
    return client.post(
        url("hint", WORK_THIS),
        data=json.dumps({"step_id": step_id, **extra}),
        content_type="application/json",
    )


def test_a_hint_names_the_rule_and_factors_never_the_number(student):
    _, values = key_of(student)
    response = ask_hint(client_for(student), "grad:x")
    assert response.status_code == 200
    shown = response.json()
    assert shown["hint"].startswith("∂z/∂x = ∂z/∂u · ∂u/∂x")
    assert f"{values['grad:x']:g}" not in re.findall(r"-?\d+", shown["hint"])
    assert HintRequest.objects.get().step_id == "grad:x"


def test_a_hint_is_logged_once_per_step(student):
    client = client_for(student)
    ask_hint(client, "local:z/v")
    ask_hint(client, "local:z/v")
    assert HintRequest.objects.count() == 1


def test_no_hint_for_a_step_the_problem_lacks_or_inside_a_quiz(student):
    client = client_for(student)
    assert ask_hint(client, "grad:nope").status_code == 400
    assert ask_hint(client, "grad:x", quiz="credit-assignment").status_code == 403
    assert not HintRequest.objects.exists()


def test_a_hinted_step_earns_less_when_the_problem_sets_a_penalty(student):
    problem, values = key_of(student)
    problem_spec_update(problem=problem, spec={**problem.spec, "hint_penalty": 0.5})
    ask_hint(client_for(student), "grad:x")
    answers = {step: f"{float(value):g}" for step, value in values.items()}
    submission = submit_and_grade(student, answers)
    steps = {s.step_id: s for s in submission.step_results.all()}
    assert steps["grad:x"].score == pytest.approx(0.5)
    assert "hint" in steps["grad:x"].message
    assert steps["grad:y"].score == 1.0
    assert submission.score == pytest.approx(1 - 0.5 / len(values))


def test_hints_are_free_by_default(student):
    _, values = key_of(student)
    ask_hint(client_for(student), "grad:x")
    answers = {step: f"{float(value):g}" for step, value in values.items()}
    assert submit_and_grade(student, answers).score == 1.0


def test_the_worked_solution_appears_only_with_the_key(student):
    problem, values = key_of(student)
    answers = {"forward:u": "0"}
    submission = submit_and_grade(student, answers)
    page = client_for(student).get(
        url("problem", WORK_THIS) + f"?submission={submission.id}"
    )
    assert "Worked solution" not in page.content.decode()
    problem.reveal_policy = Problem.RevealPolicy.ALWAYS
    problem.save()
    Quiz.objects.update(due_at=timezone.now() - timedelta(days=1))
    page = client_for(student).get(
        url("problem", WORK_THIS) + f"?submission={submission.id}"
    )
    html = page.content.decode()
    assert "Worked solution" in html
    grad_x = f"{values['grad:x']:g}"
    assert "∂z/∂x = ∂z/∂u · ∂u/∂x = " in html and f"= {grad_x}</code>" in html


def test_a_graded_attempt_shows_the_replay_with_the_students_numbers(student):
    _, values = key_of(student)
    answers = {step: f"{float(value):g}" for step, value in values.items()}
    wrong_u = float(values["grad:u"]) + 1
    answers["grad:u"] = f"{wrong_u:g}"
    submission = submit_and_grade(student, answers)
    page = client_for(student).get(
        url("problem", WORK_THIS) + f"?submission={submission.id}"
    )
    html = page.content.decode()
    assert "The backward pass, replayed with your numbers" in html
    assert 'class="replay-diverged" data-step="grad:u"' in html
    assert "your backward pass diverges here" in html
