"""Student-facing resources: courses, lessons, problems, variants, validation, submissions.

Anything a user may not see answers 404 (not 403), so ids reveal nothing.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from courseware import content_cache, page_cache, previews, selectors, services
from courseware.api import serializers as s
from courseware.api import student_view
from courseware.api.errors import error_response
from courseware.api.throttles import ScopedThrottle
from courseware.models import Course, Problem, Quiz, Submission
from courseware.offerings import offering_for_submission

IDEMPOTENCY_KEY_MAX = 100
ERRORS = {400: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer}


class Page(LimitOffsetPagination):
    """``?limit=&offset=``; lists answer ``{"count", "next", "previous", "results"}``."""

    default_limit = 100
    max_limit = 500


def course_for(user, slug: str) -> Course:
    return get_object_or_404(selectors.course_list_for_user(user=user), slug=slug)


def problem_for(user, pk: int, *, for_submission: bool = False) -> Problem:
    """The problem if ``user`` may see it (``student_view.problems_visible``), else 404.

    One query: the problem, its lesson and course, the user's role in the course
    and the seed of their variant (``viewer_variant_seed``, None before they
    have one); ``for_submission`` adds its current version's id. Loaded once
    per state of those rows (``page_cache.cached_value`` on the ``api-problem``
    digest), then copied from the cache.
    """
    problem = page_cache.cached_value(
        "api-problem",
        user=user,
        params={"problem": int(pk)},
        name=f"problem_for:{for_submission}",
        load=lambda: _problem_load(user, pk, for_submission=for_submission),
    )
    if problem is None:
        raise Http404("No such problem.")
    course = problem.lesson.course
    selectors.remember_viewer_role(user=user, course=course, annotated=problem)
    if not student_view.problem_visible_to(user=user, problem=problem):
        raise Http404("No such problem.")
    return problem


def _problem_load(user, pk: int, *, for_submission: bool) -> Problem | None:
    problems = Problem.objects.select_related("lesson__course").filter(pk=pk)
    if for_submission:
        problems = selectors.with_current_version(problems)
    problems = selectors.with_viewer_role(
        problems, user=user, course_ref="lesson__course"
    )
    return selectors.with_variant_seed(problems, user=user).first()


class CourseListView(ListAPIView):
    """The courses the user is enrolled in (staff: every course)."""

    serializer_class = s.CourseSerializer
    pagination_class = Page

    def get_queryset(self):
        return selectors.course_list_for_user(user=self.request.user)

    @extend_schema(tags=["courses"])
    @page_cache.cached_api_read("home")  # the home page's digest: the user's courses
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CourseDetailView(APIView):
    @extend_schema(tags=["courses"], responses={200: s.CourseSerializer, **ERRORS})
    def get(self, request, course_slug: str):
        return Response(s.CourseSerializer(course_for(request.user, course_slug)).data)


class LessonListView(APIView):
    @extend_schema(
        tags=["courses"],
        responses={200: s.LessonSummarySerializer(many=True), **ERRORS},
    )
    def get(self, request, course_slug: str):
        lessons = selectors.lesson_list(course=course_for(request.user, course_slug))
        return Response(s.LessonSummarySerializer(lessons, many=True).data)


class LessonDetailView(APIView):
    """A lesson's text (Markdown), its problems (ids) and quizzes."""

    @extend_schema(tags=["courses"], responses={200: s.LessonSerializer, **ERRORS})
    def get(self, request, course_slug: str, lesson_slug: str):
        course = course_for(request.user, course_slug)
        lesson = selectors.lesson_get(course_slug=course.slug, lesson_slug=lesson_slug)
        problems = selectors.problem_list_for_user(lesson=lesson, user=request.user)
        context = {"problems": problems, "request": request}
        return Response(s.LessonSerializer(lesson, context=context).data)


class ProblemListView(ListAPIView):
    """Problems of the user's courses, in course and lesson order."""

    serializer_class = s.ProblemSerializer
    pagination_class = Page

    def get_queryset(self):
        problems = student_view.problems_visible(user=self.request.user)
        course = self.request.query_params.get("course")
        lesson = self.request.query_params.get("lesson")
        if course:
            problems = problems.filter(lesson__course__slug=course)
        if lesson:
            problems = problems.filter(lesson__slug=lesson)
        return problems.select_related("lesson__course").order_by(
            "lesson__course__slug", "lesson__order", "order", "slug"
        )

    @extend_schema(
        tags=["problems"],
        parameters=[
            OpenApiParameter("course", str, description="A course slug."),
            OpenApiParameter("lesson", str, description="A lesson slug."),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProblemDetailView(APIView):
    @extend_schema(tags=["problems"], responses={200: s.ProblemSerializer, **ERRORS})
    @page_cache.cached_api_read("api-problem", page_cache.problem_state)
    def get(self, request, pk: int):
        problem = problem_for(request.user, pk)
        return Response(
            content_cache.problem_data(
                problem, lambda: dict(s.ProblemSerializer(problem).data)
            )
        )


class VariantView(APIView):
    """My numbers for a problem: the graph, the given values and the steps to fill in."""

    @extend_schema(tags=["problems"], responses={200: s.VariantSerializer, **ERRORS})
    @page_cache.cached_api_read("api-problem", page_cache.problem_state)
    def get(self, request, pk: int):
        problem = problem_for(request.user, pk)
        seed = services.variant_seed_for(student=request.user, problem=problem)
        return Response(
            content_cache.variant_data(
                problem, seed, lambda: _variant_data(problem=problem, seed=seed)
            )
        )


def _variant_data(*, problem: Problem, seed: int) -> dict:
    view = student_view.variant_view(problem=problem, seed=seed)
    return dict(s.VariantSerializer(view).data)


class ValidateView(APIView):
    """Read answers without grading them: how each was understood, or where it is unreadable."""

    throttle_classes = (ScopedThrottle,)
    throttle_scope = "validate"

    @extend_schema(
        tags=["problems"],
        request=s.ValidateRequestSerializer,
        responses={200: s.ValidateResponseSerializer, 429: s.ErrorSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        problem = problem_for(request.user, pk)
        serializer = s.ValidateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        seed = problem.viewer_variant_seed  # None before the student has a variant
        steps = previews.answers_preview(
            problem=problem, seed=seed, answers=serializer.validated_data["answers"]
        )
        return Response(s.ValidateResponseSerializer({"steps": steps}).data)


class SubmissionListCreateView(GenericAPIView):
    """My submissions (newest first), and new ones.

    Send an ``Idempotency-Key`` header with each new submission: a retried
    POST with the same key returns the first submission (200) instead of
    making a second one (201).
    """

    pagination_class = Page
    serializer_class = s.SubmissionSerializer
    throttle_scope = "submit"

    def get_throttles(self):
        return [ScopedThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        tags=["submissions"],
        parameters=[
            OpenApiParameter("problem", int, description="Only this problem's."),
            OpenApiParameter("quiz", int, description="Only this quiz's."),
        ],
        responses={200: s.SubmissionSerializer(many=True), 400: s.ErrorSerializer},
    )
    def get(self, request):
        params = {}
        for name, model in (("problem", Problem), ("quiz", Quiz)):
            value = request.query_params.get(name)
            if value is None:
                continue
            if not value.isdigit():
                return error_response(name, f"'{name}' must be a whole number id.")
            params[name] = model.objects.filter(pk=int(value)).first()
        if any(value is None for value in params.values()):
            submissions = Submission.objects.none()
        else:
            submissions = selectors.submission_list_for_student(
                student=request.user, **params
            )
        page = self.paginate_queryset(submissions)
        data = self.get_serializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        tags=["submissions"],
        request=s.SubmissionCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Any unique string (e.g. a UUID) per intended submission.",
            )
        ],
        responses={
            201: s.SubmissionSerializer,
            200: s.SubmissionSerializer,
            409: s.ErrorSerializer,
            429: s.ErrorSerializer,
            **ERRORS,
        },
    )
    def post(self, request):
        serializer = s.SubmissionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
            return error_response(
                "Idempotency-Key", f"At most {IDEMPOTENCY_KEY_MAX} characters."
            )
        try:
            problem = problem_for(request.user, data["problem"], for_submission=True)
        except Http404:
            return error_response(
                "problem", "No such problem.", status.HTTP_404_NOT_FOUND
            )
        quiz = None
        if data.get("quiz") is not None:
            quiz = Quiz.objects.filter(
                pk=data["quiz"], lesson__course=problem.lesson.course
            ).first()
            if quiz is None:
                return error_response(
                    "quiz", "No such quiz.", status.HTTP_404_NOT_FOUND
                )
        try:
            earlier = services.submission_retried(
                student=request.user, problem=problem, answers=data["answers"], key=key
            )
        except services.IdempotencyConflict as conflict:
            return error_response(
                "Idempotency-Key", str(conflict), status.HTTP_409_CONFLICT
            )
        if earlier is not None:
            return Response(
                self.get_serializer(earlier).data,
                headers={"Location": f"/api/v1/submissions/{earlier.pk}/"},
            )
        submission = services.submission_create(
            student=request.user,
            problem=problem,
            answers=data["answers"],
            idempotency_key=key,
            quiz=quiz,
            offering=offering_for_submission(
                user=request.user,
                course=problem.lesson.course,
                session=request.session,
                member=getattr(problem, "viewer_in_offering", None),
            ),
            key_checked=True,  # submission_retried looked just above
        )
        body = self.get_serializer(submission).data
        headers = {"Location": f"/api/v1/submissions/{submission.pk}/"}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class SubmissionDetailView(APIView):
    """A submission's status and, once graded, its per-step results."""

    @extend_schema(
        tags=["submissions"], responses={200: s.SubmissionSerializer, **ERRORS}
    )
    def get(self, request, pk):
        submission = selectors.submission_get_for_user(
            user=request.user, submission_id=pk
        )
        return Response(
            s.SubmissionSerializer(submission, context={"request": request}).data
        )
