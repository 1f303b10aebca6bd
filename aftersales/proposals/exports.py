"""The filtered proposal list as an XLSX download, for the page and the API."""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.proposals import selectors
from aftersales.reports.xlsx import render_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(*, user, filters: dict) -> HttpResponse:
    """The filtered list as an XLSX download (STYLE rule 11: the selector's
    rows, then the renderer). What a customer wrote stays inert text."""
    rows = selectors.proposal_export_rows(user=user, filters=filters)
    # The rows are read while rendering: a refusal raises here, before any answer.
    content = render_xlsx(
        header=selectors.proposal_export_header(), rows=rows, sheet_title=_("Proposals")
    )
    response = HttpResponse(content, content_type=XLSX)
    filename = f"proposals-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
