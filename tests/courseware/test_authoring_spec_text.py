"""courseware.authoring.spec_text: spec text in, spec and field+line problems out."""

import json

import pytest

from courseware.authoring.spec_text import spec_dump, spec_load
from engine.program import is_program

SCALAR = """\
kind: scalar_trace
program: |
  u = x*y
  v = u + b
  z = v**2
inputs: {x: 2, y: 3, b: 1}
randomize:
  x: {int: [1, 5]}
ask: [forward, local, grad]
"""
NETWORK = """\
kind: network_trace
x: [[1.0, 2.0]]
layers:
  - {W: [[0.5, 0.3], [0.2, 0.4]], activation: relu}
  - W: [[0.1], [0.6]]
    activation: identity
target: [[1.0]]
loss: squared_error
convention: row
"""


def only_problem(text: str):
    _, problems = spec_load(text)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_valid_spec_loads_without_problems():
    spec, problems = spec_load(SCALAR)
    assert problems == []
    assert spec["inputs"] == {"x": 2, "y": 3, "b": 1}


def test_unknown_kind_names_the_field_and_line():
    problem = only_problem(SCALAR.replace("kind: scalar_trace", "kind: scalar_trcae"))
    assert (problem.field, problem.line) == ("kind", 1)
    assert "unknown kind 'scalar_trcae'" in problem.message


def test_a_program_that_does_not_parse_points_at_its_own_line():
    problem = only_problem(SCALAR.replace("v = u + b", "v = u + "))
    assert problem.field == "program"
    assert problem.line == 4  # "  v = u + " is the fourth line of the text
    assert "missing after '+'" in problem.message
    assert str(problem).startswith("line 4: program: ")


def test_a_matrix_of_the_wrong_shape_names_the_layer_and_line():
    problem = only_problem(NETWORK.replace("[[0.1], [0.6]]", "[[0.1]]"))
    assert (problem.field, problem.line) == ("layers[1].W", 5)
    assert "W must have 2 rows" in problem.message


def test_unknown_activation_names_the_layer_field_and_line():
    problem = only_problem(NETWORK.replace("activation: identity", "activation: rleu"))
    assert (problem.field, problem.line) == ("layers[1].activation", 6)
    assert "unknown activation 'rleu'" in problem.message


def test_an_undefined_randomisation_names_randomize_and_a_variant():
    text = SCALAR.replace("z = v**2", "z = log(v)").replace(
        "x: {int: [1, 5]}", "b: {int: [-9, -7]}"
    )
    problem = only_problem(text)
    assert (problem.field, problem.line) == ("randomize", 7)
    assert "variant" in problem.message and "narrow the ranges" in problem.message


def test_randomizing_an_unknown_input_points_at_its_key():
    problem = only_problem(SCALAR.replace("x: {int: [1, 5]}", "q: {int: [1, 5]}"))
    assert (problem.field, problem.line) == ("randomize.q", 8)


def test_broken_yaml_gives_the_line_of_the_syntax_error():
    problem = only_problem("kind: scalar_trace\ninputs: {x: 2\nask: [forward]\n")
    assert problem.field == "spec"
    assert problem.message.startswith("not valid YAML")
    assert problem.line == 3


def test_a_spec_that_is_not_a_mapping_is_refused():
    problem = only_problem("- kind\n- scalar_trace\n")
    assert problem.message == "a spec must be a mapping with a 'kind' field"


def test_json_is_accepted_and_lines_are_counted_in_it():
    spec, _ = spec_load(NETWORK)
    text = json.dumps(spec, indent=2).replace("identity", "rleu")
    problem = only_problem(text)
    assert problem.field == "layers[1].activation"
    assert (
        text.splitlines()[problem.line - 1].strip().startswith('"activation": "rleu"')
    )


def test_prompt_of_the_problem_stands_in_for_a_missing_spec_prompt():
    text = "kind: expression\nanswer: 2*v\nsymbols: [v]\n"
    assert [p.field for p in spec_load(text)[1]] == ["prompt"]
    assert spec_load(text, prompt="Differentiate v**2.")[1] == []


@pytest.mark.parametrize("text", [SCALAR, NETWORK])
def test_dump_then_load_gives_the_same_spec(text):
    spec, _ = spec_load(text)
    again, problems = spec_load(spec_dump(spec))
    assert problems == [] and again == spec
    assert "program: |" in spec_dump(spec) or "layers:" in spec_dump(spec)


def test_a_misspelled_field_names_its_line_and_the_intended_field():
    text = "kind: numeric\nprompt: How big?\nanswer: 0.25\ntolerence: {rel: 0.01}\n"
    _, problems = spec_load(text)
    assert [str(p) for p in problems] == [
        "line 4: tolerence: unknown field 'tolerence' for a numeric problem; "
        "did you mean 'tolerance'?"
    ]


@pytest.mark.parametrize(
    "text, program",
    [
        ("z = tanh(w*x + b)", True),
        ("u = x*y\nv = u + b\n# the output\nz = v**2\n", True),
        ("kind: scalar_trace\nprogram: z = x*y\ninputs: {x: 1, y: 2}\n", False),
        ("program: |\n  z = x*y\n", False),
        ("z == x", False),
    ],
)
def test_bare_program_text_is_told_from_yaml(text, program):
    assert is_program(text) == program
    spec, _ = spec_load(text, prompt="Q")
    inferred = isinstance(spec, dict) and "inputs" in spec and "kind" not in text
    assert inferred == program
