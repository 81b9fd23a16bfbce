"""The problem form of the admin: the spec edited as YAML (or JSON) text."""

from django import forms

from courseware.authoring.services import PROBLEM_FIELDS
from courseware.authoring.spec_text import spec_dump, spec_load
from courseware.models import Problem

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
    """``spec_text`` stands in for the JSON ``spec``; ``kind`` follows the spec."""

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
        spec, problems = spec_load(text, prompt=cleaned.get("prompt") or "")
        if problems:
            self.add_error("spec_text", [str(problem) for problem in problems])
        else:
            self.spec = spec
        return cleaned
