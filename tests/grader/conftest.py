import itertools

import pytest

from tests.grader.problems import WORK_THIS

_numbers = itertools.count(1)


@pytest.fixture
def make_submission(django_user_model):
    """Store a submission of a problem (``WORK_THIS`` by default), status ``queued``."""
    from courseware.models import (
        Course,
        Lesson,
        Problem,
        ProblemVersion,
        Submission,
        Variant,
    )

    n = next(_numbers)
    student = django_user_model.objects.create_user(
        username=f"student{n}", password="x"
    )
    course = Course.objects.create(slug=f"course-{n}", title="Deep learning")
    lesson = Lesson.objects.create(
        course=course, slug="credit", title="Credit assignment"
    )
    problems: dict[str, Problem] = {}

    def make(answers: dict, spec: dict = WORK_THIS, **fields) -> Submission:
        key = repr(sorted(spec.items()))
        if key not in problems:
            problem = Problem.objects.create(
                lesson=lesson,
                slug=f"p{len(problems)}",
                title="Work this",
                kind=spec["kind"],
                spec=spec,
            )
            ProblemVersion.objects.create(problem=problem, number=1, spec=spec)
            Variant.objects.create(problem=problem, student=student, seed=1)
            problems[key] = problem
        problem = problems[key]
        attempt = Submission.objects.filter(problem=problem).count() + 1
        return Submission.objects.create(
            student=student,
            problem=problem,
            problem_version=problem.versions.get(),
            variant=problem.variants.get(),
            answers=answers,
            attempt=attempt,
            **fields,
        )

    return make
