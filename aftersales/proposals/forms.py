"""HTML input for proposals: recording a letter or call (P4) and the actions
on one proposal (P5-P10). The rules themselves live in services.py; these
forms only turn what was typed into the services' arguments."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.errors import DomainError
from aftersales.core.fields import (
    IdField,
    IdModelChoiceField,
    IdModelMultipleChoiceField,
    LineField,
    TextField,
)
from aftersales.proposals.models import (
    Attachment,
    Category,
    Channel,
    CloseReason,
    DevelopmentMode,
    Proposal,
)
from aftersales.proposals.uploads import check_uploaded

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (possibly empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


# --- P4: letters and telephone calls -----------------------------------------


class RecordForm(forms.Form):
    """A letter or telephone call, recorded by staff with its original (P4)."""

    CHANNELS = [
        (Channel.LETTER.value, Channel.LETTER.label),
        (Channel.PHONE.value, Channel.PHONE.label),
    ]

    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNELS, widget=forms.RadioSelect)
    received_at = forms.DateField(
        label=_("Date received"),
        widget=DATE,
        help_text=_("The postmark or arrival date of a letter, the date of a call."),
    )
    name = LineField(label=_("Customer name"), max_length=200)
    email = LineField(label=_("Email"), max_length=254, required=False)
    phone = LineField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("Without a country code it is read as a number in China."),
    )
    postal_address = TextField(
        label=_("Postal address"), max_length=500, required=False, widget=_text(2)
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES
    )
    title = LineField(label=_("Title"), max_length=300)
    content = TextField(label=_("Content"), widget=_text(8))
    files = MultipleFileField(
        label=_("Originals (scanned letter, call note)"),
        required=False,
        help_text=_(
            "One or more files: PDF, pictures, text or Office files. A letter needs its scan. "
            "If the form comes back with an error, choose the files again: "
            "browsers do not keep chosen files."
        ),
    )

    def clean_received_at(self):
        received = self.cleaned_data["received_at"]
        if received > timezone.localdate():
            raise ValidationError(_("Cannot be in the future."))
        return received

    def clean_files(self):
        """Each file judged by its bytes, not its name (P4)."""
        checked, errors = [], []
        for upload in self.cleaned_data.get("files") or []:
            try:
                checked.append(check_uploaded(upload))
            except DomainError as exc:
                errors.append(str(exc.message))
        if errors:
            raise ValidationError(errors)
        return checked

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("channel") == Channel.LETTER
            and not cleaned.get("files")
            and "files" not in self.errors
        ):
            self.add_error("files", _("Attach the scanned letter."))
        return cleaned

    def attachment_kind(self) -> str:
        if self.cleaned_data["channel"] == Channel.LETTER:
            return Attachment.Kind.SCAN
        return Attachment.Kind.CALL_NOTE


# --- P5-P10: actions on one proposal -------------------------------------------


class ActionForm(forms.Form):
    """Every action carries the version of the proposal its author saw, so a
    change made meanwhile by someone else is noticed, not overwritten."""

    seen_version = IdField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, proposal=None, **kwargs):
        self.proposal = proposal
        # Several action forms share one page: their element ids must differ.
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class AcceptForm(ActionForm):
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices])
    summary = TextField(label=_("Summary"), widget=_text())


class CloseForm(ActionForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *CloseReason.choices])
    note = TextField(
        label=_("Note"),
        required=False,
        widget=_text(2),
        help_text=_("Required when the reason is “other”."),
    )
    duplicate_of = LineField(
        label=_("Duplicate of (reference)"),
        max_length=20,
        required=False,
        help_text=_(
            "For a duplicate: the reference of the proposal it repeats, e.g. P-2026-000123."
        ),
    )

    def clean_duplicate_of(self):
        reference = self.cleaned_data["duplicate_of"].strip().upper()
        if not reference:
            return None
        found = Proposal.objects.filter(reference=reference).first()
        if found is None:
            raise ValidationError(
                _("No proposal has the reference %(ref)s."), params={"ref": reference}
            )
        return found


class RouteForm(ActionForm):
    departments = IdModelMultipleChoiceField(
        label=_("Departments"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only active departments with a manager, who writes the study opinion."),
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty for the policy's study period."),
    )

    def __init__(self, *args, **kwargs):
        from aftersales.proposals.selectors import departments_for_routing

        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = departments_for_routing(self.proposal)


class OpinionForm(ActionForm):
    opinion = TextField(label=_("Study opinion"), widget=_text(5))


class AdoptForm(ActionForm):
    implementing_department = IdModelChoiceField(label=_("Implementing department"), queryset=None)
    planned_date = forms.DateField(label=_("Planned implementation date"), widget=DATE)
    measures = TextField(
        label=_("Improvement measures"),
        widget=_text(4),
        help_text=_("The customer's notice states these, with the department and the date."),
    )
    note = TextField(label=_("Decision note"), required=False, widget=_text(2))
    development_mode = forms.ChoiceField(
        label=_("Development mode"),
        required=False,
        choices=[("", _("not decided yet")), *DevelopmentMode.choices],
    )
    agreement_reference = LineField(
        label=_("Agreement reference"),
        max_length=100,
        required=False,
        help_text=_("Required for joint development (P10)."),
    )

    def __init__(self, *args, **kwargs):
        from aftersales.proposals.selectors import departments_for_implementation

        super().__init__(*args, **kwargs)
        self.fields["implementing_department"].queryset = departments_for_implementation()


class NotAdoptForm(ActionForm):
    note = TextField(
        label=_("Note to the customer"),
        widget=_text(3),
        help_text=_("The customer is told the proposal is not adopted, and thanked."),
    )


class ReserveForm(ActionForm):
    reason = TextField(
        label=_("Reason for reserving"),
        widget=_text(3),
        help_text=_("The customer is told it is reserved and why."),
    )
    decide_by = forms.DateField(label=_("Decide by"), widget=DATE)


class ExtendForm(ActionForm):
    decide_by = forms.DateField(label=_("New decide-by date"), widget=DATE)
    reason = TextField(label=_("Reason"), widget=_text(2))


class ImplementedForm(ActionForm):
    note = TextField(label=_("Implementation note"), required=False, widget=_text(2))


class DevelopmentForm(ActionForm):
    development_mode = forms.ChoiceField(
        label=_("Development mode"), choices=[("", "—"), *DevelopmentMode.choices]
    )
    agreement_reference = LineField(
        label=_("Agreement reference"),
        max_length=100,
        required=False,
        help_text=_("Required for joint development (P10)."),
    )
