"""Every page carries a Content-Security-Policy that allows only this site's own files.

And no template relies on what that policy refuses: inline scripts, inline
styles or event-handler attributes.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.security.test_headers import directives

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I
)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def assert_strict(policy: str) -> None:
    parsed = directives(policy)
    for name in ("script-src", "style-src", "font-src", "default-src"):
        assert parsed[name] == ["'self'"], (name, parsed[name])
    assert parsed["object-src"] == ["'none'"]
    assert parsed["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", "/"),
        ("anonymous", "/accounts/login/"),
        ("anonymous", "/admin/login/"),
        ("anonymous", "/api/docs/"),
        ("student", "/api/v1/me/"),
        ("student", "lesson"),
        ("student", "problem"),
        ("student", "quiz"),
        ("student", "/no-such-page/"),
    ],
)
def test_every_page_has_a_strict_policy(world, role, path):
    pages = {
        "lesson": f"/courses/{world.course.slug}/{world.lesson.slug}/",
        "problem": f"/courses/{world.course.slug}/{world.lesson.slug}/problems/"
        f"{world.problem.slug}/",
        "quiz": f"/courses/{world.course.slug}/{world.lesson.slug}/quizzes/"
        f"{world.quiz.slug}/",
    }
    response = world.client(role).get(pages.get(path, path))
    assert response.status_code in (200, 404)
    policy = response["Content-Security-Policy"]
    if path == "/api/docs/":  # Swagger UI inserts a <style>: styles only
        policy = policy.replace(" 'unsafe-inline'", "")
    assert_strict(policy)


def test_only_the_api_docs_allow_inline_styles_and_never_scripts(world):
    docs = directives(
        world.client("anonymous").get("/api/docs/")["Content-Security-Policy"]
    )
    assert docs["style-src"] == ["'self'", "'unsafe-inline'"]
    assert docs["script-src"] == ["'self'"]


def test_api_docs_load_their_setup_script_as_a_file(world):
    page = world.client("anonymous").get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert any("swagger-ui" in src for src in scripts)
    assert all(src.startswith("/") for src in scripts)  # nothing from a CDN
    setup = [src for src in scripts if "/api/docs/" in src]
    assert setup and world.client("anonymous").get(setup[0]).status_code == 200


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES) for p in TEMPLATES.rglob("*.html"))
)
def test_no_template_uses_inline_scripts_styles_or_handlers(template):
    text = (TEMPLATES / template).read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js"
    assert not HANDLER.search(text), "on...= handler: attach it in static/js"
    assert not STYLE.search(text), "inline style: use a class in static/css"
