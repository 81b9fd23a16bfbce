"""Where a student page's or API read's time goes: cProfile per request, in-process.

Makes a throwaway PostgreSQL database (``--database``, default
``tracegrade_profile``) with ``content/`` imported and one student, then for
each request runs it ``--repeat`` times through Django's test client with the
production settings (``DEBUG=0``, the same middleware as gunicorn runs) under
cProfile, after two warm-up requests. Prints, per request: milliseconds of
CPU in-process (without the profiler), SQL queries, and the time in each part of the stack (SQL and
the ORM, template rendering, Markdown, the trace, the graph SVG, DRF, sessions
and auth), then the top functions by own time with ``--top``.

    .venv/bin/python bench/profiling.py [--repeat 200] [--top 0] [--only lesson]
        [--sort cumulative] [--filter 'courseware|rest_framework']
"""

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (part, substrings of a function's file path): a function's own time counts
# towards the first part whose substring its file contains, else "other"
# (views, middleware, the standard library), so the parts add up to the total.
PARTS = [
    ("SQL+ORM", ("django/db/", "psycopg", "courseware/selectors", "courseware/fields")),
    ("templates", ("django/template", "django/utils/html", "django/utils/safestring",
                   "django/forms", "templatetags", "django/utils/functional")),
    ("Markdown", ("markdown_it", "mdit_py_plugins", "nh3", "courseware/rendering")),
    ("trace", ("engine/", "sympy", "numpy")),
    ("SVG", ("courseware/graph_svg",)),
    ("DRF", ("rest_framework/", "drf_spectacular")),
    ("auth", ("contrib/sessions", "contrib/auth", "knox/", "hashlib", "signing")),
    ("cache", ("django/core/cache", "redis/", "kombu", "celery")),
]  # fmt: skip


def setup(database: str, postgres: str, redis_url: str) -> None:
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    os.environ.update(
        DATABASE_URL=f"{postgres}/{database}",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="0",
        STATIC_MANIFEST="0",
        LOG_LEVEL="WARNING",
        THROTTLE_SUBMIT="1000000/min",
        GRADING_MAX_IN_FLIGHT="1000000",  # no worker runs: submissions stay queued
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("import_content", str(ROOT / "content"), verbosity=0)


def drop(database: str, postgres: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def requests_to_profile():
    """(label, method, path, body, credential) of each request."""
    from courseware.models import Problem

    base = "/courses/deep-learning/credit-assignment/"
    work = Problem.objects.get(slug="work-this-trace").pk
    network = Problem.objects.get(slug="three-layer-network").pk
    return [
        ("lesson", "GET", base, None, "session"),
        ("quiz", "GET", base + "quizzes/credit-assignment/", None, "session"),
        ("work-this", "GET", base + "problems/work-this-trace/", None, "session"),
        ("network", "GET", base + "problems/three-layer-network/", None, "session"),
        ("api-problem", "GET", f"/api/v1/problems/{work}/", None, "token"),
        ("api-variant", "GET", f"/api/v1/problems/{work}/variant/", None, "token"),
        (
            "api-net-variant",
            "GET",
            f"/api/v1/problems/{network}/variant/",
            None,
            "token",
        ),
        ("api-me", "GET", "/api/v1/me/", None, "token"),
        ("api-courses", "GET", "/api/v1/courses/", None, "token"),
        ("api-submissions", "GET", "/api/v1/submissions/", None, "token"),
        ("api-submit", "POST", "/api/v1/submissions/", work, "token"),
    ]


def clients():
    from django.contrib.auth import get_user_model
    from django.test import Client
    from knox.models import AuthToken

    from courseware import services
    from courseware.models import Lesson

    user = get_user_model().objects.create_user("profiled", password="pw-profile-1")
    services.course_enrol(course=Lesson.objects.get().course, user=user)
    session = Client()
    session.force_login(user)
    token = AuthToken.objects.create(user)[1]
    return user, {
        "session": session,
        "token": Client(HTTP_AUTHORIZATION=f"Token {token}"),
    }


def correct_answers(user, problem_id: int) -> dict:
    from courseware import services
    from courseware.models import Problem
    from engine.specs import instantiate
    from engine.trace import trace

    problem = Problem.objects.get(pk=problem_id)
    variant = services.variant_get_or_create(student=user, problem=problem)
    values = trace(instantiate(problem.spec, variant.seed)).values
    return {key: repr(float(value)) for key, value in values.items()}


def call(client, method: str, path: str, answers: dict | None, problem_id=None):
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(
            path,
            {"problem": problem_id, "answers": answers},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
    assert response.status_code in (200, 201), (path, response.status_code)
    return response


def parts_of(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per part (``PARTS``, then ``other``)."""
    totals = dict.fromkeys([name for name, _ in PARTS] + ["other"], 0.0)
    for (filename, _line, function), (
        _cc,
        _nc,
        tt,
        _ct,
        _callers,
    ) in stats.stats.items():
        text = f"{filename}:{function}"
        for name, needles in PARTS:
            if any(needle in text for needle in needles):
                totals[name] += tt
                break
        else:
            totals["other"] += tt
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--top", type=int, default=0, help="top functions to print")
    parser.add_argument("--only", default="", help="comma-separated labels")
    parser.add_argument("--sort", default="tottime", help="pstats order of --top")
    parser.add_argument(
        "--filter", default="", help="regular expression: --top lists only these files"
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE_PREFIX", "tracegrade") + "_profile",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    args = parser.parse_args()
    setup(args.database, args.postgres, args.redis_url)
    try:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        user, by_credential = clients()
        only = set(filter(None, args.only.split(",")))
        names = [name for name, _ in PARTS] + ["other"]
        print(f"{'request':16}{'ms/req':>8}{'queries':>8}  " + "  ".join(names))
        for label, method, path, problem_id, credential in requests_to_profile():
            if only and label not in only:
                continue
            client = by_credential[credential]
            answers = correct_answers(user, problem_id) if problem_id else None
            for _ in range(2):
                call(client, method, path, answers, problem_id)
            with CaptureQueriesContext(connection) as queries:
                call(client, method, path, answers, problem_id)
            query_count = len(queries)  # read now: later requests reset the log
            start = time.process_time()
            for _ in range(args.repeat):
                call(client, method, path, answers, problem_id)
            per_request = (time.process_time() - start) / args.repeat * 1000
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.repeat):
                call(client, method, path, answers, problem_id)
            profile.disable()
            stats = pstats.Stats(profile)
            parts = parts_of(stats)
            print(
                f"{label:16}{per_request:8.2f}{query_count:8d}  "
                + "  ".join(
                    f"{parts[name] / args.repeat * 1000:{len(name)}.2f}"
                    for name in names
                )
            )
            if args.top:
                stats.sort_stats(args.sort).print_stats(args.filter, args.top)
    finally:
        drop(args.database, args.postgres)


if __name__ == "__main__":
    main()
