"""LTI 1.3 launches from a simulated platform: who gets in, and who is refused."""

import base64
import hashlib
import io
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from lti_tool.models import Key, LtiUser

from courseware.models import CourseMembership, OfferingMembership
from tests.lti.platform import INSTRUCTOR, rsa_key
from tests.security.test_headers import directives

pytestmark = pytest.mark.django_db


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def resource(content) -> dict:
    return {"tracegrade_resource": f"problem:{content.problem.pk}"}


def test_jwks_publishes_the_tool_key(client, tool_key):
    keys = client.get("/lti/jwks/").json()["keys"]
    assert [key["kid"] for key in keys] == [str(Key.objects.get())]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]  # never the private part


def test_lti_keys_rotate_keeps_recent_keys_and_withdraws_old_ones(client, tool_key):
    old = Key.objects.get()
    call_command("lti_keys", "rotate", stdout=io.StringIO())
    assert len(client.get("/lti/jwks/").json()["keys"]) == 2
    Key.objects.filter(pk=old.pk).update(
        datetime_created=timezone.now() - timedelta(days=8)
    )
    call_command("lti_keys", "rotate", stdout=io.StringIO())
    kids = {key["kid"] for key in client.get("/lti/jwks/").json()["keys"]}
    assert str(old) not in kids and len(kids) == 2


def test_lti_keys_create_refuses_a_second_active_key(tool_key):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="rotate"):
        call_command("lti_keys", "create", stdout=io.StringIO())


def test_a_valid_launch_signs_the_learner_in_and_opens_the_problem(
    client, platform, content, linked
):
    response, _ = platform.launch(client, custom=resource(content))
    assert response.status_code == 302
    assert response["Location"] == "/courses/dl/credit/problems/work-this/"
    lti_user = LtiUser.objects.get(sub="lms-user-1")
    user = lti_user.auth_user
    assert signed_in_user_id(client) == str(user.pk)
    assert (user.first_name, user.email) == ("Ada", "ada@example.edu")
    membership = OfferingMembership.objects.get(user=user, offering=linked)
    assert membership.role == "learner"
    assert not CourseMembership.objects.filter(user=user).exists()
    assert not user.has_usable_password()


def test_a_second_launch_maps_to_the_same_user(client, platform, content, linked):
    platform.launch(client, custom=resource(content))
    client.logout()
    platform.launch(client, custom=resource(content))
    assert LtiUser.objects.get(sub="lms-user-1").auth_user.pk == int(
        signed_in_user_id(client)
    )


def test_an_lms_instructor_instructs_the_offering_but_authors_nothing(
    client, platform, content, linked
):
    platform.launch(client, custom=resource(content), roles=(INSTRUCTOR,))
    user = LtiUser.objects.get(sub="lms-user-1").auth_user
    role = OfferingMembership.objects.get(user=user, offering=linked).role
    assert role == "instructor"
    assert not CourseMembership.objects.filter(user=user).exists()
    edit = client.patch(
        f"/api/v1/authoring/problems/{content.problem.pk}/",
        {"title": "Taken over"},
        content_type="application/json",
    )
    assert edit.status_code in (403, 404)
    content.problem.refresh_from_db()
    assert content.problem.title == "Work this"


def test_a_link_made_by_hand_opens_the_resource_in_its_target_uri(
    client, platform, content, linked
):
    target = f"https://tool.example/lti/launch/?resource=quiz:{content.quiz.pk}"
    response, _ = platform.launch(
        client, **{"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": target}
    )
    assert response["Location"] == "/courses/dl/credit/quizzes/quiz/"
    assert signed_in_user_id(client) is not None


def test_a_link_to_nothing_is_refused_with_a_message(client, platform, content, linked):
    response, _ = platform.launch(client, custom={"tracegrade_resource": "problem:999"})
    assert response.status_code == 404
    assert b"no longer exists" in response.content
    assert signed_in_user_id(client) is None


def test_a_bad_signature_is_refused(client, platform, content, linked):
    forger_key, _ = rsa_key()
    response, _ = platform.launch(
        client, custom=resource(content), private_key=forger_key
    )
    assert response.status_code == 403
    assert b"could not be verified" in response.content
    assert signed_in_user_id(client) is None


def test_a_replayed_launch_is_refused(client, platform, content, linked):
    response, sent = platform.launch(client, custom=resource(content))
    assert response.status_code == 302
    client.logout()
    replay = client.post(
        "/lti/launch/", {"id_token": sent["id_token"], "state": sent["state"]}
    )
    assert replay.status_code == 403
    assert b"replayed nonce" in replay.content
    assert signed_in_user_id(client) is None


def test_a_nonce_the_tool_never_issued_is_refused(client, platform, content, linked):
    auth = platform.login(client)
    claims = platform.claims(nonce="made-up-nonce", custom=resource(content))
    response = client.post(
        "/lti/launch/", {"id_token": platform.sign(claims), "state": auth["state"]}
    )
    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_an_expired_token_is_refused(client, platform, content, linked):
    past = int(time.time()) - 3600
    response, _ = platform.launch(
        client, custom=resource(content), exp=past, iat=past - 60
    )
    assert response.status_code == 403
    assert b"expired" in response.content.lower()
    assert signed_in_user_id(client) is None


def test_a_wrong_audience_is_refused(client, platform, content, linked):
    response, _ = platform.launch(client, custom=resource(content), aud="someone-else")
    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_an_unknown_deployment_is_refused(client, platform, content, linked):
    deployment = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
    response, _ = platform.launch(
        client, custom=resource(content), **{deployment: "not-activated"}
    )
    assert response.status_code == 403
    assert b"not active" in response.content
    assert signed_in_user_id(client) is None


def test_a_missing_state_cookie_is_refused(client, platform, content, linked):
    auth = platform.login(client)
    client.cookies.clear()
    claims = platform.claims(nonce=auth["nonce"], custom=resource(content))
    response = client.post(
        "/lti/launch/", {"id_token": platform.sign(claims), "state": auth["state"]}
    )
    assert response.status_code == 403


def test_login_from_an_unknown_platform_is_a_clear_400(client, platform):
    response = client.get(
        "/lti/login/",
        {
            "iss": "https://unknown.example",
            "login_hint": "x",
            "target_link_uri": "https://tool.example/lti/launch/",
            "lti1p3_new_window": "1",
        },
    )
    assert response.status_code == 400
    assert b"registration" in response.content


def test_login_by_registration_uuid_works_without_client_id(client, platform):
    from lti_tool.models import LtiRegistration

    registration = LtiRegistration.objects.get()
    response = client.get(
        f"/lti/login/{registration.uuid}/",
        {
            "iss": platform.issuer,
            "login_hint": "x",
            "target_link_uri": "https://tool.example/lti/launch/",
            "lti1p3_new_window": "1",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{platform.issuer}/auth?")


def test_lti_pages_can_be_framed_by_the_lms_only(client, platform, content, linked):
    refused = client.post("/lti/launch/", {"id_token": "x.y.z", "state": "s"})
    assert "X-Frame-Options" not in refused
    platform.launch(client, custom=resource(content))
    page = client.get("/courses/dl/credit/problems/work-this/")
    assert page.status_code == 200
    assert "X-Frame-Options" not in page
    policy = directives(page["Content-Security-Policy"])
    assert policy["frame-ancestors"][0] == "'self'"
    assert platform.issuer in policy["frame-ancestors"]
    assert policy["script-src"] == ["'self'"]
    anonymous = client.__class__().get("/")
    assert anonymous["X-Frame-Options"] == "DENY"
    assert directives(anonymous["Content-Security-Policy"])["frame-ancestors"] == [
        "'none'"
    ]


def test_only_an_lti_session_has_samesite_none_cookies(
    client, platform, content, linked
):
    response, _ = platform.launch(client, custom=resource(content))
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["samesite"] == "None" and session["secure"]
    client.cookies.pop(settings.CSRF_COOKIE_NAME, None)  # as inside the iframe
    page = client.get("/courses/dl/credit/problems/work-this/")
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["samesite"] == "None" and csrf["secure"]
    other = client.__class__()
    other.get("/accounts/login/")
    assert other.cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"


def test_the_oidc_cookie_check_page_may_run_its_own_script_only(client, platform):
    # Without lti1p3_new_window, pylti1p3 first answers a page whose inline
    # script checks that cookies work in the iframe.
    response = client.get(
        "/lti/login/",
        {
            "iss": platform.issuer,
            "client_id": platform.client_id,
            "login_hint": "lms-user-1",
            "target_link_uri": "https://tool.example/lti/launch/",
        },
    )
    assert response.status_code == 200
    scripts = re.findall(rb"<script[^>]*>(.*?)</script>", response.content, re.S)
    assert scripts
    policy = directives(response["Content-Security-Policy"])
    allowed = set(policy["script-src"])
    assert "'unsafe-inline'" not in allowed
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in allowed
    assert policy["frame-ancestors"] == ["'self'", "https:"]


def test_a_browser_that_blocks_frame_cookies_is_told_to_open_a_new_window(
    client, platform
):
    # Without lti1p3_new_window, the login first checks that cookies work in the frame.
    response = client.get(
        "/lti/login/",
        {
            "iss": platform.issuer,
            "client_id": platform.client_id,
            "login_hint": "x",
            "target_link_uri": "https://tool.example/lti/launch/",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "blocks cookies inside the LMS page" in page
    assert "Open Tracegrade in a new window." in page
    assert '"lti1p3_new_window": "1"' in page  # the new window skips the check


def test_a_launch_whose_state_cookie_was_blocked_explains_what_to_do(
    client, platform, content, linked
):
    auth = platform.login(client)
    client.cookies.clear()
    claims = platform.claims(nonce=auth["nonce"], custom=resource(content))
    response = client.post(
        "/lti/launch/", {"id_token": platform.sign(claims), "state": auth["state"]}
    )
    assert response.status_code == 403
    assert b"new window" in response.content
