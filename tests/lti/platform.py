"""A simulated LTI 1.3 platform (an LMS) for the tests.

It has its own RSA key, signs id_tokens with PyJWT, and serves over real HTTP
on 127.0.0.1 (so a Celery worker process reaches it too):

- ``GET /jwks``: its public keys (what the tool verifies launches with);
- ``POST /token``: OAuth2 client credentials; records the tool's signed
  assertion (in ``token_requests``) and hands out an access token;
- ``POST /lineitems/<n>/scores``: AGS scores, recorded in ``scores``; a line
  item in ``gone`` answers 404, and ``fail_scores`` 503s come first;
- ``GET|POST /lineitems``: the AGS line-item container (``lineitems``);
- ``GET /memberships``: NRPS, the members in ``members`` (two pages);
- ``GET /.well-known/openid-configuration`` and ``POST /register``: LTI
  Dynamic Registration; registrations received are in ``registrations``.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def rsa_key() -> tuple[str, dict]:
    """A private key in PEM and its public JWK (with ``kid``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = json.loads(JWK.from_pem(pem.encode()).export_public())
    public.update(alg="RS256", use="sig", kid=uuid.uuid4().hex)
    return pem, public


class Platform:
    issuer = "https://lms.example.edu"
    client_id = "tracegrade-client-1"
    deployment_id = "deployment-1"
    context_id = "course-42"

    def __init__(
        self,
        *,
        issuer: str | None = None,
        client_id: str | None = None,
        context_id: str | None = None,
    ) -> None:
        self.issuer = issuer or self.issuer
        self.client_id = client_id or self.client_id
        self.context_id = context_id or self.context_id
        self.private_key, self.public_jwk = rsa_key()
        self.scores: list[dict] = []
        self.token_requests: list[dict] = []
        self.fail_scores = 0  # answer fail_code this many times first
        self.fail_code = 503
        self.gone: set[str] = set()  # line item paths that answer 404
        self.lineitems: list[dict] = []  # the container's items
        self.members: list[dict] = []  # NRPS
        self.registrations: list[dict] = []  # dynamic registration POSTs
        self.registration_auth: list[str] = []
        self.valid_tokens: set[str] = set()  # clear it to revoke every token
        self.token_lifetime = 3600
        self.fail_members = 0  # NRPS answers 503 this many times first
        self.tool_jwks_url = ""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "Platform":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- What the tool's administrator pastes into the admin ------------------

    def register(self, *, active_deployment: bool = True):
        from lti_tool.models import LtiDeployment, LtiRegistration

        registration = LtiRegistration.objects.create(
            name="Test LMS",
            issuer=self.issuer,
            client_id=self.client_id,
            auth_url=f"{self.issuer}/auth",
            token_url=f"{self.base}/token",
            keyset_url=f"{self.base}/jwks",
        )
        LtiDeployment.objects.create(
            registration=registration,
            deployment_id=self.deployment_id,
            is_active=active_deployment,
        )
        return registration

    def lineitem_url(self, n: int = 1) -> str:
        return f"{self.base}/lineitems/{n}"

    def link(self, course, context_id: str | None = None):
        """Link an LMS course of this platform to a new offering of ``course``
        (what an instructor's first launch does), without a browser."""
        from lti_tool.models import LtiContext, LtiDeployment

        from courseware.models import LtiContextLink, Offering

        deployment = LtiDeployment.objects.get(
            registration__issuer=self.issuer, deployment_id=self.deployment_id
        )
        context, _ = LtiContext.objects.get_or_create(
            deployment=deployment, id_on_platform=context_id or self.context_id
        )
        offering = Offering.objects.create(course=course, title=str(context))
        LtiContextLink.objects.create(context=context, offering=offering)
        return offering

    # --- Messages -------------------------------------------------------------

    def claims(
        self,
        *,
        nonce: str,
        sub: str = "lms-user-1",
        roles: tuple[str, ...] = (LEARNER,),
        message_type: str = "LtiResourceLinkRequest",
        custom: dict | None = None,
        lineitem: str | None = None,
        nrps: bool = False,
        **overrides,
    ) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.edu",
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "roles": list(roles),
            LTI + "context": {"id": self.context_id, "title": "Deep Learning 101"},
            LTI + "target_link_uri": "https://tool.example/lti/launch/",
            LTI + "launch_presentation": {
                "document_target": "iframe",
                "return_url": f"{self.issuer}/courses/42",
            },
        }
        if message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": "link-1", "title": "Work this"}
        if message_type == "LtiDeepLinkingRequest":
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.issuer}/deep_links",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "platform-opaque-data",
            }
        if custom:
            claims[LTI + "custom"] = custom
        if nrps:
            claims[NRPS] = {
                "context_memberships_url": f"{self.base}/memberships",
                "service_versions": ["2.0"],
            }
        if lineitem == "container":
            claims[AGS] = {
                "scope": [SCORE_SCOPE, LINEITEM_SCOPE],
                "lineitems": f"{self.base}/lineitems",
            }
        elif lineitem:
            claims[AGS] = {
                "scope": [SCORE_SCOPE, LINEITEM_SCOPE],
                "lineitems": f"{self.base}/lineitems",
                "lineitem": lineitem,
            }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict, private_key: str | None = None) -> str:
        return jwt.encode(
            claims,
            private_key or self.private_key,
            algorithm="RS256",
            headers={"kid": self.public_jwk["kid"]},
        )

    # --- A browser going through the flow ------------------------------------

    def login(self, client, path: str = "/lti/login/", sub: str = "lms-user-1") -> dict:
        """OIDC login initiation; returns the auth request the tool redirected to."""
        response = client.get(
            path,
            {
                "iss": self.issuer,
                "client_id": self.client_id,
                "login_hint": sub,
                "target_link_uri": "https://tool.example/lti/launch/",
                "lti_message_hint": "hint",
                "lti1p3_new_window": "1",
            },
        )
        assert response.status_code == 302, response.content
        location = urlsplit(response["Location"])
        assert (
            f"{location.scheme}://{location.netloc}{location.path}"
            == f"{self.issuer}/auth"
        )
        return {k: v[0] for k, v in parse_qs(location.query).items()}

    def launch(self, client, *, private_key: str | None = None, **claim_args):
        """Login, then post a signed id_token back as the platform's auth page would."""
        auth = self.login(client, sub=claim_args.get("sub", "lms-user-1"))
        claims = self.claims(nonce=auth["nonce"], **claim_args)
        token = self.sign(claims, private_key)
        response = client.post(
            urlsplit(auth["redirect_uri"]).path,
            {"id_token": token, "state": auth["state"]},
        )
        return response, {"id_token": token, "state": auth["state"], "auth": auth}

    def openid_configuration(self) -> dict:
        """The platform's OpenID configuration, as LTI Dynamic Registration serves it."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.base}/token",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "jwks_uri": f"{self.base}/jwks",
            "registration_endpoint": f"{self.base}/register",
            "scopes_supported": ["openid"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "simulated",
                "version": "1.0",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
                "variables": [],
            },
        }

    # --- HTTP -----------------------------------------------------------------

    def _handler(self):
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, code: int, body: dict | None = None) -> None:
                data = json.dumps({} if body is None else body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                header = self.headers.get("Authorization", "")
                return header.removeprefix("Bearer ") in platform.valid_tokens

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path == "/jwks":
                    return self._send(200, {"keys": [platform.public_jwk]})
                if path == "/.well-known/openid-configuration":
                    return self._send(200, platform.openid_configuration())
                if path == "/lineitems":
                    if not self._authorized():
                        return self._send(401)
                    return self._send(200, platform.lineitems)
                if path == "/memberships":
                    if not self._authorized():
                        return self._send(401)
                    if platform.fail_members > 0:
                        platform.fail_members -= 1
                        return self._send(503)
                    return self._memberships(query)
                return self._send(404)

            def _memberships(self, query: str) -> None:
                # Two pages, joined by a Link rel="next" header, as NRPS pages.
                page = parse_qs(query).get("page", ["1"])[0]
                half = len(platform.members) // 2
                members = (
                    platform.members[:half] if page == "1" else platform.members[half:]
                )
                body = json.dumps(
                    {"id": f"{platform.base}/memberships", "members": members}
                ).encode()
                self.send_response(200)
                self.send_header(
                    "Content-Type",
                    "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                )
                if page == "1":
                    self.send_header(
                        "Link", f'<{platform.base}/memberships?page=2>; rel="next"'
                    )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(body).items()}
                    platform.token_requests.append(form)
                    token = "at-" + uuid.uuid4().hex
                    platform.valid_tokens.add(token)
                    return self._send(
                        200,
                        {
                            "access_token": token,
                            "token_type": "Bearer",
                            "expires_in": platform.token_lifetime,
                        },
                    )
                if self.path == "/register":
                    platform.registration_auth.append(
                        self.headers.get("Authorization", "")
                    )
                    registration = json.loads(body)
                    platform.registrations.append(registration)
                    # As Moodle answers: the client id, and the deployment made.
                    tool = "https://purl.imsglobal.org/spec/lti-tool-configuration"
                    answer = {**registration, "client_id": "dyn-client-9"}
                    answer[tool] = {
                        **registration.get(tool, {}),
                        "deployment_id": platform.deployment_id,
                    }
                    return self._send(200, answer)
                if self.path == "/lineitems":
                    if not self._authorized():
                        return self._send(401)
                    item = json.loads(body)
                    item["id"] = (
                        f"{platform.base}/lineitems/{100 + len(platform.lineitems)}"
                    )
                    platform.lineitems.append(item)
                    return self._send(201, item)
                if self.path.startswith("/lineitems/") and self.path.endswith(
                    "/scores"
                ):
                    if not self._authorized():
                        return self._send(401)
                    if self.path.removesuffix("/scores") in platform.gone:
                        return self._send(404)
                    if platform.fail_scores > 0:
                        platform.fail_scores -= 1
                        return self._send(platform.fail_code)
                    score = json.loads(body)
                    score["_lineitem"] = self.path.removesuffix("/scores")
                    score["_content_type"] = self.headers.get("Content-Type")
                    platform.scores.append(score)
                    return self._send(200)
                return self._send(404)

        return Handler
