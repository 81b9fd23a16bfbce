"""A small course made through courseware's own services, for the API and LTI tests."""

from dataclasses import dataclass

from courseware import problem_saving, services
from courseware.models import Course, CourseMembership, Lesson, Problem, Quiz
from tests.grader.problems import WORK_THIS

CHOICE = {
    "kind": "choice",
    "prompt": "What does a layer need for its gradients?",
    "multiple": False,
    "options": [
        {"key": "a", "text": "Only the loss", "correct": False, "feedback": "No."},
        {"key": "b", "text": "Its input and the upstream gradient", "correct": True},
    ],
}


@dataclass
class Content:
    course: Course
    lesson: Lesson
    problem: Problem
    choice: Problem
    quiz: Quiz


def make_content(slug: str = "dl") -> Content:
    course, _ = services.course_upsert(slug=slug, title="Deep learning")
    lesson, _ = services.lesson_upsert(
        course=course, slug="credit", title="Credit assignment", body="# Credit"
    )
    problem, _ = problem_saving.problem_save(
        lesson=lesson,
        slug="work-this",
        title="Work this",
        spec=WORK_THIS,
        prompt="Trace $z = (xy + b)^2$.",
        points=2,
        reveal_policy=Problem.RevealPolicy.AFTER_CORRECT,
    )
    choice, _ = problem_saving.problem_save(
        lesson=lesson, slug="needs", title="What a layer needs", spec=CHOICE, order=2
    )
    quiz, _ = services.quiz_upsert(
        lesson=lesson, slug="quiz", title="Quiz", problems=[problem, choice]
    )
    return Content(course, lesson, problem, choice, quiz)


def enrol(user, course: Course, role: str = CourseMembership.Role.STUDENT) -> None:
    services.course_enrol(course=course, user=user, role=role)


def work_this_answers(**changes: str) -> dict[str, str]:
    """Every step of WORK_THIS answered right (x=2, y=3, b=1), with ``changes``."""
    answers = {
        "forward:u": "6", "forward:v": "7", "forward:z": "49",
        "local:u/x": "3", "local:u/y": "2", "local:v/u": "1", "local:v/b": "1",
        "local:z/v": "14",
        "grad:v": "14", "grad:u": "14", "grad:b": "14", "grad:x": "42", "grad:y": "28",
    }  # fmt: skip
    answers.update(changes)
    return answers
