"""Import lessons (Markdown) and problems (YAML) from a content folder; idempotent."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.content_io import ContentError, import_folder


class Command(BaseCommand):
    help = (
        "Import a content folder (course.yaml, lessons/*.md, problems/*.yaml, "
        "quizzes/*.yaml). Re-running changes nothing; changed specs get new versions."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options) -> None:
        if not folder.is_dir():
            raise CommandError(
                f"{folder} is not a folder; give the content folder, e.g. content/"
            )
        try:
            report = import_folder(folder)
        except ContentError as error:
            lines = "\n".join(f"  {line}" for line in error.errors)
            raise CommandError(
                f"Nothing imported: {len(error.errors)} problem(s) in {folder}:\n{lines}"
            ) from error
        for label in report.created:
            self.stdout.write(f"created  {label}")
        for label in report.updated:
            self.stdout.write(f"updated  {label}")
        self.stdout.write(
            f"import_content: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged"
        )
