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
    timer = threading.Timer(seconds, watch.fire)
    timer.daemon = True
    ends.append(end)
    try:
        timer.start()
        try:
            result = work()
        finally:
            watch.finish()
            timer.cancel()
        if outer <= time.monotonic():
            raise _Expired  # the enclosing deadline fired while this one finished
        return result
    except _Expired:
        if outer <= time.monotonic():
            raise  # the enclosing deadline's: let it stop its own work
        raise TooSlow(f"not finished within {seconds:g} s") from None
    finally:
        ends.pop()
