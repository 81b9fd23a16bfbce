"""The live preview service: one path for the problem page and the API.

``answer_preview`` reads one cell of a student's variant the way grading
will (``grader.preview``), under a hard deadline (``PREVIEW_TIME_LIMIT``
seconds), so no preview can hold a web worker. Views call only this; a
throttle belongs in front of the view, around this one call.
"""

import logging

from django.conf import settings

from courseware.models import Problem
from courseware.workspace import problem_workspace
from grader.preview import Preview, preview

logger = logging.getLogger(__name__)

UNAVAILABLE = "The preview is unavailable; you can still submit."


def answer_preview(*, problem: Problem, seed: int | None, text: str) -> dict:
    """``{ok, latex, message, column}`` for ``text`` in a cell of ``problem``.

    ``seed`` is the student's variant (None before they have one): it fixes
    the names a cell may use. Never raises for any text.
    """
    try:
        symbols = problem_workspace(problem, seed)["symbols"]
        seconds = settings.PREVIEW_TIME_LIMIT
        return preview(problem.spec, text, symbols, seconds).to_dict()
    except Exception:  # a bug in the preview must never cost the student anything
        logger.exception("preview failed for problem %s", problem.pk)
        return Preview(False, message=UNAVAILABLE).to_dict()
