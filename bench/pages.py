"""Requests per second of every student page and API read, against ``/healthz``.

Starts the production-shaped stack of ``bench/throughput.py`` (a throwaway
PostgreSQL database with ``content/`` imported, a private Redis, gunicorn with
``DEBUG=0``, one Celery worker), signs in one student (a session cookie for the
pages, a token for the API), then in one run:

1. ``wrk`` against ``/healthz`` (no cookie): the floor of a bare request;
2. ``wrk`` against each student page and API read, the same way, one after the
   other on the same server;
3. the SQL queries each request makes (Django's test client in this process,
   on the same database, second request of two).

Each endpoint is measured in ``--rounds`` rounds, each round right after a
``/healthz`` measurement of its own, and its ratio is the median of its
rounds' ratios: this machine has stretches of seconds in which everything,
``/healthz`` included, runs at half speed, and a ratio of two measurements
taken side by side is what such a stretch changes least.

Prints each endpoint's median req/s, its ratio (the median of its rounds'),
the lowest and highest of those ratios, its median req/s over the median of
every ``/healthz`` window (``medians``) and its queries. Needs ``wrk``
(Debian's package). Target (reported, not asserted): every ratio at least 0.15.

    .venv/bin/python bench/pages.py [--seconds 2] [--rounds 5] [--connections 8]
        [--web-workers 2]
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import (  # noqa: E402
    Stack,
    add_stack_arguments,
    load_average,
    machine,
    stack_from,
    web_description,
)

TARGET = 0.15


def wrk(url: str, seconds: float, connections: int, headers: dict) -> tuple[float, int]:
    """(requests per second, non-2xx/3xx responses) of ``url`` for ``seconds``."""
    argv = [
        shutil.which("wrk") or "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        argv + [url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def endpoints(stack: Stack) -> list[tuple[str, str, str]]:
    """(label, path, credential) of each student page and API read."""
    from courseware.models import Problem, Quiz

    course, lesson = stack.students[0]["course"], stack.students[0]["lesson"]
    base = f"/courses/{course}/{lesson}/"
    pages = [
        ("home", "/", "session"),
        ("course page", f"/courses/{course}/", "session"),
        ("lesson page", base, "session"),
    ]
    quiz = Quiz.objects.filter(lesson__slug=lesson).order_by("pk").first()
    if quiz:
        pages.append(("quiz page", f"{base}quizzes/{quiz.slug}/", "session"))
    chosen = ["work-this-trace", "three-layer-network", "pytorch-network",
              "power-rule-local", "vanishing-sigmoid", "relu-blame"]  # fmt: skip
    problems = {p.slug: p for p in Problem.objects.filter(slug__in=chosen)}
    for slug in chosen:
        if slug in problems:
            pages.append((f"problem {slug}", f"{base}problems/{slug}/", "session"))
    api = [
        ("API me", "/api/v1/me/", "token"),
        ("API courses", "/api/v1/courses/", "token"),
        ("API submissions", "/api/v1/submissions/", "token"),
    ]
    for slug in ("work-this-trace", "three-layer-network"):
        if slug in problems:
            pk = problems[slug].pk
            api += [
                (f"API problem {slug}", f"/api/v1/problems/{pk}/", "token"),
                (f"API variant {slug}", f"/api/v1/problems/{pk}/variant/", "token"),
            ]
    return pages + api


def credentials(stack: Stack) -> dict:
    """wrk headers and an in-process client for each credential (cookie or token)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    session_client = Client(HTTP_HOST="127.0.0.1")
    session_client.force_login(get_user_model().objects.get(username="bench0000"))
    token = f"Token {stack.students[0]['token']}"
    return {
        "session": (
            {"Cookie": f"sessionid={session_client.cookies['sessionid'].value}"},
            session_client,
        ),
        # No session with a token, as an LMS or script calls the API.
        "token": (
            {"Authorization": token},
            Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=token),
        ),
    }


def queries(client, path: str) -> tuple[int, int]:
    """(status, SQL queries) of the second of two requests from this process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=int, default=2, help="per measurement (each /healthz too)"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds; each figure is their median"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--only",
        default="",
        help="labels to measure, comma-separated (e.g. 'lesson page')",
    )
    add_stack_arguments(parser, database="tracegrade_pages")
    args = parser.parse_args()

    with stack_from(args, students=1) as stack:
        root = f"http://127.0.0.1:{stack.web_port}"
        keys = credentials(stack)
        print(f"machine: {machine()}; load average {load_average()}")
        print(
            f"stack: {web_description(args)}, DEBUG=0, PostgreSQL and "
            f"Redis on loopback; wrk -t2 -c{args.connections} -d{args.seconds:g}s each, "
            f"{args.rounds} rounds"
        )
        only = set(filter(None, (label.strip() for label in args.only.split(","))))
        chosen = []
        for label, path, kind in endpoints(stack):
            if only and label not in only:
                continue
            headers, client = keys[kind]
            status, count = queries(client, path)
            if status != 200:
                raise SystemExit(f"{label} {path} answered {status}, not 200")
            chosen.append((label, path, headers, count))
        floors: list[float] = []
        rates: dict[str, list[float]] = {label: [] for label, *_ in chosen}
        ratios: dict[str, list[float]] = {label: [] for label, *_ in chosen}
        bad: dict[str, int] = dict.fromkeys(rates, 0)
        for _ in range(args.rounds):
            for label, path, headers, _count in chosen:
                floor, _ = wrk(f"{root}/healthz", args.seconds, args.connections, {})
                rate, errors = wrk(root + path, args.seconds, args.connections, headers)
                floors.append(floor)
                rates[label].append(rate)
                ratios[label].append(rate / floor)
                bad[label] += errors

    print()
    floor = statistics.median(floors)
    print(
        f"{'request':36} {'req/s':>7} {'vs /healthz':>12} {'rounds':>12} "
        f"{'medians':>8} {'queries':>8}"
    )
    spread = f"{min(floors):.0f}-{max(floors):.0f}"
    print(
        f"{'/healthz (no cookie)':36} {floor:7.0f} {1:12.3f} {spread:>12} "
        f"{1:8.3f} {'-':>8}"
    )
    missed = []
    for label, _path, _headers, count in chosen:
        rate = statistics.median(rates[label])
        ratio = statistics.median(ratios[label])
        flag = "" if ratio >= TARGET else "  < target"
        errors = f"  ({bad[label]} non-2xx)" if bad[label] else ""
        spread = f"{min(ratios[label]):.3f}-{max(ratios[label]):.3f}"
        print(
            f"{label:36} {rate:7.0f} {ratio:12.3f} {spread:>12} "
            f"{rate / floor:8.3f} {count:8d}{flag}{errors}"
        )
        if ratio < TARGET:
            missed.append(label)
    print()
    print(f"load average at the end: {load_average()}")
    print(
        f"target: every ratio >= {TARGET}; "
        + (f"missed by {len(missed)}: {', '.join(missed)}" if missed else "all met")
    )


if __name__ == "__main__":
    main()
