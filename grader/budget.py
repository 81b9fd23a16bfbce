"""The time budget of one submission's cells: a slow or broken cell stays in its cell.

Everything student text can trigger after parsing (SymPy construction,
``evalf``, equivalence, LaTeX) runs through ``Budget.check``: under a hard
deadline (``engine.deadline``), with any failure turned into ``CellError``, so
the cell is ``invalid`` with a message and the other cells are still graded.

Each cell gets at most ``CELL_SECONDS``; a submission's cells together get
``SUBMISSION_SECONDS`` (after that each cell still gets ``MIN_CELL_SECONDS``,
enough for an ordinary answer). So a submission made only of hostile cells
costs a worker a few seconds, not the soft time limit.

Pure: no Django.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from engine.deadline import TooSlow, within
from engine.expressions import ParseError
from grader import feedback

logger = logging.getLogger(__name__)
T = TypeVar("T")

CELL_SECONDS = 1.0
SUBMISSION_SECONDS = 2.0
MIN_CELL_SECONDS = 0.05


class CellError(Exception):
    """A cell that cannot be used: ``invalid``, with a message and maybe a column."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column


def is_time_limit(error: BaseException) -> bool:
    # Celery's soft time limit must reach the task (no celery import here).
    return type(error).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded")


class Budget:
    """Time left for the cells of one submission."""

    def __init__(
        self,
        total: float = SUBMISSION_SECONDS,
        per_cell: float = CELL_SECONDS,
        floor: float = MIN_CELL_SECONDS,
    ):
        self.end = time.monotonic() + total
        self.per_cell = per_cell
        self.floor = floor

    def seconds(self) -> float:
        """The deadline of the next check."""
        return max(self.floor, min(self.per_cell, self.end - time.monotonic()))

    def check(self, work: Callable[[], T]) -> T:
        """``work()`` under the cell's deadline; ``CellError`` for any failure.

        ``ParseError`` (raised late, e.g. ``(v-v)**(-1)`` when SymPy builds it)
        and ``CellError`` keep their message; a deadline, an overflow, a
        recursion or any other failure reads "too complex to check".
        """
        try:
            return within(self.seconds(), work)
        except (CellError, ParseError) as error:
            raise CellError(error.message, error.column) from None
        except TooSlow:
            raise CellError(feedback.TOO_COMPLEX) from None
        except OverflowError:
            raise CellError(feedback.TOO_LARGE) from None
        except Exception as error:
            if is_time_limit(error):
                raise
            logger.warning("A cell could not be checked: %r", error, exc_info=True)
            raise CellError(feedback.TOO_COMPLEX) from None
