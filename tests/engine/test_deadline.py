"""engine.deadline: work that runs too long really stops, in any thread."""

import os
import threading
import time

import pytest

from engine.deadline import TooSlow, within


def spin(seconds: float) -> str:
    """Pure-Python work for ``seconds`` of wall-clock time (no sleeping)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "finished"


def forever() -> None:
    while True:
        pass


def test_within_returns_the_work_result():
    assert within(5.0, lambda: 6 * 7) == 42


def test_within_stops_endless_work():
    with pytest.raises(TooSlow):
        within(0.05, forever)


def test_within_stops_endless_work_in_another_thread():
    outcome = []

    def run():
        try:
            within(0.05, forever)
        except TooSlow:
            outcome.append("stopped")

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert outcome == ["stopped"]


def test_a_finished_deadline_leaves_nothing_behind():
    for _ in range(50):
        assert within(0.01, lambda: "quick") == "quick"
    assert spin(0.1) == "finished"  # no stray exception arrives afterwards


def test_an_outer_deadline_stops_work_inside_a_longer_inner_one():
    def inner():
        try:
            within(60.0, forever)
        except TooSlow:
            return "inner swallowed the outer deadline"

    with pytest.raises(TooSlow):
        within(0.05, inner)


def test_a_shorter_inner_deadline_stops_only_its_own_work():
    def inner():
        try:
            within(0.05, forever)
        except TooSlow:
            return "inner stopped"

    assert within(30.0, inner) == "inner stopped"


def test_library_code_catching_exception_cannot_swallow_the_deadline():
    def stubborn():
        while True:
            try:
                spin(0.01)
            except Exception:
                pass

    with pytest.raises(TooSlow):
        within(0.05, stubborn)


def test_within_works_in_a_forked_child_like_a_celery_pool_process():
    within(1.0, lambda: None)  # the parent's watchdog thread is running
    pid = os.fork()
    if pid == 0:  # the child inherits no threads
        try:
            within(0.05, forever)
        except TooSlow:
            os._exit(0)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
