"""The runtime's fault drills, measured on a production-shaped stack thrown away afterwards.

The stack is ``bench/throughput.py``'s (a PostgreSQL database, a private
``redis-server``, gunicorn, one Celery worker) plus Celery beat, all with the
production defaults (sweeper every 15 s, a claimed submission is orphaned
45 s after its claim). Each drill prints what it measured:

- ``concurrent``: 4 tabs of one student x 120 POSTs each: server errors (goal 0).
- ``outage``: 30 submissions, one a second; Redis is SIGKILLed at 5 s and
  started again at 25 s: how many were accepted, and how long after Redis
  came back the last one was graded (goal: all, within a minute).
- ``sigkill``: a burst of submissions; the worker is SIGKILLed (the whole
  process group) while one is being graded and a new one started: how long
  until every submission, the cut-off one included, was graded (goal 90 s).

    .venv/bin/python bench/runtime.py [concurrent outage sigkill]
"""

import argparse
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import BIN, Stack, machine, wait_until  # noqa: E402


class DrillStack(Stack):
    """The throughput stack, with its processes by name and Celery beat beside them."""

    def _spawn(self, name: str, argv: list[str]) -> None:
        super()._spawn(name, argv)
        self.named = getattr(self, "named", {})
        self.named[name] = self.processes[-1]
        self.argv = getattr(self, "argv", {})
        self.argv[name] = argv

    def start(self) -> None:
        super().start()
        self._spawn(
            "beat",
            [str(BIN / "celery"), "-A", "config", "beat", "-l", "warning",
             "--schedule", str(self.tmp / "beat-schedule")],
        )  # fmt: skip

    def kill(self, name: str) -> None:
        import os

        process = self.named[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.processes.remove(process)

    def restart(self, name: str) -> None:
        self._spawn(name, self.argv[name])


def _statuses(ids: list[str]) -> dict[str, int]:
    from courseware.models import Submission

    counts: dict[str, int] = {}
    for status in Submission.objects.filter(pk__in=ids).values_list(
        "status", flat=True
    ):
        counts[status] = counts.get(status, 0) + 1
    return counts


def _last_graded(ids: list[str], timeout: float) -> float:
    from courseware.models import Submission

    done = Submission.objects.filter(pk__in=ids, status="graded")
    wait_until(lambda: done.count() == len(ids), timeout, "grading", interval=0.2)
    return max(at.timestamp() for at in done.values_list("graded_at", flat=True))


def concurrent(stack: DrillStack, tabs: int = 4, posts: int = 120) -> None:
    student = stack.students[0]
    codes: list[int] = []
    ids: list[str] = []
    lock = threading.Lock()

    def tab() -> None:
        for _ in range(posts):
            status, data = stack.request(
                "POST", "/api/v1/submissions/",
                {"problem": student["problem"], "answers": student["answers"]},
                token=student["token"],
            )  # fmt: skip
            with lock:
                codes.append(status)
                if status == 201:
                    import json

                    ids.append(json.loads(data)["id"])

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _last_graded(ids, timeout=600)
    histogram = {code: codes.count(code) for code in sorted(set(codes))}
    errors = sum(n for code, n in histogram.items() if code >= 500)
    print(f"concurrent: {tabs} tabs x {posts} POSTs of one student: statuses "
          f"{histogram}; server errors {errors}; all {len(ids)} graded")  # fmt: skip


def outage(stack: DrillStack, count: int = 30, down_at: float = 5, up_at: float = 25):
    import json

    start = time.time()
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        time.sleep(max(0.0, start + i - time.time()))
        student = stack.students[i % len(stack.students)]
        status, data = stack.request(
            "POST", "/api/v1/submissions/",
            {"problem": student["problem"], "answers": student["answers"]},
            token=student["token"],
        )  # fmt: skip
        with lock:
            results.append(
                (status, json.loads(data).get("id") if status == 201 else None)
            )

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(one, i) for i in range(count)]
        time.sleep(max(0.0, start + down_at - time.time()))
        stack.kill("redis")
        time.sleep(max(0.0, start + up_at - time.time()))
        stack.restart("redis")
        back = time.time()
        for future in futures:
            future.result()
    ids = [pk for status, pk in results if pk]
    last = _last_graded(ids, timeout=300)
    codes = sorted({status for status, _ in results})
    print(f"outage: Redis down from {down_at:.0f} s to {up_at:.0f} s of {count} "
          f"submissions (one a second): accepted {len(ids)}/{count} (statuses "
          f"{codes}); all graded {last - back:.1f} s after Redis was back")  # fmt: skip


def sigkill(stack: DrillStack, count: int = 200) -> None:
    from courseware.models import Submission

    students = stack.students

    def one(i: int) -> str:
        return stack.submit(students[i % len(students)])[1]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(count)))
    grading = Submission.objects.filter(pk__in=ids, status="grading")
    cut = wait_until(lambda: list(grading.values_list("pk", flat=True)), 60,
                     "a submission being graded", interval=0.001)  # fmt: skip
    stack.kill("worker")
    killed = time.time()
    at_kill = _statuses(ids)
    stack.restart("worker")
    last = _last_graded(ids, timeout=300)
    cut_rows = Submission.objects.filter(pk__in=cut)
    cut_graded = max(s.graded_at.timestamp() for s in cut_rows)
    deliveries = sorted({s.deliveries for s in cut_rows})
    print(f"sigkill: worker SIGKILLed with {at_kill}: the cut-off one(s) graded "
          f"{cut_graded - killed:.1f} s after the kill (deliveries {deliveries}), "
          f"all {count} {last - killed:.1f} s after")  # fmt: skip


DRILLS = {"concurrent": concurrent, "outage": outage, "sigkill": sigkill}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drills", nargs="*", help=", ".join(DRILLS))
    args = parser.parse_args()
    args.drills = args.drills or list(DRILLS)
    unknown = set(args.drills) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drill(s) {sorted(unknown)}: choose from {list(DRILLS)}")
    if not shutil.which("redis-server"):
        sys.exit("redis-server is needed (apt install redis-server)")
    if len(args.drills) > 1:
        # One process a drill: Celery and Django are configured once per process.
        for name in args.drills:
            subprocess.run([sys.executable, __file__, name], check=True)
        return
    with DrillStack(students=30) as stack:
        print(machine())
        DRILLS[args.drills[0]](stack)


if __name__ == "__main__":
    main()
