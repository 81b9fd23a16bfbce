"""Instructor resources: problems with their specs, and gradebooks."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from courseware import offerings, selectors
from courseware.api import serializers as s
from courseware.api.permissions import require_instructor
from courseware.api.student_view import problems_visible
from courseware.models import Problem
from courseware.problem_saving import problem_save

ERRORS = {400: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer}


def authored_problem(user, pk: int) -> Problem:
    problem = get_object_or_404(
        problems_visible(user=user).select_related("lesson__course"), pk=pk
    )
    require_instructor(user, problem.lesson.course)
    return problem


class AuthoringProblemListView(APIView):
    """Problems of the courses I teach, with their specs; and new problems."""

    @extend_schema(tags=["authoring"], responses=s.ProblemAuthorSerializer(many=True))
    def get(self, request):
        problems = [
            problem
            for problem in problems_visible(user=request.user).select_related(
                "lesson__course"
            )
            if selectors.user_is_instructor(
                user=request.user, course=problem.lesson.course
            )
        ]
        return Response(s.ProblemAuthorSerializer(problems, many=True).data)

    @extend_schema(
        tags=["authoring"],
        request=s.ProblemAuthorSerializer,
        responses={201: s.ProblemAuthorSerializer, **ERRORS},
    )
    def post(self, request):
        serializer = s.ProblemAuthorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lesson = serializer.validated_data["lesson"]
        if not selectors.user_is_member(user=request.user, course=lesson.course):
            raise NotFound("No such lesson.")
        require_instructor(request.user, lesson.course)
        problem, _ = problem_save(**serializer.validated_data)
        return Response(
            s.ProblemAuthorSerializer(problem).data, status=status.HTTP_201_CREATED
        )


class AuthoringProblemDetailView(APIView):
    """One problem with its spec. A spec change on an answered problem makes a new version.

    A new ``lesson`` (of the same course) or ``slug`` moves or renames it.
    """

    @extend_schema(
        tags=["authoring"], responses={200: s.ProblemAuthorSerializer, **ERRORS}
    )
    def get(self, request, pk: int):
        return Response(
            s.ProblemAuthorSerializer(authored_problem(request.user, pk)).data
        )

    def _update(self, request, pk: int, partial: bool):
        problem = authored_problem(request.user, pk)
        serializer = s.ProblemAuthorSerializer(
            problem, data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        problem, _ = problem_save(problem=problem, **serializer.validated_data)
        return Response(s.ProblemAuthorSerializer(problem).data)

    @extend_schema(
        tags=["authoring"],
        request=s.ProblemAuthorSerializer,
        responses={200: s.ProblemAuthorSerializer, **ERRORS},
    )
    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    @extend_schema(
        tags=["authoring"],
        request=s.ProblemAuthorSerializer,
        responses={200: s.ProblemAuthorSerializer, **ERRORS},
    )
    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)


class CourseGradebookView(APIView):
    """Every enrolled student's best score per published problem."""

    @extend_schema(
        tags=["gradebook"],
        responses={200: s.GradebookRowSerializer(many=True), **ERRORS},
    )
    def get(self, request, course_slug: str):
        course = get_object_or_404(
            selectors.course_list_for_user(user=request.user), slug=course_slug
        )
        require_instructor(request.user, course)
        rows = selectors.gradebook_rows(course=course)
        return Response(s.GradebookRowSerializer(rows, many=True).data)


class OfferingGradebookView(APIView):
    """One offering's (LMS course's) learners and their best score per published
    problem; for the offering's instructors and staff and the course's authors."""

    @extend_schema(
        tags=["gradebook"],
        responses={200: s.GradebookRowSerializer(many=True), **ERRORS},
    )
    def get(self, request, offering_id: int):
        offering = get_object_or_404(
            offerings.offerings_readable_by(user=request.user), pk=offering_id
        )
        rows = selectors.gradebook_rows(course=offering.course, offering=offering)
        return Response(s.GradebookRowSerializer(rows, many=True).data)


class ProblemGradebookView(APIView):
    """Per student on one problem: attempts, best and latest score."""

    @extend_schema(
        tags=["gradebook"],
        responses={200: s.ProblemGradebookRowSerializer(many=True), **ERRORS},
    )
    def get(self, request, pk: int):
        problem = authored_problem(request.user, pk)
        rows = selectors.problem_gradebook_rows(problem=problem)
        return Response(s.ProblemGradebookRowSerializer(rows, many=True).data)
