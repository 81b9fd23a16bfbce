"""What every problem kind answers: the ``Kind`` interface, with the defaults of
the single-answer kinds (one step, ``answer``; no trace, no graph).

A method gets the *concrete* spec of one variant (``concrete(spec, seed)``,
without ``randomize``) unless its parameter is called ``spec``.

Pure: no Django.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from engine.specs import COMMON_FIELDS, SpecError, instantiate
from grader.cells import Cell, read_cell
from grader.results import GradeResult

ANSWER = "answer"  # the one step id of a single-answer kind


class Kind(ABC):
    """One problem kind. Subclasses set the class attributes, implement
    ``answer_key`` and ``grade``, and override what else differs."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""  # what authors see, e.g. "Scalar trace"
    order: ClassVar[int] = 100  # position in lists of kinds
    fields: ClassVar[tuple[str, ...]] = COMMON_FIELDS  # every field a spec may have
    # List fields whose items have fields of their own: (name, item fields, where).
    nested_fields: ClassVar[tuple[tuple[str, tuple[str, ...], str], ...]] = ()
    traced: ClassVar[bool] = False  # steps come from a trace: graph, hints, replay

    # --- Authoring -----------------------------------------------------------

    def errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        """The kind's own checks of a spec (fields are checked by ``validate``)."""
        return []

    def sound_errors(self, spec: Mapping[str, Any]) -> list[SpecError]:
        """Checks that need an otherwise valid spec (a trace's undefined values)."""
        return []

    def undefined_variants(
        self, spec: Mapping[str, Any], seeds: Iterable[int]
    ) -> list[tuple[int, str]]:
        """``(seed, message)`` of the variants whose numbers make a value undefined."""
        return []

    def variant_flaws(self, spec: Mapping[str, Any], seed: int) -> list[str]:
        """What makes variant ``seed`` hide mistakes its own numbers would show."""
        return []

    def givens_text(self, spec: Mapping[str, Any], seed: int | None) -> str:
        """The numbers variant ``seed`` gives, in one line (the author's preview)."""
        return ""

    # --- A variant -----------------------------------------------------------

    def concrete(self, spec: Mapping[str, Any], seed: int | None) -> dict:
        """The spec of variant ``seed`` (``None``: the spec's own numbers)."""
        return instantiate(spec, seed)

    def trace(self, concrete: Mapping[str, Any]):
        """The variant's ``engine.trace.Trace`` (its key and graph), or None."""
        return None

    def step_ids(self, concrete: Mapping[str, Any], trace=None) -> list[str]:
        """The steps a student answers, in order."""
        return [ANSWER]

    def symbols(self, concrete: Mapping[str, Any], trace=None) -> tuple[str, ...]:
        """The names an answer may use."""
        return ()

    # --- What a student sees -------------------------------------------------

    def public(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The parts of a spec every student sees, whatever their numbers (the API)."""
        return {}

    def summary(self, spec: Mapping[str, Any]) -> str:
        """A line naming what the spec asks, for staff (the admin's version list)."""
        return self.label

    def given(self, concrete: Mapping[str, Any], trace) -> list[tuple[str, str]]:
        """The given values, as ``(name, text)`` (the page's "Given" list)."""
        return []

    def given_data(self, concrete: Mapping[str, Any]) -> dict[str, Any]:
        """The given values as data (the API's variant view)."""
        return {}

    def options(self, concrete: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(key, text)`` of each option to pick from; never which are correct."""
        return []

    # --- Answers ---------------------------------------------------------------

    def reader(
        self, concrete: Mapping[str, Any], trace=None
    ) -> Callable[[str, str], Cell]:
        """How grading reads a cell: ``read(step_id, text) -> Cell`` (may raise
        ``ParseError`` or ``grader.budget.CellError``); the preview uses it too."""
        symbols = self.symbols(concrete, trace)
        return lambda _step_id, text: read_cell(text, symbols)

    def pick_message(self, concrete: Mapping[str, Any], text: str) -> str | None:
        """For kinds answered by picking: ``""`` when ``text`` is a valid pick, else
        what to pick. ``None`` for kinds whose cells are read as expressions."""
        return None

    @abstractmethod
    def answer_key(self, concrete: Mapping[str, Any], trace=None) -> dict[str, str]:
        """Step id -> the correct answer as a student would type it."""

    @abstractmethod
    def grade(
        self, concrete: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> GradeResult:
        """Grade ``answers`` (step id -> text) against the variant (contract 3)."""


def expected_answer(spec: Mapping[str, Any]) -> Any:
    """A single-answer spec's answer (``answer``; ``expected`` in older specs)."""
    return spec.get("expected", spec.get("answer"))


def typed(value: Any) -> str:
    """A number or matrix as a student would type it: ``6``, ``-0.5``,
    ``0.333333333333``, ``[[1, 2], [3, 4]]``."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim:
        return "[" + ", ".join(typed(row) for row in array) + "]"
    number = float(array)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.12g}"
