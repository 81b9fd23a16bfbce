"""Names and Role Provisioning Services: the LMS roster, with names, in the offering."""

import pytest
from django.test import Client
from lti_tool.models import LtiUser

from config.celery import app
from courseware.models import OfferingMembership
from courseware.tasks import lti_roster_sync
from tests.lti.platform import INSTRUCTOR, LEARNER, TEACHING_ASSISTANT

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = [
    {"user_id": "s-ann", "roles": [LEARNER], "status": "Active",
     "given_name": "Ann", "family_name": "Archer", "name": "Ann Archer"},
    {"user_id": "s-bob", "roles": [LEARNER], "status": "Active",
     "name": "Bob Baker"},  # Open edX sends a name alone
    {"user_id": "t-tia", "roles": [TEACHING_ASSISTANT], "status": "Active",
     "given_name": "Tia", "family_name": "Tutor"},
    {"user_id": "s-gone", "roles": [LEARNER], "status": "Inactive",
     "given_name": "Dropped", "family_name": "Out"},
]  # fmt: skip


@pytest.fixture
def teacher(platform, content, linked, monkeypatch):
    """An LMS instructor signed in through a launch that offers NRPS."""
    platform.members = MEMBERS
    # The launch queues a sync too; kept off the broker (the tests run it themselves).
    monkeypatch.setattr(app, "send_task", lambda name, args, **kw: None)
    browser = Client()
    response, _ = platform.launch(
        browser,
        custom={"tracegrade_resource": f"problem:{content.problem.pk}"},
        sub="t-main",
        roles=(INSTRUCTOR,),
        nrps=True,
    )
    assert response.status_code == 302
    return browser


def test_a_roster_sync_on_demand_shows_names_and_roles(
    teacher, platform, linked, monkeypatch
):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **kw: sent.append(args))
    before = teacher.get(f"/lti/offerings/{linked.pk}/").content.decode()
    assert "Ann Archer" not in before

    response = teacher.post(f"/lti/offerings/{linked.pk}/roster-sync/")
    assert response.status_code == 302
    assert sent == [[linked.pk]]
    assert lti_roster_sync.apply(args=sent[0]).get() == len(MEMBERS)

    page = teacher.get(f"/lti/offerings/{linked.pk}/").content.decode()
    assert "Ann Archer" in page and "Bob Baker" in page
    assert "lti-" not in page.split("<h2>Gradebook</h2>")[1].split("<h2>Staff")[0]
    assert "Dropped Out" not in page  # inactive in the LMS
    assert "Tia Tutor (Staff" in page
    bob = LtiUser.objects.get(sub="s-bob").auth_user
    assert (bob.first_name, bob.last_name) == ("Bob", "Baker")
    roles = dict(
        OfferingMembership.objects.filter(offering=linked).values_list(
            "user__lti_users__sub", "role"
        )
    )
    assert roles["s-ann"] == "learner" and roles["t-tia"] == "staff"
    assert roles["t-main"] == "instructor"


def test_the_course_gradebook_api_names_students(teacher, platform, linked):
    lti_roster_sync.apply(args=[linked.pk])
    from courseware import selectors

    rows = selectors.gradebook_rows(course=linked.course, offering=linked)
    assert [row.name for row in rows] == ["Ann Archer", "Bob Baker"]


def test_an_instructor_launch_queues_a_roster_sync(
    platform, content, linked, monkeypatch
):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **kw: sent.append(name))
    platform.members = MEMBERS
    platform.launch(
        Client(),
        custom={"tracegrade_resource": f"problem:{content.problem.pk}"},
        sub="t-main",
        roles=(INSTRUCTOR,),
        nrps=True,
    )
    assert sent == ["courseware.tasks.lti_roster_sync"]


def test_a_student_launch_does_not_sync_the_roster(
    platform, content, linked, monkeypatch
):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **kw: sent.append(name))
    platform.launch(
        Client(),
        custom={"tracegrade_resource": f"problem:{content.problem.pk}"},
        nrps=True,
    )
    assert sent == []


def test_an_nrps_outage_is_retried(teacher, platform, linked):
    platform.fail_members = 2
    assert lti_roster_sync.apply(args=[linked.pk]).get() == len(MEMBERS)
    assert platform.fail_members == 0
    assert OfferingMembership.objects.filter(user__lti_users__sub="s-ann").exists()
