"""Basic admin registrations. Richer authoring (YAML, preview, question tests) is issue 7."""

from django.contrib import admin

from courseware.models import (
    Course,
    CourseMembership,
    Lesson,
    Problem,
    ProblemVersion,
    Quiz,
    QuizItem,
    StepResult,
    Submission,
    Variant,
)


class CourseMembershipInline(admin.TabularInline):
    model = CourseMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("slug", "title")
    search_fields = ("slug", "title")
    prepopulated_fields = {"slug": ["title"]}
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
    model = ProblemVersion
    extra = 0
    fields = ("number", "created_at")
    readonly_fields = ("number", "created_at")
    can_delete = False
    show_change_link = True


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
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
    readonly_fields = ("version",)
    ordering = ("lesson", "order")
    inlines = (ProblemVersionInline,)


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
