"""Question tests: templates, self-tests, stored tests failing when the key changes."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courseware import problem_saving, services
from courseware.authoring import question_tests as qt
from courseware.authoring import services as authoring
from courseware.content_io import read_folder

SPEC = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2\n",
    "inputs": {"x": 2, "y": 3, "b": 1},
    "randomize": {"x": {"int": [1, 5]}, "y": {"int": [1, 5]}, "b": {"int": [-3, 3]}},
    "ask": ["forward", "local", "grad"],
}
CARRIED = qt.Case(
    name="a wrong u is carried forward",
    answers={"forward:u": "{key}+1", "forward:v": "{key}+1", "forward:z": "7"},
    expected_score=None,
    expected_statuses={"forward:u": "incorrect", "forward:v": "carried"},
)


@pytest.mark.parametrize(
    ("template", "key", "answer"),
    [
        ("42", "6", "42"),
        ("{key}", "6", "6"),
        ("{key}+1", "6", "7"),
        ("{key} - 0.5", "6", "5.5"),
        ("{key}*2", "[[1, 2], [3, 4]]", "[[2, 4], [6, 8]]"),
        ("{key}+1", "2*v", "(2*v)+1"),
        ("2*(", "6", "2*("),
    ],
)
def test_fill(template, key, answer):
    assert qt.fill(template, key) == answer


@pytest.mark.parametrize("template", ["2*{key}", "{key}+", "{key}/2"])
def test_fill_refuses_templates_outside_the_mini_syntax(template):
    with pytest.raises(qt.TemplateError, match="use \\{key\\}"):
        qt.fill(template, "6")


def test_answer_key_changes_with_the_variant_and_is_stable():
    assert qt.answer_key(SPEC, None)["forward:z"] == "49"
    assert qt.answer_key(SPEC, 3) == qt.answer_key(SPEC, 3)
    keys = {qt.answer_key(SPEC, seed)["forward:z"] for seed in range(1, 6)}
    assert len(keys) > 1


def test_variant_seeds_are_one_variant_without_randomize():
    assert qt.variant_seeds(SPEC, 3) == [1, 2, 3]
    fixed = {k: v for k, v in SPEC.items() if k != "randomize"}
    assert qt.variant_seeds(fixed, 3) == [None]


def test_key_templates_pass_on_every_variant():
    report = qt.run_case(SPEC, CARRIED)
    assert report.passed, [run.failures for run in report.runs]
    assert len(report.runs) == 5
    assert len({run.answers["forward:u"] for run in report.runs}) > 1


def test_every_content_problem_passes_its_self_tests():
    content = read_folder(Path("content"))
    for problem in content["problems"]:
        spec = {"prompt": problem["fields"]["prompt"], **problem["fields"]["spec"]}
        reports = qt.run_all(spec, [])
        assert [r.case.automatic for r in reports] == [True, True]
        assert all(r.passed for r in reports), (problem["slug"], reports)


def test_a_wrong_expectation_fails_with_what_differed():
    case = qt.Case("claims a wrong u is right", {"forward:u": "{key}+1"}, 1.0)
    run = qt.run_case(SPEC, case).runs[0]
    assert not run.passed
    assert run.failures == ("score 0, expected 1",)


# --- Stored tests on problems ------------------------------------------------


@pytest.fixture
def problem(db):
    course, _ = services.course_upsert(slug="dl", title="Deep Learning")
    lesson, _ = services.lesson_upsert(course=course, slug="ca", title="Credit")
    fixed = {k: v for k, v in SPEC.items() if k != "randomize"}
    problem, _ = problem_saving.problem_save(
        lesson=lesson, slug="t", title="T", spec=fixed
    )
    authoring.question_test_save(
        problem=problem,
        name="z is 49",
        answers={"forward:z": "49"},
        expected_score=1 / 13,
        expected_statuses={"forward:z": "correct"},
    )
    authoring.question_test_save(
        problem=problem,
        name="key templates",
        answers={"forward:u": "{key}+1", "forward:v": "{key}+1"},
        expected_score=1 / 13,
        expected_statuses={"forward:u": "incorrect", "forward:v": "carried"},
    )
    return problem


def test_stored_question_tests_run_after_the_self_tests(problem):
    reports = authoring.question_tests_run(problem=problem)
    assert [r.case.name for r in reports[2:]] == ["key templates", "z is 49"]
    assert all(r.passed for r in reports)


def test_a_literal_question_test_fails_when_the_key_changes(problem):
    changed = {**problem.spec, "inputs": {"x": 3, "y": 3, "b": 1}}
    problem, _ = problem_saving.problem_save(problem=problem, spec=changed)
    reports = {r.case.name: r for r in authoring.question_tests_run(problem=problem)}
    assert not reports["z is 49"].passed
    assert reports["z is 49"].runs[0].failures == (
        "score 0, expected 0.07692",
        "forward:z: incorrect, expected correct",
    )
    assert reports["key templates"].passed  # {key} follows the new key
    assert reports["The answer key grades 1.0"].passed


def test_run_question_tests_command_reports_and_fails(problem, capsys):
    call_command("run_question_tests", "t")
    assert "ok   t (v1): 4/4 passed" in capsys.readouterr().out
    authoring.question_test_save(
        problem=problem, name="wrong", answers={"forward:z": "50"}, expected_score=1.0
    )
    with pytest.raises(CommandError, match="4 of 5 tests passed; 1 failed"):
        call_command("run_question_tests", "--course", "dl")
    out = capsys.readouterr().out
    assert "FAIL t (v1): 4/5 passed" in out
    assert "wrong [own numbers]: score 0, expected 1" in out


def test_run_question_tests_names_unknown_problems(problem):
    with pytest.raises(CommandError, match="No problem nope"):
        call_command("run_question_tests", "nope")
