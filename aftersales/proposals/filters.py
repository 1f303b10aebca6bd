"""The staff proposal list's filter form (GET): what the list and the XLSX
export are narrowed by."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Department
from aftersales.core.fields import IdChoiceField, IdField, LineField
from aftersales.core.templatetags.aftersales import localized_name
from aftersales.proposals.models import Channel, Status

SORTS = (
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("decide_by", _("Decide-by date (reserved)")),
)
ALL = [("", _("All"))]


class ProposalFilterForm(forms.Form):
    q = LineField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_('Words in the title, text or reference; "quotes" keep words together.'),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ALL + Status.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=ALL + Channel.choices)
    department = IdChoiceField(label=_("Department"), required=False)
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    customer = IdField(label=_("Customer number"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for the choices, whether the form is rendered, validated or both.
        departments = Department.objects.filter(active=True).order_by("code")
        self.fields["department"].choices = ALL + [(d.pk, localized_name(d)) for d in departments]

    def filters(self) -> dict:
        """The valid filters for the selectors; an invalid field is left out
        (the form shows its error) rather than failing the whole list."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "", False)}
