from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a service's refusal on the form: per field where it names one,
    otherwise at the top. What the user typed stays in the form."""
    placed = False
    for field, message in exc.fields.items():
        if field in form.fields:
            form.add_error(field, str(message))
            placed = True
    if not placed or not exc.fields:
        form.add_error(None, str(exc.message))
    elif exc.message and str(exc.message) != _("Some fields are not valid."):
        form.add_error(None, str(exc.message))
