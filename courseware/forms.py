"""Forms for the student pages: answers, the live preview, the depth plot.

A trace problem's answer form has one text field per asked step id; the field
names are the step ids themselves (``forward:u``, ``local:v/u``, ``grad:x``), so
the posted data maps straight onto contract 2.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django import forms

from courseware.services import ANSWER_MAX_LENGTH
from engine.graph import StepId

FAMILIES = {
    "forward": "Forward values",
    "local": "Local derivatives",
    "grad": "Gradients",
}


@dataclass(frozen=True)
class Cell:
    """One answer cell of the trace table."""

    step_id: str
    family: str
    label: str  # what a sighted student reads, e.g. "∂v/∂u"
    aria_label: str  # what a screen reader says, e.g. "local derivative ∂v by ∂u"
    input_id: str
    shape: tuple[int, int] | None = None  # rows, columns of a matrix-valued step

    @property
    def shape_text(self) -> str:
        """``"2x1"`` for the page script's grid (``data-shape``); blank for a number."""
        return f"{self.shape[0]}x{self.shape[1]}" if self.shape else ""

    @property
    def shape_words(self) -> str:
        """``"2×1 matrix"``, shown beside the label; blank for a number."""
        return f"{self.shape[0]}×{self.shape[1]} matrix" if self.shape else ""


def step_label(step_id: str, output: str) -> tuple[str, str]:
    """The visible label and the spoken label of a step id (``engine.graph.StepId``).

    Examples
    ========
    >>> step_label("forward:u", "z")
    ('u', 'forward value of u')
    >>> step_label("local:v/u", "z")
    ('∂v/∂u', 'local derivative of v with respect to u')
    >>> step_label("grad:x", "z")
    ('∂z/∂x', 'gradient of z with respect to x')
    """
    step = StepId.parse(step_id)
    return step.label(output), step.spoken(output)


def trace_cells(
    step_ids: Sequence[str],
    output: str,
    shapes: Mapping[str, tuple[int, int]] | None = None,
) -> list[Cell]:
    """The trace table's cells, in the engine's display order.

    ``shapes`` gives the (rows, columns) of the matrix-valued steps; a
    matrix cell's spoken label says its shape too.
    """
    cells = []
    for index, step_id in enumerate(step_ids):
        label, aria = step_label(step_id, output)
        family = StepId.parse(step_id).family
        shape = (shapes or {}).get(step_id)
        if shape:
            aria += f", a {shape[0]} by {shape[1]} matrix"
        cells.append(Cell(step_id, family, label, aria, f"cell-{index}", shape))
    return cells


def matrix_shapes(values: Mapping) -> dict[str, tuple[int, int]]:
    """(rows, columns) of every matrix-valued step; a 1-D value counts as a row.

    Examples
    ========
    >>> import numpy as np
    >>> matrix_shapes({"forward:u": 2.0, "grad:W1": np.zeros((2, 1))})
    {'grad:W1': (2, 1)}
    """
    shapes = {}
    for step_id, value in values.items():
        shape = np.shape(value)
        if len(shape) == 2:
            shapes[step_id] = (int(shape[0]), int(shape[1]))
        elif len(shape) == 1:
            shapes[step_id] = (1, int(shape[0]))
    return shapes


def cell_groups(cells: Sequence[Cell]) -> list[tuple[str, str, list[Cell]]]:
    """Cells grouped by family: ``(family, heading, cells)`` in forward, local, grad order."""
    groups = []
    for family, heading in FAMILIES.items():
        members = [cell for cell in cells if cell.family == family]
        if members:
            groups.append((family, heading, members))
    return groups


class AnswersForm(forms.Form):
    """The answers of one submission: a text field per step id (blank cells are left out)."""

    idempotency_key = forms.CharField(
        required=False, max_length=100, widget=forms.HiddenInput
    )

    def __init__(self, step_ids: Sequence[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for step_id in step_ids:
            self.fields[step_id] = forms.CharField(
                required=False, max_length=ANSWER_MAX_LENGTH, strip=True
            )
        self.step_ids = list(step_ids)

    def answers(self) -> dict[str, str]:
        return {
            step_id: self.cleaned_data[step_id]
            for step_id in self.step_ids
            if self.cleaned_data.get(step_id)
        }


class ChoiceAnswerForm(forms.Form):
    """A choice problem: one key (radio buttons) or several (checkboxes)."""

    idempotency_key = forms.CharField(
        required=False, max_length=100, widget=forms.HiddenInput
    )

    def __init__(self, options: Sequence[tuple[str, str]], multiple: bool, *a, **kw):
        super().__init__(*a, **kw)
        field = forms.MultipleChoiceField if multiple else forms.ChoiceField
        self.fields["answer"] = field(choices=list(options), required=False)
        self.multiple = multiple

    def answers(self) -> dict[str, str]:
        picked = self.cleaned_data.get("answer")
        if not picked:
            return {}
        return {"answer": ",".join(picked) if self.multiple else picked}


class ValidateForm(forms.Form):
    """The live "interpreted as" preview of one cell: parse only, never graded."""

    step_id = forms.CharField(max_length=200)
    text = forms.CharField(required=False, max_length=ANSWER_MAX_LENGTH, strip=False)


class DepthPlotForm(forms.Form):
    """The controls of the vanishing-gradient plot."""

    max_depth = forms.IntegerField(min_value=2, max_value=60, initial=30)
    weight_scale = forms.FloatField(min_value=0.1, max_value=4.0, initial=1.0)
