"""The student pages: courses, lessons, problems, live previews, grading status.

Views read through ``courseware.selectors`` and write through
``courseware.services``. Everything a student's browser receives about a
submission goes through ``submission_payload``, which keeps answer keys out
until the problem's reveal policy allows them.
"""

import json
import logging
import math
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courseware import content_cache, hints, page_cache, previews, selectors, services
from courseware.forms import (
    AnswersForm,
    ChoiceAnswerForm,
    DepthPlotForm,
    ValidateForm,
    cell_groups,
)
from courseware.models import Course, Problem, Quiz, Submission
from courseware.offerings import offering_for_submission, offerings_readable_by
from courseware.rate_limits import rate_limited
from courseware.workspace import problem_workspace
from engine import depth as engine_depth
from engine.explain import worked_solution
from grader.preview import previews_budget
from grader.replay import replay

logger = logging.getLogger(__name__)

SYSTEM_ERROR_MESSAGE = (
    "Grading failed on our side, not yours: this attempt does not count. "
    "Please submit again; if it keeps failing, contact the course staff."
)
DEPTH_SERIES = [(a, r) for a in ("sigmoid", "tanh", "relu") for r in (False, True)]


@page_cache.cached_page("home")
def home(request: HttpRequest) -> HttpResponse:
    courses = selectors.course_list_for_user(user=request.user)
    context = {
        "courses": courses,
        "reads_offerings": offerings_readable_by(user=request.user).exists(),
    }
    return render(request, "courseware/home.html", context)


# --- Access ---------------------------------------------------------------------


def _course_for(user, course_slug: str) -> Course:
    """The course, or 404 for a user who is not a member (nothing leaks about it)."""
    course = selectors.course_get(slug=course_slug, user=user)
    if not selectors.user_is_member(user=user, course=course):
        raise Http404("No such course.")
    return course


def _lesson_for(user, course_slug: str, lesson_slug: str):
    """The lesson (its course joined), or 404 for a user who is not a member."""
    lesson = selectors.lesson_get(
        course_slug=course_slug, lesson_slug=lesson_slug, user=user
    )
    if not selectors.user_is_member(user=user, course=lesson.course):
        raise Http404("No such course.")
    return lesson


def _problem_for(user, course_slug: str, lesson_slug: str, problem_slug: str):
    lesson = _lesson_for(user, course_slug, lesson_slug)
    problem = selectors.problem_get_for_user(
        lesson=lesson, slug=problem_slug, user=user
    )
    return lesson, problem


# --- Pages ------------------------------------------------------------------------


@login_required
@page_cache.cached_page("course")
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _course_for(request.user, course_slug)
    lessons = selectors.lesson_list(course=course)
    return render(
        request, "courseware/course.html", {"course": course, "lessons": lessons}
    )


@login_required
@page_cache.cached_page("lesson")
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str):
    lesson = _lesson_for(request.user, course_slug, lesson_slug)
    course = lesson.course
    problems = selectors.with_best_score(
        selectors.problem_list_for_user(lesson=lesson, user=request.user),
        student=request.user,
    )
    context = {
        "course": course,
        "lesson": lesson,
        "body": content_cache.lesson_html(lesson),
        "has_title": lesson.body.lstrip().startswith("# "),
        "problems": [(p, p.best) for p in problems],
        "quizzes": lesson.quizzes.all(),
        "depth_form": DepthPlotForm(),
    }
    return render(request, "courseware/lesson.html", context)


@login_required
@page_cache.cached_page("quiz")
def quiz_detail(request: HttpRequest, course_slug: str, lesson_slug: str, quiz_slug):
    lesson = _lesson_for(request.user, course_slug, lesson_slug)
    course = lesson.course
    quiz = get_object_or_404(Quiz, lesson=lesson, slug=quiz_slug)
    every = [item.problem for item in quiz.items.select_related("problem")]
    # As ``problem_list_for_user``: students see published problems only.
    teaches = selectors.user_is_instructor(user=request.user, course=course)
    problems = [p for p in every if teaches or p.published]
    best = selectors.best_scores(student=request.user, problems=every, quiz=quiz)
    context = {
        "course": course,
        "lesson": lesson,
        "quiz": quiz,
        "items": [(p, best.get(p.pk)) for p in problems],
        "score": selectors.quiz_score_of(problems=every, best=best),
    }
    return render(request, "courseware/quiz.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("submit")
@page_cache.cached_page("problem")
def problem_detail(
    request: HttpRequest, course_slug: str, lesson_slug: str, problem_slug: str
) -> HttpResponse:
    lesson, problem = _problem_for(request.user, course_slug, lesson_slug, problem_slug)
    quiz = _quiz_param(request, lesson)
    seed = services.variant_seed_for(student=request.user, problem=problem)
    workspace = problem_workspace(problem, seed)
    errors: list[str] = []
    data = request.POST if request.method == "POST" else None
    form = _answers_form(problem, workspace, data)
    if request.method == "POST":
        wants_json = "application/json" in request.headers.get("Accept", "")
        submission, errors = _submit(request, problem, form, quiz)
        if submission is not None:
            if wants_json:
                payload = submission_payload(submission, user=request.user)
                payload["next_idempotency_key"] = uuid.uuid4().hex
                return JsonResponse(payload, status=202)
            url = reverse(
                "courseware:problem", args=[course_slug, lesson_slug, problem_slug]
            )
            query = f"?submission={submission.id}"
            return redirect(url + query + (f"&quiz={quiz.slug}" if quiz else ""))
        if wants_json:
            return JsonResponse({"ok": False, "errors": errors}, status=400)
    shown, attempts = _shown_submission(request, problem, quiz)
    owner = shown.student if shown else request.user
    if owner != request.user:  # an instructor looking at a student's attempt
        seed = shown.variant.seed
        workspace = problem_workspace(problem, seed)
    history = [_history_entry(s) for s in attempts]
    left = _attempts_left(
        request.user, problem, quiz, attempts if owner == request.user else None
    )
    payload = (
        submission_payload(
            shown,
            user=request.user,
            history=history,
            attempts_left=left if owner == request.user else _UNKNOWN,
        )
        if shown
        else None
    )
    if shown is not None and request.method == "GET":
        form = _answers_form(problem, workspace, None, initial=shown.answers)
    statuses = {s["id"]: s["status"] for s in (payload or {}).get("steps", [])}
    feedback = {s["id"]: s for s in (payload or {}).get("steps", [])}
    context = {
        "course": lesson.course,
        "lesson": lesson,
        "problem": problem,
        "quiz": quiz,
        "prompt": content_cache.prompt_html(problem),
        "workspace": workspace,
        "graphs": _graphs(problem, seed, workspace, statuses),
        "groups": _groups_with_feedback(workspace, form, feedback),
        "form": form,
        "answer_feedback": feedback.get("answer"),
        "errors": errors,
        "submission": shown,
        "payload": payload,
        "history": history,
        "attempts_left": left,
        "idempotency_key": page_cache.fresh_key(),
        "worked": _worked_solution(workspace, payload),
        "replay": _replay(shown, payload),
        "urls": {
            "validate": reverse(
                "courseware:validate", args=[course_slug, lesson_slug, problem_slug]
            ),
            "hint": reverse(
                "courseware:hint", args=[course_slug, lesson_slug, problem_slug]
            ),
        },
    }
    return render(
        request, "courseware/problem.html", context, status=400 if errors else 200
    )


def _worked_solution(workspace: dict, payload: dict | None) -> list:
    """Every step written out, once the shown submission's key may be seen."""
    if workspace["trace"] is None or not (payload or {}).get("reveal"):
        return []
    return worked_solution(workspace["trace"])


def _replay(shown: Submission | None, payload: dict | None) -> list:
    """The backward pass with the student's numbers, once their attempt is graded.

    Computed once per submission and reveal state (``content_cache``), its
    cells read under the preview's deadline, so no stored answer can make a
    page slow."""
    if shown is None or (payload or {}).get("outcome") != "graded":
        return []
    reveal = bool(payload.get("reveal"))
    try:
        return content_cache.submission_replay(
            shown.pk,
            reveal,
            lambda: replay(
                shown.problem_version.spec,
                shown.answers,
                seed=shown.variant.seed,
                reveal=reveal,
                budget=previews_budget(settings.PREVIEW_TIME_LIMIT),
            ),
        )
    except Exception:  # the replay is an extra: it must never cost the page
        logger.exception("replay failed for submission %s", shown.pk)
        return []


def _quiz_param(request: HttpRequest, lesson) -> Quiz | None:
    slug = request.GET.get("quiz") or request.POST.get("quiz")
    if not slug:
        return None
    return get_object_or_404(Quiz, lesson=lesson, slug=slug)


def _answers_form(problem: Problem, workspace: dict, data, initial=None):
    initial = {**(initial or {}), "idempotency_key": page_cache.fresh_key()}
    if workspace["options"]:  # a kind answered by picking options
        multiple = workspace["multiple"]
        if multiple and initial.get("answer"):
            initial["answer"] = initial["answer"].split(",")
        return ChoiceAnswerForm(workspace["options"], multiple, data, initial=initial)
    return AnswersForm(workspace["step_ids"], data, initial=initial)


def _submit(request: HttpRequest, problem: Problem, form, quiz: Quiz | None):
    """Store a submission; ``(submission, [])`` or ``(None, error messages)``."""
    if not form.is_valid():
        return None, [
            f"{name}: {'; '.join(messages)}" for name, messages in form.errors.items()
        ]
    try:
        submission = services.submission_create(
            student=request.user,
            problem=problem,
            answers=form.answers(),
            idempotency_key=form.cleaned_data.get("idempotency_key") or None,
            quiz=quiz,
            offering=offering_for_submission(
                user=request.user,
                course=problem.lesson.course,
                session=request.session,
                member=getattr(problem.lesson, "viewer_in_offering", None),
            ),
        )
    except ValidationError as error:
        return None, error.messages
    return submission, []


def _shown_submission(
    request: HttpRequest, problem: Problem, quiz: Quiz | None
) -> tuple[Submission | None, list[Submission]]:
    """The submission named in ``?submission=``, else the latest of this context;
    and its student's attempts of this context (``_attempt_rows``).

    Practice and each quiz are separate contexts: the quiz copy of a problem
    never opens with practice answers (nor their feedback), and the reverse.
    """
    wanted = request.GET.get("submission")
    if not wanted:
        attempts = _attempt_rows(request.user, problem, quiz)
        return (attempts[0] if attempts else None), attempts
    submission = _named_submission(request, problem, quiz, wanted)
    return submission, _attempt_rows(submission.student, problem, quiz)


def _named_submission(
    request: HttpRequest, problem: Problem, quiz: Quiz | None, wanted: str
) -> Submission:
    submission = selectors.submission_get_for_user(
        user=request.user, submission_id=wanted
    )
    if submission.problem_id != problem.pk:
        raise Http404("No such submission.")
    if submission.student_id == request.user.pk and submission.quiz_id != (
        quiz.pk if quiz else None
    ):
        raise Http404("No such submission here.")
    return submission


HISTORY_LENGTH = 50
_UNKNOWN = object()  # "not computed yet" for submission_payload's attempts_left


def _attempt_rows(user, problem: Problem, quiz: Quiz | None) -> list[Submission]:
    """One context's latest attempts (practice, or one quiz), newest first."""
    attempts = selectors.attempt_list(student=user, problem=problem, quiz=quiz)
    rows = attempts.select_related(
        "problem", "problem_version", "quiz", "student", "variant"
    )
    return list(rows[:HISTORY_LENGTH])


def _attempts_left(user, problem: Problem, quiz: Quiz | None, attempts) -> int | None:
    """``selectors.attempts_left``, counted from ``attempts`` when they are all of them."""
    limit = selectors.attempt_limit_for(problem=problem, quiz=quiz)
    if limit is None:
        return None
    if attempts is not None and len(attempts) < HISTORY_LENGTH:
        return max(0, limit - sum(1 for s in attempts if s.counted))
    return selectors.attempts_left(student=user, problem=problem, quiz=quiz)


def _graphs(problem: Problem, seed, workspace: dict, statuses: dict) -> list[str]:
    """The graph twice: laid out left to right, and top to bottom for phones
    (each cached per spec, seed and statuses: ``content_cache.graph_markup``)."""
    if not workspace["trace"]:
        return []
    cell_ids = {cell.step_id: cell.input_id for cell in workspace["cells"]}
    return [
        content_cache.graph_markup(
            problem,
            seed,
            workspace["trace"],
            statuses,
            cell_ids=cell_ids,
            vertical=vertical,
            id_prefix=f"graph-{'v' if vertical else 'h'}",
        )
        for vertical in (False, True)
    ]


def _groups_with_feedback(workspace: dict, form, feedback: dict) -> list:
    groups = []
    for family, heading, cells in cell_groups(workspace["cells"]):
        rows = [
            (cell, form[cell.step_id], feedback.get(cell.step_id)) for cell in cells
        ]
        groups.append((family, heading, rows))
    return groups


def _history(user, problem: Problem, quiz: Quiz | None) -> list[dict]:
    """One context's attempts (practice, or one quiz), newest first."""
    return [_history_entry(s) for s in _attempt_rows(user, problem, quiz)]


def _history_entry(submission: Submission) -> dict:
    counted = selectors.submission_counts_as_attempt(submission=submission)
    return {
        "id": str(submission.id),
        "attempt": submission.attempt if counted else None,
        "counted": counted,
        "status": submission.status if counted else "not counted",
        "score": submission.score if counted else None,
        "created_at": submission.created_at.isoformat(),
    }


# --- The concrete problem a student works on ------------------------------------------


# --- JSON endpoints ----------------------------------------------------------------------


@login_required
@require_POST
@rate_limited("validate")
def validate(
    request: HttpRequest, course_slug: str, lesson_slug: str, problem_slug: str
) -> JsonResponse:
    """POST ``{step_id, text}`` -> ``{ok, latex, message, column}``; never graded.

    The cell is read as grading will read it, under ``PREVIEW_TIME_LIMIT``
    (``courseware.previews``, the same function as the API's preview).
    """
    _, problem = _problem_for(request.user, course_slug, lesson_slug, problem_slug)
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return JsonResponse(
                _preview(False, message="Send JSON: {step_id, text}."), status=400
            )
    else:  # a plain form post (no JavaScript, or a script's form encoding)
        data = request.POST.dict()
    form = ValidateForm(data if isinstance(data, dict) else {})
    if not form.is_valid():
        return JsonResponse(_preview(False, message=_form_message(form)), status=400)
    seed = services.variant_seed_for(student=request.user, problem=problem)
    workspace = problem_workspace(problem, seed)
    step_id, text = form.cleaned_data["step_id"], form.cleaned_data["text"]
    if step_id not in workspace["step_ids"]:
        return JsonResponse(
            _preview(False, message=f"{step_id!r} is not a step of this problem."),
            status=400,
        )
    [shown] = previews.answers_preview(
        problem=problem, seed=seed, answers={step_id: text}
    )
    del shown["id"]
    return JsonResponse(shown)


@login_required
@require_POST
@rate_limited("validate")
def hint(
    request: HttpRequest, course_slug: str, lesson_slug: str, problem_slug: str
) -> JsonResponse:
    """POST ``{step_id}`` (``quiz`` too inside a quiz) -> ``{step_id, hint, penalty}``.

    The hint is logged once per step (``courseware.hints``); 400 for a step
    the problem does not have, 403 inside a quiz.
    """
    _, problem = _problem_for(request.user, course_slug, lesson_slug, problem_slug)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("step_id"), str):
        return JsonResponse({"message": "Send JSON: {step_id}."}, status=400)
    try:
        shown = hints.hint_request(
            student=request.user,
            problem=problem,
            step_id=data["step_id"][:200],
            in_quiz=bool(data.get("quiz")),
        )
    except ValidationError as error:
        return JsonResponse({"message": " ".join(error.messages)}, status=400)
    except PermissionDenied as error:
        return JsonResponse({"message": str(error)}, status=403)
    return JsonResponse(shown)


def _preview(ok: bool, latex: str | None = None, message: str = "", column=None):
    return {"ok": ok, "latex": latex, "message": message, "column": column}


def _form_message(form) -> str:
    return " ".join(
        f"{name}: {' '.join(messages)}" for name, messages in form.errors.items()
    )


@login_required
@require_GET
def submission_status(request: HttpRequest, submission_id: uuid.UUID) -> JsonResponse:
    """The grading state of one of the user's submissions (404 for anyone else's)."""
    submission = selectors.submission_get_for_user(
        user=request.user, submission_id=submission_id
    )
    return JsonResponse(submission_payload(submission, user=request.user))


def submission_payload(
    submission: Submission, *, user, history=None, attempts_left=_UNKNOWN
) -> dict:
    """What a browser may know about a submission: never the key before the reveal.

    ``history`` and ``attempts_left``, when the caller has them already, are
    the submission's student's (same context).
    """
    problem = submission.problem
    done = submission.status in (Submission.Status.GRADED, Submission.Status.ERROR)
    result = submission.result or {}
    outcome = result.get("outcome") if done else None
    failed = submission.status == Submission.Status.ERROR or outcome == "error"
    reveal = (
        done
        and not failed
        and selectors.answer_key_visible_to(submission=submission, user=user)
    )
    steps = []
    if done and not failed:
        visible = selectors.submission_result_for_viewer(
            submission=submission, user=user
        )
        steps = [_displayed(step) for step in visible["steps"]]
    message = SYSTEM_ERROR_MESSAGE if failed else (result.get("message") or "")
    counted = selectors.submission_counts_as_attempt(submission=submission)
    return {
        "id": str(submission.id),
        "status": submission.status,
        "done": done,
        "attempt": submission.attempt if counted else None,
        "counted": counted,
        "outcome": "error" if failed else outcome,
        "score": submission.score if done and not failed else None,
        "message": message,
        "steps": steps,
        "reveal": reveal,
        "attempts_left": (
            selectors.attempts_left(
                student=submission.student, problem=problem, quiz=submission.quiz
            )
            if attempts_left is _UNKNOWN
            else attempts_left
        ),
        "status_url": reverse("courseware:submission-status", args=[submission.id]),
        "history": (
            _history(submission.student, problem, submission.quiz)
            if history is None
            else history
        ),
    }


def _displayed(step: dict) -> dict:
    """A step as the page shows it: a solved trace cell repeats no answer, and a
    local derivative whose formula is its value (``1 = 1``) shows it once."""
    expected = step.get("expected")
    if expected is None:
        return step
    if step.get("status") == "correct" and step.get("id") != "answer":
        return {key: value for key, value in step.items() if key != "expected"}
    return {**step, "expected": _display(expected)}


def _display(value) -> str:
    if not isinstance(value, str):
        return json.dumps(value)
    formula, equals, number = value.partition(" = ")
    return formula if equals and formula.strip() == number.strip() else value


@login_required
@require_GET
def gradient_depth(request: HttpRequest) -> JsonResponse:
    """Gradient magnitude reaching layer 1 against depth, for the advanced reader's plot."""
    form = DepthPlotForm(request.GET or {"max_depth": 30, "weight_scale": 1.0})
    if not form.is_valid():
        return JsonResponse({"ok": False, "message": _form_message(form)}, status=400)
    max_depth = form.cleaned_data["max_depth"]
    scale = form.cleaned_data["weight_scale"]
    depths = list(range(1, max_depth + 1))
    series = []
    for activation, residual in DEPTH_SERIES:
        # One chain per series: the gradient at every depth in one pass.
        values = [
            _finite(v)
            for v in engine_depth.gradient_by_depth(
                depths, activation, weight_scale=scale, residual=residual, seed=0
            )
        ]
        series.append(
            {"activation": activation, "residual": residual, "values": values}
        )
    return JsonResponse(
        {"ok": True, "depths": depths, "weight_scale": scale, "series": series}
    )


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
