"""Existing installs: an LMS context already in use gets its offering.

Before offerings, a launch enrolled LMS users straight into the course of
the resource it opened. A context whose recorded line items all point to
one course is linked to a new offering of that course; its LMS members join
the offering with their LMS role, and their earlier work in that course
moves into it (when they belong to no other migrated offering of the
course). Contexts that name no course, or several, are left for their
instructor's next launch to link.
"""

from django.db import migrations

KIND_MODELS = {"problem": "Problem", "quiz": "Quiz", "lesson": "Lesson"}


def _course_of(apps, ref: str):
    kind, _, pk = ref.partition(":")
    model = KIND_MODELS.get(kind)
    if model is None or not pk.isdigit():
        return None
    Model = apps.get_model("courseware", model)
    path = "course_id" if kind == "lesson" else "lesson__course_id"
    return Model.objects.filter(pk=int(pk)).values_list(path, flat=True).first()


def _role(membership) -> str:
    if membership.is_instructor or membership.is_administrator:
        return "instructor"
    if membership.is_content_developer or membership.is_mentor:
        return "staff"
    return "learner"


def link_existing_contexts(apps, schema_editor):
    LtiContext = apps.get_model("lti_tool", "LtiContext")
    LtiMembership = apps.get_model("lti_tool", "LtiMembership")
    Offering = apps.get_model("courseware", "Offering")
    OfferingMembership = apps.get_model("courseware", "OfferingMembership")
    LtiContextLink = apps.get_model("courseware", "LtiContextLink")
    Submission = apps.get_model("courseware", "Submission")
    learners_by_course: dict[int, dict[int, list[int]]] = {}
    for context in LtiContext.objects.exclude(id_on_platform="").exclude(
        id_on_platform__isnull=True
    ):
        if LtiContextLink.objects.filter(context=context).exists():
            continue
        refs = context.line_items.values_list("resource_id", flat=True)
        courses = {_course_of(apps, ref) for ref in refs} - {None}
        if len(courses) != 1:
            continue
        course_id = courses.pop()
        offering = Offering.objects.create(
            course_id=course_id,
            title=(context.title or context.label or context.id_on_platform)[:500],
        )
        LtiContextLink.objects.create(context=context, offering=offering)
        memberships = LtiMembership.objects.filter(
            context=context, user__auth_user__isnull=False
        ).select_related("user")
        for membership in memberships:
            role = _role(membership)
            OfferingMembership.objects.get_or_create(
                offering=offering,
                user_id=membership.user.auth_user_id,
                defaults={"role": role, "is_active": membership.is_active},
            )
            if role == "learner":
                by_user = learners_by_course.setdefault(course_id, {})
                by_user.setdefault(membership.user.auth_user_id, []).append(offering.pk)
    for course_id, by_user in learners_by_course.items():
        for user_id, offering_ids in by_user.items():
            if len(offering_ids) != 1:
                continue  # in two LMS courses of one course: leave the history direct
            Submission.objects.filter(
                student_id=user_id,
                problem__lesson__course_id=course_id,
                offering__isnull=True,
            ).update(offering_id=offering_ids[0])


class Migration(migrations.Migration):
    dependencies = [("courseware", "0005_offerings")]

    operations = [
        migrations.RunPython(link_existing_contexts, migrations.RunPython.noop)
    ]
