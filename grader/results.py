"""The result of grading one submission (contract 3), as plain frozen dataclasses.

Pure: no Django. ``GradeResult.to_dict()`` is the JSON stored with a submission
and shown to a student; ``expected`` stays out of it unless ``reveal=True``
(courseware decides that from the problem's reveal policy).
"""

from dataclasses import dataclass, field

# Step statuses (contract 3).
CORRECT = "correct"
CARRIED = "carried"
INCORRECT = "incorrect"
INVALID = "invalid"
MISSING = "missing"
STEP_STATUSES = (CORRECT, CARRIED, INCORRECT, INVALID, MISSING)

# Submission outcomes (contract 3).
GRADED = "graded"
OUTCOME_INVALID = "invalid"
ERROR = "error"


@dataclass(frozen=True)
class StepResult:
    """One graded cell.

    ``expected`` is the key for this step, formatted for display; it is never
    part of ``message``. ``builds_on`` names the earliest wrong step a
    ``carried`` answer rests on. ``column`` is the 1-based column of the
    problem in an ``invalid`` cell.
    """

    id: str
    status: str
    score: float
    message: str
    misconception: str | None = None
    interpreted: str | None = None
    expected: str | None = None
    builds_on: str | None = None
    column: int | None = None

    def to_dict(self, reveal: bool = False) -> dict:
        data = {
            "id": self.id,
            "status": self.status,
            "score": self.score,
            "message": self.message,
            "misconception": self.misconception,
            "interpreted": self.interpreted,
            "builds_on": self.builds_on,
            "column": self.column,
        }
        if reveal:
            data["expected"] = self.expected
        return data


@dataclass(frozen=True)
class GradeResult:
    """The grade of a whole submission.

    ``score`` is the weighted mean of the step scores, in [0, 1]; ``None`` only
    when ``outcome`` is ``error``. ``message`` is a submission-level note (set
    for ``invalid`` and ``error`` outcomes).
    """

    outcome: str
    score: float | None
    steps: tuple[StepResult, ...] = field(default_factory=tuple)
    message: str = ""

    def to_dict(self, reveal: bool = False) -> dict:
        return {
            "outcome": self.outcome,
            "score": self.score,
            "message": self.message,
            "steps": [step.to_dict(reveal) for step in self.steps],
        }

    def step(self, step_id: str) -> StepResult:
        """The result of one step, by its id (``KeyError`` when not asked)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def error_result(message: str) -> GradeResult:
    """The result when the system (not the student) failed."""
    return GradeResult(outcome=ERROR, score=None, steps=(), message=message)
