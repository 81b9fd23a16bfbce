"""Tenancy: each LMS course has its own offering, and reaches nothing else.

Two platforms, each with its own LMS course; launches, rosters, submissions
and gradebooks stay apart, and no LMS role reaches another offering's work.
"""

import re

import pytest
from django.test import Client
from lti_tool.models import LtiUser

from courseware import selectors, services
from courseware.models import (
    CourseMembership,
    LtiContextLink,
    OfferingMembership,
    Problem,
    Submission,
)
from tests.api.content import make_content, work_this_answers
from tests.lti.platform import INSTRUCTOR, LEARNER, TEACHING_ASSISTANT, Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_platform(db, tool_key):
    lms = Platform(
        issuer="https://moodle.other.example",
        client_id="other-client",
        context_id="moodle-course-7",
    ).start()
    lms.register()
    yield lms
    lms.stop()


@pytest.fixture
def other_content(db):
    return make_content(slug="other")


def problem_ref(content) -> dict:
    return {"tracegrade_resource": f"problem:{content.problem.pk}"}


def lti_user(platform, sub):
    return LtiUser.objects.get(registration__issuer=platform.issuer, sub=sub).auth_user


def submit_in_page(client, content, answers) -> int:
    """Submit through the problem page, as a student's browser does."""
    url = f"/courses/{content.course.slug}/credit/problems/work-this/"
    page = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(url, {"csrfmiddlewaretoken": token, **answers})
    return response.status_code


def test_two_platforms_keep_disjoint_rosters_submissions_and_gradebooks(
    platform, other_platform, content
):
    offering_a = platform.link(content.course)
    offering_b = other_platform.link(content.course)
    student_a, student_b = Client(), Client()
    platform.launch(
        student_a,
        custom=problem_ref(content),
        sub="ann",
        given_name="Ann",
        family_name="A",
    )
    other_platform.launch(
        student_b,
        custom=problem_ref(content),
        sub="bob",
        given_name="Bob",
        family_name="B",
    )
    assert submit_in_page(student_a, content, work_this_answers()) == 302
    assert (
        submit_in_page(student_b, content, work_this_answers(**{"forward:u": "5"}))
        == 302
    )

    ann, bob = lti_user(platform, "ann"), lti_user(other_platform, "bob")
    assert Submission.objects.get(student=ann).offering == offering_a
    assert Submission.objects.get(student=bob).offering == offering_b
    roster_a = {m.user for m in OfferingMembership.objects.filter(offering=offering_a)}
    roster_b = {m.user for m in OfferingMembership.objects.filter(offering=offering_b)}
    assert roster_a == {ann} and roster_b == {bob}
    book_a = selectors.gradebook_rows(course=content.course, offering=offering_a)
    book_b = selectors.gradebook_rows(course=content.course, offering=offering_b)
    assert [row.name for row in book_a] == ["Ann A"]
    assert [row.name for row in book_b] == ["Bob B"]

    # Each LMS instructor sees only their own offering's students.
    teacher_b = Client()
    other_platform.launch(
        teacher_b, custom=problem_ref(content), sub="tb", roles=(INSTRUCTOR,)
    )
    page_b = teacher_b.get(f"/lti/offerings/{offering_b.pk}/")
    assert page_b.status_code == 200
    assert b"Bob B" in page_b.content and b"Ann A" not in page_b.content
    assert teacher_b.get(f"/lti/offerings/{offering_a.pk}/").status_code == 404
    api_b = teacher_b.get(f"/api/v1/offerings/{offering_b.pk}/gradebook/").json()
    assert [row["name"] for row in api_b] == ["Bob B"]
    assert (
        teacher_b.get(f"/api/v1/offerings/{offering_a.pk}/gradebook/").status_code
        == 404
    )
    submission_a = Submission.objects.get(student=ann)
    assert teacher_b.get(f"/api/v1/submissions/{submission_a.pk}/").status_code == 404


def test_an_instructor_of_context_b_cannot_open_a_resource_of_offering_a(
    platform, other_platform, content, other_content
):
    offering_a = platform.link(content.course)
    other_platform.link(other_content.course)  # context B: another course
    intruder = Client()
    response, _ = other_platform.launch(
        intruder, custom=problem_ref(content), sub="mallory", roles=(INSTRUCTOR,)
    )
    assert response.status_code == 403
    assert b"another Tracegrade course" in response.content
    mallory = lti_user(other_platform, "mallory")
    assert not OfferingMembership.objects.filter(
        user=mallory, offering=offering_a
    ).exists()
    assert not CourseMembership.objects.filter(user=mallory).exists()
    assert intruder.get(f"/lti/offerings/{offering_a.pk}/").status_code == 404
    assert intruder.get(
        f"/api/v1/courses/{content.course.slug}/gradebook/"
    ).status_code in (
        403,
        404,
    )


def test_a_student_of_an_unlinked_lms_course_is_told_it_is_not_set_up(
    client, platform, content
):
    response, _ = platform.launch(client, custom=problem_ref(content))
    assert response.status_code == 403
    assert b"not set up in Tracegrade yet" in response.content
    assert not OfferingMembership.objects.exists()


def test_an_instructor_links_an_lms_course_once_to_a_course_they_author(
    platform, content, other_content
):
    teacher = Client()
    first, _ = platform.launch(
        teacher, custom=problem_ref(content), sub="t", roles=(INSTRUCTOR,)
    )
    assert first.status_code == 200
    assert b"may author none" in first.content  # no Tracegrade course to offer yet

    # An administrator makes the LMS account an author of the course.
    services.course_enrol(
        course=content.course, user=lti_user(platform, "t"), role="instructor"
    )
    page, _ = platform.launch(
        teacher, custom=problem_ref(content), sub="t", roles=(INSTRUCTOR,)
    )
    html = page.content.decode()
    assert "Link this LMS course" in html
    assert f'value="{content.course.pk}"' in html
    assert f'value="{other_content.course.pk}"' not in html  # not theirs
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    refused = teacher.post(
        "/lti/link/", {"course": other_content.course.pk, "csrfmiddlewaretoken": token}
    )
    assert refused.status_code == 403
    linked = teacher.post(
        "/lti/link/", {"course": content.course.pk, "csrfmiddlewaretoken": token}
    )
    assert linked.status_code == 302
    assert linked["Location"] == "/courses/dl/credit/problems/work-this/"
    link = LtiContextLink.objects.get()
    assert link.offering.course == content.course

    student = Client()
    opened, _ = platform.launch(student, custom=problem_ref(content), sub="s")
    assert opened.status_code == 302
    assert OfferingMembership.objects.get(user=lti_user(platform, "s")).offering == (
        link.offering
    )


def test_a_teaching_assistant_reads_the_offering_but_cannot_deep_link_or_edit(
    client, platform, content, linked
):
    platform.launch(
        client, custom=problem_ref(content), roles=(TEACHING_ASSISTANT, INSTRUCTOR)
    )
    ta = lti_user(platform, "lms-user-1")
    assert OfferingMembership.objects.get(user=ta).role == "staff"
    assert client.get(f"/lti/offerings/{linked.pk}/").status_code == 200
    assert client.post(f"/lti/offerings/{linked.pk}/resend-grades/").status_code == 404
    patch = client.patch(
        f"/api/v1/authoring/problems/{content.problem.pk}/",
        {"title": "x"},
        content_type="application/json",
    )
    assert patch.status_code in (403, 404)
    picker = Client()
    response, _ = platform.launch(
        picker, message_type="LtiDeepLinkingRequest", roles=(TEACHING_ASSISTANT,)
    )
    assert response.status_code == 403


def test_the_picker_lists_only_published_content_of_the_linked_course(
    client, platform, content, other_content, linked
):
    Problem.objects.filter(pk=content.choice.pk).update(published=False)
    response, _ = platform.launch(
        client, message_type="LtiDeepLinkingRequest", roles=(INSTRUCTOR,)
    )
    html = response.content.decode()
    assert f'value="problem:{content.problem.pk}"' in html
    assert f'value="problem:{content.choice.pk}"' not in html  # unpublished
    assert f'value="quiz:{content.quiz.pk}"' not in html  # has an unpublished item
    assert f'value="problem:{other_content.problem.pk}"' not in html
    forged = client.post(
        "/lti/deep-link/", {"resource": [f"problem:{other_content.problem.pk}"]}
    )
    assert forged.status_code == 400


def test_two_tabs_of_one_browser_both_submit(platform, content, linked):
    browser = Client(enforce_csrf_checks=True)
    url = "/courses/dl/credit/problems/work-this/"
    platform.launch(browser, custom=problem_ref(content))
    tab_one = browser.get(url).content.decode()
    platform.launch(browser, custom=problem_ref(content))  # a second tab or frame
    tab_two = browser.get(url).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    for page in (tab_one, tab_two):
        response = browser.post(
            url,
            {"csrfmiddlewaretoken": token.search(page).group(1), **work_this_answers()},
        )
        assert response.status_code == 302, response.content[:300]
    student = lti_user(platform, "lms-user-1")
    assert Submission.objects.filter(student=student, offering=linked).count() == 2


def test_a_learner_sub_role_is_still_a_learner(client, platform, content, linked):
    learner_ta = (
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#NonCreditLearner"
    )
    platform.launch(client, custom=problem_ref(content), roles=(LEARNER, learner_ta))
    assert OfferingMembership.objects.get().role == "learner"


def test_frame_ancestors_can_be_added_per_registration(
    client, platform, content, linked
):
    from lti_tool.models import LtiRegistration

    from courseware.models import LtiRegistrationSettings

    LtiRegistrationSettings.objects.create(
        registration=LtiRegistration.objects.get(issuer=platform.issuer),
        frame_ancestors="https://apps.openedx.example\nhttps://learning.openedx.example",
    )
    platform.launch(client, custom=problem_ref(content))
    policy = client.get("/courses/dl/credit/problems/work-this/")[
        "Content-Security-Policy"
    ]
    assert "https://apps.openedx.example" in policy.split()
    assert "https://learning.openedx.example" in policy.split()
    other = Client()
    Platform(issuer="https://moodle.other.example", client_id="c2").register()
    assert "apps.openedx" not in other.get("/").get("Content-Security-Policy", "")


def test_the_offering_list_shows_only_readable_offerings(
    platform, content, other_content
):
    mine = platform.link(content.course)
    platform.link(other_content.course, context_id="another-course")
    teacher = Client()
    platform.launch(teacher, custom=problem_ref(content), sub="t", roles=(INSTRUCTOR,))
    page = teacher.get("/lti/offerings/").content.decode()
    assert f"/lti/offerings/{mine.pk}/" in page
    assert page.count("/lti/offerings/") == 1
    assert b"LMS course offerings" in teacher.get("/").content
    student = Client()
    platform.launch(student, custom=problem_ref(content), sub="s")
    assert b"LMS course offerings" not in student.get("/").content


def test_problem_analytics_can_be_narrowed_to_one_offering(
    platform, other_platform, content
):
    from courseware.authoring.selectors import problem_analytics

    offering_a = platform.link(content.course)
    offering_b = other_platform.link(content.course)
    student_a, student_b = Client(), Client()
    platform.launch(student_a, custom=problem_ref(content), sub="ann")
    other_platform.launch(student_b, custom=problem_ref(content), sub="bob")
    submit_in_page(student_a, content, work_this_answers())
    submit_in_page(student_b, content, work_this_answers())
    submit_in_page(student_b, content, work_this_answers())
    assert problem_analytics(problem=content.problem).submissions == 3
    assert (
        problem_analytics(problem=content.problem, offering=offering_a).submissions == 1
    )
    assert problem_analytics(problem=content.problem, offering=offering_b).students == 1


def test_a_launch_cannot_take_over_another_lms_courses_gradebook_column(
    platform, other_platform, content
):
    from lti_tool.models import LtiLineItem

    platform.link(content.course)
    other_platform.link(content.course)
    platform.launch(
        Client(), custom=problem_ref(content), lineitem=platform.lineitem_url(1)
    )
    column = LtiLineItem.objects.get()
    # Platform B names platform A's column in its own launch.
    other_platform.launch(
        Client(), custom=problem_ref(content), lineitem=platform.lineitem_url(1)
    )
    assert LtiLineItem.objects.get().context == column.context
