"""Every function of ``engine.functions`` through the grader and the graph.

For each record a student can type: the key of ``z = f(x)`` grades as correct
(symbolic local derivatives included), wrong answers go through every
misconception hook without raising, and the graph has a label for its node.
"""

import numpy as np
import pytest

from courseware.graph_svg import OP_SYMBOLS, graph_svg
from engine.functions import FUNCTIONS
from engine.network import ACTIVATIONS
from engine.trace import trace
from grader.grading import grade
from grader.misconceptions import symbolic_candidates

TYPED = [r for r in FUNCTIONS.values() if r.typed]
NAMES = ("x", "y")


def spec_of(record) -> dict:
    low, high = record.domain
    inputs = {"x": round(low + (high - low) * 0.61, 2), "y": round(low + 0.4, 2)}
    args = ", ".join(NAMES[: record.arity])
    return {
        "kind": "scalar_trace",
        "program": f"u = {record.name}({args})\nz = 3*u\n",
        "inputs": {n: inputs[n] for n in NAMES[: record.arity]},
        "ask": ["forward", "local", "grad"],
        "local_form": "either",
        "tolerance": {"rel": 1.0e-6},
    }


def key_answers(spec) -> dict[str, str]:
    t = trace(spec)
    answers = {step: repr(float(t.values[step])) for step in t.steps(spec["ask"])}
    for step, expr in t.symbolic.items():
        if step.startswith("local:u/"):
            # the symbolic form in parent names, as a student types Max and Min
            answers[step] = str(expr).replace("Max(", "max(").replace("Min(", "min(")
    return answers


@pytest.mark.parametrize("record", TYPED, ids=[r.name for r in TYPED])
def test_the_key_of_every_function_grades_correct(record):
    spec = spec_of(record)
    answers = key_answers(spec)
    # SymPy prints Heaviside, which students cannot type: give those as numbers.
    t = trace(spec)
    for step, text in answers.items():
        if "Heaviside" in text:
            answers[step] = repr(float(t.values[step]))
    result = grade(spec, answers)
    assert result.outcome == "graded", result
    assert {s.status for s in result.steps} == {"correct"}, result.to_dict()


@pytest.mark.parametrize("record", TYPED, ids=[r.name for r in TYPED])
def test_wrong_answers_run_every_misconception_hook(record):
    spec = spec_of(record)
    t = trace(spec)
    wrong = {step: repr(float(t.values[step]) + 0.5) for step in t.steps(spec["ask"])}
    result = grade(spec, wrong)
    assert result.outcome == "graded"
    statuses = {s.status for s in result.steps}
    assert statuses <= {"incorrect", "carried"}, result.to_dict()
    for step in t.symbolic:
        assert symbolic_candidates(t, step)  # sign_error at least, never raises


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_in_a_network_grades_its_key(name):
    spec = {
        "kind": "network_trace",
        "x": [[1.5, 0.5]],
        "layers": [{"W": [[0.4, -0.3], [0.8, 0.1]], "activation": name}],
        "target": [[0.3, 0.2]],
        "loss": "squared_error",
    }
    t = trace(spec)
    answers = {
        s: str(np.asarray(t.values[s]).tolist()) for s in t.steps(["forward", "grad"])
    }
    result = grade(spec, answers)
    assert {s.status for s in result.steps} == {"correct"}, result.to_dict()
    wrong = dict(answers, **{"grad:z1": str((-t.values["grad:z1"]).tolist())})
    assert grade(spec, wrong).step("grad:z1").misconception == "sign_error"


@pytest.mark.parametrize("record", list(FUNCTIONS.values()), ids=list(FUNCTIONS))
def test_every_function_has_a_graph_label(record):
    assert OP_SYMBOLS[record.name] == record.label


def test_the_graph_of_a_two_argument_function_names_both_parents():
    t = trace(
        {"kind": "scalar_trace", "program": "z = max(x, y)", "inputs": {"x": 1, "y": 2}}
    )
    svg = graph_svg(t)
    assert "z = max(x, y)" in svg


def test_a_softmax_classifier_grades_and_carries_forward():
    from tests.engine.test_network import CLASSIFIER

    t = trace(CLASSIFIER)
    steps = t.steps(["forward", "grad"])
    answers = {s: str(np.asarray(t.values[s]).tolist()) for s in steps}
    assert {s.status for s in grade(CLASSIFIER, answers).steps} == {"correct"}
    wrong_a2 = np.asarray(t.values["forward:a2"])[:, ::-1]
    own = t.recompute({"forward:a2": wrong_a2})
    answers = dict(answers, **{"forward:a2": str(wrong_a2.tolist())})
    answers["forward:loss"] = repr(float(own["forward:loss"]))
    result = grade(CLASSIFIER, answers)
    assert result.step("forward:a2").status == "incorrect"
    assert result.step("forward:loss").status == "carried"
