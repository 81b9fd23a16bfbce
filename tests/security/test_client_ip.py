"""The client address behind 0, 1 or 2 trusted proxies (``TRUSTED_PROXY_COUNT``)."""

import pytest
from django.test import RequestFactory

from config.client_ip import client_ip

CASES = [
    # (trusted proxies, X-Forwarded-For, expected address); REMOTE_ADDR is 10.0.0.1
    (0, None, "10.0.0.1"),
    (0, "6.6.6.6", "10.0.0.1"),  # not trusted: the client wrote it
    (1, None, "10.0.0.1"),
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own part is ignored
    (2, "6.6.6.6, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
    (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies
    (1, " , ", "10.0.0.1"),
]


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), CASES)
def test_client_ip(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers)
    assert client_ip(request) == expected
