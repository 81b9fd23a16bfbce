"""Run every problem's self-tests and question tests; fail when any test fails.

manage.py run_question_tests                   # every problem
manage.py run_question_tests --course demo     # one course
manage.py run_question_tests work-this-trace   # problems by slug
"""

from django.core.management.base import BaseCommand, CommandError

from courseware.authoring.services import question_tests_run
from courseware.models import Problem


class Command(BaseCommand):
    help = "Run problems' question tests (and self-tests) over random variants."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slugs", nargs="*", help="problem slugs (default: all)")
        parser.add_argument("--course", help="only this course's problems (a slug)")

    def handle(self, *args, slugs: list[str], course: str | None, **options) -> None:
        problems = Problem.objects.select_related("lesson__course").order_by(
            "lesson__course__slug", "lesson__order", "order", "slug"
        )
        if course:
            problems = problems.filter(lesson__course__slug=course)
        if slugs:
            problems = problems.filter(slug__in=slugs)
            missing = set(slugs) - set(problems.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No problem {', '.join(sorted(missing))}.")
        failed = total = 0
        for problem in problems:
            reports = question_tests_run(problem=problem)
            bad = [report for report in reports if not report.passed]
            total += len(reports)
            failed += len(bad)
            mark = "FAIL" if bad else "ok  "
            self.stdout.write(
                f"{mark} {problem.slug} (v{problem.version}): "
                f"{len(reports) - len(bad)}/{len(reports)} passed"
            )
            for report in bad:
                for run in report.failed_runs:
                    where = "own numbers" if run.seed is None else f"variant {run.seed}"
                    self.stdout.write(
                        f"     {report.case.name} [{where}]: {'; '.join(run.failures)}"
                    )
        summary = f"run_question_tests: {total - failed} of {total} tests passed"
        if failed:
            raise CommandError(f"{summary}; {failed} failed.")
        self.stdout.write(self.style.SUCCESS(summary))
