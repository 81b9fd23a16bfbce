"""`import_content` never silently overwrites what an instructor edited in the admin."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from courseware.models import Lesson, Problem

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parents[2] / "content"


def run_import(folder: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_content", str(folder), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    run_import(copy)
    return copy


def admin_edit(slug: str = "fan-out") -> Problem:
    """What an instructor does in the admin: a limit and a paragraph."""
    problem = Problem.objects.get(slug=slug)
    problem.attempt_limit = 5
    problem.prompt += "\n\nAn extra paragraph added in the admin."
    problem.save()
    return problem


def edit_file(folder: Path, slug: str = "fan-out", **changes) -> None:
    path = folder / "problems" / f"{slug}.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_an_admin_edit_survives_reimporting_unchanged_files(folder):
    admin_edit()
    out, err = run_import(folder)  # what every `make run` does
    problem = Problem.objects.get(slug="fan-out")
    assert problem.attempt_limit == 5
    assert problem.prompt.endswith("An extra paragraph added in the admin.")
    assert "kept     problem fan-out (edited in the admin" in out
    assert err == ""


def test_an_edit_on_both_sides_is_a_reported_conflict_and_the_admin_wins(folder):
    title = admin_edit().title
    edit_file(folder, title="Fan-out, retitled in the file")
    out, err = run_import(folder)
    problem = Problem.objects.get(slug="fan-out")
    assert (problem.attempt_limit, problem.title) == (5, title)
    assert "conflict problem fan-out" in err and "--force" in err
    assert "1 in conflict" in out


def test_force_lets_the_files_win(folder):
    admin_edit()
    edit_file(folder, title="Fan-out, retitled in the file")
    out, err = run_import(folder, "--force")
    problem = Problem.objects.get(slug="fan-out")
    assert problem.title == "Fan-out, retitled in the file"
    assert problem.attempt_limit is None
    assert "An extra paragraph" not in problem.prompt
    assert err == ""
    # Forced once, the next plain import sees no edit and no conflict.
    assert "conflict" not in "".join(run_import(folder))


def test_files_still_update_what_nobody_edited_in_the_admin(folder):
    admin_edit("fan-out")
    edit_file(folder, "relu-blame", title="ReLU blame, retitled")
    out, err = run_import(folder)
    assert Problem.objects.get(slug="relu-blame").title == "ReLU blame, retitled"
    assert "updated  problem relu-blame" in out
    assert Problem.objects.get(slug="fan-out").attempt_limit == 5
    assert err == ""


def test_a_lesson_edited_in_the_admin_is_kept_too(folder):
    lesson = Lesson.objects.get(slug="credit-assignment")
    lesson.body += "\nA closing note written in the admin.\n"
    lesson.save()
    (folder / "lessons" / "credit-assignment.md").write_text(
        (folder / "lessons" / "credit-assignment.md").read_text() + "\nFile note.\n"
    )
    out, err = run_import(folder)
    body = Lesson.objects.get(slug="credit-assignment").body
    assert "A closing note written in the admin." in body
    assert "File note." not in body
    assert "conflict lesson credit-assignment" in err


def test_an_edit_that_the_file_already_matches_is_no_conflict(folder, tmp_path):
    admin_edit()
    exported = tmp_path / "exported"
    call_command("export_content", str(exported))
    out, err = run_import(exported)
    assert err == ""
    assert Problem.objects.get(slug="fan-out").attempt_limit == 5
