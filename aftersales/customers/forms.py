from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aftersales.core.fields import LineField, TextField
from aftersales.customers.models import Customer


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)
    name = LineField(label=_("Name"), max_length=200)
    organisation = LineField(label=_("Organisation"), max_length=200, required=False)
    email = LineField(label=_("Email"), max_length=254, required=False)
    phone = LineField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("Without a country code it is read as a number in China."),
    )
    postal_address = TextField(
        label=_("Postal address"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES
    )
    notes = TextField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AnonymiseForm(forms.Form):
    reason = LineField(
        label=_("Reason"),
        max_length=300,
        help_text=_("For example: the customer's written request of a given date."),
    )
