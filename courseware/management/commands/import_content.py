"""Import lessons (Markdown) and problems (YAML) from a content folder; idempotent."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courseware.content_io import ContentError, import_folder


class Command(BaseCommand):
    help = (
        "Import a content folder (course.yaml, lessons/*.md, problems/*.yaml, "
        "quizzes/*.yaml). Re-running changes nothing; changed specs get new versions. "
        "Items edited in the admin since the last import are kept; --force "
        "overwrites them with the files."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="let the files win over edits made in the admin since the last import",
        )

    def handle(self, *args, folder: Path, force: bool, **options) -> None:
        if not folder.is_dir():
            raise CommandError(
                f"{folder} is not a folder; give the content folder, e.g. content/"
            )
        try:
            report = import_folder(folder, force=force)
        except ContentError as error:
            lines = "\n".join(f"  {line}" for line in error.errors)
            raise CommandError(
                f"Nothing imported: {len(error.errors)} problem(s) in {folder}:\n{lines}"
            ) from error
        for label in report.created:
            self.stdout.write(f"created  {label}")
        for label in report.updated:
            self.stdout.write(f"updated  {label}")
        for label in report.kept:
            self.stdout.write(
                f"kept     {label} (edited in the admin; its file is unchanged)"
            )
        for label in report.conflicts:
            self.stderr.write(
                f"conflict {label}: edited in the admin since the last import and "
                "changed in its file; kept the admin's version (--force to take the file's)"
            )
        summary = (
            f"import_content: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged"
        )
        if report.kept or report.conflicts:
            summary += f", {len(report.kept)} kept, {len(report.conflicts)} in conflict"
        self.stdout.write(summary)
