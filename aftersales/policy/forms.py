from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.fields import LineField, TextField
from aftersales.policy.registry import CRITERIA_LABELS, KEYS


class PolicyDraftForm(forms.Form):
    """One input per policy key; the service validates the values (it is the one
    place that knows the rules), this form only turns text into structures."""

    note = TextField(label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, values: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, key in KEYS.items():
            value = values.get(name, key.default)
            help_text = f"{key.article} · {key.help}" if key.help else key.article
            if key.kind == "int":
                self.fields[name] = LineField(
                    label=f"{key.label} ({key.unit})" if key.unit else key.label,
                    initial=value,
                    help_text=help_text,
                )
            elif key.kind == "weights":
                for criterion in key.default:
                    self.fields[f"{name}__{criterion}"] = LineField(
                        label=f"{key.label}: {CRITERIA_LABELS.get(criterion, criterion)}",
                        initial=value.get(criterion),
                        help_text=help_text,
                    )
            elif key.kind == "grades":
                lines = "\n".join(f"{r['grade']} | {r['min_score']} | {r['amount']}" for r in value)
                self.fields[name] = TextField(
                    label=key.label,
                    initial=lines,
                    widget=forms.Textarea(attrs={"rows": 5}),
                    help_text=f"{help_text} · "
                    + str(_("One grade a line: grade | minimum score | reward")),
                )

    def values(self) -> dict:
        data, out = self.cleaned_data, {}
        for name, key in KEYS.items():
            if key.kind == "int":
                out[name] = data.get(name)
            elif key.kind == "weights":
                out[name] = {c: data.get(f"{name}__{c}") for c in key.default}
            elif key.kind == "grades":
                rows = []
                for line in (data.get(name) or "").splitlines():
                    if not line.strip():
                        continue
                    parts = [p.strip() for p in line.split("|")]
                    parts += [""] * (3 - len(parts))
                    rows.append({"grade": parts[0], "min_score": parts[1], "amount": parts[2]})
                out[name] = rows
        return out

    def add_value_errors(self, fields: dict) -> None:
        for name, message in fields.items():
            key = KEYS.get(name)
            if key is not None and key.kind == "weights":
                self.add_error(f"{name}__{next(iter(key.default))}", message)
            elif name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, f"{name}: {message}")


class ApproveForm(forms.Form):
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
