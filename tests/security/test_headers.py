"""Production cookies and headers: what a browser receives from a production process.

The test process runs the production settings (``DEBUG`` off) except for
plain-HTTP redirects, so responses here carry production headers.
"""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.test import Client, RequestFactory
from django.urls import reverse

from courseware.lti.middleware import LtiFramingMiddleware
from tests.security.conftest import PASSWORD

ROOT = settings.BASE_DIR
STRONG_KEY = "k" * 20 + "x9Q-r7Zp2Lm4Nv8Tq3Ws6Yb1Hc5Jd0Fg"
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE",
         "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "X_FRAME_OPTIONS",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_PROXY_SSL_HEADER"]
print(json.dumps({n: getattr(s, n) for n in names}))
"""


def test_production_settings_from_a_clean_environment():
    dropped = ("DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="0", SECRET_KEY=STRONG_KEY, DJANGO_SETTINGS_MODULE="config.settings"
    )
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


@pytest.mark.django_db
def test_pages_refuse_framing_and_sniffing_and_pin_https():
    response = Client().get(reverse("login"), secure=True)
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert directives(response.headers["Content-Security-Policy"])[
        "frame-ancestors"
    ] == ["'none'"]
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure(django_user_model):
    django_user_model.objects.create_user(username="ada", password=PASSWORD)
    client = Client()
    client.get(reverse("login"), secure=True)
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    response = client.post(
        reverse("login"), {"username": "ada", "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    # Lax: another site cannot make the browser send it (only an LTI
    # session, shown in the LMS's iframe, is SameSite=None; tests/lti).
    assert session["samesite"] == "Lax"


def _launch(present: bool):
    claims = {"iss": "https://canvas.example.edu"}
    return SimpleNamespace(
        is_present=present,
        registration=None,
        get_claim=claims.get,
        launch_presentation_claim={"return_url": "https://lms.example.org/back"},
    )


def directives(policy: str) -> dict[str, list[str]]:
    """A CSP header as directive -> sources."""
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def _framing_stack(request):
    """The response headers as the site's middleware order writes them."""
    inner = LtiFramingMiddleware(lambda r: HttpResponse("ok"))
    return CSPMiddleware(XFrameOptionsMiddleware(inner))(request)


def test_only_an_lti_session_may_be_framed_and_only_by_its_platform():
    request = RequestFactory().get("/")
    request.lti_launch = _launch(present=True)
    response = _framing_stack(request)
    assert "X-Frame-Options" not in response.headers
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"][0] == "'self'"
    assert set(policy["frame-ancestors"][1:]) == {
        "https://canvas.example.edu",
        "https://lms.example.org",
        *settings.LTI_FRAME_ANCESTORS,
    }
    assert policy["script-src"] == ["'self'"]  # the rest of the policy holds
    request = RequestFactory().get("/")
    request.lti_launch = _launch(present=False)
    response = _framing_stack(request)
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
