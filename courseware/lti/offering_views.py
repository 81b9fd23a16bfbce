"""An offering's pages for its instructors and staff: gradebook with names,
columns the LMS retired, and the "resend grades" and "sync roster" actions.

Readers are the course's authors and the offering's LMS instructors and staff;
anyone else gets 404, so offering ids reveal nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from courseware import offerings, selectors
from courseware.lti import passback, roster
from courseware.models import Offering, OfferingMembership


def _readable(request: HttpRequest, offering_id: int) -> Offering:
    offering = get_object_or_404(
        Offering.objects.select_related("course"), pk=offering_id
    )
    if not offerings.offering_readable_by(user=request.user, offering=offering):
        raise Http404("No such offering.")
    return offering


def _managed(request: HttpRequest, offering_id: int) -> Offering:
    offering = _readable(request, offering_id)
    if not offerings.offering_managed_by(user=request.user, offering=offering):
        raise Http404("No such offering.")
    return offering


@login_required
@require_GET
@xframe_options_exempt
def offering_list(request: HttpRequest) -> HttpResponse:
    """The offerings the user may read."""
    visible = offerings.offerings_readable_by(user=request.user)
    return TemplateResponse(request, "lti/offering_list.html", {"offerings": visible})


@login_required
@require_GET
@xframe_options_exempt
def offering_detail(request: HttpRequest, offering_id: int) -> HttpResponse:
    offering = _readable(request, offering_id)
    rows = selectors.gradebook_rows(course=offering.course, offering=offering)
    problems = list(rows[0].scores) if rows else []
    context = {
        "offering": offering,
        "rows": rows,
        "problems": problems,
        "retired": passback.retired_line_items(offering=offering),
        "staff": offerings.offering_members(offering=offering).exclude(
            role=OfferingMembership.Role.LEARNER
        ),
        "may_manage": offerings.offering_managed_by(
            user=request.user, offering=offering
        ),
    }
    return TemplateResponse(request, "lti/offering_detail.html", context)


@login_required
@require_POST
@xframe_options_exempt
def offering_resend_grades(request: HttpRequest, offering_id: int) -> HttpResponse:
    offering = _managed(request, offering_id)
    passback.offering_resend_request(offering=offering)
    messages.success(request, "Every score is being sent to the LMS again.")
    return redirect("lti:offering", offering_id=offering.pk)


@login_required
@require_POST
@xframe_options_exempt
def offering_roster_sync(request: HttpRequest, offering_id: int) -> HttpResponse:
    offering = _managed(request, offering_id)
    if roster.roster_sync_request(offering=offering, force=True):
        messages.success(request, "The roster is being fetched from the LMS.")
    else:
        messages.warning(
            request,
            "The LMS gave no roster service (NRPS) for this course; enable "
            "'Names and roles' for the tool in the LMS.",
        )
    return redirect("lti:offering", offering_id=offering.pk)
