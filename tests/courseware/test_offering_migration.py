"""The data migration that gives LMS contexts of existing installs their offerings."""

import importlib

import pytest
from django.apps import apps
from lti_tool.models import (
    LtiContext,
    LtiDeployment,
    LtiLineItem,
    LtiMembership,
    LtiRegistration,
    LtiUser,
)

from courseware import services
from courseware.models import LtiContextLink, OfferingMembership, Submission
from tests.api.content import make_content, work_this_answers

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "courseware.migrations.0006_offerings_for_existing_lti_contexts"
)


def test_a_context_in_use_gets_an_offering_with_its_members_and_their_work(
    django_user_model,
):
    content = make_content()
    registration = LtiRegistration.objects.create(
        name="Old LMS", issuer="https://old.example", client_id="c",
        auth_url="https://old.example/a", token_url="https://old.example/t",
        keyset_url="https://old.example/k",
    )  # fmt: skip
    deployment = LtiDeployment.objects.create(
        registration=registration, deployment_id="d", is_active=True
    )
    context = LtiContext.objects.create(
        deployment=deployment, id_on_platform="ctx", title="DL 2025"
    )
    unused = LtiContext.objects.create(deployment=deployment, id_on_platform="empty")
    LtiLineItem.objects.create(
        context=context, url="https://old.example/li/1", maximum_score=2,
        label="Work this", resource_id=f"problem:{content.problem.pk}",
    )  # fmt: skip
    student = django_user_model.objects.create_user(username="lti-old")
    services.course_enrol(course=content.course, user=student)
    lti_user = LtiUser.objects.create(
        registration=registration, sub="s1", auth_user=student
    )
    LtiMembership.objects.create(user=lti_user, context=context, is_learner=True)
    submission = services.submission_create(
        student=student, problem=content.problem, answers=work_this_answers()
    )

    migration.link_existing_contexts(apps, None)

    link = LtiContextLink.objects.get(context=context)
    assert link.offering.course == content.course and link.offering.title == "DL 2025"
    assert not LtiContextLink.objects.filter(context=unused).exists()
    assert OfferingMembership.objects.get(user=student).role == "learner"
    submission.refresh_from_db()
    assert submission.offering == link.offering
    migration.link_existing_contexts(apps, None)  # idempotent
    assert LtiContextLink.objects.count() == 1
    assert Submission.objects.filter(offering=link.offering).count() == 1
