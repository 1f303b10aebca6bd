"""Staff pages for seeing and finding proposals: the list with its filters
and search, the summary, and the XLSX export of the filtered list."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.permissions import permission_required
from aftersales.proposals import selectors
from aftersales.proposals.exports import export_response
from aftersales.proposals.filters import ProposalFilterForm

PAGE_SIZE = 25


def _query_without_cursor(request) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    return params.urlencode()


@permission_required("proposals.view_proposal")
def proposal_list(request):
    form = ProposalFilterForm(request.GET or None)
    filters = form.filters()
    error = ""
    try:
        rows, next_cursor = selectors.proposal_list(
            user=request.user,
            filters=filters,
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except DomainError as exc:
        rows, next_cursor, error = [], None, exc.message
    query = _query_without_cursor(request)
    next_url = ""
    if next_cursor:
        params = request.GET.copy()
        params["cursor"] = next_cursor
        next_url = "?" + params.urlencode()
    context = {
        "form": form,
        "rows": rows,
        "next_cursor": next_cursor,
        "next_url": next_url,
        "query": query,
        "error": error,
        "first_page": not request.GET.get("cursor"),
    }
    template = "proposals/partials/list_rows.html" if request.htmx else "proposals/list.html"
    return render(request, template, context)


@permission_required("proposals.view_proposal")
def proposal_summary(request):
    return render(request, "proposals/summary.html", {"summary": selectors.proposal_summary()})


@permission_required("proposals.view_proposal", "proposals.export_proposal")
def proposal_export(request):
    form = ProposalFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Never an unfiltered export of what was meant to be a filtered one.
        context = {
            "form": form,
            "rows": [],
            "query": _query_without_cursor(request),
            "error": _("Nothing was exported: correct the filters marked below."),
            "first_page": True,
        }
        return render(request, "proposals/list.html", context, status=400)
    try:
        return export_response(user=request.user, filters=form.filters())
    except DomainError as exc:
        return HttpResponse(str(exc.message), status=exc.status, content_type="text/plain")
