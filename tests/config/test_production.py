"""The production configuration, as compose and the Dockerfile run it.

``DEBUG=0``, ``collectstatic`` into STATIC_ROOT with hashed names, gunicorn
with two workers: every page a student, an instructor or an API reader opens
loads every asset it references (CSS, scripts, KaTeX fonts, the admin's CSS,
the Swagger UI bundle), and database connections are kept between requests.
"""

import html.parser
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.management import call_command
from django.db import connection

from courseware import services
from courseware.models import Course, Problem
from tests.faults.conftest import free_port
from tests.workers import ROOT, database_url, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


class Browser:
    """Just enough of a browser: cookies kept by hand (they are ``Secure``) and CSRF."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, data: dict | None = None):
        url = urllib.parse.urljoin(self.base, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        if self.cookies:
            request.add_header(
                "Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            )
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), response.read()

    def sign_in(self, username: str, password: str) -> None:
        status, _, page = self.request("/accounts/login/")
        assert status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, headers, _ = self.request(
            "/accounts/login/",
            {"username": username, "password": password,
             "csrfmiddlewaretoken": token.decode()},
        )  # fmt: skip
        assert status == 302, "sign-in failed"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def production(tmp_path_factory, django_db_setup, django_db_blocker):
    """gunicorn on a free port with the production settings, after collectstatic."""
    tmp_path = tmp_path_factory.mktemp("production")
    with django_db_blocker.unblock():
        db_url = database_url()
    static_root = tmp_path / "staticfiles"
    env = {
        **os.environ,
        "DEBUG": "0",
        "STATIC_MANIFEST": "1",
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": db_url,
        "SECURE_SSL_REDIRECT": "0",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return urllib.request.urlopen(base + "/healthz", timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_for(up, timeout=60, interval=0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def people(django_user_model):
    call_command("import_content", str(ROOT / "content"), verbosity=0)
    course = Course.objects.get()
    student = django_user_model.objects.create_user(
        username="student", password="pw-student-1"
    )
    services.course_enrol(course=course, user=student)
    django_user_model.objects.create_superuser(
        username="staff", password="pw-staff-1", email="staff@example.edu"
    )
    return course


def _assets(browser: Browser, page_path: str) -> set[str]:
    status, headers, body = browser.request(page_path)
    assert status == 200, (page_path, status)
    parser = _Links()
    parser.feed(body.decode())
    return {
        urllib.parse.urljoin(page_path, url)
        for url in parser.urls
        if urllib.parse.urljoin(page_path, url).startswith("/static/")
    }


def _fetch_with_css_references(browser: Browser, asset: str, seen: set[str]) -> None:
    if asset in seen:
        return
    seen.add(asset)
    status, headers, body = browser.request(asset)
    assert status == 200, (asset, status)
    assert body, asset
    if asset.endswith(".css"):
        for ref in re.findall(rb"url\(([^)]+)\)", body):
            ref = ref.strip(b"'\" ").decode()
            if ref.startswith(("data:", "#")):
                continue
            absolute = urllib.parse.urljoin(asset, ref).split("#")[0].split("?")[0]
            _fetch_with_css_references(browser, absolute, seen)


def _sessions_opened() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_every_page_loads_every_asset_it_references(production, people):
    course = people
    problem = Problem.objects.get(slug="work-this-trace")
    lesson = problem.lesson
    student = Browser(production)
    student.sign_in("student", "pw-student-1")
    pages = [
        "/",
        f"/courses/{course.slug}/",
        f"/courses/{course.slug}/{lesson.slug}/",
        f"/courses/{course.slug}/{lesson.slug}/problems/{problem.slug}/",
        f"/courses/{course.slug}/{lesson.slug}/problems/three-layer-network/",
        "/api/docs/",
    ]
    assets: set[str] = set()
    for page in pages:
        assets |= _assets(student, page)
    staff = Browser(production)
    staff.sign_in("staff", "pw-staff-1")
    assets |= _assets(staff, "/admin/")
    assets |= _assets(staff, "/admin/courseware/problem/")

    names = " ".join(sorted(assets))
    for needed in ("tracegrade", "katex", "problem", "math", "admin/css", "swagger-ui"):
        assert needed in names, f"no {needed} asset referenced: {names}"
    # Hashed names, so they can be cached for good.
    assert re.search(r"/static/css/tracegrade\.[0-9a-f]{12}\.css", names), names
    seen: set[str] = set()
    for asset in sorted(assets):
        _fetch_with_css_references(student, asset, seen)
    assert any(name.endswith(".woff2") for name in seen), "KaTeX fonts not reached"

    status, headers, _ = student.request(next(a for a in seen if a.endswith(".css")))
    assert "max-age=315360000" in headers.get("Cache-Control", ""), headers
    status, headers, _ = student.request("/favicon.ico")
    assert status == 301
    assert student.request(headers["Location"])[0] == 200


def test_database_connections_are_kept_between_requests(production, people):
    browser = Browser(production)
    browser.sign_in("student", "pw-student-1")
    before = _sessions_opened()
    for _ in range(40):
        assert browser.request("/")[0] == 200
    # Two gunicorn workers: at most a connection or two each, not one a request.
    assert _sessions_opened() - before <= 4


@pytest.fixture(scope="module")
def database_down(tmp_path_factory):
    """gunicorn whose database is unreachable (nothing listens on its port)."""
    tmp_path = tmp_path_factory.mktemp("db-down")
    env = {
        **os.environ,
        "DEBUG": "0",
        "STATIC_MANIFEST": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nowhere",
        "SECURE_SSL_REDIRECT": "0",
    }
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return urllib.request.urlopen(base + "/healthz", timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_for(up, timeout=60, interval=0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.parametrize(
    "path, data",
    [
        ("/api/v1/me/", None),
        ("/api/v1/courses/", None),
        ("/api/v1/auth/token/", {"username": "ada", "password": "x"}),
    ],
)
def test_api_answers_json_503_with_retry_after_when_the_database_is_down(
    database_down, path, data
):
    browser = Browser(database_down)
    browser.cookies["sessionid"] = "a-session-the-database-must-be-asked-about"
    status, headers, body = browser.request(path, data)
    assert status == 503, body[:300]
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Retry-After"]) > 0
    message = json.loads(body)["errors"][0]["message"]
    assert "try again" in message
    assert b"Traceback" not in body


def test_pages_answer_a_friendly_503_when_the_database_is_down(database_down):
    browser = Browser(database_down)
    browser.cookies["sessionid"] = "a-session-the-database-must-be-asked-about"
    status, headers, body = browser.request("/")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert b"Back in a minute" in body
    probe = Browser(database_down)  # a load balancer: no cookies
    status, _, body = probe.request("/readyz")
    assert status == 503 and json.loads(body)["checks"]["database"] is False
