"""The admin: courses, lessons, enrolments, submissions, and problem authoring.

Problem authoring (YAML specs, preview, question tests, analytics, regrade)
calls ``courseware.authoring``'s services, selectors and views; this module
only wires them into the admin.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html

from courseware import problem_saving, selectors
from courseware.authoring import services as authoring_services
from courseware.authoring import views as authoring_views
from courseware.authoring.forms import ProblemAdminForm
from courseware.models import (
    Course,
    CourseMembership,
    HintRequest,
    Lesson,
    LtiContextLink,
    LtiLineItemState,
    LtiRegistrationSettings,
    Offering,
    OfferingMembership,
    Problem,
    ProblemVersion,
    QuestionTest,
    Quiz,
    QuizItem,
    StepResult,
    Submission,
    Variant,
)
from courseware.problem_saving import PROBLEM_FIELDS
from grader import kinds


class CourseMembershipInline(admin.TabularInline):
    model = CourseMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("slug", "title")
    search_fields = ("slug", "title")
    prepopulated_fields = {"slug": ("title",)}  # noqa: RUF012
    inlines = (CourseMembershipInline,)


@admin.register(CourseMembership)
class CourseMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "role")
    list_filter = ("role", "course")
    search_fields = ("user__username", "course__slug")
    autocomplete_fields = ("user", "course")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "course", "order")
    list_filter = ("course",)
    search_fields = ("slug", "title")
    ordering = ("course", "order")


class ProblemVersionInline(admin.TabularInline):
    """Versions, read-only: submissions keep the version they answered."""

    model = ProblemVersion
    extra = 0
    fields = ("number", "created_at", "submission_count", "spec_summary")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="submissions")
    def submission_count(self, version: ProblemVersion) -> int:
        return version.submissions.count()

    @admin.display(description="spec")
    def spec_summary(self, version: ProblemVersion) -> str:
        try:
            text = kinds.of(version.spec).summary(version.spec)
        except kinds.UnknownKind:
            text = "(no known kind)"
        text = " ".join(str(text).split())
        return text if len(text) <= 80 else text[:79] + "…"


class QuestionTestInline(admin.StackedInline):
    model = QuestionTest
    extra = 0
    fields = ("name", "answers", "expected_score", "expected_statuses", "variants")


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    """Problems with YAML specs, preview, question tests, analytics and regrading.

    Saving goes through ``courseware.problem_saving.problem_save`` (which
    versions the spec through ``problem_spec_update``) and then runs the
    question tests, reporting the result as a message.
    """

    form = ProblemAdminForm
    change_form_template = "admin/courseware/problem/change_form.html"
    list_display = (
        "title",
        "slug",
        "lesson",
        "kind",
        "order",
        "points",
        "attempt_limit",
        "reveal_policy",
        "published",
        "version",
    )
    list_filter = ("kind", "published", "reveal_policy", "lesson__course", "lesson")
    search_fields = ("slug", "title", "prompt")
    list_editable = ("published",)
    readonly_fields = ("kind", "version")
    ordering = ("lesson", "order")
    inlines = (QuestionTestInline, ProblemVersionInline)
    actions = (
        "publish",
        "unpublish",
        "duplicate",
        "run_question_tests",
        "regrade",
        "regrade_current_version",
    )
    fieldsets = (
        (None, {"fields": ("lesson", "slug", "title", "kind", "version", "prompt")}),
        ("Spec", {"fields": ("spec_text",)}),
        (
            "Policy",
            {
                "fields": (
                    "points",
                    "attempt_limit",
                    "reveal_policy",
                    "due_at",
                    "order",
                    "published",
                )
            },
        ),
    )

    # --- Saving -------------------------------------------------------------

    def save_model(self, request, obj, form, change) -> None:
        # The change form (ProblemAdminForm, checked by ``problem_check``) or
        # the changelist's ``published`` column: only what the form holds.
        data = form.cleaned_data
        saved, _ = problem_saving.problem_save(
            problem=obj if change else None,
            lesson=data.get("lesson"),
            slug=data.get("slug"),
            spec=getattr(form, "spec", None),
            **{name: data[name] for name in PROBLEM_FIELDS if name in data},
        )
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        self._report_tests(request, form.instance)

    def _report_tests(self, request, problem: Problem) -> None:
        reports = authoring_services.question_tests_run(problem=problem)
        failed = [report.case.name for report in reports if not report.passed]
        url = reverse("admin:courseware_problem_question_tests", args=[problem.pk])
        if failed:
            self.message_user(
                request,
                format_html(
                    "Question tests of '{}': {} of {} failed ({}). "
                    '<a href="{}">See the report</a>.',
                    problem.title,
                    len(failed),
                    len(reports),
                    "; ".join(failed),
                    url,
                ),
                messages.WARNING,
            )
        else:
            self.message_user(
                request,
                f"Question tests of '{problem.title}': all {len(reports)} passed.",
                messages.SUCCESS,
            )

    # --- Pages ----------------------------------------------------------------

    def get_urls(self):
        pages = [
            ("preview", authoring_views.preview, "change"),
            ("question-tests", authoring_views.question_tests, "view"),
            ("analytics", authoring_views.analytics, "view"),
            ("gradebook.csv", authoring_views.gradebook_csv, "view"),
            ("step-results.csv", authoring_views.step_results_csv, "view"),
            ("regrade", authoring_views.regrade, "change"),
            ("regrade-progress", authoring_views.regrade_progress, "view"),
        ]
        urls = [
            path(
                f"<int:object_id>/{slug}/",
                self.admin_site.admin_view(self._page(view, permission)),
                name=f"courseware_problem_{slug.replace('-', '_').replace('.', '_')}",
            )
            for slug, view, permission in pages
        ]
        return urls + super().get_urls()

    def _page(self, view, permission: str):
        def page(request, object_id: int):
            problem = get_object_or_404(
                Problem.objects.select_related("lesson__course"), pk=object_id
            )
            allowed = getattr(self, f"has_{permission}_permission")(request, problem)
            if not allowed or not selectors.user_is_instructor(
                user=request.user, course=problem.lesson.course
            ):
                raise PermissionDenied
            return view(request, problem, self)

        return page

    # --- Actions --------------------------------------------------------------

    @admin.action(description="Publish selected problems", permissions=["change"])
    def publish(self, request, queryset) -> None:
        count = authoring_services.problems_publish(problems=queryset, published=True)
        self.message_user(request, f"Published {count} problem(s).")

    @admin.action(description="Unpublish selected problems", permissions=["change"])
    def unpublish(self, request, queryset) -> None:
        count = authoring_services.problems_publish(problems=queryset, published=False)
        self.message_user(request, f"Unpublished {count} problem(s).")

    @admin.action(description="Duplicate selected problems", permissions=["add"])
    def duplicate(self, request, queryset) -> None:
        copies = []
        for problem in queryset:
            try:
                copies.append(authoring_services.problem_duplicate(problem=problem))
            except problem_saving.ProblemInvalid as invalid:
                self.message_user(
                    request,
                    f"Not copied: '{problem.slug}' is no longer valid ({invalid}). "
                    "Open it, correct it and save it first.",
                    level=messages.ERROR,
                )
        if copies:
            slugs = ", ".join(copy.slug for copy in copies)
            self.message_user(
                request, f"Made {len(copies)} unpublished copies: {slugs}."
            )

    @admin.action(description="Run question tests", permissions=["view"])
    def run_question_tests(self, request, queryset):
        problems = list(queryset)
        if len(problems) == 1:
            return redirect("admin:courseware_problem_question_tests", problems[0].pk)
        for problem in problems:
            self._report_tests(request, problem)
        return None

    @admin.action(
        description="Regrade submissions (each against its own version)",
        permissions=["change"],
    )
    def regrade(self, request, queryset):
        return self._regrade(request, queryset, to_current_version=False)

    @admin.action(
        description="Regrade submissions against the current version",
        permissions=["change"],
    )
    def regrade_current_version(self, request, queryset):
        return self._regrade(request, queryset, to_current_version=True)

    def _regrade(self, request, queryset, *, to_current_version: bool):
        batches = [
            (
                problem,
                *authoring_services.problem_regrade(
                    problem=problem, to_current_version=to_current_version
                ),
            )
            for problem in queryset
        ]
        for problem, started_at, count in batches:
            self.message_user(
                request,
                format_html(
                    "Regrading {} submission(s) of '{}': <a href=\"{}\">progress</a>.",
                    count,
                    problem.title,
                    authoring_views.regrade_progress_url(problem, started_at),
                ),
            )
        if len(batches) == 1:
            problem, started_at, _ = batches[0]
            return redirect(authoring_views.regrade_progress_url(problem, started_at))
        return None


@admin.register(ProblemVersion)
class ProblemVersionAdmin(admin.ModelAdmin):
    list_display = ("problem", "number", "created_at")
    list_filter = ("problem__lesson",)
    search_fields = ("problem__slug",)
    readonly_fields = ("problem", "number", "spec", "created_at")


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ("problem", "student", "seed", "created_at")
    list_filter = ("problem__lesson",)
    search_fields = ("problem__slug", "student__username")
    readonly_fields = ("problem", "student", "seed", "created_at")


@admin.register(HintRequest)
class HintRequestAdmin(admin.ModelAdmin):
    """Which steps students asked hints for (analytics); written by the hint endpoint."""

    list_display = ("step_id", "variant", "created_at")
    list_filter = ("variant__problem__lesson", "variant__problem")
    search_fields = ("step_id", "variant__problem__slug", "variant__student__username")
    readonly_fields = ("variant", "step_id", "created_at")

    def has_add_permission(self, request) -> bool:
        return False


class StepResultInline(admin.TabularInline):
    model = StepResult
    extra = 0
    can_delete = False
    readonly_fields = ("step_id", "status", "score", "misconception", "message")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "student",
        "problem",
        "attempt",
        "status",
        "score",
        "deliveries",
        "created_at",
        "graded_at",
    )
    list_filter = ("status", "problem__lesson", "problem")
    search_fields = ("id", "student__username", "problem__slug")
    date_hierarchy = "created_at"
    readonly_fields = (
        "id",
        "student",
        "problem",
        "problem_version",
        "variant",
        "answers",
        "attempt",
        "idempotency_key",
        "quiz",
        "created_at",
    )
    inlines = (StepResultInline,)


@admin.register(StepResult)
class StepResultAdmin(admin.ModelAdmin):
    list_display = ("submission", "step_id", "status", "score", "misconception")
    list_filter = ("status", "misconception")
    search_fields = ("step_id", "submission__id")


class QuizItemInline(admin.TabularInline):
    model = QuizItem
    extra = 0
    autocomplete_fields = ("problem",)


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "lesson", "opens_at", "due_at", "max_attempts")
    list_filter = ("lesson__course", "lesson")
    search_fields = ("slug", "title")
    inlines = (QuizItemInline,)


@admin.register(QuizItem)
class QuizItemAdmin(admin.ModelAdmin):
    list_display = ("quiz", "order", "problem")
    list_filter = ("quiz",)


@admin.register(QuestionTest)
class QuestionTestAdmin(admin.ModelAdmin):
    list_display = ("name", "problem", "expected_score", "variants")
    list_filter = ("problem__lesson",)
    search_fields = ("name", "problem__slug")


# --- Offerings (LMS courses) -----------------------------------------------------


class OfferingMembershipInline(admin.TabularInline):
    model = OfferingMembership
    extra = 0
    autocomplete_fields = ("user",)


class LtiContextLinkInline(admin.TabularInline):
    model = LtiContextLink
    extra = 0
    raw_id_fields = ("context",)


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "created_at")
    list_filter = ("course",)
    search_fields = ("title", "course__title")
    inlines = (LtiContextLinkInline, OfferingMembershipInline)


@admin.register(OfferingMembership)
class OfferingMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "offering", "role", "is_active")
    list_filter = ("role", "is_active", "offering__course")
    search_fields = ("user__username", "user__last_name", "offering__title")
    autocomplete_fields = ("user",)


@admin.register(LtiContextLink)
class LtiContextLinkAdmin(admin.ModelAdmin):
    list_display = ("context", "offering", "linked_at")
    raw_id_fields = ("context",)


@admin.register(LtiRegistrationSettings)
class LtiRegistrationSettingsAdmin(admin.ModelAdmin):
    """Per registration: extra frame ancestors (Open edX's learning MFE)."""

    list_display = ("registration", "registered_by")
    fields = ("registration", "frame_ancestors", "registered_by")
    readonly_fields = ("registered_by",)


@admin.register(LtiLineItemState)
class LtiLineItemStateAdmin(admin.ModelAdmin):
    list_display = ("line_item", "retired_at", "last_status")
    list_filter = ("retired_at",)
    readonly_fields = ("line_item", "last_status", "last_error")

    def has_add_permission(self, request) -> bool:
        return False  # passback records these
