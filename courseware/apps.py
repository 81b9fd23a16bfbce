from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courseware"

    def ready(self) -> None:
        # tasks: connects the LTI score-passback receiver in every process that
        # can grade (workers, and the web process when an instructor regrades).
        # password_changes: API tokens are revoked when a password changes,
        # wherever it changes.
        from courseware import password_changes, tasks  # noqa: F401
