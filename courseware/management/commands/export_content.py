"""Write a course back to a content folder (the same YAML/Markdown import_content reads)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.content_io import export_folder
from courseware.models import Course


class Command(BaseCommand):
    help = (
        "Export a course as course.yaml, lessons/*.md, problems/*.yaml, quizzes/*.yaml."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--course", help="course slug (needed when there are several)"
        )

    def handle(self, *args, folder: Path, course: str | None, **options) -> None:
        courses = Course.objects.all()
        if course:
            courses = courses.filter(slug=course)
        found = list(courses[:2])
        if not found:
            raise CommandError(
                f"No course {course!r}." if course else "There is no course."
            )
        if len(found) > 1:
            slugs = ", ".join(Course.objects.values_list("slug", flat=True))
            raise CommandError(f"Several courses ({slugs}): choose one with --course.")
        written = export_folder(folder, course=found[0])
        self.stdout.write(f"export_content: wrote {len(written)} files to {folder}")
