import uuid

import pytest
from rest_framework.test import APIClient

from tests.api.content import enrol, make_content


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """A fresh in-process cache per test: throttle counts never leak between tests."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        },
        "content": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-content-{uuid.uuid4().hex}",
        },
    }


@pytest.fixture
def content(db):
    return make_content()


@pytest.fixture
def student(django_user_model, content):
    user = django_user_model.objects.create_user(username="ada", password="pw-ada-123")
    enrol(user, content.course)
    return user


@pytest.fixture
def instructor(django_user_model, content):
    user = django_user_model.objects.create_user(
        username="grace", password="pw-grace-1"
    )
    enrol(user, content.course, role="instructor")
    return user


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def student_api(student):
    client = APIClient()
    client.force_authenticate(student)
    return client


@pytest.fixture
def instructor_api(instructor):
    client = APIClient()
    client.force_authenticate(instructor)
    return client
