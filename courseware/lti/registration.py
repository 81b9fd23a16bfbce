"""LTI Dynamic Registration (1EdTech LTI-DR 1.0) and Canvas's JSON configuration.

With Dynamic Registration the platform (Moodle 4.x, Canvas) opens the tool's
initiation URL with ``openid_configuration`` (the platform's OpenID
configuration URL) and, usually, ``registration_token``. The tool fetches
that configuration, POSTs its own client registration to the platform's
``registration_endpoint`` and stores what the platform answers: nobody
copies URLs by hand. Deployments made this way start inactive unless
``LTI_DYNAMIC_REGISTRATION_ACTIVATE`` is set: an administrator approves them
in the admin with one checkbox, so a stranger's platform cannot register
itself into use.
"""

import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from lti_tool.models import LtiDeployment, LtiRegistration

from courseware.lti.services import LINEITEM_SCOPE, SCORE_SCOPE
from courseware.models import LtiRegistrationSettings

logger = logging.getLogger(__name__)

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    SCORE_SCOPE,
    LINEITEM_SCOPE,
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
TIMEOUT = 15
TOOL_NAME = "Tracegrade"
TOOL_DESCRIPTION = "Backpropagation exercises graded step by step."


class RegistrationFailed(Exception):
    """Registration could not complete; the message says why, for the LMS administrator."""


@dataclass(frozen=True)
class ToolUrls:
    """The tool's absolute URLs, as the platform must know them."""

    login: str
    launch: str
    jwks: str

    @property
    def domain(self) -> str:
        return urlsplit(self.launch).netloc


def client_registration(urls: ToolUrls) -> dict:
    """The OpenID Connect client registration Tracegrade sends (LTI-DR section 3.3)."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": TOOL_NAME,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urls.domain,
            "description": TOOL_DESCRIPTION,
            "target_link_uri": urls.launch,
            "claims": CLAIMS,
            "messages": [
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": urls.launch,
                    "label": "Add Tracegrade content",
                    "placements": ["ContentArea", "link_selection"],
                },
                {"type": "LtiResourceLinkRequest", "target_link_uri": urls.launch},
            ],
        },
    }


def canvas_configuration(urls: ToolUrls) -> dict:
    """Canvas's developer-key JSON (Admin > Developer Keys > LTI Key > "Enter URL")."""
    deep_link = {
        "message_type": "LtiDeepLinkingRequest",
        "target_link_uri": urls.launch,
    }
    return {
        "title": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch,
        "public_jwk_url": urls.jwks,
        "scopes": SCOPES,
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "domain": urls.domain,
                "privacy_level": "public",
                "settings": {
                    "placements": [
                        {"placement": "assignment_selection", **deep_link},
                        {"placement": "link_selection", **deep_link},
                        {"placement": "editor_button", **deep_link},
                    ]
                },
            }
        ],
        "custom_fields": {},
    }


def _public_url(url: object, what: str) -> str:
    """``url`` when it is an http(s) URL to a public host (no SSRF into our network)."""
    if not isinstance(url, str):
        raise RegistrationFailed(f"The platform's {what} is missing.")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RegistrationFailed(f"The platform's {what} ({url[:200]}) is not a URL.")
    if settings.LTI_REGISTRATION_ALLOW_PRIVATE_HOSTS:
        return url
    if parts.scheme != "https":
        raise RegistrationFailed(f"The platform's {what} must use https.")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except OSError as exc:
        raise RegistrationFailed(f"{parts.hostname} cannot be resolved.") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise RegistrationFailed(f"{parts.hostname} is not a public host.")
    return url


def _json(response: requests.Response, what: str) -> dict:
    if not response.ok:
        raise RegistrationFailed(
            f"The platform answered {response.status_code} to the {what}: "
            f"{response.text[:300]}"
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise RegistrationFailed(f"The platform's {what} answer is not JSON.") from exc
    if not isinstance(body, dict):
        raise RegistrationFailed(f"The platform's {what} answer is not an object.")
    return body


def openid_configuration_fetch(*, url: str, token: str | None) -> dict:
    """The platform's OpenID configuration, checked as LTI-DR section 3.5 asks."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = requests.get(
            _public_url(url, "OpenID configuration URL"),
            headers=headers,
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise RegistrationFailed(f"The OpenID configuration was not fetched: {exc}")
    config = _json(response, "OpenID configuration request")
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise RegistrationFailed("The platform's OpenID configuration has no issuer.")
    if urlsplit(issuer).netloc != urlsplit(url).netloc:
        raise RegistrationFailed(
            "The platform's issuer and its OpenID configuration URL are on different "
            f"hosts ({issuer} and {url}); registration stopped."
        )
    for name in ("registration_endpoint", "authorization_endpoint", "jwks_uri"):
        _public_url(config.get(name), name)
    _public_url(config.get("token_endpoint"), "token_endpoint")
    return config


@transaction.atomic
def _registration_store(*, config: dict, answer: dict) -> LtiRegistration:
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationFailed("The platform's registration answer has no client_id.")
    product = config.get(PLATFORM_CONFIGURATION) or {}
    name = product.get("product_family_code") if isinstance(product, dict) else None
    registration = LtiRegistration.objects.filter(
        issuer=config["issuer"], client_id=client_id
    ).first() or LtiRegistration(issuer=config["issuer"], client_id=client_id)
    registration.name = f"{name or config['issuer']} (dynamic registration)"[:255]
    registration.auth_url = config["authorization_endpoint"]
    registration.token_url = config["token_endpoint"]
    registration.keyset_url = config["jwks_uri"]
    audience = config.get("authorization_server")
    registration.audience = audience if isinstance(audience, str) else ""
    registration.is_active = True
    registration.full_clean()
    registration.save()
    LtiRegistrationSettings.objects.update_or_create(
        registration=registration, defaults={"registered_by": "dynamic"}
    )
    tool_configuration = answer.get(TOOL_CONFIGURATION) or {}
    deployment_id = (
        tool_configuration.get("deployment_id")
        if isinstance(tool_configuration, dict)
        else None
    )
    if isinstance(deployment_id, str) and deployment_id:
        LtiDeployment.objects.get_or_create(
            registration=registration,
            deployment_id=deployment_id,
            defaults={"is_active": settings.LTI_DYNAMIC_REGISTRATION_ACTIVATE},
        )
    return registration


def dynamic_registration(
    *, openid_configuration: str, registration_token: str | None, urls: ToolUrls
) -> LtiRegistration:
    """Register Tracegrade with the platform that opened the initiation URL.

    Raises ``RegistrationFailed`` with a message for the LMS administrator.
    """
    config = openid_configuration_fetch(
        url=openid_configuration, token=registration_token
    )
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        response = requests.post(
            config["registration_endpoint"],
            json=client_registration(urls),
            headers=headers,
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise RegistrationFailed(f"The registration was not sent: {exc}") from exc
    answer = _json(response, "registration")
    registration = _registration_store(config=config, answer=answer)
    logger.info(
        "Dynamic registration with %s: client %s",
        config["issuer"],
        registration.client_id,
    )
    return registration
