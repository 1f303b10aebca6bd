"""The administrator manages staff in the product (I8, I10, I11)."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from aftersales.accounts import services
from aftersales.accounts.models import RoleChange, StaffProfile
from aftersales.core.errors import DomainError
from aftersales.core.roles import Role

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Tr1cky-enough-passw0rd"


def staff_form(department, **overrides):
    return {
        "username": "new.worker",
        "email": "New.Worker@Example.com",
        "employee_no": "E9001",
        "display_name": "钱九",
        "department": department.pk,
        "position": "service worker",
        "hire_date": "2025-03-01",
        "proficient_since": "",
        "language": "zh-hans",
        "phone": "",
        "roles": [Role.SERVICE_WORKER],
        "password": PASSWORD,
    } | overrides


def rows():
    return User.objects.count(), StaffProfile.objects.count(), RoleChange.objects.count()


def test_the_administrator_adds_a_staff_member_through_the_form(
    client_for, administrator, department
):
    response = client_for(administrator).post(
        reverse("accounts:staff_create"), staff_form(department)
    )

    person = User.objects.get(username="new.worker")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:staff_detail", args=[person.pk])
    assert person.email == "new.worker@example.com"
    assert person.check_password(PASSWORD)
    assert (person.profile.employee_no, person.profile.display_name) == ("E9001", "钱九")
    assert [g.name for g in person.groups.all()] == [Role.SERVICE_WORKER]
    assert RoleChange.objects.get(user=person).by == administrator


def test_the_staff_form_shows_each_invalid_field_and_creates_nothing(
    client_for, administrator, department
):
    before = rows()

    response = client_for(administrator).post(
        reverse("accounts:staff_create"),
        staff_form(
            department, username="bad name!", hire_date="yesterday", password="123", display_name=""
        ),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"username", "hire_date", "password", "display_name"} <= set(errors)
    assert 'class="error"' in response.content.decode()
    assert rows() == before


@pytest.mark.parametrize("field", ["username", "employee_no"])
def test_a_duplicate_user_name_or_employee_number_is_refused_without_partial_rows(
    client_for, administrator, department, worker, field
):
    # The user name is compared without case.
    clash = (
        {"username": "WORKER"}
        if field == "username"
        else {"employee_no": worker.profile.employee_no}
    )
    before = rows()

    response = client_for(administrator).post(
        reverse("accounts:staff_create"), staff_form(department, **clash)
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert rows() == before


def test_an_unknown_role_after_the_user_row_is_written_rolls_the_whole_creation_back(
    administrator, department
):
    before = rows()

    with pytest.raises(DomainError):
        services.staff_create(
            by=administrator,
            username="half",
            password=PASSWORD,
            employee_no="E7",
            display_name="Half",
            department=department,
            hire_date=date(2025, 1, 1),
            roles=["emperor"],
        )

    assert rows() == before


def test_proficiency_cannot_come_before_the_hire_date(client_for, administrator, department):
    response = client_for(administrator).post(
        reverse("accounts:staff_create"),
        staff_form(department, hire_date="2025-03-01", proficient_since="2025-02-01"),
    )

    assert "proficient_since" in response.context["form"].errors
    assert not User.objects.filter(username="new.worker").exists()


def test_the_administrator_edits_a_profile_and_a_stale_form_is_refused(
    client_for, administrator, worker, department
):
    client = client_for(administrator)
    url = reverse("accounts:staff_edit", args=[worker.pk])
    seen = worker.profile.version
    data = {
        "email": "w@example.com",
        "display_name": "Worker Renamed",
        "department": department.pk,
        "position": "senior",
        "hire_date": "2024-01-01",
        "proficient_since": "2024-06-01",
        "language": "en",
        "phone": "",
        "seen_version": seen,
    }

    assert client.post(url, data).status_code == 302
    stale = client.post(url, data | {"display_name": "Second Writer"})

    assert stale.status_code == 200
    assert stale.context["form"].non_field_errors()
    profile = StaffProfile.objects.get(user=worker)
    assert (profile.display_name, profile.proficient_since, profile.language) == (
        "Worker Renamed",
        date(2024, 6, 1),
        "en",
    )


def test_only_the_administrator_manages_staff(
    client_for, worker, cs_manager, general_manager, outsider, department
):
    for person in (worker, cs_manager, general_manager, outsider):
        client = client_for(person)
        assert client.get(reverse("accounts:staff_list")).status_code == 403
        assert client.get(reverse("accounts:staff_detail", args=[worker.pk])).status_code == 403
        assert (
            client.post(reverse("accounts:staff_create"), staff_form(department)).status_code == 403
        )
        assert (
            client.post(
                reverse("accounts:staff_roles", args=[person.pk]), {"roles": [Role.ADMINISTRATOR]}
            ).status_code
            == 403
        )
    assert not User.objects.filter(username="new.worker").exists()
    assert not User.objects.filter(groups__name=Role.ADMINISTRATOR).exists()


def test_a_deactivated_user_cannot_sign_in_and_their_open_session_ends(
    client, client_for, administrator, worker
):
    session = client_for(worker)
    assert session.get(reverse("core:my_work")).status_code == 200

    client_for(administrator).post(
        reverse("accounts:staff_active", args=[worker.pk]), {"active": "0"}
    )

    worker.refresh_from_db()
    assert worker.is_active is False
    response = client.post(
        reverse("login"), {"username": "worker", "password": "correct horse battery staple"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session
    assert session.get(reverse("core:my_work")).status_code == 302


def test_an_active_user_signs_in_with_their_password(client, worker):
    response = client.post(
        reverse("login"), {"username": "worker", "password": "correct horse battery staple"}
    )

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == worker.pk


def test_an_administrator_cannot_deactivate_themselves(client_for, administrator):
    with translation.override("en"):
        response = client_for(administrator).post(
            reverse("accounts:staff_active", args=[administrator.pk]), {"active": "0"}, follow=True
        )

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    administrator.refresh_from_db()
    assert administrator.is_active


def test_the_staff_list_finds_people_by_name_number_or_role(
    client_for, administrator, worker, cs_manager
):
    client = client_for(administrator)

    by_name = client.get(reverse("accounts:staff_list"), {"q": "Csman"}).context["people"]
    by_role = client.get(reverse("accounts:staff_list"), {"role": Role.SERVICE_WORKER}).context[
        "people"
    ]

    assert [p.pk for p in by_name] == [cs_manager.pk]
    assert [p.pk for p in by_role] == [worker.pk]


def test_the_administrator_adds_a_department_and_a_clashing_code_is_shown(
    client_for, administrator, department
):
    from aftersales.accounts.models import Department

    client = client_for(administrator)
    ok = client.post(
        reverse("accounts:department_create"),
        {"code": "quality", "name": "质量部", "name_en": "Quality", "active": "on"},
    )
    clash = client.post(
        reverse("accounts:department_create"), {"code": "quality", "name": "又一个", "active": "on"}
    )

    assert ok.status_code == 302
    assert clash.status_code == 200
    assert clash.context["form"].errors
    assert Department.objects.filter(code="quality").count() == 1


def test_the_department_list_shows_each_manager_or_a_dash(
    client_for, administrator, department, cs_manager
):
    from aftersales.accounts.models import Department

    Department.objects.create(code="quality", name="质量部", manager=cs_manager)

    response = client_for(administrator).get(reverse("accounts:department_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<td><bdi>{cs_manager.profile.display_name}</bdi></td>" in html
    assert "<td>—</td>" in html


def test_deactivating_an_account_is_recorded_with_who_and_when(client_for, administrator, worker):
    admin = client_for(administrator)
    admin.post(reverse("accounts:staff_active", args=[worker.pk]), {"active": "0"})

    entry = worker.history.order_by("-history_date", "-history_id").first()
    assert entry.is_active is False
    assert entry.history_user == administrator
    assert not hasattr(entry, "password"), "password hashes stay out of the audit trail"
    page = admin.get(reverse("accounts:staff_detail", args=[worker.pk])).content.decode()
    account_trail = page.split('id="account-history"', 1)[1]
    assert administrator.profile.display_name in account_trail
