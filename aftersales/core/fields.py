"""The one text type and the one id type every input goes through (issue 7).

Text a person typed reaches pages, PDFs, spreadsheets and mail headers, and
ids reach the database. Both are checked here once, for every form and every
API schema, so a new module cannot forget a rule field by field:

- ``LineField`` / ``Line``: a single line (names, titles, references). No
  control character at all: C0 (NUL, TAB, CR, LF ...), DEL, C1, and the
  Unicode line and paragraph separators U+2028/U+2029. A line break in a
  name breaks the mail header it is written into.
- ``TextField`` / ``Text``: several lines (contents, notes, opinions). Line
  breaks and tabs are kept, ``\\r\\n`` and a lone ``\\r`` become ``\\n``; every
  other control character is refused. PostgreSQL cannot store NUL at all.
- ``IdField`` / ``Id`` and the ``Id...ChoiceField`` family: a whole number
  written in ASCII digits, from 1 to 2**63 - 1 (a database's 64-bit integer).
  Anything larger overflows SQLite's driver; "١٢" is not an id even though
  Python's int() reads it.

Mail intake cannot refuse a message, so it cleans instead: ``clean_line`` and
``clean_text`` (also used by the data migration that cleans stored rows).
"""

import re
from typing import Annotated, Any

from annotated_types import Interval
from django import forms
from django.core.exceptions import ValidationError
from django.urls import register_converter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

ID_MAX = 2**63 - 1

# C0 controls, DEL, C1 controls, LINE SEPARATOR, PARAGRAPH SEPARATOR.
_CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_LINE_BAD = re.compile(f"[{_CONTROLS}]")
# In several lines, TAB (\x09) and LF (\x0a) are text; CR was normalised away.
_TEXT_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NEWLINES = re.compile("\r\n?")
_ASCII_DIGITS = re.compile("[0-9]+")


# --- the rules ------------------------------------------------------------------


def line_message() -> str:
    return _("Line breaks, tabs and other control characters are not allowed here.")


def text_message() -> str:
    return _("Control characters (such as NUL) are not allowed; line breaks and tabs are.")


def id_message() -> str:
    return _("Give a whole number from 1 to %(max)s, in digits 0-9.") % {"max": ID_MAX}


def normalise_newlines(value: str) -> str:
    return _NEWLINES.sub("\n", value)


def is_clean_line(value: str) -> bool:
    return _LINE_BAD.search(value) is None


def is_clean_text(value: str) -> bool:
    return _TEXT_BAD.search(normalise_newlines(value)) is None


def clean_line(value: str) -> str:
    """For text that cannot be refused (mail, stored rows): every control
    character becomes a space, runs of spaces collapse, ends are trimmed."""
    return re.sub(" {2,}", " ", _LINE_BAD.sub(" ", value or "")).strip()


def clean_text(value: str) -> str:
    """Several lines that cannot be refused: newlines normalised to ``\\n``,
    tabs kept, every other control character dropped."""
    return _TEXT_BAD.sub("", normalise_newlines(value or ""))


def parse_id(value) -> int | None:
    """An id from what a request carries (str, int), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= ID_MAX else None


# --- Django form fields ------------------------------------------------------------


def _refuse_control_line(value):
    if value and not is_clean_line(value):
        raise ValidationError(line_message(), code="control_characters")


def _refuse_control_text(value):
    if value and not is_clean_text(value):
        raise ValidationError(text_message(), code="control_characters")


class LineField(forms.CharField):
    """One line of text; see the module's docstring."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Added, not set as default_validators: a subclass that also derives
        # from EmailField or SlugField keeps that field's own check.
        self.validators.append(_refuse_control_line)


class TextField(forms.CharField):
    """Several lines of text; see the module's docstring."""

    widget = forms.Textarea

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_refuse_control_text)

    def to_python(self, value):
        # Browsers send a textarea's line breaks as CRLF.
        value = super().to_python(value)
        return normalise_newlines(value) if isinstance(value, str) else value


class EmailLineField(LineField, forms.EmailField):
    """An email address, held to the single-line rule like any other line."""


class SlugLineField(LineField, forms.SlugField):
    """A code (letters, digits, - and _), held to the single-line rule."""


class IdField(forms.IntegerField):
    """A positive 64-bit id (or a version number) in ASCII digits."""

    default_error_messages = {"invalid": _lazy("Enter a whole number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(value if isinstance(value, int) else str(value))
        if number is None:
            raise ValidationError(id_message(), code="invalid")
        return number


class _IdChoiceMixin:
    """Check the posted key is an id before the database is asked about it:
    a key past 2**63 - 1 raises OverflowError in SQLite's driver."""

    def _check_key(self, value):
        if value in self.empty_values:
            return value
        if parse_id(str(value)) is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return value


class IdModelChoiceField(_IdChoiceMixin, forms.ModelChoiceField):
    def to_python(self, value):
        return super().to_python(self._check_key(value))


class IdModelMultipleChoiceField(_IdChoiceMixin, forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for key in value:
            if parse_id(str(key)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": key},
                )
        return super()._check_values(value)


class IdChoiceField(_IdChoiceMixin, forms.TypedChoiceField):
    """A choice among ids listed up front (a select of departments), cleaned to int."""

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("empty_value", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(self._check_key(value))


ID_FORM_FIELDS = (IdField, IdModelChoiceField, IdModelMultipleChoiceField, IdChoiceField)
TEXT_FORM_FIELDS = (LineField, TextField)


def shared_formfield(db_field, **kwargs):
    """``Meta.formfield_callback`` for a ModelForm: its fields made with the
    shared types (text and ids), the way hand-written forms make theirs."""
    from django.db import models

    if isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", IdModelChoiceField)
    elif isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("form_class", IdModelMultipleChoiceField)
    elif db_field.choices:
        pass  # a choice among fixed values
    elif isinstance(db_field, models.TextField):
        kwargs.setdefault("form_class", TextField)
    elif isinstance(db_field, models.SlugField):
        kwargs.setdefault("form_class", SlugLineField)
    elif isinstance(db_field, models.EmailField):
        kwargs.setdefault("form_class", EmailLineField)
    elif isinstance(db_field, models.CharField):
        kwargs.setdefault("form_class", LineField)
    return db_field.formfield(**kwargs)


# --- API (pydantic) types ------------------------------------------------------------


def _api_line(value: Any) -> Any:
    if isinstance(value, str) and not is_clean_line(value):
        raise PydanticCustomError("control_characters", line_message())
    return value


def _api_text(value: Any) -> Any:
    if isinstance(value, str):
        value = normalise_newlines(value)
        if not is_clean_text(value):
            raise PydanticCustomError("control_characters", text_message())
    return value


def _api_string(value: Any) -> Any:
    # A number where a string is documented is refused, not turned into text.
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", _("Give text."))
    return value


def _api_id(value: Any) -> int:
    # JSON Schema's integer includes 1.0, so the OpenAPI document allows it.
    if isinstance(value, float) and value.is_integer() and abs(value) <= ID_MAX:
        value = int(value)
    number = parse_id(value)
    if number is None:
        raise PydanticCustomError("invalid_id", id_message())
    return number


# Annotated types: give a field its length as usual, ``name: Line = Field(..., max_length=200)``.
# Validators run last to first in the metadata: the string check first.
class _RefusedInSchema:
    """Says in the OpenAPI document which characters a text type refuses
    (``not: {pattern}``), beside any pattern the field itself gives."""

    def __init__(self, characters: str):
        self.pattern = f"[{characters}]"

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema["not"] = {"pattern": self.pattern}
        return schema


# The refused characters as regex escapes, the same in JSON Schema and Python.
_LINE_REFUSED = _RefusedInSchema(r"\x00-\x1f\x7f-\x9f\u2028\u2029")
# CR is allowed in several lines: it is read as a line break.
_TEXT_REFUSED = _RefusedInSchema(r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029")

Line = Annotated[str, BeforeValidator(_api_line), BeforeValidator(_api_string), _LINE_REFUSED]
Text = Annotated[str, BeforeValidator(_api_text), BeforeValidator(_api_string), _TEXT_REFUSED]
Id = Annotated[int, Interval(ge=1, le=ID_MAX), BeforeValidator(_api_id)]
# A calendar year (certificates, reports): a number, never an id.
Year = Annotated[int, Interval(ge=2000, le=9999)]

API_TEXT_VALIDATORS = (_api_line, _api_text)
API_ID_VALIDATORS = (_api_id,)


# pydantic's own messages for the checks a schema states (length, range,
# choices), in the user's language; the error's ``type`` picks the message.
def _pydantic_messages() -> dict:
    return {
        "missing": _("Required."),
        "string_too_long": _("At most %(max_length)s characters."),
        "string_too_short": _("At least %(min_length)s characters."),
        "string_type": _("Give text."),
        "string_pattern_mismatch": _("Not a valid value."),
        "literal_error": _("Not a valid choice: %(expected)s."),
        "enum": _("Not a valid choice: %(expected)s."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "greater_than_equal": _("At least %(ge)s."),
        "less_than_equal": _("At most %(le)s."),
        "greater_than": _("More than %(gt)s."),
        "less_than": _("Less than %(lt)s."),
        "decimal_parsing": _("Enter a number."),
        "decimal_type": _("Enter a number."),
        "float_parsing": _("Enter a number."),
        "bool_parsing": _("Give true or false."),
        "bool_type": _("Give true or false."),
        "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_type": _("Enter a date as YYYY-MM-DD."),
        "datetime_from_date_parsing": _("Enter a date and time (ISO 8601)."),
        "datetime_parsing": _("Enter a date and time (ISO 8601)."),
        "datetime_type": _("Enter a date and time (ISO 8601)."),
        "list_type": _("Give a list."),
        "dict_type": _("Give an object."),
        "model_attributes_type": _("Give an object."),
        "too_long": _("At most %(max_length)s items."),
        "too_short": _("At least %(min_length)s items."),
        "extra_forbidden": _("Not a field of this request."),
    }


def pydantic_error_message(error: dict) -> str:
    """One validation error of pydantic (as in ``ValidationError.errors()``),
    said in the request's language. Errors raised by the shared types carry
    their own translated message."""
    kind = error.get("type", "")
    template = _pydantic_messages().get(kind)
    if template is None:
        return str(error.get("msg", ""))
    ctx = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return template % ctx if "%(" in template else template
    except (KeyError, ValueError):
        return str(error.get("msg", ""))


# --- URL paths -------------------------------------------------------------------------


class IdConverter:
    """``<id:pk>`` in a URL: like ``<int:pk>``, but a number past 2**63 - 1
    does not match (404) instead of overflowing the database driver (500)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")
