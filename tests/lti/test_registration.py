"""Registration without copying URLs: LTI Dynamic Registration against a simulated
platform's registration endpoint, and Canvas's JSON configuration URL."""

import pytest
from lti_tool.models import LtiDeployment, LtiRegistration

from courseware.models import LtiRegistrationSettings
from tests.lti.platform import INSTRUCTOR, Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_platform(db, tool_key, settings):
    """A platform Tracegrade does not know yet, whose issuer is its own address."""
    settings.LTI_REGISTRATION_ALLOW_PRIVATE_HOSTS = True  # it runs on 127.0.0.1
    lms = Platform()
    lms.issuer = lms.base
    lms.start()
    yield lms
    lms.stop()


def register(client, lms, token="reg-token-1"):
    return client.get(
        "/lti/register/",
        {
            "openid_configuration": f"{lms.base}/.well-known/openid-configuration",
            "registration_token": token,
        },
    )


def test_dynamic_registration_completes_and_closes_the_platform_dialog(
    client, new_platform
):
    response = register(client, new_platform)
    assert response.status_code == 200, response.content
    html = response.content.decode()
    assert "org.imsglobal.lti.close" in html
    assert "X-Frame-Options" not in response  # shown in the LMS's dialog frame

    [sent] = new_platform.registrations
    assert new_platform.registration_auth == ["Bearer reg-token-1"]
    assert sent["initiate_login_uri"] == "http://testserver/lti/login/"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert sent["jwks_uri"] == "http://testserver/lti/jwks/"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"]
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert {m["type"] for m in tool["messages"]} == {
        "LtiDeepLinkingRequest",
        "LtiResourceLinkRequest",
    }

    registration = LtiRegistration.objects.get(client_id="dyn-client-9")
    assert registration.issuer == new_platform.base
    assert registration.token_url == f"{new_platform.base}/token"
    assert registration.keyset_url == f"{new_platform.base}/jwks"
    assert registration.auth_url == f"{new_platform.issuer}/auth"
    assert LtiRegistrationSettings.objects.get(
        registration=registration
    ).registered_by == ("dynamic")


def test_a_dynamically_registered_platform_launches_once_its_deployment_is_approved(
    client, new_platform, content
):
    register(client, new_platform)
    new_platform.client_id = "dyn-client-9"
    registration = LtiRegistration.objects.get(client_id="dyn-client-9")
    deployment = LtiDeployment.objects.get(registration=registration)
    assert deployment.deployment_id == new_platform.deployment_id
    assert not deployment.is_active  # an administrator approves it first
    refused, _ = new_platform.launch(
        client, custom={"tracegrade_resource": f"problem:{content.problem.pk}"}
    )
    assert refused.status_code == 403 and b"not active" in refused.content
    LtiDeployment.objects.filter(registration=registration).update(is_active=True)
    new_platform.link(content.course)
    opened, _ = new_platform.launch(
        client,
        custom={"tracegrade_resource": f"problem:{content.problem.pk}"},
        roles=(INSTRUCTOR,),
    )
    assert opened.status_code == 302


def test_registration_stops_when_the_issuer_is_on_another_host(client, new_platform):
    new_platform.issuer = "https://elsewhere.example"
    response = register(client, new_platform)
    assert response.status_code == 400
    assert b"different hosts" in response.content
    assert new_platform.registrations == []
    assert not LtiRegistration.objects.exists()


def test_registration_refuses_private_hosts_by_default(client, new_platform, settings):
    settings.LTI_REGISTRATION_ALLOW_PRIVATE_HOSTS = False
    response = register(client, new_platform)
    assert response.status_code == 400
    assert new_platform.registrations == []


def test_the_registration_url_without_parameters_explains_itself(client, db):
    response = client.get("/lti/register/")
    assert response.status_code == 400
    assert b"Dynamic Registration URL" in response.content


def test_canvas_json_configuration_names_every_url(client, db):
    config = client.get("/lti/canvas.json").json()
    assert config["oidc_initiation_url"] == "http://testserver/lti/login/"
    assert config["target_link_uri"] == "http://testserver/lti/launch/"
    assert config["public_jwk_url"] == "http://testserver/lti/jwks/"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    [canvas] = config["extensions"]
    placements = {p["placement"] for p in canvas["settings"]["placements"]}
    assert "assignment_selection" in placements and "link_selection" in placements
