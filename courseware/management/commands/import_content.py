"""Placeholder until the courseware content importer lands: reports what it finds."""

from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Import lessons (Markdown) and problems (YAML) from a content folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options) -> None:
        files = sorted(folder.rglob("*.md")) + sorted(folder.rglob("*.yaml"))
        self.stdout.write(f"import_content: {len(files)} files found; importer pending")
