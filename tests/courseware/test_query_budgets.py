"""SQL queries per student page and API read: a budget each (never a time).

A page over its budget has grown a query per row (an N+1) or a lookup done
twice; lower the budget when a change makes a page cheaper. Counted on a
third visit, after the first has made the student's variant and the second
has filled the page cache (pages: served from it, and rendered with it
emptied; API reads of a problem: served from it). Figures for the
whole request (session, user, throttle and page) as bench/pages.py shows.
"""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from courseware import services
from courseware.models import Lesson, Problem, Submission
from engine.specs import instantiate
from engine.trace import trace

pytestmark = pytest.mark.django_db

BASE = "/courses/deep-learning/credit-assignment/"
# (served from the page cache, rendered): the user and the page's digest
# (courseware.page_state) when cached; rendered, the view's own queries and
# the digest read again after it (a page is stored only when it held).
PAGES = {
    "/": (2, 6),
    "/courses/deep-learning/": (2, 5),
    BASE: (2, 6),
    BASE + "quizzes/credit-assignment/": (2, 7),
    BASE + "problems/work-this-trace/": (2, 6),
    BASE + "problems/three-layer-network/": (2, 6),
    BASE + "problems/pytorch-network/": (2, 6),
    BASE + "problems/power-rule-local/": (2, 6),
    BASE + "problems/vanishing-sigmoid/": (2, 6),
    BASE + "problems/relu-blame/": (2, 6),
}
API = {
    "/api/v1/me/": 2,
    "/api/v1/courses/": 2,
    "/api/v1/submissions/": 2,
    "/api/v1/problems/{work}/": 2,
    "/api/v1/problems/{work}/variant/": 2,
    "/api/v1/problems/{network}/": 2,
    "/api/v1/problems/{network}/variant/": 2,
}
# POST /api/v1/submissions/ (a new "Work this" submission with an
# Idempotency-Key): the token, the problem (with role, variant seed and
# current version), the key, the variant locked, the student's load and
# attempts, the insert. Savepoints of the test's transaction are not counted.
SUBMIT = 6


@pytest.fixture
def student():
    call_command("import_content", "content/", verbosity=0)
    user = get_user_model().objects.create_user("ada", password="pw-for-tests-1")
    services.course_enrol(course=Lesson.objects.get().course, user=user)
    return user


def counted(client: Client, path: str, **headers) -> int:
    for _ in range(2):  # the first makes the variant, the second is cached
        first = client.get(path, **headers)
        assert first.status_code == 200, (path, first.status_code)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **headers).status_code == 200
    return len(queries)


def test_every_student_page_stays_within_its_query_budget(student):
    client = Client()
    client.force_login(student)
    over = {}
    for path, (cached, rendered) in PAGES.items():
        if (used := counted(client, path)) > cached:
            over[path, "cached"] = (used, cached)
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        if len(queries) > rendered:
            over[path, "rendered"] = (len(queries), rendered)
    assert over == {}, "queries used, budget"


def test_every_api_read_stays_within_its_query_budget(student):
    token = AuthToken.objects.create(student)[1]
    ids = {
        "work": Problem.objects.get(slug="work-this-trace").pk,
        "network": Problem.objects.get(slug="three-layer-network").pk,
    }
    client = Client()
    over = {}
    for template, budget in API.items():
        path = template.format(**ids)
        used = counted(client, path, HTTP_AUTHORIZATION=f"Token {token}")
        if used > budget:
            over[path] = (used, budget)
    assert over == {}, "queries used, budget"


def test_a_submission_post_stays_within_its_query_budget(student):
    token = AuthToken.objects.create(student)[1]
    problem = Problem.objects.get(slug="work-this-trace")
    seed = services.variant_get_or_create(student=student, problem=problem).seed
    values = trace(instantiate(problem.spec, seed)).values
    answers = {step: repr(float(value)) for step, value in values.items()}
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def post():
        return client.post(
            "/api/v1/submissions/",
            {"problem": problem.pk, "answers": answers},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )

    assert post().status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert post().status_code == 201
    statements = [
        q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) <= SUBMIT, statements
    assert Submission.objects.filter(student=student).count() == 2
