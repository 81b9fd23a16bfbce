"""Assignment and Grade Services: a launched student's grade reaches the LMS gradebook."""

import jwt
import pytest
from jwt import PyJWKSet
from lti_tool.models import LtiLineItem, LtiUser

from config.celery import app
from courseware import services
from courseware.models import OfferingMembership, Submission
from courseware.offerings import offering_for_submission
from courseware.tasks import lti_score_passback
from grader.services import submission_grade
from tests.api.content import work_this_answers
from tests.services import redis_url
from tests.workers import wait_for


def launched_student(client, platform, content, *, ref=None, lineitem=None, sub=None):
    """A student signed in through a resource-link launch that carries an AGS line item."""
    ref = ref or f"problem:{content.problem.pk}"
    response, _ = platform.launch(
        client,
        custom={"tracegrade_resource": ref},
        lineitem=lineitem or platform.lineitem_url(1),
        sub=sub or "lms-user-1",
    )
    assert response.status_code == 302, response.content
    return LtiUser.objects.get(sub=sub or "lms-user-1").auth_user


def graded_submission(student, problem, answers, **kwargs) -> Submission:
    """Graded in this process; in the student's only offering, as the pages do."""
    kwargs.setdefault(
        "offering",
        offering_for_submission(user=student, course=problem.lesson.course),
    )
    submission = services.submission_create(
        student=student, problem=problem, answers=answers, **kwargs
    )
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == "graded"
    return submission


@pytest.mark.django_db
def test_a_launch_records_the_line_item_of_its_resource(
    client, platform, content, linked
):
    launched_student(client, platform, content)
    item = LtiLineItem.objects.get()
    assert item.url == platform.lineitem_url(1)
    assert item.resource_id == f"problem:{content.problem.pk}"
    assert item.maximum_score == content.problem.points


@pytest.mark.django_db(transaction=True)
def test_grading_a_launched_submission_posts_the_score(
    client, platform, content, linked
):
    student = launched_student(client, platform, content)
    submission = graded_submission(
        student, content.problem, work_this_answers(**{"forward:u": "5"})
    )
    assert lti_score_passback(str(submission.pk)) == 1

    [score] = platform.scores
    assert score["_lineitem"] == "/lineitems/1"
    assert score["_content_type"] == "application/vnd.ims.lis.v1.score+json"
    assert score["userId"] == "lms-user-1"
    assert score["scoreMaximum"] == content.problem.points
    assert score["scoreGiven"] == pytest.approx(
        submission.score * content.problem.points
    )
    # Attempts remain and it is not solved: submitted, not completed.
    assert score["activityProgress"] == "Submitted"
    assert score["gradingProgress"] == "FullyGraded"

    # The platform's token endpoint got an assertion signed with the tool's published key.
    [token_request] = platform.token_requests
    assert token_request["grant_type"] == "client_credentials"
    assertion = token_request["client_assertion"]
    jwks = PyJWKSet.from_dict(client.get("/lti/jwks/").json())
    kid = jwt.get_unverified_header(assertion)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid).key
    claims = jwt.decode(
        assertion, key, algorithms=["RS256"], audience=f"{platform.base}/token"
    )
    assert claims["iss"] == claims["sub"] == platform.client_id


@pytest.mark.django_db(transaction=True)
def test_a_later_worse_attempt_never_lowers_the_lms_grade(
    client, platform, content, linked
):
    student = launched_student(client, platform, content)
    graded_submission(student, content.problem, work_this_answers())
    worse = graded_submission(
        student, content.problem, work_this_answers(**{"forward:u": "5", "grad:x": "1"})
    )
    lti_score_passback(str(worse.pk))
    assert platform.scores[-1]["scoreGiven"] == pytest.approx(content.problem.points)


@pytest.mark.django_db(transaction=True)
def test_a_quiz_link_gets_the_quiz_score_and_its_progress(
    client, platform, content, linked
):
    student = launched_student(
        client, platform, content, ref=f"quiz:{content.quiz.pk}",
        lineitem=platform.lineitem_url(7),
    )  # fmt: skip
    submission = graded_submission(
        student, content.problem, work_this_answers(), quiz=content.quiz
    )
    lti_score_passback(str(submission.pk))
    [score] = platform.scores
    assert score["_lineitem"] == "/lineitems/7"
    # Work this (2 points) fully right, the choice item (1 point) not answered: 2/3.
    assert score["scoreGiven"] == pytest.approx(2 / 3)
    assert score["scoreMaximum"] == 1.0
    # ... and that is a quiz in progress, not a finished one.
    assert (score["activityProgress"], score["gradingProgress"]) == (
        "InProgress",
        "Pending",
    )
    last = graded_submission(
        student, content.choice, {"answer": "b"}, quiz=content.quiz
    )
    lti_score_passback(str(last.pk))
    assert platform.scores[-1]["scoreGiven"] == pytest.approx(1.0)
    assert (
        platform.scores[-1]["activityProgress"],
        platform.scores[-1]["gradingProgress"],
    ) == ("Completed", "FullyGraded")


@pytest.mark.django_db(transaction=True)
def test_a_platform_outage_is_retried(client, platform, content, linked):
    student = launched_student(client, platform, content)
    submission = graded_submission(student, content.problem, work_this_answers())
    platform.fail_scores = 2
    # Eager apply: Celery's retries run in place (the countdown is not waited for).
    lti_score_passback.apply(args=[str(submission.pk)])
    assert platform.fail_scores == 0
    assert len(platform.scores) == 1


@pytest.mark.django_db(transaction=True)
def test_students_who_did_not_come_from_an_lms_post_nothing(
    django_user_model, platform, content, linked
):
    student = django_user_model.objects.create_user(username="direct", password="x")
    services.course_enrol(course=content.course, user=student)
    submission = graded_submission(student, content.problem, work_this_answers())
    assert lti_score_passback(str(submission.pk)) == 0
    assert platform.scores == []


def test_the_passback_task_retries_with_backoff():
    assert lti_score_passback.max_retries >= 5
    assert lti_score_passback.retry_backoff
    assert lti_score_passback.retry_jitter


def _broker() -> str | None:
    if app.conf.broker_url.startswith("redis"):
        return redis_url()
    return None


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_grades_a_launched_submission_and_posts_its_score(
    client, platform, content, linked, worker_factory
):
    worker = worker_factory(broker_url=_broker())
    launched_student(client, platform, content)
    response = client.post(
        "/api/v1/submissions/",
        {"problem": content.problem.pk, "answers": work_this_answers()},
        content_type="application/json",
        headers={"Idempotency-Key": "lms-launch-1"},
    )
    assert response.status_code == 201, response.content
    wait_for(lambda: platform.scores, timeout=90)
    [score] = platform.scores
    assert score["userId"] == "lms-user-1", worker.log()
    assert score["scoreGiven"] == pytest.approx(content.problem.points)


# --- AGS done properly -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_deleted_column_is_retired_and_does_not_stop_the_live_one(
    client, platform, content, linked
):
    # The instructor deleted the column and made a new one: launches carried both.
    launched_student(client, platform, content, lineitem=platform.lineitem_url(1))
    student = launched_student(
        client, platform, content, lineitem=platform.lineitem_url(2)
    )
    platform.gone = {"/lineitems/1"}
    submission = graded_submission(student, content.problem, work_this_answers())
    assert lti_score_passback(str(submission.pk)) == 1
    assert [s["_lineitem"] for s in platform.scores] == ["/lineitems/2"]
    retired = LtiLineItem.objects.get(url=platform.lineitem_url(1))
    assert retired.state.retired_at is not None and retired.state.last_status == 404

    # Never tried again; the live column keeps receiving scores.
    again = graded_submission(student, content.problem, work_this_answers())
    lti_score_passback(str(again.pk))
    assert [s["_lineitem"] for s in platform.scores] == ["/lineitems/2"] * 2


@pytest.mark.django_db(transaction=True)
def test_instructors_see_retired_columns_on_the_offering_page(
    client, platform, content, linked
):
    student = launched_student(client, platform, content)
    platform.gone = {"/lineitems/1"}
    lti_score_passback(
        str(graded_submission(student, content.problem, work_this_answers()).pk)
    )
    teacher = client.__class__()
    launched_student(teacher, platform, content, sub="teacher-1")
    OfferingMembership.objects.filter(user__lti_users__sub="teacher-1").update(
        role="instructor"
    )
    page = teacher.get(f"/lti/offerings/{linked.pk}/").content.decode()
    assert "no longer has" in page and platform.lineitem_url(1) in page


@pytest.mark.django_db(transaction=True)
def test_a_rate_limited_platform_is_retried(client, platform, content, linked):
    student = launched_student(client, platform, content)
    submission = graded_submission(student, content.problem, work_this_answers())
    platform.fail_scores, platform.fail_code = 1, 429
    lti_score_passback.apply(args=[str(submission.pk)])
    assert platform.fail_scores == 0
    assert len(platform.scores) == 1


@pytest.mark.django_db(transaction=True)
def test_the_access_token_is_fetched_once_and_reused_until_it_expires(
    client, platform, content, linked
):
    student = launched_student(client, platform, content)
    for _ in range(3):
        submission = graded_submission(student, content.problem, work_this_answers())
        lti_score_passback(str(submission.pk))
    assert len(platform.scores) == 3
    assert len(platform.token_requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_launch_with_only_the_lineitems_container_gets_a_column(
    client, platform, content, linked
):
    student = launched_student(client, platform, content, lineitem="container")
    [created] = platform.lineitems
    assert created["resourceId"] == f"problem:{content.problem.pk}"
    assert created["scoreMaximum"] == content.problem.points
    assert created["label"] == "Work this"
    launched_student(client, platform, content, lineitem="container")
    assert len(platform.lineitems) == 1  # found the second time, not made again
    submission = graded_submission(student, content.problem, work_this_answers())
    assert lti_score_passback(str(submission.pk)) == 1
    assert platform.scores[0]["_lineitem"] == "/lineitems/100"


@pytest.mark.django_db(transaction=True)
def test_an_instructor_resends_every_grade(
    client, platform, content, linked, monkeypatch
):
    from config.celery import app
    from courseware.tasks import lti_offering_resend

    student = launched_student(client, platform, content)
    graded_submission(student, content.problem, work_this_answers())
    assert platform.scores == []  # never sent (say, the LMS was down for days)
    teacher = client.__class__()
    launched_student(teacher, platform, content, sub="teacher-1")
    OfferingMembership.objects.filter(user__lti_users__sub="teacher-1").update(
        role="instructor"
    )
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **kw: sent.append(args))
    response = teacher.post(f"/lti/offerings/{linked.pk}/resend-grades/")
    assert response.status_code == 302
    assert sent == [[linked.pk]]
    lti_offering_resend.apply(args=sent[0])
    [score] = platform.scores
    assert score["userId"] == "lms-user-1"
    assert score["scoreGiven"] == pytest.approx(content.problem.points)


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_replaced_once(client, platform, content, linked):
    student = launched_student(client, platform, content)
    lti_score_passback(
        str(graded_submission(student, content.problem, work_this_answers()).pk)
    )
    platform.valid_tokens.clear()  # the LMS revoked it before it expired
    assert (
        lti_score_passback(
            str(graded_submission(student, content.problem, work_this_answers()).pk)
        )
        == 1
    )
    assert len(platform.scores) == 2 and len(platform.token_requests) == 2


@pytest.mark.django_db(transaction=True)
def test_a_token_about_to_expire_is_not_kept(client, platform, content, linked):
    platform.token_lifetime = 30  # less than the safety margin
    student = launched_student(client, platform, content)
    for _ in range(2):
        submission = graded_submission(student, content.problem, work_this_answers())
        lti_score_passback(str(submission.pk))
    assert len(platform.token_requests) == 2
