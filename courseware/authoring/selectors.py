"""Authoring reads: a problem's analytics, step-result rows for CSV, regrade progress.

Definitions used by the analytics page (and its tests):

- ``submissions``: every submission of the problem; ``graded`` those with a
  grade; ``students``: distinct students who submitted.
- ``mean_score``: the mean score of graded submissions (``None`` without any).
- A step's ``error_rate``: the share of its step results (of graded
  submissions) that earned nothing, i.e. ``incorrect``, ``invalid`` or
  ``missing``; ``correct`` and ``carried`` count as right.
- ``misconceptions``: how many step results were diagnosed with each code.
- ``hardest_steps``: the steps with the highest error rate (at least one
  error), worst first.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Avg, Count, Q

from courseware.models import Problem, StepResult, Submission
from grader import kinds

RIGHT_STATUSES = ("correct", "carried")
HARDEST_STEPS = 5


@dataclass(frozen=True)
class StepFigures:
    step_id: str
    answered: int
    errors: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class ProblemAnalytics:
    submissions: int
    graded: int
    students: int
    mean_score: float | None
    steps: list[StepFigures]
    misconceptions: list[tuple[str, int]]
    score_buckets: list[tuple[str, int]]

    @property
    def hardest_steps(self) -> list[StepFigures]:
        failing = [step for step in self.steps if step.errors]
        return sorted(failing, key=lambda s: -s.error_rate)[:HARDEST_STEPS]


def problem_analytics(*, problem: Problem, offering=None) -> ProblemAnalytics:
    """Figures for one problem over all its versions (see the module doc); with
    ``offering``, of the work done in that offering (one LMS course) only."""
    submissions = Submission.objects.filter(problem=problem)
    if offering is not None:
        submissions = submissions.filter(offering=offering)
    totals = submissions.aggregate(
        total=Count("id"),
        graded=Count("id", filter=Q(status=Submission.Status.GRADED)),
        students=Count("student", distinct=True),
        mean=Avg("score", filter=Q(status=Submission.Status.GRADED)),
    )
    rows = StepResult.objects.filter(
        submission__problem=problem, submission__status=Submission.Status.GRADED
    )
    if offering is not None:
        rows = rows.filter(submission__offering=offering)
    per_step: dict[str, Counter] = {}
    for step_id, status, count in (
        rows.values_list("step_id", "status").annotate(n=Count("id")).order_by()
    ):
        per_step.setdefault(step_id, Counter())[status] += count
    order = _step_order(problem)
    steps = [
        StepFigures(
            step_id=step_id,
            answered=sum(counts.values()),
            errors=sum(n for s, n in counts.items() if s not in RIGHT_STATUSES),
            counts=dict(counts),
        )
        for step_id, counts in sorted(
            per_step.items(), key=lambda item: (order.get(item[0], 10**6), item[0])
        )
    ]
    misconceptions = list(
        rows.exclude(misconception="")
        .values_list("misconception")
        .annotate(n=Count("id"))
        .order_by("-n", "misconception")
    )
    return ProblemAnalytics(
        submissions=totals["total"],
        graded=totals["graded"],
        students=totals["students"],
        mean_score=totals["mean"],
        steps=steps,
        misconceptions=[(code, n) for code, n in misconceptions],
        score_buckets=_score_buckets(submissions),
    )


def _score_buckets(submissions) -> list[tuple[str, int]]:
    """Graded submissions per score band: 0-0.2, ..., 0.8-1 (1.0 in the last)."""
    scores = submissions.filter(status=Submission.Status.GRADED).values_list(
        "score", flat=True
    )
    counts = [0] * 5
    for score in scores:
        counts[min(4, int((score or 0.0) * 5))] += 1
    labels = ["0–0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1"]
    return list(zip(labels, counts, strict=True))


def _step_order(problem: Problem) -> dict[str, int]:
    """Step id -> its display position (forward, local, grad); ``{}`` if untraceable."""
    kind = kinds.get(problem.kind)
    spec = kind.concrete(problem.spec, None)
    try:
        return {step: i for i, step in enumerate(kind.step_ids(spec, kind.trace(spec)))}
    except ValueError:  # a spec the engine cannot trace sorts by step id
        return {}


def step_result_rows(*, problem: Problem) -> Iterator[list]:
    """One row per graded step (header first): what ``step-results.csv`` holds."""
    yield [
        "submission",
        "student",
        "attempt",
        "version",
        "created_at",
        "step_id",
        "status",
        "score",
        "misconception",
    ]
    rows = (
        StepResult.objects.filter(submission__problem=problem)
        .select_related("submission__student", "submission__problem_version")
        .order_by("submission__created_at", "submission_id", "id")
    )
    for row in rows.iterator():
        submission = row.submission
        yield [
            str(submission.pk),
            submission.student.get_username(),
            submission.attempt,
            submission.problem_version.number,
            submission.created_at.isoformat(),
            row.step_id,
            row.status,
            row.score,
            row.misconception,
        ]


@dataclass(frozen=True)
class RegradeProgress:
    total: int
    queued: int
    grading: int
    graded: int
    error: int

    @property
    def done(self) -> bool:
        return self.queued + self.grading == 0


def regrade_progress(*, problem: Problem, started_at: datetime) -> RegradeProgress:
    """Status counts of the problem's submissions made up to ``started_at`` (a regrade batch)."""
    counts = dict(
        Submission.objects.filter(problem=problem, created_at__lte=started_at)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return RegradeProgress(
        total=sum(counts.values()),
        queued=counts.get(Submission.Status.QUEUED, 0),
        grading=counts.get(Submission.Status.GRADING, 0),
        graded=counts.get(Submission.Status.GRADED, 0),
        error=counts.get(Submission.Status.ERROR, 0),
    )
