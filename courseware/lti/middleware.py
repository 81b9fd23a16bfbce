"""Lets the LMS frame the pages of an LTI session (and nobody else)."""

from courseware.lti.views import frame_ancestors


class LtiFramingMiddleware:
    """For a session that began with an LTI launch, replace ``X-Frame-Options: DENY``
    by a CSP ``frame-ancestors`` naming the platform's origins.

    Sits inside ``XFrameOptionsMiddleware`` so the exemption is seen there.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        lti_launch = getattr(request, "lti_launch", None)
        if lti_launch is None or not lti_launch.is_present:
            return response
        origins = frame_ancestors(lti_launch)
        response.xframe_options_exempt = True
        if "Content-Security-Policy" not in response.headers:
            sources = " ".join(["'self'", *origins])
            response.headers["Content-Security-Policy"] = f"frame-ancestors {sources}"
        return response
