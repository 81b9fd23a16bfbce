"""Hostile cells (``tests/security/hostile.py``): bounded, never ``error``, never blocking.

Each hostile text, put in one cell of an otherwise right submission, grades
to ``invalid`` or ``incorrect`` in that cell while every other cell is still
marked correct; its preview answers within its deadline with a message. CPU
time is measured with ``time.thread_time`` (the work runs in the calling
thread), so a busy machine does not change what is measured.
"""

import itertools
import threading
import time

import pytest

from grader import cells, feedback
from grader.budget import CELL_SECONDS, SUBMISSION_SECONDS
from grader.grading import grade
from grader.preview import PREVIEW_SECONDS, preview, previews_budget
from grader.replay import replay
from tests.grader.problems import PYTORCH, PYTORCH_KEY, WORK_THIS, WORK_THIS_KEY
from tests.security.hostile import (
    CUBE_ROOTS,
    HOSTILE,
    HOSTILE_MATRICES,
    HOSTILE_STEPS,
    HOSTILE_TEXTS,
    NTH_ROOTS,
    SUM_500,
)

SYMBOLS = ["x", "y", "b", "u", "v", "z"]
# Generous: the deadline plus the longest uninterruptible C call seen, times a
# factor for a busy machine. Before the fix these took minutes.
PREVIEW_CPU_BOUND = PREVIEW_SECONDS + 2.5
CASES = [
    pytest.param(text, id=f"{kind}-{index}")
    for kind, texts in HOSTILE.items()
    for index, text in enumerate(texts)
]


def _with(answers: dict, step: str, text: str) -> dict:
    return {**answers, step: text}


def _by_id(result) -> dict:
    return {step.id: step for step in result.steps}


def _cpu(work):
    start = time.thread_time()
    value = work()
    return value, time.thread_time() - start


@pytest.mark.parametrize("step", HOSTILE_STEPS)
@pytest.mark.parametrize("text", CASES)
def test_a_hostile_cell_stays_in_its_cell(step, text):
    result = grade(WORK_THIS, _with(WORK_THIS_KEY, step, text))
    steps = _by_id(result)
    assert result.outcome == "graded"
    assert steps[step].status in ("invalid", "incorrect"), steps[step]
    assert steps[step].message
    others = {s.status for id_, s in steps.items() if id_ != step}
    assert others == {"correct"}, steps


@pytest.mark.parametrize("text", HOSTILE_MATRICES)
def test_a_hostile_matrix_stays_in_its_cell(text):
    result = grade(PYTORCH, _with(PYTORCH_KEY, "forward:z1", text))
    steps = _by_id(result)
    assert result.outcome == "graded"
    assert steps["forward:z1"].status == "invalid" and steps["forward:z1"].message
    # a1 = relu(z1) follows from the key, not from the unreadable z1
    assert {s.status for i, s in steps.items() if i != "forward:z1"} == {"correct"}


@pytest.mark.parametrize("text", CASES)
def test_a_hostile_expression_answer_is_never_an_error(text):
    spec = {"kind": "expression", "expected": "2*v", "symbols": SYMBOLS}
    result = grade(spec, {"answer": text})
    assert result.outcome in ("graded", "invalid")
    assert result.steps[0].status in ("invalid", "incorrect")


@pytest.mark.parametrize("text", CASES)
def test_a_hostile_numeric_answer_is_never_an_error(text):
    result = grade({"kind": "numeric", "expected": 42}, {"answer": text})
    assert result.outcome in ("graded", "invalid")
    assert result.steps[0].status in ("invalid", "incorrect")


def test_the_issue_examples_read_as_the_student_would_expect():
    cases = {
        "1e400": feedback.TOO_LARGE,
        "(v-v)**(-1)": "undefined",
        "exp(exp(exp(exp(v))))": feedback.TOO_LARGE,
        "(v*0+7)^((v*0+7)^((v*0+7)^(v*0+7)))": "too large",
        CUBE_ROOTS: feedback.TOO_COMPLEX,
        NTH_ROOTS: "too complex to check",
    }
    for text, message in cases.items():
        step = _by_id(grade(WORK_THIS, _with(WORK_THIS_KEY, "local:z/v", text)))
        assert step["local:z/v"].status == "invalid"
        assert message in step["local:z/v"].message, (text, step["local:z/v"])
    step = _by_id(grade(WORK_THIS, _with(WORK_THIS_KEY, "forward:z", SUM_500)))
    assert step["forward:z"].status == "incorrect"
    assert step["forward:z"].interpreted.startswith("1 + 1 + 1")


def test_a_submission_of_only_hostile_cells_is_bounded_and_never_an_error():
    slow = itertools.cycle([CUBE_ROOTS, *HOSTILE_TEXTS])
    answers = {step: next(slow) for step in WORK_THIS_KEY}
    result, cpu = _cpu(lambda: grade(WORK_THIS, answers))
    assert result.outcome in ("graded", "invalid")
    assert {s.status for s in result.steps} <= {"invalid", "incorrect"}
    # the soft time limit would have made it an "error"
    assert cpu < SUBMISSION_SECONDS + len(answers) * CELL_SECONDS


def test_a_failure_of_any_kind_stays_in_its_cell(monkeypatch):
    from grader.follow_through import TraceMarking

    original = TraceMarking.mark_expression

    def broken(self, step_id, cell):
        if step_id == "local:z/v":
            raise RuntimeError("a bug reached by one cell")
        return original(self, step_id, cell)

    monkeypatch.setattr(TraceMarking, "mark_expression", broken)
    steps = _by_id(grade(WORK_THIS, WORK_THIS_KEY))
    assert steps["local:z/v"].status == "invalid"
    assert steps["local:z/v"].message == feedback.TOO_COMPLEX
    assert {s.status for i, s in steps.items() if i != "local:z/v"} == {"correct"}


@pytest.mark.parametrize("text", CASES)
def test_every_hostile_preview_answers_within_its_bound(text):
    result, cpu = _cpu(lambda: preview(WORK_THIS, text, SYMBOLS))
    assert result.ok or result.message
    assert cpu < PREVIEW_CPU_BOUND


def test_a_slow_preview_is_stopped_in_a_request_thread_too():
    """runserver and the test client answer in threads, where signals cannot reach."""
    answers = []

    def request_thread():
        answers.append(_cpu(lambda: preview(WORK_THIS, CUBE_ROOTS, SYMBOLS)))

    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join(timeout=60)
    [(result, cpu)] = answers
    assert not result.ok and result.message == feedback.TOO_COMPLEX
    assert cpu < PREVIEW_CPU_BOUND


def test_the_preview_reads_a_cell_as_grading_does():
    for text in HOSTILE_TEXTS:
        shown = preview(WORK_THIS, text, SYMBOLS)
        read = cells.read_or_result("c", text, lambda t: cells.read_cell(t, SYMBOLS))
        if isinstance(read, cells.Cell):
            assert shown.ok and shown.latex == read.interpreted, text
        else:
            assert not shown.ok and shown.message == read.message, text


def test_a_replayed_page_reads_hostile_answers_under_the_preview_deadline():
    """The problem page replays a graded attempt in the web process: every
    stored hostile text together is read within one preview deadline."""
    answers = dict(zip(WORK_THIS_KEY, HOSTILE_TEXTS, strict=False))  # every cell
    steps, cpu = _cpu(
        lambda: replay(WORK_THIS, answers, budget=previews_budget(PREVIEW_SECONDS))
    )
    assert cpu < PREVIEW_CPU_BOUND, cpu
    assert [s.step_id for s in steps][:1] == ["grad:v"]
