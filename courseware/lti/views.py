"""LTI 1.3 endpoints: JWKS, OIDC login initiation, launches and deep linking.

Every page here is shown inside the LMS's iframe, so none sends
``X-Frame-Options``. Launches are cross-site form posts signed by the
platform, so they are exempt from CSRF; their id_token is the proof.
"""

import hashlib
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views import View
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET
from lti_tool.constants import SESSION_KEY
from lti_tool.models import Key, LtiLaunch
from lti_tool.utils import DjangoToolConfig, sync_data_from_launch
from lti_tool.views import LtiLaunchBaseView, OIDCLoginInitView
from pylti1p3.contrib.django import (
    DjangoCacheDataStorage,
    DjangoMessageLaunch,
    DjangoOIDCLogin,
)
from pylti1p3.exception import LtiException, OIDCException

from courseware import offerings
from courseware.lti import claims, passback, roster, services
from courseware.lti.claims import LaunchRefused
from courseware.lti.csp import allow_own_inline_code
from courseware.models import Course, LtiRegistrationSettings, OfferingMembership

logger = logging.getLogger(__name__)

# How long a used nonce is remembered; id_tokens live minutes, not hours.
NONCE_MEMORY_SECONDS = 24 * 3600
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
DEEP_LINKING_SETTINGS = (
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
)


COOKIE_BLOCKED = (
    "Your browser did not keep the cookie this launch started with: it blocks "
    "cookies inside the LMS page (Safari, Firefox in strict mode and private "
    "windows do), or the launch took more than five minutes. Go back to the LMS and "
    "open the link again; if it happens again, open it in a new window (right-click, "
    "open in a new tab), where your work and grade go to the same course."
)


def page(title: str, body: str, status: int = 200) -> HttpResponse:
    """A minimal HTML page; ``body`` must already be escaped (format_html)."""
    html = format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>{}</title></head><body><main><h1>{}</h1>{}</main></body></html>",
        title,
        title,
        body,
    )
    return HttpResponse(html, status=status)


def refuse(message: str, status: int = 403) -> HttpResponse:
    return page(
        "Tracegrade cannot open this link", format_html("<p>{}</p>", message), status
    )


def no_key() -> HttpResponse:
    return refuse(
        "The tool has no signing key yet. An administrator must run "
        "'manage.py lti_keys create'.",
        503,
    )


@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    """The tool's public keys, which the platform uses to verify what we sign."""
    return JsonResponse(Key.objects.as_jwks())


@method_decorator(xframe_options_exempt, name="dispatch")
class LoginView(OIDCLoginInitView):
    """OIDC third-party login initiation; the platform calls it first.

    The redirect URI is always the launch URL, so a platform needs exactly one
    registered redirect URI; what the link opens travels in the id_token.

    A browser that blocks cookies in frames (Safari, Firefox's strict mode,
    private windows) cannot keep the login's state or a session there; the
    check page then explains that and opens the launch in a new window, where
    the same LMS course, offering and gradebook are used.
    """

    main_msg = (
        "Your browser blocks cookies inside the LMS page (Safari, Firefox in strict "
        "mode and private windows do), and Tracegrade needs one to keep you signed "
        "in while you work. Open it in its own window instead: it is the same "
        "course, your work is saved and your grade still goes to the LMS. "
    )
    click_msg = "Open Tracegrade in a new window."
    loading_msg = "Opening Tracegrade..."

    def get_redirect_url(self, target_link_uri: str) -> str:
        return self.request.build_absolute_uri(reverse("lti:launch"))

    def get_oidc_response(self, request, registration_uuid, params):
        target_link_uri = params.get("target_link_uri")
        if target_link_uri is None:
            return refuse("The LMS login request has no target_link_uri.", 400)
        oidc_login = DjangoOIDCLogin(
            request,
            ToolConfig(registration_uuid),
            launch_data_storage=DjangoCacheDataStorage(),
        )
        try:
            response = oidc_login.enable_check_cookies(
                self.main_msg, self.click_msg, self.loading_msg
            ).redirect(self.get_redirect_url(target_link_uri))
            return allow_own_inline_code(response)
        except (OIDCException, LtiException) as exc:
            return refuse(f"The LMS login request was not accepted: {exc}.", 400)
        except Key.DoesNotExist:
            return no_key()


class ToolConfig(DjangoToolConfig):
    """django-lti's tool configuration; with a registration UUID in the login URL,
    platforms that send no ``client_id`` at login (some Moodle versions) work too."""

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        if client_id is None and self.registration_uuid is not None:
            return self.find_registration_by_issuer(iss)
        return super().find_registration_by_params(iss, client_id, *args, **kwargs)


class NonceOnceMessageLaunch(DjangoMessageLaunch):
    """pylti1p3 checks that the nonce was issued, but not that it is used once:
    once the signature is verified, the nonce is spent, so a replayed id_token
    is refused."""

    def validate_jwt_signature(self):
        super().validate_jwt_signature()
        nonce = self._get_jwt_body().get("nonce", "")
        digest = hashlib.sha256(nonce.encode()).hexdigest()
        if not cache.add(f"lti1p3-nonce-used-{digest}", True, NONCE_MEMORY_SECONDS):
            raise LtiException("this launch was already used (replayed nonce)")
        return self


def validated_launch(request: HttpRequest) -> LtiLaunch:
    message_launch = NonceOnceMessageLaunch(
        request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage()
    )
    message_launch.validate()
    return LtiLaunch(message_launch)


def student_url(resource: services.Resource) -> str:
    """The student page of the lesson, problem or quiz a link opens."""
    lesson = resource.obj if resource.kind == "lesson" else resource.obj.lesson
    kwargs = {"course_slug": lesson.course.slug, "lesson_slug": lesson.slug}
    if resource.kind != "lesson":
        kwargs[f"{resource.kind}_slug"] = resource.obj.slug
    return reverse(f"courseware:{resource.kind}", kwargs=kwargs)


def sign_in(request: HttpRequest, user) -> None:
    """Sign ``user`` in unless they are already: ``login()`` rotates the CSRF
    token, which would break the forms of the browser's other tabs and frames."""
    if request.user.is_authenticated and request.user.pk == user.pk:
        return
    login(request, user, backend=MODEL_BACKEND)


@method_decorator(xframe_options_exempt, name="dispatch")
class LaunchView(LtiLaunchBaseView):
    """Resource-link and deep-linking launches (the platform's form post of an id_token).

    The session is never flushed: another tab or frame of the same browser
    (two problems on one LMS page) keeps working.
    """

    def post(self, request, *args, **kwargs):
        try:
            lti_launch = validated_launch(request)
        except LtiException as exc:
            logger.info("LTI launch refused: %s", exc)
            if str(exc) == "State not found":
                return refuse(COOKIE_BLOCKED)
            return refuse(
                f"The launch could not be verified: {exc}. Start it again from the LMS."
            )
        except Key.DoesNotExist:
            return no_key()
        try:
            claims.launch_claims_check(
                lti_launch.get_launch_data(),
                resource_launch=lti_launch.is_resource_launch,
            )
        except LaunchRefused as exc:
            return refuse(str(exc), exc.status)
        sync_data_from_launch(lti_launch)
        if not lti_launch.deployment.is_active:
            return self.handle_inactive_deployment(request, lti_launch)
        request.lti_launch = lti_launch
        if lti_launch.is_resource_launch:
            return self.handle_resource_launch(request, lti_launch)
        if lti_launch.is_deep_link_launch:
            return self.handle_deep_linking_launch(request, lti_launch)
        return refuse("Tracegrade handles resource links and deep linking only.", 400)

    def handle_inactive_deployment(self, request, lti_launch):
        return refuse(
            "This LMS deployment is not active in Tracegrade yet. An administrator "
            "must activate it under LTI registrations in the admin."
        )

    def handle_resource_launch(self, request, lti_launch):
        try:
            services.resource_from_launch(lti_launch)
            launch = services.launch_provision(lti_launch=lti_launch)
        except LaunchRefused as exc:
            return refuse(str(exc), exc.status)
        return launched(request, lti_launch, launch)

    def handle_deep_linking_launch(self, request, lti_launch):
        if not services.is_instructing_launch(lti_launch):
            return refuse("Only instructors can add Tracegrade content to a course.")
        try:
            launch = services.launch_provision(lti_launch=lti_launch)
        except LaunchRefused as exc:
            return refuse(str(exc), exc.status)
        return launched(request, lti_launch, launch)


def launched(request: HttpRequest, lti_launch: LtiLaunch, launch) -> HttpResponse:
    """After provisioning: the link page, the content picker, or the resource."""
    sign_in(request, launch.user)
    request.session[SESSION_KEY] = lti_launch.get_launch_id()
    if launch.offering is None:
        return link_page(request, lti_launch)
    offerings.session_offering_remember(
        session=request.session, offering=launch.offering
    )
    if launch.role != OfferingMembership.Role.LEARNER:
        roster.roster_sync_request(offering=launch.offering)
    if lti_launch.is_deep_link_launch:
        return picker(request, launch.offering)
    try:
        resource = services.resource_from_launch(lti_launch)
        services.resource_launch_check(resource=resource, offering=launch.offering)
    except LaunchRefused as exc:
        return refuse(str(exc), exc.status)
    passback.launch_line_item_record(lti_launch=lti_launch, resource=resource)
    return redirect(student_url(resource))


def link_page(request: HttpRequest, lti_launch: LtiLaunch, status: int = 200):
    """The first launch of an instructor from an LMS course no offering has yet."""
    context = lti_launch.context
    courses = services.courses_linkable(user=request.user)
    name = context.title or context.id_on_platform
    if not courses:
        return page(
            "Link this LMS course to Tracegrade",
            format_html(
                "<p>{}</p><p>{}</p>",
                f"The LMS course {name} is not linked to a Tracegrade course yet, "
                "and your account may author none.",
                f"Ask a Tracegrade administrator to make the account "
                f"{request.user.get_username()} an instructor of the course to use "
                "(admin, Course memberships), then open this link again.",
            ),
            status,
        )
    options = format_html_join(
        "",
        '<li><label><input type="radio" name="course" value="{}" required> {}'
        "</label></li>",
        ((course.pk, course.title) for course in courses),
    )
    body = format_html(
        "<p>Students of the LMS course <strong>{}</strong> will work on the content "
        "of the Tracegrade course you pick, with their own roster and gradebook. "
        "This is done once per LMS course.</p>"
        '<form method="post" action="{}"><input type="hidden" '
        'name="csrfmiddlewaretoken" value="{}"><ul>{}</ul>'
        '<button type="submit">Link this LMS course</button></form>',
        name,
        reverse("lti:link"),
        get_token(request),
        options,
    )
    return page("Link this LMS course to Tracegrade", body, status)


@method_decorator(xframe_options_exempt, name="dispatch")
class LinkView(View):
    """Links the launching LMS course to an offering of a course the user authors."""

    def _launch(self, request):
        lti_launch = request.lti_launch
        if lti_launch.is_absent or lti_launch.context is None:
            raise LaunchRefused("Open this page from your LMS first.")
        user = lti_launch.user.auth_user
        if user is None or user.pk != request.user.pk:
            raise LaunchRefused("Open this page from your LMS first.")
        if not services.is_instructing_launch(lti_launch):
            raise LaunchRefused("Only an LMS instructor may link an LMS course.")
        return lti_launch

    def get(self, request, *args, **kwargs):
        try:
            lti_launch = self._launch(request)
        except LaunchRefused as exc:
            return refuse(str(exc), exc.status)
        return link_page(request, lti_launch)

    def post(self, request, *args, **kwargs):
        try:
            lti_launch = self._launch(request)
            course = Course.objects.filter(pk=_int(request.POST.get("course"))).first()
            if course is None:
                return link_page(request, lti_launch, 400)
            services.context_link(
                context=lti_launch.context, course=course, user=request.user
            )
            launch = services.launch_provision(lti_launch=lti_launch)
        except LaunchRefused as exc:
            return refuse(str(exc), exc.status)
        return launched(request, lti_launch, launch)


def _int(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def picker(request: HttpRequest, offering) -> HttpResponse:
    """The deep-linking picker: check the quizzes and problems to place in the LMS."""
    choices = services.deep_link_choices(offering=offering)
    if not choices:
        return page(
            "Add Tracegrade content",
            format_html(
                "<p>{}</p>", f"{offering.course.title} has no published content yet."
            ),
        )
    rows = format_html_join(
        "",
        '<li><label><input type="checkbox" name="resource" value="{}"> {}: {} '
        "<small>({})</small></label></li>",
        (
            (
                choice.ref,
                choice.kind.title(),
                choice.obj.title,
                (choice.obj if choice.kind == "lesson" else choice.obj.lesson).title,
            )
            for choice in choices
        ),
    )
    body = format_html(
        "<p>Content of {}.</p>"
        '<form method="post" action="{}"><input type="hidden" '
        'name="csrfmiddlewaretoken" value="{}"><ul>{}</ul>'
        '<button type="submit">Add to course</button></form>',
        offering.course.title,
        reverse("lti:deep-link"),
        get_token(request),
        rows,
    )
    return page("Add Tracegrade content", body)


@method_decorator(xframe_options_exempt, name="dispatch")
class DeepLinkView(View):
    """Returns the picks to the platform: a signed JWT in an auto-submitting form."""

    def post(self, request, *args, **kwargs):
        lti_launch = request.lti_launch
        if lti_launch.is_absent or not lti_launch.is_deep_link_launch:
            return refuse("Open the content picker from your LMS first.")
        if not services.is_instructing_launch(lti_launch):
            return refuse("Only instructors can add Tracegrade content to a course.")
        offering = services.offering_for_context(lti_launch.context)
        if offering is None:
            return refuse("Link this LMS course to a Tracegrade course first.")
        refs = request.POST.getlist("resource")
        settings_claim = lti_launch.get_claim(DEEP_LINKING_SETTINGS) or {}
        if (
            len(refs) > 1
            and str(settings_claim.get("accept_multiple")).lower() == "false"
        ):
            return page(
                "Add Tracegrade content",
                format_html(
                    "<p>{}</p>", "This LMS takes one item at a time: check one."
                ),
                400,
            )
        if not refs:
            return page(
                "Add Tracegrade content",
                format_html(
                    "<p>{}</p>", "Check at least one quiz or problem, then submit."
                ),
                400,
            )
        try:
            resources = services.deep_link_resources(
                refs=refs,
                launch_url=request.build_absolute_uri(reverse("lti:launch")),
                offering=offering,
            )
        except LaunchRefused as exc:
            return refuse(str(exc), 400)
        deep_link = lti_launch.get_message_launch().get_deep_link()
        token = deep_link.get_response_jwt(resources)
        return_url = settings_claim["deep_link_return_url"]
        form = format_html(
            '<form id="deep-link-response" method="post" action="{}">'
            '<input type="hidden" name="JWT" value="{}">'
            '<noscript><button type="submit">Continue</button></noscript></form>'
            "<script>document.getElementById('deep-link-response').submit();</script>",
            return_url,
            token,
        )
        response = page("Returning to your LMS", form)
        return allow_own_inline_code(response, form_targets=(return_url,))


def frame_ancestors(lti_launch: LtiLaunch) -> list[str]:
    """Origins allowed to frame an LTI session's pages: the platform's, from the launch."""
    urls = [lti_launch.get_claim("iss") or ""]
    presentation = lti_launch.launch_presentation_claim or {}
    urls.append(presentation.get("return_url") or "")
    deep_linking = lti_launch.get_claim(DEEP_LINKING_SETTINGS) or {}
    urls.append(deep_linking.get("deep_link_return_url") or "")
    urls += registration_frame_ancestors(lti_launch.registration)
    origins = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins) | set(settings.LTI_FRAME_ANCESTORS))


def registration_frame_ancestors(registration) -> list[str]:
    """The extra framing origins an administrator set for one registration (for
    an LMS shown inside another site's frame, such as Open edX's learning MFE)."""
    if registration is None:
        return []
    extra = (
        LtiRegistrationSettings.objects.filter(registration=registration)
        .values_list("frame_ancestors", flat=True)
        .first()
    )
    return (extra or "").split()
