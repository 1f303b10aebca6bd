"""``isolate``: text someone typed, between FSI and PDI, for the places where
``<bdi>`` cannot go (``<title>``, attribute values, ``blocktranslate``
variables, plain-text mail). Also a builtin of the mail templates' engine."""

from django import template

from aftersales.core import bidi

register = template.Library()


@register.filter(is_safe=True)
def isolate(value):
    # is_safe: adding FSI/PDI creates no markup, so escaping is left as it
    # was (autoescape still escapes the typed text on a page).
    return bidi.isolate(value)
