"""Browser tests: real headless Chromium (Playwright) against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, which trips Django's
async-safety check on ordinary ORM calls; the tests make no async ORM calls.
"""

import os
from pathlib import Path

import pytest

from tests.services import chromium_path

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "a-long-test-password-42"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    """A fresh Chromium page; the browser is closed after the test."""
    executable = chromium_path()  # skips (or fails in CI) when Chromium is missing
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def browser_at():
    """``browser_at(viewport)``: a fresh Chromium page of that size (one browser per
    test; everything is closed after it)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        contexts = []

        def open_page(viewport: dict):
            context = browser.new_context(viewport=viewport)
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(30_000)
            return page

        try:
            yield open_page
        finally:
            for context in contexts:
                context.close()
            browser.close()


@pytest.fixture
def screenshots() -> Path:
    """Where the UI tests save their screenshots: test-artifacts/, or docs/screenshots
    (the PNGs docs/ui.md shows) when UPDATE_SCREENSHOTS=1, so a test run leaves the
    committed ones alone."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    else:
        folder = ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def student(live_server):
    """Ada, enrolled in the course of content/ (imported)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from courseware import services
    from courseware.models import Lesson

    call_command("import_content", "content/", verbosity=0)
    user = get_user_model().objects.create_user("ada", password=PASSWORD)
    course = Lesson.objects.get(slug="credit-assignment").course
    services.course_enrol(course=course, user=user)
    return user
