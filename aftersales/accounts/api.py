from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.pagination import paginate

from aftersales.accounts import selectors, services
from aftersales.accounts.models import ApiToken
from aftersales.accounts.schemas import MeOut, StaffOut, TokenCreatedOut, TokenIn, TokenOut
from aftersales.core.api import CursorPagination, ErrorEnvelope
from aftersales.core.fields import Id, Line
from aftersales.core.permissions import require

router = Router(tags=["accounts"])


@router.get("/me", response={200: MeOut, 401: ErrorEnvelope})
def me(request):
    return request.auth


@router.get("/tokens", response=list[TokenOut])
def token_list(request):
    return ApiToken.objects.filter(user=request.auth).order_by("-created_at")[:100]


@router.post("/tokens", response={201: TokenCreatedOut, 400: ErrorEnvelope, 422: ErrorEnvelope})
def token_create(request, payload: TokenIn):
    token, raw = services.api_token_create(user=request.auth, name=payload.name, days=payload.days)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": raw})


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, 404: ErrorEnvelope})
def token_revoke(request, token_id: Id):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.auth)
    services.api_token_revoke(token=token, by=request.auth)
    return token


@router.get("/staff", response={200: list[StaffOut], 403: ErrorEnvelope})
@paginate(CursorPagination)
def staff_list(request, q: Line = "", role: Line = ""):
    require(request.auth, "accounts.manage_staff")
    return selectors.staff_list(q=q, role=role)
