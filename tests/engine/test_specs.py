import pytest

from engine.specs import SpecError, check_variants, instantiate
from engine.trace import trace
from grader.kinds import validate

WORK_THIS = {
    "kind": "scalar_trace",
    "program": "u = x*y\nv = u + b\nz = v**2",
    "inputs": {"x": 2, "y": 3, "b": 1},
    "randomize": {"x": {"int": [1, 5]}, "y": {"int": [1, 5]}, "b": {"int": [-3, 3]}},
    "ask": ["forward", "local", "grad"],
    "local_form": "either",
    "tolerance": {"rel": 1.0e-3},
}
NETWORK = {
    "kind": "network_trace",
    "x": [[1.0, 2.0]],
    "layers": [
        {"W": [[0.5, 0.3], [0.2, 0.4]], "b": [0.0, 0.0], "activation": "relu"},
        {"W": [[0.1], [0.6]], "activation": "identity"},
    ],
    "target": [[1.0]],
    "loss": "squared_error",
    "convention": "row",
}
CHOICE = {
    "kind": "choice",
    "prompt": "Why do sigmoid chains vanish?",
    "options": [
        {"key": "a", "text": "sigma' <= 1/4", "correct": True, "feedback": "Yes."},
        {"key": "b", "text": "Too many weights", "correct": False},
    ],
}


def fields(spec):
    return [(e.field, e.message) for e in validate(spec)]


def test_validate_accepts_the_design_examples():
    assert validate(WORK_THIS) == []
    assert validate(NETWORK) == []
    assert validate(CHOICE) == []
    assert validate({"kind": "numeric", "prompt": "dz/dx?", "answer": "1/3"}) == []
    assert (
        validate(
            {
                "kind": "expression",
                "prompt": "dz/dv?",
                "answer": "2*v",
                "symbols": ["v"],
                "tolerance": {"abs": 0.01},
            }
        )
        == []
    )


def test_validate_unknown_kind():
    assert fields({"kind": "essay"})[0][0] == "kind"
    assert validate([1, 2]) == [SpecError("spec", validate([1])[0].message)]


def test_validate_program_that_does_not_parse_names_the_line():
    errors = validate(dict(WORK_THIS, program="u = x*y\nv = u + \nz = v**2"))
    assert errors == [SpecError("program", errors[0].message, 2)]
    assert errors[0].message.startswith("line 2: ")


def test_validate_undeclared_name():
    errors = validate(dict(WORK_THIS, program="u = x*q\nz = u + b + y"))
    assert errors[0].field == "program" and "'q'" in errors[0].message


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"inputs": {"x": "two", "y": 3, "b": 1}}, "inputs.x", "not a number"),
        ({"ask": ["forward", "backward"]}, "ask", "forward, local and grad"),
        ({"local_form": "words"}, "local_form", "symbolic, numeric or either"),
        ({"tolerance": {"rel": -1}}, "tolerance", "rel"),
        ({"randomize": {"q": {"int": [1, 2]}}}, "randomize.q", "cannot randomize 'q'"),
        ({"randomize": {"x": {"int": [5, 1]}}}, "randomize.x", "empty range"),
        ({"randomize": {"x": {"int": [1.5, 2]}}}, "randomize.x", "whole numbers"),
        ({"randomize": {"x": {"uniform": [1, 1]}}}, "randomize.x", "must be below"),
        ({"randomize": {"x": {"choice": []}}}, "randomize.x", "non-empty list"),
        (
            {"randomize": {"x": {"int": [1, 2], "choice": [1]}}},
            "randomize.x",
            "exactly one",
        ),
        (
            {"randomize": {"x": {"int": [1, 2], "decimals": 1}}},
            "randomize.x",
            "decimals only with uniform",
        ),
    ],
)
def test_validate_scalar_fields(change, field, message):
    assert any(
        f == field and message in m for f, m in fields(dict(WORK_THIS, **change))
    )


def test_validate_network_shapes_and_names():
    layers = [dict(NETWORK["layers"][0], activation="rleu"), NETWORK["layers"][1]]
    errors = dict(fields(dict(NETWORK, layers=layers, x=[[1.0, 2.0, 3.0]])))
    assert errors["layers[0].activation"] == (
        "unknown activation 'rleu'; use identity, elu, gelu, leaky_relu, relu, "
        "sigmoid, softplus, tanh or softmax"
    )
    assert "must have 3 rows" in errors["layers[0].W"]
    errors = dict(fields(dict(NETWORK, randomize={"layers[5].W": {"int": [0, 1]}})))
    assert "cannot randomize 'layers[5].W'" in errors["randomize.layers[5].W"]


def test_validate_reports_undefined_values_at_the_inputs():
    errors = validate(
        {"kind": "scalar_trace", "program": "z = log(x - 1)", "inputs": {"x": 1}}
    )
    assert errors[0].field == "inputs" and "undefined" in errors[0].message


def test_validate_reports_randomization_that_makes_a_value_undefined():
    spec = {
        "kind": "scalar_trace",
        "program": "z = x/(y - 2)",
        "inputs": {"x": 1, "y": 3},
        "randomize": {"y": {"int": [1, 3]}},
    }
    [error] = validate(spec)
    assert error.field == "randomize" and "undefined" in error.message


def test_validate_expression_answer_that_does_not_parse():
    errors = validate(
        {"kind": "expression", "prompt": "?", "answer": "2*q", "symbols": ["v"]}
    )
    assert errors[0].field == "answer" and "'q'" in errors[0].message


def test_validate_choice():
    options = [dict(o, key="a") for o in CHOICE["options"]]
    errors = fields(dict(CHOICE, options=options))
    assert ("options[1].key", "key 'a' is used twice") in errors
    both = [dict(o, correct=True) for o in CHOICE["options"]]
    assert fields(dict(CHOICE, options=both))[0][0] == "options"
    assert validate(dict(CHOICE, options=both, multiple=True)) == []
    assert fields(dict(CHOICE, prompt=""))[0][0] == "prompt"


def test_instantiate_is_deterministic_and_drops_randomize():
    first, again = instantiate(WORK_THIS, 11), instantiate(WORK_THIS, 11)
    assert first == again and "randomize" not in first
    assert all(1 <= first["inputs"][n] <= 5 for n in "xy")
    assert {instantiate(WORK_THIS, s)["inputs"]["x"] for s in range(30)} == {
        1,
        2,
        3,
        4,
        5,
    }


def test_instantiate_without_seed_keeps_the_inputs():
    assert instantiate(WORK_THIS, None)["inputs"] == {"x": 2, "y": 3, "b": 1}
    assert "randomize" in WORK_THIS  # the spec itself is not changed


def test_adding_a_randomized_input_leaves_the_others_alone():
    fewer = dict(WORK_THIS, randomize={"x": {"int": [1, 100]}})
    assert (
        instantiate(fewer, 4)["inputs"]["x"]
        == instantiate(
            WORK_THIS | {"randomize": {"x": {"int": [1, 100]}, "y": {"int": [1, 5]}}}, 4
        )["inputs"]["x"]
    )


def test_instantiate_uniform_and_choice():
    spec = dict(
        WORK_THIS,
        randomize={
            "x": {"uniform": [-1, 1], "decimals": 1},
            "y": {"choice": [0.5, "1/3"]},
        },
    )
    inputs = instantiate(spec, 3)["inputs"]
    assert -1 <= inputs["x"] <= 1 and round(inputs["x"], 1) == inputs["x"]
    assert inputs["y"] in (0.5, "1/3")
    trace(instantiate(spec, 3))


def test_instantiate_network_matrices():
    spec = dict(
        NETWORK,
        randomize={
            "x": {"int": [-2, 2]},
            "layers[0].b": {"uniform": [0, 1], "decimals": 2},
        },
    )
    concrete = instantiate(spec, 5)
    assert len(concrete["x"]) == 1 and len(concrete["x"][0]) == 2
    assert all(-2 <= v <= 2 and isinstance(v, int) for v in concrete["x"][0])
    assert len(concrete["layers"][0]["b"]) == 2
    assert NETWORK["layers"][0]["b"] == [0.0, 0.0]
    assert validate(spec) == []
    trace(concrete)


def test_check_variants_lists_undefined_variants():
    spec = {
        "kind": "scalar_trace",
        "program": "z = log(x)",
        "inputs": {"x": 1},
        "randomize": {"x": {"int": [-1, 1]}},
    }
    problems = check_variants(spec, range(10))
    bad = {s for s in range(10) if instantiate(spec, s)["inputs"]["x"] <= 0}
    assert {seed for seed, _ in problems} == bad and bad
    assert all("undefined" in message for _, message in problems)
    assert check_variants(WORK_THIS, range(10)) == []


@pytest.mark.parametrize(
    "spec, field, hint",
    [
        (
            {"kind": "numeric", "answer": 1, "tolerence": {"rel": 0.1}},
            "tolerence",
            "did you mean 'tolerance'?",
        ),
        (
            {
                "kind": "scalar_trace",
                "program": "z = x*y",
                "inputs": {"x": 1, "y": 2},
                "locl_form": "symbolic",
            },  # fmt: skip
            "locl_form",
            "did you mean 'local_form'?",
        ),
        (
            {
                "kind": "network_trace",
                "x": [[1.0]],
                "target": [[0.0]],
                "layers": [{"W": [[1.0]], "activaton": "relu"}],
            },  # fmt: skip
            "layers[0].activaton",
            "did you mean 'activation'?",
        ),
        (
            {
                "kind": "choice",
                "prompt": "Pick",
                "options": [
                    {"key": "a", "text": "A", "correct": True, "feedbak": "yes"},
                    {"key": "b", "text": "B", "correct": False},
                ],
            },  # fmt: skip
            "options[0].feedbak",
            "did you mean 'feedback'?",
        ),
        (
            {
                "kind": "expression",
                "prompt": "d/dv",
                "answer": "2*v",
                "symbols": ["v"],
                "colour": "red",
            },  # fmt: skip
            "colour",
            "use kind, prompt, tolerance, symbols, answer, derivative_of, domain",
        ),
    ],
)
def test_an_unknown_field_is_refused_with_the_likely_intended_one(spec, field, hint):
    errors = {error.field: error.message for error in validate(spec)}
    assert field in errors
    assert errors[field].endswith(hint)


def test_every_field_of_the_lesson_content_is_known():
    from tests.grader.problems import NEURON, PYTORCH, WORK_THIS

    for spec in (WORK_THIS, NEURON, PYTORCH):
        assert validate(spec) == []
