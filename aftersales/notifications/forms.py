from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.fields import LineField, TextField


class HandledForm(forms.Form):
    note = TextField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For a call: whom you spoke to and what they said. For a letter: how it was sent."
        ),
    )


class CancelForm(forms.Form):
    reason = LineField(label=_("Reason"), max_length=500)
