"""Question tests live in problems/*.yaml too: export and import round-trip them."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from courseware.authoring import services as authoring
from courseware.models import Problem, QuestionTest

pytestmark = pytest.mark.django_db

CARRIED = {
    "name": "a wrong u is carried forward",
    "answers": {"forward:u": "{key}+1", "forward:v": "{key}+1"},
    "expected_score": 1 / 13,  # only the carried v earns credit
    "expected_statuses": {"forward:u": "incorrect", "forward:v": "carried"},
    "variants": 3,
}


def files(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_export_import_round_trip_with_question_tests(tmp_path):
    call_command("import_content", "content/", verbosity=0)
    problem = Problem.objects.get(slug="work-this-trace")
    authoring.question_test_save(problem=problem, **CARRIED)

    first = tmp_path / "first"
    call_command("export_content", str(first))
    data = yaml.safe_load((first / "problems/work-this-trace.yaml").read_text())
    assert data["tests"] == [CARRIED]

    QuestionTest.objects.all().delete()
    call_command("import_content", str(first), verbosity=0)
    assert authoring.question_tests_data(problem=problem) == [CARRIED]

    second = tmp_path / "second"
    call_command("export_content", str(second))
    assert files(second) == files(first)  # byte for byte
    reports = authoring.question_tests_run(problem=problem)
    assert [r.passed for r in reports] == [True, True, True]


def test_problems_without_tests_export_no_tests_key(tmp_path):
    call_command("import_content", "content/", verbosity=0)
    call_command("export_content", str(tmp_path))
    text = (tmp_path / "problems/work-this-trace.yaml").read_text()
    assert "\ntests:" not in text
    assert (
        files(tmp_path)["problems/work-this-trace.yaml"]
        == Path("content/problems/work-this-trace.yaml").read_text()
    )


def test_importing_removes_tests_no_longer_in_the_file(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree("content", folder)
    path = folder / "problems/work-this-trace.yaml"
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "tests": [CARRIED]}, sort_keys=False))
    call_command("import_content", str(folder), verbosity=0)
    problem = Problem.objects.get(slug="work-this-trace")
    assert problem.question_tests.count() == 1
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    call_command("import_content", str(folder), verbosity=0)
    assert problem.question_tests.count() == 0


def test_a_bad_test_in_a_file_is_reported_and_nothing_imported(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree("content", folder)
    path = folder / "problems/work-this-trace.yaml"
    data = yaml.safe_load(path.read_text())
    bad = {"name": "x", "answers": "6", "expected_score": "all", "colour": 1}
    path.write_text(yaml.safe_dump({**data, "tests": [bad]}, sort_keys=False))
    with pytest.raises(CommandError) as error:
        call_command("import_content", str(folder), verbosity=0)
    message = str(error.value)
    assert "tests[0]: unknown field(s) colour" in message
    assert "tests[0].answers: must map step ids to answers" in message
    assert "tests[0].expected_score: must be a number from 0 to 1" in message
    assert not Problem.objects.exists()
