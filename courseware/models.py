"""Courses, lessons, problems, variants, submissions and quizzes.

Models hold data and constraints only; the rules live in ``services.py``
(writes) and ``selectors.py`` (reads).
"""

import uuid

from django.conf import settings
from django.db import models

from courseware.fields import DocumentJSONField
from grader import kinds


class Course(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class CourseMembership(models.Model):
    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        INSTRUCTOR = "instructor", "Instructor"

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="course_memberships",
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STUDENT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "user"], name="courseware_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} ({self.role})"


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Markdown, with $math$.")
    front_matter = DocumentJSONField(default=dict, blank=True)

    class Meta:
        ordering = ["course", "order", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="courseware_lesson_unique_slug"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Problem(models.Model):
    class RevealPolicy(models.TextChoices):
        # The default: the key is shown once the student has solved the problem
        # or has used up every attempt (never while attempts remain and it is
        # unsolved). With no attempt limit that means "after solving".
        AFTER_ATTEMPTS = "after_attempts", "After solving or using every attempt"
        AFTER_CORRECT = "after_correct", "After a fully correct submission"
        AFTER_DUE = "after_due", "After the due date"
        NEVER = "never", "Never"
        ALWAYS = "always", "Always"

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="problems"
    )
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    # The kinds are grader.kinds' modules; a new one needs no migration.
    kind = models.CharField(max_length=20, choices=kinds.choices)
    spec = DocumentJSONField(help_text="Contract 1 of docs/contracts.md.")
    prompt = models.TextField(blank=True, help_text="Markdown, with $math$.")
    points = models.FloatField(default=1.0)
    attempt_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty means unlimited."
    )
    reveal_policy = models.CharField(
        max_length=20,
        choices=RevealPolicy.choices,
        default=RevealPolicy.AFTER_ATTEMPTS,
    )
    due_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    published = models.BooleanField(default=True)
    version = models.PositiveIntegerField(
        default=1, help_text="The current ProblemVersion number."
    )

    class Meta:
        ordering = ["lesson", "order", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "slug"], name="courseware_problem_unique_slug"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProblemVersion(models.Model):
    """A snapshot of a problem's spec; submissions keep the version they answered."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    spec = DocumentJSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["problem", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "number"], name="courseware_problemversion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem} v{self.number}"


class Variant(models.Model):
    """One student's numbers for one problem: ``seed`` feeds ``engine.specs.instantiate``."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="variants"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="variants"
    )
    seed = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "student"], name="courseware_variant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem} for {self.student} (seed {self.seed})"


class HintRequest(models.Model):
    """A hint a student asked for on one step of their variant (``courseware.hints``).

    Logged for analytics, and read by grading: a step hinted before a
    submission scores ``1 - hint_penalty`` of its credit in that submission.
    """

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="hints")
    step_id = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "step_id"], name="courseware_hint_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"hint on {self.step_id} for {self.variant}"


class Quiz(models.Model):
    """An ordered set of a lesson's problems with one overall score (what an LMS links to)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="quizzes")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    opens_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    max_attempts = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Attempts per item inside the quiz; empty uses each problem's limit.",
    )
    problems = models.ManyToManyField(
        Problem, through="QuizItem", related_name="quizzes"
    )

    class Meta:
        verbose_name_plural = "quizzes"
        ordering = ["lesson", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "slug"], name="courseware_quiz_unique_slug"
            )
        ]

    def __str__(self) -> str:
        return self.title


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="quiz_items"
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["quiz", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "problem"], name="courseware_quizitem_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.order}: {self.problem}"


class ContentImport(models.Model):
    """What ``import_content`` last wrote for one lesson, problem or quiz.

    ``file_fingerprint`` hashes the item as read from its file and
    ``stored_fingerprint`` the object as it was stored then, so the next import
    can tell an edit made in the admin (the stored object no longer matches)
    from a change in the file, and never overwrite the first silently.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)  # "problem credit-assignment/fan-out"
    file_fingerprint = models.CharField(max_length=64)
    stored_fingerprint = models.CharField(max_length=64)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "key"], name="courseware_contentimport_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course.slug}: {self.key}"


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        GRADING = "grading", "Grading"
        GRADED = "graded", "Graded"
        ERROR = "error", "Error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="submissions"
    )
    problem_version = models.ForeignKey(
        ProblemVersion, on_delete=models.PROTECT, related_name="submissions"
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="submissions"
    )
    answers = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    score = models.FloatField(null=True, blank=True, help_text="0..1")
    result = models.JSONField(
        null=True, blank=True, help_text="Contract 3 dict, in full (with expected)."
    )
    attempt = models.PositiveIntegerField()
    deliveries = models.PositiveIntegerField(
        default=0, help_text="How many times a worker picked it up."
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    quiz = models.ForeignKey(
        Quiz,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
    )
    offering = models.ForeignKey(
        "Offering",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submissions",
        help_text="Empty for direct (non-LMS) work.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a grading message was last sent; empty when sending failed.",
    )
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last started grading it."
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="courseware_submission_unique_idempotency_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["student", "problem", "created_at"],
                name="cw_sub_student_problem",
            ),
            models.Index(fields=["status", "created_at"], name="cw_sub_status_created"),
            models.Index(fields=["problem", "status"], name="cw_sub_problem_status"),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.problem} #{self.attempt} ({self.status})"


class StepResult(models.Model):
    """One graded step of a submission, kept as a row for analytics."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="step_results"
    )
    step_id = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    score = models.FloatField(default=0.0)
    misconception = models.CharField(max_length=100, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["submission", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "step_id"], name="courseware_stepresult_unique"
            )
        ]
        indexes = [
            models.Index(fields=["step_id", "status"], name="cw_step_id_status"),
            models.Index(fields=["misconception"], name="cw_step_misconception"),
        ]

    def __str__(self) -> str:
        return f"{self.step_id}: {self.status}"


class QuestionTest(models.Model):
    """A stored test case of a problem (like STACK's question tests).

    ``answers`` maps step ids to answer templates: literal text, or ``{key}``
    (the step's correct value in the variant under test) optionally followed by
    ``+n``, ``-n`` or ``*n``; see ``courseware.authoring.question_tests``.
    The test passes on a variant when the grade has ``expected_score`` and every
    step listed in ``expected_statuses`` has that status.
    """

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="question_tests"
    )
    name = models.CharField(max_length=200)
    answers = DocumentJSONField(
        default=dict,
        help_text='Step id -> answer, e.g. {"forward:u": "{key}+1"}. '
        "{key} is the step's correct value in the variant; +n, -n or *n may follow.",
    )
    expected_score = models.FloatField(help_text="0..1")
    expected_statuses = DocumentJSONField(
        default=dict,
        blank=True,
        help_text='Step id -> status, e.g. {"forward:u": "incorrect", '
        '"forward:v": "carried"}; steps not listed are not checked.',
    )
    variants = models.PositiveIntegerField(
        default=5, help_text="How many random variants the test runs on."
    )

    class Meta:
        ordering = ["problem", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "name"], name="courseware_questiontest_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem}: {self.name}"


class Offering(models.Model):
    """One run of an authored course for one group of students (an LMS course).

    Content (lessons, problems, quizzes) is shared from ``course``; the roster,
    submissions and gradebook belong to the offering. Submissions without an
    offering are "direct": made by users enrolled through ``CourseMembership``.
    """

    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="offerings"
    )
    title = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "title", "pk"]

    def __str__(self) -> str:
        return f"{self.title or 'Offering'} ({self.course})"


class OfferingMembership(models.Model):
    """A user's role in one offering: learners submit, staff read, instructors manage."""

    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        STAFF = "staff", "Staff (teaching assistant, mentor)"
        INSTRUCTOR = "instructor", "Instructor"

    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="offering_memberships",
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.LEARNER)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "user"], name="courseware_offeringmember_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.offering} ({self.role})"


class LtiContextLink(models.Model):
    """An LMS course (registration + deployment + context id) linked to its offering."""

    context = models.OneToOneField(
        "lti_tool.LtiContext", on_delete=models.CASCADE, related_name="offering_link"
    )
    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="lti_contexts"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.context} -> {self.offering}"


class LtiLineItemState(models.Model):
    """What passback learned about a line item: retired when the LMS says it is gone."""

    line_item = models.OneToOneField(
        "lti_tool.LtiLineItem", on_delete=models.CASCADE, related_name="state"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.line_item} ({'retired' if self.retired_at else 'live'})"


class LtiRegistrationSettings(models.Model):
    """Tracegrade's own settings of one LMS registration."""

    registration = models.OneToOneField(
        "lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="settings"
    )
    frame_ancestors = models.TextField(
        blank=True,
        help_text="Extra origins allowed to frame launched pages, one per line "
        "(e.g. Open edX's learning MFE, https://apps.example.edu).",
    )
    registered_by = models.CharField(
        max_length=20,
        blank=True,
        help_text="'dynamic' when made by LTI Dynamic Registration.",
    )

    class Meta:
        verbose_name_plural = "LTI registration settings"

    def __str__(self) -> str:
        return f"Settings of {self.registration}"
