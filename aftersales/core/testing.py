"""Helpers for tests only.

``arrange_status`` puts records straight into a state for a test's *given*
step (a message that already failed, a notice already sent), which the
workflow engine otherwise refuses outside a move. Product code never imports
this module; ``test_workflow`` checks that.
"""

from aftersales.core.models import engine_writing


def arrange_status(queryset, **values) -> int:
    with engine_writing():
        return queryset.update(**values)
