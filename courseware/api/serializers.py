"""Explicit input and output serializers; no business logic here."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from courseware import selectors
from courseware.api.student_view import problem_public
from courseware.models import Course, Lesson, Problem, Quiz, Submission
from courseware.services import ANSWER_MAX_LENGTH

MAX_ANSWERS = 500


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Dotted path, or null.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    errors = ErrorItemSerializer(many=True)


# --- Authentication -----------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)

    def validate(self, attrs):
        request = self.context.get("request")
        user = authenticate(
            request, username=attrs["username"], password=attrs["password"]
        )
        if getattr(request, "axes_locked_out", False):  # django-axes said no
            raise exceptions.Throttled(
                wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                detail="Too many failed sign-ins for this username from your "
                "address; try again later.",
            )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                "Unable to sign in with that username and password."
            )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'.")
    expiry = serializers.DateTimeField(allow_null=True)


class MembershipSerializer(serializers.Serializer):
    course = serializers.SlugField(source="course.slug")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()
    memberships = MembershipSerializer(many=True, source="course_memberships.all")


# --- Courses and lessons ------------------------------------------------------


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ("id", "slug", "title", "description")


class LessonSummarySerializer(serializers.ModelSerializer):
    course = serializers.SlugField(source="course.slug")

    class Meta:
        model = Lesson
        fields = ("id", "course", "slug", "title", "order", "summary")


class QuizSerializer(serializers.ModelSerializer):
    problems = serializers.SerializerMethodField()

    class Meta:
        model = Quiz
        fields = (
            "id",
            "slug",
            "title",
            "opens_at",
            "due_at",
            "max_attempts",
            "problems",
        )

    def get_problems(self, quiz) -> list[int]:
        return [item.problem_id for item in quiz.items.order_by("order")]


class LessonSerializer(LessonSummarySerializer):
    body = serializers.CharField(help_text="Markdown with $math$.")
    problems = serializers.SerializerMethodField()
    quizzes = QuizSerializer(many=True)

    class Meta(LessonSummarySerializer.Meta):
        fields = (*LessonSummarySerializer.Meta.fields, "body", "problems", "quizzes")

    def get_problems(self, lesson) -> list[int]:
        return [problem.pk for problem in self.context["problems"]]


# --- Problems and variants ----------------------------------------------------


class ProblemSerializer(serializers.ModelSerializer):
    """A problem as a student sees it: no key, no spec internals."""

    course = serializers.SlugField(source="lesson.course.slug")
    lesson = serializers.SlugField(source="lesson.slug")
    public = serializers.SerializerMethodField(
        help_text="ask (trace problems), symbols (expression), options (choice)."
    )

    class Meta:
        model = Problem
        fields = (
            "id", "course", "lesson", "slug", "title", "kind", "prompt", "points",
            "attempt_limit", "due_at", "order", "public",
        )  # fmt: skip

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_public(self, problem) -> dict:
        return problem_public(problem)


class NodeSerializer(serializers.Serializer):
    name = serializers.CharField()
    op = serializers.CharField()
    label = serializers.CharField(allow_blank=True, allow_null=True)
    parents = serializers.ListField(child=serializers.CharField())
    value = serializers.JSONField(
        allow_null=True, help_text="Given values only (inputs, parameters); else null."
    )


class EdgeSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="The parent node.")
    target = serializers.CharField(help_text="The child node.")
    step = serializers.CharField(help_text="The local-derivative step id of this edge.")


class VariantSerializer(serializers.Serializer):
    problem = serializers.IntegerField()
    kind = serializers.CharField()
    prompt = serializers.CharField(allow_blank=True)
    step_ids = serializers.ListField(child=serializers.CharField())
    nodes = NodeSerializer(many=True)
    edges = EdgeSerializer(many=True)
    given = serializers.JSONField(help_text="The variant's given values.")
    output = serializers.CharField(required=False)
    ask = serializers.ListField(child=serializers.CharField(), required=False)
    options = serializers.JSONField(required=False)


def answers_field(help_text: str) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(
            max_length=ANSWER_MAX_LENGTH, allow_blank=True, trim_whitespace=False
        ),
        allow_empty=False,
        help_text=help_text,
    )


class ValidateRequestSerializer(serializers.Serializer):
    answers = answers_field('Step id -> text, e.g. {"forward:u": "2*v"}.')

    def validate_answers(self, answers):
        if len(answers) > MAX_ANSWERS:
            raise serializers.ValidationError(f"At most {MAX_ANSWERS} answers.")
        return answers


class InterpretationSerializer(serializers.Serializer):
    id = serializers.CharField()
    ok = serializers.BooleanField()
    latex = serializers.CharField(
        allow_null=True, help_text='The "interpreted as" preview.'
    )
    message = serializers.CharField(allow_null=True)
    column = serializers.IntegerField(allow_null=True)


class ValidateResponseSerializer(serializers.Serializer):
    steps = InterpretationSerializer(many=True)


# --- Submissions --------------------------------------------------------------


class SubmissionCreateSerializer(serializers.Serializer):
    problem = serializers.IntegerField()
    quiz = serializers.IntegerField(required=False, allow_null=True)
    answers = answers_field("Step id -> text, as the student typed it.")

    def validate_answers(self, answers):
        if len(answers) > MAX_ANSWERS:
            raise serializers.ValidationError(f"At most {MAX_ANSWERS} answers.")
        return answers


class StepSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField(
        help_text="correct, carried, incorrect, invalid or missing."
    )
    score = serializers.FloatField()
    message = serializers.CharField(allow_blank=True)
    misconception = serializers.CharField(allow_null=True, required=False)
    interpreted = serializers.CharField(allow_null=True, required=False)
    expected = serializers.JSONField(
        required=False, help_text="Only once the reveal policy allows."
    )


class SubmissionSerializer(serializers.ModelSerializer):
    outcome = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    attempt = serializers.SerializerMethodField(
        help_text="Its number among the attempts of its context (practice, or one "
        "quiz); null when it does not count as an attempt."
    )
    counts_as_attempt = serializers.SerializerMethodField(
        help_text="False for a system error and for a submission in which no "
        "answer could be read (outcome 'invalid'): neither costs an attempt."
    )

    class Meta:
        model = Submission
        fields = (
            "id", "problem", "quiz", "status", "score", "attempt",
            "counts_as_attempt", "answers", "outcome", "steps", "created_at",
            "graded_at",
        )  # fmt: skip

    def _result(self, submission) -> dict:
        cache = self.context.setdefault("results", {})
        if submission.pk not in cache:
            cache[submission.pk] = (
                selectors.submission_result_for_viewer(
                    submission=submission, user=self.context["request"].user
                )
                or {}
            )
        return cache[submission.pk]

    def get_counts_as_attempt(self, submission) -> bool:
        cache = self.context.setdefault("counted", {})
        if submission.pk not in cache:
            cache[submission.pk] = selectors.submission_counts_as_attempt(
                submission=submission
            )
        return cache[submission.pk]

    def get_attempt(self, submission) -> int | None:
        if not self.get_counts_as_attempt(submission):
            return None
        return submission.attempt

    def get_outcome(self, submission) -> str | None:
        return self._result(submission).get("outcome")

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, submission) -> list[dict]:
        return self._result(submission).get("steps", [])


# --- Authoring and gradebooks -------------------------------------------------


class ProblemAuthorSerializer(serializers.ModelSerializer):
    """A problem as its instructors see and edit it, spec included."""

    lesson = serializers.PrimaryKeyRelatedField(queryset=Lesson.objects.all())
    spec = serializers.JSONField(help_text="Contract 1 of docs/contracts.md.")

    class Meta:
        model = Problem
        fields = (
            "id", "lesson", "slug", "title", "kind", "spec", "prompt", "points",
            "attempt_limit", "reveal_policy", "due_at", "order", "published", "version",
        )  # fmt: skip
        read_only_fields = ("kind", "version")
        # The spec, (lesson, slug) and moves are checked by
        # courseware.problem_saving.problem_save; its refusal is a 400 like these.
        validators = ()


class GradebookRowSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="The name the LMS gave, else the username.")
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Problem slug -> best score.",
    )
    points = serializers.FloatField()
    points_possible = serializers.FloatField()


class ProblemGradebookRowSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="The name the LMS gave, else the username.")
    attempts = serializers.IntegerField()
    best_score = serializers.FloatField(allow_null=True)
    latest_score = serializers.FloatField(allow_null=True)
    latest_status = serializers.CharField(allow_null=True)
