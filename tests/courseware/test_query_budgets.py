"""SQL queries per student page and API read: a budget each (never a time).

A page over its budget has grown a query per row (an N+1) or a lookup done
twice; lower the budget when a change makes a page cheaper. Counted on a
second visit, after the first has made the student's variant. Figures for
the whole request (session, user, throttle and page) as bench/pages.py shows.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from courseware import services
from courseware.models import Lesson, Problem

pytestmark = pytest.mark.django_db

BASE = "/courses/deep-learning/credit-assignment/"
PAGES = {
    "/": 5,
    "/courses/deep-learning/": 5,
    BASE: 7,
    BASE + "quizzes/credit-assignment/": 10,
    BASE + "problems/work-this-trace/": 8,
    BASE + "problems/three-layer-network/": 8,
    BASE + "problems/pytorch-network/": 8,
    BASE + "problems/power-rule-local/": 9,
    BASE + "problems/vanishing-sigmoid/": 9,
    BASE + "problems/relu-blame/": 9,
}
API = {
    "/api/v1/me/": 4,
    "/api/v1/courses/": 4,
    "/api/v1/submissions/": 3,
    "/api/v1/problems/{work}/": 5,
    "/api/v1/problems/{work}/variant/": 6,
    "/api/v1/problems/{network}/": 5,
    "/api/v1/problems/{network}/variant/": 6,
}


@pytest.fixture
def student():
    call_command("import_content", "content/", verbosity=0)
    user = get_user_model().objects.create_user("ada", password="pw-for-tests-1")
    services.course_enrol(course=Lesson.objects.get().course, user=user)
    return user


def counted(client: Client, path: str, **headers) -> int:
    first = client.get(path, **headers)
    assert first.status_code == 200, (path, first.status_code)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **headers).status_code == 200
    return len(queries)


def test_every_student_page_stays_within_its_query_budget(student):
    client = Client()
    client.force_login(student)
    over = {
        path: (used, budget)
        for path, budget in PAGES.items()
        if (used := counted(client, path)) > budget
    }
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
