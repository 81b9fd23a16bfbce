"""Names and Role Provisioning Services (NRPS): an offering's roster from the LMS.

The memberships URL comes with each launch (django-lti stores it on the
context); syncing fetches every page of members, keeps their names and roles,
and puts them in the offering, so gradebooks show names, not ``lti-<hash>``.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from lti_tool.models import LtiContext, LtiUser
from pylti1p3.exception import LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService

from config.celery import app
from courseware import offerings
from courseware.lti.passback import PlatformUnavailable, connector_for
from courseware.lti.services import offering_role_from_roles, user_provision
from courseware.models import Offering, OfferingMembership

logger = logging.getLogger(__name__)

SYNC_TASK = "courseware.tasks.lti_roster_sync"
# An instructor's launches sync the roster at most this often.
LAUNCH_SYNC_INTERVAL = 15 * 60
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def context_roster_sync(*, context: LtiContext, offering: Offering) -> int:
    """Fetch the context's members and enrol them in ``offering``; returns how many.

    Raises ``PlatformUnavailable`` on 429/5xx and ``requests`` errors when the
    platform does not answer (the task retries both); other refusals are logged.
    """
    if not context.memberships_url:
        return 0
    service = NamesRolesProvisioningService(
        connector_for(context),
        {"context_memberships_url": context.memberships_url},
    )
    try:
        listed = service.get_members()
    except LtiServiceException as exc:
        code = exc.response.status_code
        if code == 429 or code >= 500:
            raise PlatformUnavailable(f"NRPS answered {code}") from exc
        logger.error("NRPS of context %s refused: %s", context.pk, exc)
        return 0
    members = [
        member
        for member in listed
        if isinstance(member, dict) and isinstance(member.get("user_id"), str)
    ]
    for member in members:
        member.setdefault("roles", [])
        member.setdefault("status", "Active")
    context.update_memberships(members)
    registration = context.deployment.registration
    for member in members:
        lti_user = LtiUser.objects.get(registration=registration, sub=member["user_id"])
        user = user_provision(lti_user=lti_user)
        role = offering_role_from_roles(member["roles"])
        membership = offerings.offering_enrol(offering=offering, user=user, role=role)
        if member["status"] != "Active":
            OfferingMembership.objects.filter(pk=membership.pk).update(is_active=False)
    logger.info("NRPS: %d members of %s synced", len(members), context.pk)
    return len(members)


def offering_roster_sync(*, offering: Offering) -> int:
    """Sync the roster of every LMS course linked to ``offering``."""
    synced = 0
    for link in offering.lti_contexts.select_related("context__deployment"):
        synced += context_roster_sync(context=link.context, offering=offering)
    return synced


def roster_sync_request(*, offering: Offering, force: bool = False) -> bool:
    """Queue a roster sync after commit (by task name); at most one per
    ``LAUNCH_SYNC_INTERVAL`` unless ``force``. Returns whether one was queued."""
    if not offering.lti_contexts.exclude(context__memberships_url="").exists():
        return False
    key = f"lti-roster-sync-{offering.pk}"
    if not cache.add(key, True, LAUNCH_SYNC_INTERVAL) and not force:
        return False
    offering_id = offering.pk
    transaction.on_commit(lambda: _send(offering_id))
    return True


def _send(offering_id: int) -> None:
    try:
        app.send_task(SYNC_TASK, args=[offering_id])
    except Exception:  # the broker is down: the next launch or click tries again
        logger.exception("Could not queue the roster sync of offering %s", offering_id)
