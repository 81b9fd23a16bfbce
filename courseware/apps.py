from django.apps import AppConfig


class CoursewareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courseware"

    def ready(self) -> None:
        # Connects the LTI score-passback receiver in every process that can
        # grade (workers, and the web process when an instructor regrades).
        from courseware import tasks  # noqa: F401
        # API tokens are revoked when a password changes, wherever it changes.
        from courseware import password_changes  # noqa: F401
