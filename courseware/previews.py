"""The live preview service: one path for the problem page and the API.

``answers_preview`` reads each cell of a student's variant the way grading
will (``grader.preview``), under a hard deadline (``PREVIEW_TIME_LIMIT``
seconds), so no preview can hold a web worker. Views call only this; a
throttle belongs in front of the view, around this one call.
"""

import logging
from collections.abc import Mapping

from django.conf import settings

from courseware.models import Problem
from courseware.workspace import problem_workspace
from grader.preview import Preview, preview, previews_budget

logger = logging.getLogger(__name__)

UNAVAILABLE = "The preview is unavailable; you can still submit."


def answers_preview(
    *, problem: Problem, seed: int | None, answers: Mapping[str, str]
) -> list[dict]:
    """``{id, ok, latex, message, column}`` for each step id -> text of ``answers``.

    ``seed`` is the student's variant (None before they have one): it fixes
    the names a cell may use. The cells share one deadline of
    ``PREVIEW_TIME_LIMIT`` seconds (after it, cells are only parsed). Never
    raises for any text.
    """
    workspace = problem_workspace(problem, seed)
    budget = previews_budget(settings.PREVIEW_TIME_LIMIT)
    return [
        {"id": step_id, **_one(problem, step_id, text, workspace, budget)}
        for step_id, text in answers.items()
    ]


def _one(problem: Problem, step_id: str, text: str, workspace, budget) -> dict:
    try:
        return preview(
            problem.spec,
            text,
            workspace["symbols"],
            budget=budget,
            step_id=step_id,
            trace=workspace["trace"],
        ).to_dict()
    except Exception:  # a bug in the preview must never cost the student anything
        logger.exception("preview failed for problem %s", problem.pk)
        return Preview(False, message=UNAVAILABLE).to_dict()
