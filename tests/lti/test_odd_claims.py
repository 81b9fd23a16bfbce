"""Signed but odd launches: each is a clear 4xx page naming what is wrong, never a 500."""

import pytest
from lti_tool.models import LtiUser

from tests.lti.platform import LTI

pytestmark = pytest.mark.django_db


def ref(content) -> dict:
    return {"tracegrade_resource": f"problem:{content.problem.pk}"}


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"custom": {"tracegrade_resource": 14}}, b"not a reference like"),
        ({"custom": {"tracegrade_resource": ["problem:1"]}}, b"not a reference like"),
        (
            {"custom": {"tracegrade_resource": "problem:99999999999999999999999"}},
            b"names no",
        ),
        ({LTI + "custom": "tracegrade_resource=problem:1"}, b"custom claim"),
        ({LTI + "context": {"id": None}}, b"context id"),
        ({LTI + "context": {"id": ""}}, b"context id"),
        ({LTI + "context": {"id": 42}}, b"context id"),
        ({LTI + "context": "course-42"}, b"context claim"),
        ({LTI + "context": {"id": "c", "title": ["x"]}}, b"context title"),
        ({LTI + "roles": "Learner"}, b"roles claim"),
        ({LTI + "resource_link": {"id": None}}, b"resource link id"),
        ({"given_name": 7}, b"given_name"),
    ],
)
def test_an_odd_claim_is_a_clear_400(client, platform, content, linked, claims, says):
    custom = claims.pop("custom", ref(content))
    response, _ = platform.launch(client, custom=custom, **claims)
    assert response.status_code in (400, 403), response.content[:300]
    assert says in response.content.lower()
    assert client.session.get("_auth_user_id") is None


def test_a_launch_without_a_context_is_refused(client, platform, content, linked):
    response, _ = platform.launch(
        client, custom=ref(content), **{LTI + "context": None}
    )
    assert response.status_code == 400
    assert b"no LMS course" in response.content


def test_names_come_from_name_when_given_and_family_names_are_absent(
    client, platform, content, linked
):
    platform.launch(
        client,
        custom=ref(content),
        given_name=None,
        family_name=None,
        name="Grace Brewster Hopper",
    )
    user = LtiUser.objects.get(sub="lms-user-1").auth_user
    assert (user.first_name, user.last_name) == ("Grace Brewster", "Hopper")
    assert user.get_full_name() == "Grace Brewster Hopper"


def test_a_lone_word_name_is_a_first_name(client, platform, content, linked):
    platform.launch(
        client, custom=ref(content), given_name=None, family_name=None, name="Plato"
    )
    user = LtiUser.objects.get(sub="lms-user-1").auth_user
    assert (user.first_name, user.last_name) == ("Plato", "")
