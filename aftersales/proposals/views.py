from django.http import HttpResponse

from aftersales.core.permissions import permission_required


@permission_required("proposals.view_proposal")
def proposal_list(request):
    return HttpResponse("")


@permission_required("proposals.view_proposal")
def proposal_detail(request, pk):
    return HttpResponse("")
