from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Delegation, Department, StaffProfile
from aftersales.core.fields import (
    EmailLineField,
    IdModelChoiceField,
    LineField,
    shared_formfield,
)
from aftersales.core.roles import DELEGABLE_ROLES, Role


class LoginForm(AuthenticationForm):
    username = LineField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = LineField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class DateInput(forms.DateInput):
    input_type = "date"


class StaffForm(forms.Form):
    username = LineField(
        label=_("User name"),
        max_length=150,
        validators=[
            RegexValidator(r"^[\w.@+-]+\Z", message=_("Letters, digits and @ . + - _ only."))
        ],
    )
    email = EmailLineField(label=_("Email"), required=False)
    employee_no = LineField(label=_("Employee number"), max_length=32)
    display_name = LineField(label=_("Name"), max_length=100)
    department = IdModelChoiceField(
        label=_("Department"), queryset=Department.objects.filter(active=True)
    )
    position = LineField(label=_("Position"), max_length=100, required=False)
    hire_date = forms.DateField(label=_("Hire date"), widget=DateInput)
    proficient_since = forms.DateField(
        label=_("Proficient since"),
        required=False,
        widget=DateInput,
        help_text=_("I11: until this date the worker is inspected weekly as new staff."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    phone = LineField(label=_("Phone"), max_length=32, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    password = LineField(
        label=_("Initial password"), widget=forms.PasswordInput(render_value=False), strip=False
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("username", "password", "employee_no", "roles"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if "password" in self.fields and data.get("password"):
            user = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))
            try:
                validate_password(data["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = LineField(label=_("Note"), max_length=200, required=False)


class DelegationForm(forms.ModelForm):
    class Meta:
        model = Delegation
        fields = ["delegate", "role", "starts_on", "ends_on", "reason"]
        formfield_callback = shared_formfield
        widgets = {"starts_on": DateInput, "ends_on": DateInput}

    def __init__(self, *args, delegator=None, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["delegate"].queryset = (
            User.objects.filter(is_active=True)
            .exclude(pk=getattr(delegator, "pk", None))
            .select_related("profile")
            .order_by("username")
        )
        self.fields["delegate"].label_from_instance = lambda u: str(
            getattr(u, "profile", "") or u.username
        )
        held = set(delegator.groups.values_list("name", flat=True)) if delegator else set()
        self.fields["role"].choices = [
            (r.value, r.label) for r in DELEGABLE_ROLES if r.value in held
        ]


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "name_en", "manager", "is_aftersales", "active"]
        formfield_callback = shared_formfield


class ApiTokenForm(forms.Form):
    name = LineField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the ERP integration."),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650, initial=365)


class ProfileLanguageForm(forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = ["language"]
        formfield_callback = shared_formfield
