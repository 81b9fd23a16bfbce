"""The problem form of the admin: the spec edited as YAML (or JSON) text."""

from django import forms

from courseware.authoring.spec_text import spec_dump, spec_parse, spec_problems
from courseware.models import Problem
from courseware.problem_saving import PROBLEM_FIELDS, ProblemInvalid, problem_check

SPEC_EXAMPLE = """kind: scalar_trace
program: |
  u = x*y
  v = u + b
  z = v**2
inputs: {x: 2, y: 3, b: 1}
randomize:
  x: {int: [1, 5]}
ask: [forward, local, grad]
local_form: either
tolerance: {rel: 0.001}
"""


class ProblemAdminForm(forms.ModelForm):
    """``spec_text`` stands in for the JSON ``spec``; ``kind`` follows the spec.

    The form reads the text; whether the problem may be saved is
    ``courseware.problem_saving.problem_check``'s to say (the check
    ``problem_save`` makes), its refusal shown on the fields it names.
    """

    spec_text = forms.CharField(
        label="Spec",
        widget=forms.Textarea(
            attrs={"rows": 22, "cols": 90, "class": "spec-text", "spellcheck": "false"}
        ),
        help_text=(
            "YAML (or JSON), contract 1 of docs/contracts.md. Saving checks it and names the "
            "line and field of every problem; a problem that students have answered "
            "gets a new version."
        ),
    )

    class Meta:
        model = Problem
        fields = ("lesson", "slug", *PROBLEM_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.spec, dict):
            self.fields["spec_text"].initial = spec_dump(self.instance.spec)
        else:
            self.fields["spec_text"].initial = SPEC_EXAMPLE
        self.spec: dict | None = None

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("spec_text")
        if text is None:
            return cleaned
        spec, root, problems = spec_parse(text)
        if problems:
            self.add_error("spec_text", [str(problem) for problem in problems])
            return cleaned
        names = ("lesson", "slug", *PROBLEM_FIELDS)
        if any(name not in cleaned for name in names):
            return cleaned  # a field is wrong already; it says so
        original = None
        if self.instance.pk:
            original = Problem.objects.select_related("lesson").get(pk=self.instance.pk)
        try:
            problem_check(
                problem=original,
                spec=spec,
                **{name: cleaned[name] for name in names},
            )
        except ProblemInvalid as invalid:
            self._add_invalid(invalid, root)
        else:
            self.spec = spec
        return cleaned

    def _add_invalid(self, invalid: ProblemInvalid, root) -> None:
        if invalid.spec_errors:
            found = spec_problems(invalid.spec_errors, root)
            self.add_error("spec_text", [str(problem) for problem in found])
        for field, message in invalid.field_errors:
            self.add_error(field if field in self.fields else None, message)

    def validate_unique(self) -> None:
        """(lesson, slug) is ``problem_check``'s, with its message."""
