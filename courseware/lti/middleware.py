"""Lets the LMS frame the pages of an LTI session (and nobody else)."""

from courseware.lti.views import frame_ancestors


class LtiFramingMiddleware:
    """For a session that began with an LTI launch, replace ``X-Frame-Options: DENY``
    and the site's CSP ``frame-ancestors 'none'`` by ``frame-ancestors`` naming
    the platform's origins.

    Sits inside ``XFrameOptionsMiddleware`` (so the exemption is seen there)
    and inside django-csp's middleware, which writes the one policy header
    with this ``frame-ancestors`` in it.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        lti_launch = getattr(request, "lti_launch", None)
        if lti_launch is not None and lti_launch.is_present:
            sources = ["'self'", *frame_ancestors(lti_launch)]
            response.xframe_options_exempt = True
        elif getattr(response, "xframe_options_exempt", False):
            # The LTI endpoints themselves (OIDC login, launch, deep linking)
            # answer inside whichever platform's iframe called them, before
            # any session says which platform that is.
            sources = ["'self'", "https:"]
        else:
            return response
        replace = getattr(response, "_csp_replace", None) or {}
        response._csp_replace = {**replace, "frame-ancestors": sources}
        return response
