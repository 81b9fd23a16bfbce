"""A variant's key is traced once per process and shared by every grading of it:
the shared key can be neither changed nor mixed up with another variant's."""

from fractions import Fraction

import numpy as np
import pytest

from grader import kinds
from grader.grading import grade
from tests.grader.problems import PYTORCH, PYTORCH_KEY, WORK_THIS


def test_the_key_of_a_concrete_problem_is_traced_once_and_cannot_be_changed():
    kind = kinds.get("network_trace")
    first, again = kind.trace(PYTORCH), kind.trace(dict(PYTORCH))
    assert first is again
    arrays = [v for v in first.values.values() if isinstance(v, np.ndarray)]
    assert arrays
    with pytest.raises(ValueError, match="read-only"):
        arrays[0] += 1
    # Grading twice (a student's wrong numbers included) leaves the key as it was.
    wrong = {**PYTORCH_KEY, next(iter(PYTORCH_KEY)): "[[0.0]]"}
    assert grade(PYTORCH, wrong).score < 1
    assert grade(PYTORCH, PYTORCH_KEY).score == 1.0


def test_each_variant_and_each_number_has_its_own_key():
    kind = kinds.get("scalar_trace")
    spec = {**WORK_THIS, "randomize": {"x": {"int": [1, 9]}, "y": {"int": [1, 9]}}}
    variants = [kind.concrete(spec, seed) for seed in range(6)]
    assert len({repr(v["inputs"]) for v in variants}) > 1
    for variant in variants:
        values = kind.trace(variant).node_values
        assert (values["x"], values["y"]) == (
            variant["inputs"]["x"],
            variant["inputs"]["y"],
        )
    exact = {**WORK_THIS, "inputs": {**WORK_THIS["inputs"], "x": Fraction(1, 3)}}
    close = {**WORK_THIS, "inputs": {**WORK_THIS["inputs"], "x": 1 / 3}}
    assert kind.trace(exact) is not kind.trace(close)
    # Arrays the key holds by value, not by numpy's repr (which rounds to 8 digits).
    network = kinds.get("network_trace")
    array = {**PYTORCH, "x": np.array(PYTORCH["x"], dtype=float)}
    nudged = {**array, "x": array["x"] + 1e-12}
    assert network.trace(nudged) is not network.trace(array)
