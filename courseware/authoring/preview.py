"""What an author sees before publishing: the graph, the key, and several variants.

Pure reads of a spec (no database): ``spec_preview`` builds the graph SVG of
the spec's own numbers, the full answer key for that sample variant and for
``PREVIEW_SEEDS`` random ones, and the seeds among the first ``SEEDS_CHECKED``
whose numbers make a value undefined or hide mistakes (the kind's
``undefined_variants`` and ``variant_flaws``: zeros, values that coincide only in
that variant; students are moved past those to an informative seed).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from courseware.authoring.question_tests import answer_key
from courseware.graph_svg import graph_svg
from grader import kinds

PREVIEW_SEEDS = (1, 2, 3, 4, 5)
SEEDS_CHECKED = 200


@dataclass(frozen=True)
class KeyRow:
    step_id: str
    formula: str  # the symbolic local derivative, for scalar traces
    values: list[str]  # one per variant column


@dataclass(frozen=True)
class Preview:
    kind: str
    graph: str = ""  # SVG markup, trace kinds only
    formulas: bool = False  # whether rows have a symbolic local derivative
    columns: list[str] = field(default_factory=list)  # "own numbers", "seed 1", ...
    givens: list[str] = field(default_factory=list)  # the inputs of each column
    rows: list[KeyRow] = field(default_factory=list)
    undefined: list[tuple[int, str]] = field(default_factory=list)
    uninformative: list[tuple[int, str]] = field(default_factory=list)
    seeds_checked: int = 0
    error: str = ""


def spec_preview(spec: Mapping[str, Any]) -> Preview:
    """The preview of a valid spec (see the module doc)."""
    kind = kinds.of(spec)
    randomized = bool(spec.get("randomize"))
    seeds: list[int | None] = [None, *(PREVIEW_SEEDS if randomized else ())]
    columns = ["own numbers"] + [f"variant {seed}" for seed in seeds[1:]]
    undefined = kind.undefined_variants(spec, range(1, SEEDS_CHECKED + 1))
    bad = {seed for seed, _ in undefined}
    uninformative = [
        (seed, "; ".join(flaws))
        for seed in range(1, SEEDS_CHECKED + 1)
        if randomized and seed not in bad and (flaws := kind.variant_flaws(spec, seed))
    ]
    try:
        keys = [answer_key(spec, seed) if seed not in bad else {} for seed in seeds]
    except ValueError as error:
        return Preview(kind=kind.name, error=str(error), undefined=undefined)
    graph, formulas = "", {}
    if kind.traced:
        sample = kind.trace(kind.concrete(spec, None))
        graph = graph_svg(sample)
        formulas = {step: str(expr) for step, expr in sample.symbolic.items()}
    rows = [
        KeyRow(
            step_id=step,
            formula=formulas.get(step, ""),
            values=[key.get(step, "undefined") for key in keys],
        )
        for step in keys[0]
    ]
    return Preview(
        kind=kind.name,
        graph=graph,
        formulas=bool(formulas),
        columns=columns,
        givens=[kind.givens_text(spec, seed) for seed in seeds],
        rows=rows,
        undefined=undefined,
        uninformative=uninformative,
        seeds_checked=SEEDS_CHECKED if randomized else 0,
    )
