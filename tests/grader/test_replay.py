"""The backward pass replayed with the student's own numbers (grader.replay)."""

from grader.replay import replay
from tests.grader.problems import PYTORCH, PYTORCH_KEY, WORK_THIS, WORK_THIS_KEY


def _by_step(steps):
    return {s.step_id: s for s in steps}


def test_the_replay_runs_output_first_and_finds_where_the_path_diverged():
    answers = {**WORK_THIS_KEY, "forward:v": "8", "grad:v": "16", "grad:u": "15"}
    steps = replay(WORK_THIS, {**answers, "grad:x": "45"}, reveal=True)
    assert [s.step_id for s in steps] == [
        "grad:v",
        "grad:u",
        "grad:b",
        "grad:y",
        "grad:x",
    ]
    by = _by_step(steps)
    assert by["grad:v"].verdict == "follows"  # 2 * (their v = 8)
    assert by["grad:u"].verdict == "diverged"
    assert by["grad:u"].text == "∂z/∂u = 16 · 1 = 16"  # their dz/dv times dv/du
    assert by["grad:x"].verdict == "follows"  # 15 * 3, from their own dz/du
    assert by["grad:b"].verdict == "key"  # 14 is right, though 16 · 1 is theirs
    assert [s.verdict for s in steps].count("diverged") == 1


def test_before_the_reveal_the_replay_shows_only_the_students_numbers():
    answers = {s: v for s, v in WORK_THIS_KEY.items() if s.startswith("forward:")}
    by = _by_step(replay(WORK_THIS, {**answers, "grad:v": "14"}))
    # dz/du would be 14 · 1 = 14, the key: it must not be printed.
    assert by["grad:u"].text == "∂z/∂u = 14 · ∂v/∂u (not answered)"
    assert by["grad:u"].verdict == "not_given"
    assert "42" not in " ".join(s.text for s in by.values())
    assert by["grad:v"].text.endswith("= 14")  # the student's own answer


def test_a_network_replay_names_each_backward_rule():
    by = _by_step(replay(PYTORCH, {**PYTORCH_KEY, "grad:z1": "[[1, 2]]"}, reveal=True))
    assert by["grad:z1"].verdict == "diverged"
    assert by["grad:W1"].text.startswith(
        "∂loss/∂W1 = xᵀ · ∂loss/∂z1 = [[1, 2], [2, 4]]"
    )
    assert by["grad:W1"].verdict == "key"


def test_an_unreadable_cell_counts_as_not_given():
    by = _by_step(replay(WORK_THIS, {**WORK_THIS_KEY, "grad:u": "2*(("}))
    assert by["grad:u"].verdict == "not_given"


def test_other_kinds_have_no_replay():
    assert replay({"kind": "numeric", "answer": 1}, {"answer": "1"}) == []
