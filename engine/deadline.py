"""Hard time limits for work that student text can make slow, in any thread.

``within(seconds, work)`` runs ``work()`` in the calling thread and raises
``TooSlow`` when it has not finished in time. A watchdog timer raises an
exception *inside* the working thread (CPython's ``PyThreadState_SetAsyncExc``),
so the work really stops and nothing keeps running in the background. Unlike
``signal.alarm`` this works in every thread: a gunicorn worker's main thread, a
runserver or test-client request thread, a Celery pool process.

The exception arrives between two bytecodes, like a signal handler: one long C
call (a single huge multiplication) finishes first. The parser's caps on digits
and exponents keep every such call short.

Deadlines nest: an inner deadline longer than the one around it adds nothing;
a shorter one stops only its own work, unless the outer one has expired too.
"""

import ctypes
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_local = threading.local()


class TooSlow(Exception):
    """The work did not finish within its deadline (and was stopped)."""


class _Expired(BaseException):
    """Raised inside the working thread; a BaseException so that library code
    catching ``Exception`` cannot swallow it."""


class _Watch:
    """The watchdog of one deadline: fires at most once, never after ``finish``."""

    def __init__(self, thread_id: int):
        self.thread_id = thread_id
        self.lock = threading.Lock()
        self.done = False
        self.fired = False

    def fire(self) -> None:
        with self.lock:
            if not self.done:
                self.fired = True
                _set_async_exc(
                    ctypes.c_ulong(self.thread_id), ctypes.py_object(_Expired)
                )

    def finish(self) -> None:
        with self.lock:
            self.done = True
            if self.fired:  # fired but not delivered yet: take it back
                _set_async_exc(ctypes.c_ulong(self.thread_id), None)


class _Watchdog:
    """One daemon thread per process that fires deadlines as they come due.

    Cheaper than a timer thread per deadline (grading checks every cell of a
    submission under one). Started on first use, and again in a forked child
    (a Celery pool process), which inherits no threads.
    """

    def __init__(self):
        self.due = threading.Condition(threading.Lock())
        self.heap: list[tuple[float, int, _Watch]] = []
        self.order = itertools.count()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def add(self, end: float, watch: _Watch) -> None:
        with self.due:
            if self.pid != os.getpid() or not self.thread or not self.thread.is_alive():
                self.pid = os.getpid()
                self.thread = threading.Thread(
                    target=self.run, name="deadline-watchdog", daemon=True
                )
                self.thread.start()
            heapq.heappush(self.heap, (end, next(self.order), watch))
            if self.heap[0][2] is watch:
                self.due.notify()

    def run(self) -> None:
        with self.due:
            while True:
                while self.heap and self.heap[0][2].done:
                    heapq.heappop(self.heap)  # finished in time
                if not self.heap:
                    self.due.wait()
                    continue
                end, _, watch = self.heap[0]
                delay = end - time.monotonic()
                if delay > 0:
                    self.due.wait(delay)
                    continue
                heapq.heappop(self.heap)
                watch.fire()


_watchdog = _Watchdog()


def _after_fork_in_child() -> None:
    global _watchdog
    _watchdog = _Watchdog()  # the parent's lock may have been held at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)


def _ends() -> list[float]:
    if not hasattr(_local, "ends"):
        _local.ends = []
    return _local.ends


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``, stopped with ``TooSlow`` when it takes longer than ``seconds``.

    Examples
    --------
    >>> within(1.0, lambda: 6 * 7)
    42
    >>> within(0.05, lambda: [i for i in iter(int, 1)])
    Traceback (most recent call last):
    ...
    engine.deadline.TooSlow: not finished within 0.05 s
    """
    ends = _ends()
    end = time.monotonic() + seconds
    outer = ends[-1] if ends else float("inf")
    if outer <= end:
        return work()  # the enclosing deadline comes first and bounds this work
    watch = _Watch(threading.get_ident())
    ends.append(end)
    try:
        _watchdog.add(end, watch)
        try:
            result = work()
        finally:
            watch.finish()
        if outer <= time.monotonic():
            raise _Expired  # the enclosing deadline fired while this one finished
        return result
    except _Expired:
        if outer <= time.monotonic():
            raise  # the enclosing deadline's: let it stop its own work
        raise TooSlow(f"not finished within {seconds:g} s") from None
    finally:
        ends.pop()
