from django import template
from django.utils.translation import get_language

from aftersales.core.articles import article
from aftersales.core.permissions import can as _can

register = template.Library()


@register.inclusion_tag("core/partials/articles.html")
def cite(*ids):
    """Help text naming the regulation's articles a page serves. An ID the
    regulation does not have raises ``UnknownArticle``: a page never shows an
    empty citation."""
    return {"articles": [article(i) for i in ids]}


@register.simple_tag(takes_context=True)
def can(context, perm, obj=None):
    return _can(context["request"].user, perm, obj)


@register.filter
def localized_name(obj):
    """Pick the English name of a bilingual record when English is active."""
    if (get_language() or "").startswith("en") and getattr(obj, "name_en", ""):
        return obj.name_en
    return obj.name


@register.inclusion_tag("core/partials/history.html")
def history(record, title="", anchor="history"):
    """The record's audit trail: who changed what, when (simple-history).
    ``title`` and ``anchor`` tell two trails on one page apart."""
    from aftersales.core.history import history_rows

    return {"rows": history_rows(record), "title": title, "anchor": anchor}


@register.filter
def role_label(code):
    from aftersales.core.roles import Role

    try:
        return Role(code).label
    except ValueError:
        return code
