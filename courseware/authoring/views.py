"""Admin pages of a problem: preview, question-test report, analytics, CSV, regrade.

``courseware.admin.ProblemAdmin.get_urls`` mounts these behind the admin's
login and checks the user's permission on the problem before calling them;
each view reads through selectors and writes through services.
"""

import csv
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from courseware import selectors as courseware_selectors
from courseware.authoring import charts, selectors, services
from courseware.authoring.preview import spec_preview
from courseware.authoring.spec_text import spec_dump, spec_load
from courseware.models import Offering, Problem


def _context(request: HttpRequest, model_admin, problem: Problem, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": problem,
        "problem": problem,
        "title": f"{title}: {problem.title}",
        "has_view_permission": True,
    }


def preview(request: HttpRequest, problem: Problem, model_admin) -> TemplateResponse:
    """The graph and key of the saved spec, or of posted spec text (not saved)."""
    if request.method == "POST":
        text = request.POST.get("spec_text", "")
    else:
        text = spec_dump(problem.spec)
    spec, problems = spec_load(text, prompt=problem.prompt)
    context = _context(request, model_admin, problem, "Preview")
    context.update(
        spec_text=text,
        spec_problems=problems,
        preview=None if problems else spec_preview(_with_prompt(spec, problem)),
        posted=request.method == "POST",
    )
    return TemplateResponse(request, "admin/courseware/problem/preview.html", context)


def question_tests(request: HttpRequest, problem: Problem, model_admin):
    """Run the self-tests and the question tests now and show the report."""
    reports = services.question_tests_run(problem=problem)
    context = _context(request, model_admin, problem, "Question tests")
    context.update(
        reports=reports,
        passed=sum(report.passed for report in reports),
        failed=sum(not report.passed for report in reports),
    )
    return TemplateResponse(
        request, "admin/courseware/problem/question_tests.html", context
    )


def analytics(request: HttpRequest, problem: Problem, model_admin):
    """Per-problem figures with bar charts, CSV links and the regrade button."""
    offerings = Offering.objects.filter(course=problem.lesson.course_id)
    offering = offerings.filter(pk=_int(request.GET.get("offering"))).first()
    figures = selectors.problem_analytics(problem=problem, offering=offering)
    context = _context(request, model_admin, problem, "Analytics")
    context.update(
        offerings=offerings,
        offering=offering,
        figures=figures,
        error_chart=charts.bar_chart(
            "Error rate per step",
            [
                (s.step_id, s.error_rate, f"{s.error_rate:.0%} of {s.answered}")
                for s in figures.steps
            ],
            maximum=1.0,
            css_class="chart-errors",
        ),
        misconception_chart=charts.bar_chart(
            "Misconceptions diagnosed",
            [(code, n, str(n)) for code, n in figures.misconceptions],
            css_class="chart-misconceptions",
        ),
        score_chart=charts.bar_chart(
            "Graded submissions by score",
            [(band, n, str(n)) for band, n in figures.score_buckets],
            css_class="chart-scores",
        ),
        gradebook=courseware_selectors.problem_gradebook_rows(
            problem=problem, offering=offering
        ),
    )
    return TemplateResponse(request, "admin/courseware/problem/analytics.html", context)


def _int(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def gradebook_csv(request: HttpRequest, problem: Problem, model_admin) -> HttpResponse:
    """Each student's attempts, best and latest score on this problem."""
    rows = [["student", "attempts", "best_score", "latest_score", "latest_status"]]
    rows += [
        [r.username, r.attempts, r.best_score, r.latest_score, r.latest_status]
        for r in courseware_selectors.problem_gradebook_rows(problem=problem)
    ]
    return _csv(f"{problem.slug}-gradebook.csv", rows)


def step_results_csv(request: HttpRequest, problem: Problem, model_admin):
    """Every graded step of every submission of this problem."""
    return _csv(
        f"{problem.slug}-step-results.csv",
        selectors.step_result_rows(problem=problem),
    )


def _csv(filename: str, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return response


@require_POST
def regrade(request: HttpRequest, problem: Problem, model_admin) -> HttpResponse:
    """Reset the problem's graded submissions to queued and enqueue them; show progress."""
    started_at, count = services.problem_regrade(
        problem=problem, to_current_version=request.POST.get("version") == "current"
    )
    messages.info(request, f"Regrading {count} submission(s) of '{problem.title}'.")
    return redirect(regrade_progress_url(problem, started_at))


def regrade_progress_url(problem: Problem, started_at: datetime) -> str:
    url = reverse("admin:courseware_problem_regrade_progress", args=[problem.pk])
    return f"{url}?{urlencode({'since': started_at.isoformat()})}"


def regrade_progress(request: HttpRequest, problem: Problem, model_admin):
    """Counts for a regrade batch; ``?format=json`` is what the page polls."""
    started_at = parse_datetime(request.GET.get("since", "") or "")
    if started_at is None:
        return HttpResponse("Give ?since=<the batch's start time>.", status=400)
    progress = selectors.regrade_progress(problem=problem, started_at=started_at)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "total": progress.total,
                "queued": progress.queued,
                "grading": progress.grading,
                "graded": progress.graded,
                "error": progress.error,
                "done": progress.done,
            }
        )
    context = _context(request, model_admin, problem, "Regrade")
    context.update(progress=progress, poll_url=request.get_full_path() + "&format=json")
    return TemplateResponse(request, "admin/courseware/problem/regrade.html", context)


def _with_prompt(spec: dict, problem: Problem) -> dict:
    if problem.prompt and not spec.get("prompt"):
        return {**spec, "prompt": problem.prompt}
    return spec
