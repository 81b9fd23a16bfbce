"""The live preview of one answer cell: how it was read, or why it cannot be.

One function, ``preview``, serves every preview (the problem page's and the
API's). It reads the cell exactly as grading does (``grader.grading``: the
grammar, the number or SymPy expression the checks will use) under a short
hard deadline (``grader.budget``), so text that would cost minutes of SymPy
work answers at once with "too complex to check: simplify it", in any thread
of the web process.

Pure: no Django.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from engine.expressions import ParseError, parse_tree, to_latex
from grader import feedback, kinds
from grader.budget import Budget
from grader.cells import Cell, read_cell, read_or_result, trace_symbols

PREVIEW_SECONDS = 0.5
EMPTY = "Empty: this cell will count as missing. Type an expression or a number."


@dataclass(frozen=True)
class Preview:
    """``ok``: the cell can be read; ``latex``: how; else ``message`` (and ``column``)."""

    ok: bool
    latex: str | None = None
    message: str = ""
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview(
    spec: Mapping[str, Any],
    text: str,
    symbols=(),
    seconds: float = PREVIEW_SECONDS,
    budget: Budget | None = None,
    *,
    step_id: str = "answer",
    trace=None,
) -> Preview:
    """How grading will read ``text`` in cell ``step_id`` of a problem with ``spec``.

    Parameters
    ==========
    spec: the problem's spec (its ``kind``, a trace's ``local_form``, an
        expression's ``symbols``, a choice's ``options``).
    text: the student's text, untrusted.
    symbols: the names the cell may use, when no ``trace`` is given.
    step_id, trace: the cell and the variant's trace: the cell is read by
        grading's own rule (the kind's ``reader``, ``grader.kinds``), so "this step asks
        for a number" shows here before it shows in a result.
    seconds: the hard deadline of the whole preview.
    budget: shared by the cells of one request instead (``previews_budget``);
        once it is spent, cells are only parsed (the grammar's limits bound
        that), so a request of many hostile cells is bounded as a whole.

    Examples
    ========

    >>> preview({"kind": "numeric"}, "1/2", []).latex
    '\\\\frac{1}{2}'
    >>> preview({"kind": "numeric"}, "2*(3", []).column
    3
    >>> preview({"kind": "numeric"}, "2*v", ["v"]).message[:29]
    'This step asks for a number, '
    """
    kind = kinds.of(spec)
    pick = kind.pick_message(spec, text)
    if pick is not None:
        return Preview(not pick, message=pick)
    if not text.strip():
        return Preview(False, message=EMPTY)
    budget = budget or previews_budget(seconds)
    if trace is not None:
        symbols = trace_symbols(trace)
        reader = kind.reader(spec, trace)
    elif kind.traced:  # no variant given: only read the cell, in ``symbols``
        reader = lambda _step, t: read_cell(t, symbols)  # noqa: E731
    else:
        reader = kind.reader({**spec, "symbols": list(symbols)})
    if budget.seconds() <= 0:
        return _syntax_only(text, symbols)
    read = read_or_result(step_id, text, lambda t: reader(step_id, t), budget)
    if isinstance(read, Cell):
        return Preview(True, latex=read.interpreted)
    return Preview(
        False, message=read.message or feedback.TOO_COMPLEX, column=read.column
    )


def previews_budget(seconds: float = PREVIEW_SECONDS) -> Budget:
    """One deadline for all the cells of one preview request."""
    return Budget(total=seconds, per_cell=seconds, floor=0.0)


def _syntax_only(text: str, symbols) -> Preview:
    try:
        return Preview(True, latex=to_latex(parse_tree(text, symbols)))
    except ParseError as error:
        return Preview(False, message=error.message, column=error.column)
