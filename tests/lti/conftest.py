import io
import uuid

import pytest
from django.core.management import call_command

from tests.api.content import make_content
from tests.lti.platform import Platform


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A fresh in-process cache per test: nonces and launch data never leak."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def tool_key(db):
    call_command("lti_keys", "create", stdout=io.StringIO())


@pytest.fixture
def platform(db, tool_key):
    lms = Platform().start()
    lms.register()
    yield lms
    lms.stop()


@pytest.fixture
def content(db):
    return make_content()


@pytest.fixture
def linked(platform, content):
    """The platform's LMS course linked to an offering of the content's course."""
    return platform.link(content.course)
