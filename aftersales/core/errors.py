"""One error type for the domain, translated at each edge (STYLE rule 6)."""


class DomainError(Exception):
    """A rule of the regulation or the data refused an action.

    ``code`` is stable and machine-readable (the API returns it); ``message``
    is already translated for the person who made the request; ``fields``
    maps form fields to their own messages where the fault is in one input.
    """

    status = 400

    def __init__(
        self, code: str, message, *, fields: dict | None = None, status: int | None = None
    ):
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class ConflictError(DomainError):
    """The record changed under the author: someone else acted first."""

    status = 409


def required(value, *, field: str, code: str, message) -> str:
    """``value`` stripped, or a refusal that names the empty field: what
    every service says when a reason, a note or a name is missing."""
    from django.utils.translation import gettext as _

    value = (value or "").strip()
    if not value:
        raise DomainError(code, message, fields={field: _("Required.")})
    return value
