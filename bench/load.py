"""Load test: 200 simulated students for 60 s with locust, headless, on loopback.

Starts the same throwaway stack as ``bench/throughput.py`` (PostgreSQL database
``tracegrade_load``, a private Redis, gunicorn, one Celery worker), makes one
account and API token per student, runs ``bench/locustfile.py`` and prints
the request figures. Exits non-zero on any failed request, or if a submission
made during the run is not graded afterwards (none lost).

    .venv/bin/python bench/load.py [--users 200] [--seconds 60]
"""

import argparse
import csv
import json
import subprocess
import sys
import time

from throughput import (
    BIN,
    ROOT,
    add_stack_arguments,
    load_average,
    stack_from,
    wait_until,
    web_description,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=20)
    add_stack_arguments(parser, database="tracegrade_load", web_workers=3)
    args = parser.parse_args()

    with stack_from(args, students=args.users) as stack:
        students = stack.tmp / "students.json"
        students.write_text(json.dumps(stack.students))
        started = time.time()
        locust = subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
             "--headless", "--users", str(args.users),
             "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.seconds}s",
             "--stop-timeout", "35", "--host", f"http://127.0.0.1:{stack.web_port}",
             "--csv", str(stack.tmp / "load"), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env={**stack.env, "TRACEGRADE_LOAD_STUDENTS": str(students)},
            check=False,
        )  # fmt: skip
        lost = _ungraded_after(started)
        with open(stack.tmp / "load_stats.csv") as file:
            rows = list(csv.DictReader(file))

    print(f"\n{args.users} students, {args.seconds} s, {web_description(args)}, "
          f"1 Celery worker (prefork x{args.pool}); locust exit {locust.returncode}; "
          f"load average {load_average()}")  # fmt: skip
    print(f"{'endpoint':<20}{'requests':>9}{'fails':>7}{'req/s':>8}"
          f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}")  # fmt: skip
    for row in rows:
        print(
            f"{row['Name']:<20}{row['Request Count']:>9}{row['Failure Count']:>7}"
            f"{float(row['Requests/s']):>8.1f}{row['50%']:>8}{row['95%']:>8}"
            f"{row['99%']:>8}{float(row['Max Response Time']):>8.0f}"
        )
    print(f"submissions not graded after the run: {lost}")
    failures = sum(int(row["Failure Count"]) for row in rows)
    return 1 if failures or lost or locust.returncode else 0


def _ungraded_after(started: float) -> int:
    """Wait for the queue to drain; count submissions of the run still not graded."""
    from datetime import UTC, datetime

    from courseware.models import Submission

    since = datetime.fromtimestamp(started, UTC)
    made = Submission.objects.filter(created_at__gte=since)

    def drained() -> bool:
        return not made.exclude(status__in=["graded", "error"]).exists()

    try:
        wait_until(drained, 120, "grading after the load test", interval=0.5)
    except TimeoutError:
        pass
    return made.exclude(status="graded").count()


if __name__ == "__main__":
    sys.exit(main())
