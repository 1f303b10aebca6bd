"""Roles and delegations: who may do what, and for how long."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.accounts import services
from aftersales.accounts.models import Delegation, RoleChange
from aftersales.core.errors import DomainError
from aftersales.core.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def fresh(user):
    """The user as a new request would load them: no permission cache."""
    return User.objects.get(pk=user.pk)


def today():
    return timezone.localdate()


def test_each_role_grants_exactly_its_table_of_permissions(make_staff):
    for n, (role, perms) in enumerate(ROLE_PERMISSIONS.items()):
        person = make_staff(f"only_{role.value}", role, employee_no=f"R{n}")
        assert fresh(person).get_all_permissions() == perms, role


def test_a_user_may_hold_several_roles_and_gets_the_union_of_their_permissions(make_staff):
    both = make_staff("both", Role.SERVICE_WORKER, Role.ADMINISTRATOR)

    assert (
        fresh(both).get_all_permissions()
        == ROLE_PERMISSIONS[Role.SERVICE_WORKER] | ROLE_PERMISSIONS[Role.ADMINISTRATOR]
    )
    assert fresh(both).has_perm("accounts.manage_staff")
    assert fresh(both).has_perm("customers.add_customer")


def test_an_outsider_holds_no_permission(outsider):
    assert fresh(outsider).get_all_permissions() == set()


def test_a_deactivated_user_holds_no_permission(worker, administrator):
    services.staff_set_active(user=worker, active=False, by=administrator)

    assert fresh(worker).get_all_permissions() == set()


# --- delegations ------------------------------------------------------------------------


def delegate_gm(general_manager, delegate, *, starts, ends, by=None):
    return services.delegation_create(
        delegator=general_manager,
        delegate=delegate,
        role=Role.GENERAL_MANAGER,
        starts_on=starts,
        ends_on=ends,
        reason="Annual leave",
        by=by or general_manager,
    )


def test_a_delegate_holds_the_delegators_role_permissions_during_the_period(
    general_manager, worker
):
    assert not fresh(worker).has_perm("policy.approve_policyversion")

    delegate_gm(general_manager, worker, starts=today() - timedelta(days=1), ends=today())

    assert fresh(worker).has_perm("policy.approve_policyversion")
    # Only the delegated role: not the delegator's other role (committee member adds nothing
    # here) and still the delegate's own.
    assert (
        fresh(worker).get_all_permissions()
        == ROLE_PERMISSIONS[Role.SERVICE_WORKER] | ROLE_PERMISSIONS[Role.GENERAL_MANAGER]
    )


def test_a_delegation_gives_nothing_before_it_starts_or_after_it_ends(
    general_manager, worker, make_staff
):
    later = make_staff("later", Role.SERVICE_WORKER)
    delegate_gm(
        general_manager,
        worker,
        starts=today() + timedelta(days=1),
        ends=today() + timedelta(days=5),
    )
    delegate_gm(general_manager, later, starts=today(), ends=today() + timedelta(days=5))
    Delegation.objects.filter(delegate=later).update(
        starts_on=today() - timedelta(days=9), ends_on=today() - timedelta(days=1)
    )

    assert not fresh(worker).has_perm("policy.approve_policyversion")
    assert not fresh(later).has_perm("policy.approve_policyversion")


def test_a_revoked_delegation_gives_nothing(general_manager, worker):
    delegation = delegate_gm(
        general_manager, worker, starts=today(), ends=today() + timedelta(days=5)
    )
    assert fresh(worker).has_perm("policy.approve_policyversion")

    services.delegation_revoke(delegation=delegation, by=general_manager)

    assert not fresh(worker).has_perm("policy.approve_policyversion")
    delegation.refresh_from_db()
    assert delegation.revoked_by == general_manager and delegation.revoked_at is not None


def test_a_delegation_lapses_when_the_delegator_loses_the_role(
    general_manager, worker, administrator
):
    delegate_gm(general_manager, worker, starts=today(), ends=today() + timedelta(days=5))

    services.roles_set(user=general_manager, roles=[Role.COMMITTEE_MEMBER], by=administrator)

    assert not fresh(worker).has_perm("policy.approve_policyversion")


def test_a_delegation_opens_the_delegators_page_to_the_delegate_only_for_the_period(
    client_for, cs_manager, worker
):
    from aftersales.customers.tests.factories import make_customer

    customer = make_customer()
    url = reverse("customers:anonymise", args=[customer.pk])
    assert client_for(worker).post(url, {"reason": "asked"}).status_code == 403

    delegation = services.delegation_create(
        delegator=cs_manager,
        delegate=worker,
        role=Role.CS_MANAGER,
        starts_on=today(),
        ends_on=today() + timedelta(days=2),
        reason="Cover",
        by=cs_manager,
    )
    services.delegation_revoke(delegation=delegation, by=cs_manager)
    assert client_for(worker).post(url, {"reason": "asked"}).status_code == 403

    services.delegation_create(
        delegator=cs_manager,
        delegate=worker,
        role=Role.CS_MANAGER,
        starts_on=today(),
        ends_on=today() + timedelta(days=2),
        reason="Cover again",
        by=cs_manager,
    )
    assert client_for(worker).post(url, {"reason": "asked"}).status_code == 302
    customer.refresh_from_db()
    assert customer.is_anonymised


def test_a_manager_cannot_delegate_to_themselves(general_manager):
    with pytest.raises(DomainError) as exc:
        delegate_gm(general_manager, general_manager, starts=today(), ends=today())

    assert exc.value.code == "self_delegation"
    assert Delegation.objects.count() == 0


def test_a_role_not_held_cannot_be_delegated(cs_manager, worker):
    with pytest.raises(DomainError) as exc:
        delegate_gm(cs_manager, worker, starts=today(), ends=today())

    assert exc.value.code == "role_not_held"
    assert not fresh(worker).has_perm("policy.approve_policyversion")


def test_a_non_managing_role_cannot_be_delegated(make_staff, worker):
    admin_worker = make_staff("aw", Role.ADMINISTRATOR)

    with pytest.raises(DomainError) as exc:
        services.delegation_create(
            delegator=admin_worker,
            delegate=worker,
            role=Role.ADMINISTRATOR,
            starts_on=today(),
            ends_on=today(),
            reason="x",
            by=admin_worker,
        )

    assert exc.value.code == "not_delegable"


@pytest.mark.parametrize(
    ("starts", "ends", "code"),
    [
        (5, 1, "period_invalid"),
        (0, 400, "period_too_long"),
        (-10, -1, "period_past"),
    ],
)
def test_a_delegation_with_a_bad_period_is_refused(general_manager, worker, starts, ends, code):
    with pytest.raises(DomainError) as exc:
        delegate_gm(
            general_manager,
            worker,
            starts=today() + timedelta(days=starts),
            ends=today() + timedelta(days=ends),
        )

    assert exc.value.code == code
    assert Delegation.objects.count() == 0


def test_a_delegation_needs_a_reason(general_manager, worker):
    with pytest.raises(DomainError) as exc:
        services.delegation_create(
            delegator=general_manager,
            delegate=worker,
            role=Role.GENERAL_MANAGER,
            starts_on=today(),
            ends_on=today(),
            reason="  ",
            by=general_manager,
        )

    assert exc.value.code == "reason_required"


def test_only_the_delegator_or_an_administrator_records_or_revokes_a_delegation(
    general_manager, worker, cs_manager, administrator
):
    with pytest.raises(DomainError) as exc:
        delegate_gm(general_manager, worker, starts=today(), ends=today(), by=cs_manager)
    assert exc.value.code == "not_yours"

    delegation = delegate_gm(
        general_manager, worker, starts=today(), ends=today(), by=administrator
    )
    with pytest.raises(DomainError):
        services.delegation_revoke(delegation=delegation, by=worker)
    services.delegation_revoke(delegation=delegation, by=administrator)
    with pytest.raises(DomainError) as again:
        services.delegation_revoke(delegation=delegation, by=administrator)
    assert again.value.code == "already_revoked"


def test_a_manager_names_a_delegate_through_the_form(client_for, general_manager, worker):
    response = client_for(general_manager).post(
        reverse("accounts:delegation_create"),
        {
            "delegate": worker.pk,
            "role": Role.GENERAL_MANAGER,
            "starts_on": today().isoformat(),
            "ends_on": (today() + timedelta(days=3)).isoformat(),
            "reason": "Trip",
        },
    )

    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.delegate, delegation.created_by) == (
        general_manager,
        worker,
        general_manager,
    )


def test_the_delegation_form_offers_only_the_roles_the_manager_holds(
    client_for, aftersales_manager, worker
):
    response = client_for(aftersales_manager).post(
        reverse("accounts:delegation_create"),
        {
            "delegate": worker.pk,
            "role": Role.GENERAL_MANAGER,
            "starts_on": today().isoformat(),
            "ends_on": today().isoformat(),
            "reason": "x",
        },
    )

    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    offered = {c for c, _label in response.context["form"].fields["role"].choices if c}
    assert offered == {Role.AFTERSALES_MANAGER, Role.DEPARTMENT_MANAGER}
    assert Delegation.objects.count() == 0


@pytest.mark.parametrize(
    "role",
    [
        "cs_manager",
        "aftersales_manager",
        "department_manager",
        "general_manager",
    ],
)
def test_every_holder_of_a_delegable_role_may_open_the_delegation_form(
    client_for, make_staff, role
):
    manager = make_staff(f"m_{role}", role)

    assert client_for(manager).get(reverse("accounts:delegation_create")).status_code == 200


def test_workers_cannot_open_the_delegation_form(client_for, worker):
    assert client_for(worker).get(reverse("accounts:delegation_create")).status_code == 403


# --- role changes are logged ------------------------------------------------------------


def test_every_role_grant_and_revoke_is_logged_with_who_and_when(administrator, worker):
    before = timezone.now()

    services.roles_set(
        user=worker,
        roles=[Role.QUALITY_SPECIALIST, Role.INSPECTION_GROUP_MEMBER],
        by=administrator,
        note="Promoted",
    )

    changes = {(c.role, c.action) for c in RoleChange.objects.filter(user=worker, by=administrator)}
    assert changes == {
        (Role.SERVICE_WORKER, RoleChange.Action.REVOKED),
        (Role.QUALITY_SPECIALIST, RoleChange.Action.GRANTED),
        (Role.INSPECTION_GROUP_MEMBER, RoleChange.Action.GRANTED),
    }
    for change in RoleChange.objects.filter(user=worker, by=administrator):
        assert change.at >= before and change.note == "Promoted"
    assert sorted(g.name for g in fresh(worker).groups.all()) == [
        Role.INSPECTION_GROUP_MEMBER,
        Role.QUALITY_SPECIALIST,
    ]


def test_setting_the_same_roles_again_logs_nothing(administrator, worker):
    logged = RoleChange.objects.count()

    services.roles_set(user=worker, roles=[Role.SERVICE_WORKER], by=administrator)

    assert RoleChange.objects.count() == logged


def test_an_unknown_role_is_refused_and_nothing_changes(administrator, worker):
    logged = RoleChange.objects.count()

    with pytest.raises(DomainError) as exc:
        services.roles_set(user=worker, roles=[Role.SERVICE_WORKER, "emperor"], by=administrator)

    assert exc.value.code == "unknown_role"
    assert RoleChange.objects.count() == logged


def test_an_administrator_cannot_remove_their_own_administrator_role(administrator):
    with pytest.raises(DomainError) as exc:
        services.roles_set(user=administrator, roles=[Role.SERVICE_WORKER], by=administrator)

    assert exc.value.code == "self_lockout"
    assert fresh(administrator).has_perm("accounts.manage_staff")


def test_an_administrator_may_remove_another_administrators_role(administrator, make_staff):
    other = make_staff("admin2", Role.ADMINISTRATOR)

    services.roles_set(user=other, roles=[], by=administrator)

    assert not fresh(other).has_perm("accounts.manage_staff")


def test_role_changes_through_the_page_show_in_the_staff_record(client_for, administrator, worker):
    client = client_for(administrator)

    response = client.post(
        reverse("accounts:staff_roles", args=[worker.pk]),
        {"roles": [Role.CS_MANAGER], "note": "Cover"},
    )

    assert response.status_code == 302
    page = client.get(reverse("accounts:staff_detail", args=[worker.pk])).content.decode()
    assert "admin" in page and "Cover" in page
    assert RoleChange.objects.filter(
        user=worker, by=administrator, role=Role.CS_MANAGER, action="granted"
    ).exists()


def test_an_administrator_removing_their_own_role_in_the_page_is_told_why_and_keeps_it(
    client_for, administrator
):
    response = client_for(administrator).post(
        reverse("accounts:staff_roles", args=[administrator.pk]),
        {"roles": [], "note": ""},
        follow=True,
    )

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert fresh(administrator).has_perm("accounts.manage_staff")


def test_the_role_change_log_is_append_only(administrator, worker):
    services.roles_set(user=worker, roles=[Role.CS_MANAGER], by=administrator)
    entry = RoleChange.objects.filter(user=worker).first()

    entry.note = "rewritten"
    with pytest.raises(DomainError):
        entry.save()
    with pytest.raises(DomainError):
        entry.delete()
    with pytest.raises(DomainError):
        RoleChange.objects.filter(user=worker).delete()

    assert RoleChange.objects.get(pk=entry.pk).note == ""
    assert (
        RoleChange.objects.filter(user=worker).count() == 3
    )  # worker at creation, then revoked, cs_manager granted


def test_delegations_and_staff_profiles_are_kept_not_deleted(general_manager, worker):
    delegation = delegate_gm(general_manager, worker, starts=today(), ends=today())

    with pytest.raises(DomainError):
        delegation.delete()
    with pytest.raises(DomainError):
        worker.profile.delete()

    assert Delegation.objects.filter(pk=delegation.pk).exists()
