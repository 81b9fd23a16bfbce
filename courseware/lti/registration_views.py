"""Registration without copying URLs: LTI Dynamic Registration's initiation URL,
and Canvas's developer-key JSON configuration URL."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from courseware.lti import registration
from courseware.lti.views import page, refuse

# Tells the platform's registration dialog to close (LTI-DR section 3.6.1).
CLOSE_SCRIPT = (
    "<script>(window.opener || window.parent).postMessage("
    "{subject: 'org.imsglobal.lti.close'}, '*');</script>"
)


def tool_urls(request: HttpRequest) -> registration.ToolUrls:
    return registration.ToolUrls(
        login=request.build_absolute_uri(reverse("lti:login")),
        launch=request.build_absolute_uri(reverse("lti:launch")),
        jwks=request.build_absolute_uri(reverse("lti:jwks")),
    )


@require_GET
@xframe_options_exempt
def register(request: HttpRequest) -> HttpResponse:
    """The initiation URL an LMS administrator gives the LMS (Moodle: "Tool URL"
    under "LTI Advantage"; Canvas: "Dynamic Registration URL")."""
    openid_configuration = request.GET.get("openid_configuration")
    if not openid_configuration:
        return refuse(
            "This is Tracegrade's LTI Dynamic Registration URL: give it to the "
            "LMS (Moodle: Manage tools > Tool URL; Canvas: Developer Keys > "
            "LTI Registration), which opens it with its openid_configuration.",
            400,
        )
    try:
        made = registration.dynamic_registration(
            openid_configuration=openid_configuration,
            registration_token=request.GET.get("registration_token") or None,
            urls=tool_urls(request),
        )
    except registration.RegistrationFailed as exc:
        return refuse(f"Registration did not complete: {exc}", 400)
    active = made.deployments.filter(is_active=True).exists()
    next_step = (
        "It is ready to use."
        if active
        else "A Tracegrade administrator must now tick 'is active' on its "
        "deployment (admin > LTI deployments) before the first launch."
    )
    body = format_html(
        "<p>Tracegrade is registered with {} (client id {}). {}</p>{}",
        made.issuer,
        made.client_id,
        next_step,
        mark_safe(CLOSE_SCRIPT),  # a constant, no user data
    )
    return page("Tracegrade is registered", body)


@require_GET
def canvas_config(request: HttpRequest) -> JsonResponse:
    """Canvas: Admin > Developer Keys > + LTI Key > Method "Enter URL"."""
    return JsonResponse(registration.canvas_configuration(tool_urls(request)))
