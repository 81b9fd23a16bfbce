"""Deep linking: an LMS instructor picks quizzes or problems; the tool answers with a signed JWT."""

import re
from html import unescape

import jwt
import pytest
from jwt import PyJWKSet

from tests.lti.platform import DL, INSTRUCTOR, LEARNER, LTI

pytestmark = pytest.mark.django_db


def deep_link_launch(client, platform, roles=(INSTRUCTOR,)):
    response, _ = platform.launch(
        client, message_type="LtiDeepLinkingRequest", roles=roles
    )
    return response


def test_deep_linking_returns_a_signed_response_with_the_picks(
    client, platform, content, linked
):
    picker = deep_link_launch(client, platform)
    assert picker.status_code == 200
    page = picker.content.decode()
    assert f'value="quiz:{content.quiz.pk}"' in page
    assert f'value="problem:{content.problem.pk}"' in page

    response = client.post(
        "/lti/deep-link/",
        {"resource": [f"quiz:{content.quiz.pk}", f"problem:{content.problem.pk}"]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    action = unescape(re.search(r'action="([^"]+)"', html).group(1))
    assert action == f"{platform.issuer}/deep_links"
    token = re.search(r'name="JWT" value="([^"]+)"', html).group(1)

    # Verified with the tool's public key, as the platform would, from the JWKS URL.
    jwks = PyJWKSet.from_dict(client.get("/lti/jwks/").json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    message = jwt.decode(token, key.key, algorithms=["RS256"], audience=platform.issuer)
    assert message["iss"] == platform.client_id
    assert message[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert message[LTI + "deployment_id"] == platform.deployment_id
    assert message[DL + "data"] == "platform-opaque-data"
    items = message[DL + "content_items"]
    assert [item["custom"]["tracegrade_resource"] for item in items] == [
        f"quiz:{content.quiz.pk}",
        f"problem:{content.problem.pk}",
    ]
    assert all(item["type"] == "ltiResourceLink" for item in items)
    assert all(item["url"].endswith("/lti/launch/") for item in items)
    assert items[1]["lineItem"]["scoreMaximum"] == content.problem.points
    assert items[1]["lineItem"]["resourceId"] == f"problem:{content.problem.pk}"


def test_a_forged_deep_link_response_does_not_verify(client, platform, content, linked):
    deep_link_launch(client, platform)
    html = client.post(
        "/lti/deep-link/", {"resource": [f"quiz:{content.quiz.pk}"]}
    ).content.decode()
    token = re.search(r'name="JWT" value="([^"]+)"', html).group(1)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token,
            jwt.PyJWK(platform.public_jwk).key,  # the wrong key: the platform's own
            algorithms=["RS256"],
            audience=platform.issuer,
        )


def test_a_learner_cannot_deep_link(client, platform, content, linked):
    response = deep_link_launch(client, platform, roles=(LEARNER,))
    assert response.status_code == 403


def test_deep_link_without_a_pick_asks_for_one(client, platform, content, linked):
    deep_link_launch(client, platform)
    response = client.post("/lti/deep-link/", {})
    assert response.status_code == 400
    assert b"at least one" in response.content


def test_deep_link_response_needs_a_deep_linking_launch(
    client, platform, content, linked
):
    platform.launch(client, custom={"tracegrade_resource": f"quiz:{content.quiz.pk}"})
    response = client.post("/lti/deep-link/", {"resource": [f"quiz:{content.quiz.pk}"]})
    assert response.status_code == 403


def test_deep_link_refuses_an_unknown_resource(client, platform, content, linked):
    deep_link_launch(client, platform)
    response = client.post("/lti/deep-link/", {"resource": ["problem:not-a-number"]})
    assert response.status_code == 400


def test_one_pick_only_when_the_lms_accepts_one(client, platform, content, linked):
    settings_claim = DL + "deep_linking_settings"
    platform.launch(
        client,
        message_type="LtiDeepLinkingRequest",
        roles=(INSTRUCTOR,),
        **{
            settings_claim: {
                "deep_link_return_url": f"{platform.issuer}/deep_links",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe"],
                "accept_multiple": False,
            }
        },
    )
    picks = {"resource": [f"quiz:{content.quiz.pk}", f"problem:{content.problem.pk}"]}
    assert client.post("/lti/deep-link/", picks).status_code == 400
    one = client.post("/lti/deep-link/", {"resource": [f"quiz:{content.quiz.pk}"]})
    assert one.status_code == 200 and b'name="JWT"' in one.content
