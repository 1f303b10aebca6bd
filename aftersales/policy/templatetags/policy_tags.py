from django import template

from aftersales.policy.registry import CRITERIA_LABELS

register = template.Library()


@register.filter
def criterion_label(name: str) -> str:
    return CRITERIA_LABELS.get(name, name)
