"""The portal's public forms: a proposal (P4) and a look-up by reference."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.core.fields import LineField, TextField
from aftersales.customers.normalize import normalize_email, normalize_phone
from aftersales.proposals.services import CONTENT_MAX, TITLE_MAX


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by content later
    (uploads.check_upload), here only counted."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        from aftersales.policy.services import policy_value

        files = [f for f in (data or []) if f]
        # P4: how many files one proposal may carry; each is also held to
        # the policy's attachment_max_mb.
        most = int(policy_value("attachment_max_files"))
        if len(files) > most:
            raise ValidationError(
                _("Attach at most %(n)s files.") % {"n": most}, code="too_many_files"
            )
        return files


class ProposalForm(forms.Form):
    # A field people never see (hidden by the stylesheet, skipped by the
    # keyboard and screen readers); software filling every field fills it.
    website = LineField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    name = LineField(label=_("Your name"), max_length=200)
    email = LineField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = LineField(
        label=_("Phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    language = forms.ChoiceField(label=_("Language for our replies"), choices=settings.LANGUAGES)
    title = LineField(label=_("Title"), max_length=TITLE_MAX)
    content = TextField(
        label=_("Your proposal"), max_length=CONTENT_MAX, widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        help_text=_("Optional: documents, pictures or text files (PDF, images, text, Office)."),
    )
    consent = forms.BooleanField(
        label=_("I agree to the handling of my personal data as described above."),
        error_messages={
            "required": _("We can only take your proposal with your agreement to this notice.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"

    def clean_email(self):
        # Checked here so the message sits on the field, in the visitor's language.
        value = self.cleaned_data["email"].strip()
        normalize_email(value)
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        normalize_phone(value)
        return value

    def clean(self):
        data = super().clean()
        if "email" in data and "phone" in data and not data.get("email") and not data.get("phone"):
            message = _("Give an email address or a phone number so we can answer you.")
            self.add_error("email", message)
            self.add_error("phone", message)
        return data

    @property
    def is_honeypot_filled(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def addresses(self) -> list[str]:
        """The normalised email and phone, as rate-limit keys."""
        out = []
        if self.cleaned_data.get("email"):
            out.append("email:" + normalize_email(self.cleaned_data["email"]))
        if self.cleaned_data.get("phone"):
            out.append("phone:" + normalize_phone(self.cleaned_data["phone"]))
        return out


class LookupForm(forms.Form):
    reference = LineField(
        label=_("Reference"),
        max_length=20,
        help_text=_("As in our acknowledgement, e.g. P-2026-000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    contact = LineField(
        label=_("Email or phone number you gave us"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()
