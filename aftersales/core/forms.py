from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.fields import parse_id


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a service's refusal on the form: per field where it names one,
    otherwise at the top. What the user typed stays in the form."""
    placed = False
    for field, message in exc.fields.items():
        if field in form.fields:
            form.add_error(field, str(message))
            placed = True
    # The message goes on top too, unless it only says "see the fields" and they show.
    generic = str(exc.message) == _("Some fields are not valid.")
    if not placed or (exc.message and not generic):
        form.add_error(None, str(exc.message))


def int_or_none(value) -> int | None:
    """A posted id or version such as ``seen_version``, or None when it is
    missing, garbled or out of the database's range (issue 7)."""
    return parse_id(value)


def act_and_return(request, act, *, success: str, to):
    """A one-click action (approve, retry, revoke...): run ``act``, say what
    became of it at the top of the page it returns to, and go back to ``to``
    (a record or a URL name). A refusal leaves nothing half-written: ``act``
    is a service, atomic."""
    from django.contrib import messages
    from django.shortcuts import redirect

    try:
        act()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(to)
