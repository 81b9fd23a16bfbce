"""SameSite=None cookies for LTI sessions only.

An LTI session lives in the LMS's iframe, on another site, where the browser
sends only ``SameSite=None; Secure`` cookies. Every other session keeps the
settings' ``Lax`` (``SESSION_COOKIE_SAMESITE``), so a page on another site
cannot make a signed-in student's browser send their session along.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from lti_tool.constants import SESSION_KEY


def is_lti_session(request: HttpRequest) -> bool:
    """Whether the request's session began with an LTI launch."""
    session = getattr(request, "session", None)
    return session is not None and bool(session.get(SESSION_KEY))


class LtiCookieMiddleware:
    """Marks the session and CSRF cookies of an LTI session ``SameSite=None; Secure``.

    Sits outside the session and CSRF middleware, so it sees the cookies they set.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
        if not any(name in response.cookies for name in names):
            return response
        if not is_lti_session(request):
            return response
        for name in names:
            if name in response.cookies and response.cookies[name].value:
                response.cookies[name]["samesite"] = "None"
                response.cookies[name]["secure"] = True
        return response
