from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from aftersales.core.api import ERROR_RESPONSES, CursorPagination, Day, record_action
from aftersales.core.fields import Id
from aftersales.core.permissions import require
from aftersales.policy import services
from aftersales.policy.models import PolicyVersion
from aftersales.policy.schemas import PolicyApproveIn, PolicyDraftIn, PolicyOut

router = Router(tags=["policy"])


@router.get("/versions", response=list[PolicyOut])
@paginate(CursorPagination)
def version_list(request):
    require(request.auth, "policy.view_policyversion")
    return PolicyVersion.objects.select_related("approved_by")


@router.get("/in-force", response={200: PolicyOut, **ERROR_RESPONSES})
def in_force(request, on: Day | None = None):
    """The policy in force on a date (today by default)."""
    require(request.auth, "policy.view_policyversion")
    return services.policy_in_force(on)


@router.get("/versions/{number}", response={200: PolicyOut, **ERROR_RESPONSES})
def version_get(request, number: Id):
    require(request.auth, "policy.view_policyversion")
    return get_object_or_404(PolicyVersion.objects.select_related("approved_by"), number=number)


@router.post("/drafts", response={201: PolicyOut, **ERROR_RESPONSES})
def draft_create(request):
    require(request.auth, "policy.change_policyversion")
    return Status(201, services.policy_draft_create(by=request.auth))


def _on_version(path: str, permission: str, *, method: str = "POST"):
    """An action on one policy version by its number (core.api.record_action),
    answered with the version the service returns."""
    return record_action(
        router,
        path,
        permission=permission,
        load=lambda number: get_object_or_404(PolicyVersion, number=number),
        response={200: PolicyOut, **ERROR_RESPONSES},
        method=method,
    )


@_on_version("/versions/{number}", "policy.change_policyversion", method="PUT")
def draft_update(request, version, payload: PolicyDraftIn):
    return services.policy_draft_update(version=version, by=request.auth, **payload.dict())


@_on_version("/versions/{number}/approve", "policy.approve_policyversion")
def approve(request, version, payload: PolicyApproveIn):
    return services.policy_approve(version=version, by=request.auth, **payload.dict())
