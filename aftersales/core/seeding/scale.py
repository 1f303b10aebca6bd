"""Core's large-data steps: departments and staff, then customers.

Sizes follow the number of customers: one staff member per 2,000 customers
(at least 12), one more department per 60 staff (at most 8 more). Staff go in
by bulk_create; customers and their contacts by ``insert_rows`` (see bulk.py
for why), 5,000 customers a transaction. Both with the history rows a service
would have written.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from aftersales.accounts.models import Department, RoleChange, StaffProfile
from aftersales.core.roles import Role
from aftersales.core.seeding import text
from aftersales.core.seeding.bulk import (
    IdBlock,
    bulk_create_with_history,
    explicit_timestamps,
    insert_rows,
)
from aftersales.core.seeding.registry import anchor_day, seed_step
from aftersales.customers.models import ContactPoint, Customer

User = get_user_model()

BATCH = 5000
YEARS_OF_HISTORY = 3
# Seeded staff sign in with this password too; one hash serves them all
# (hashing hundreds of passwords would take minutes).
SEEDED_STAFF_PASSWORD = "demo-pass-2026"  # noqa: S105 - the documented demo password
EMPLOYEE_PREFIX = "S"

BASE_DEPARTMENTS = [
    # code, Chinese, English, after-sales?
    ("aftersales", "售后服务部", "After-sales service", True),
    ("quality", "质量管理部", "Quality management", False),
    ("engineering", "技术部", "Engineering", False),
    ("sales", "销售部", "Sales", False),
]
MORE_DEPARTMENTS = [
    ("finance", "财务部", "Finance"),
    ("hr", "人力资源部", "Human resources"),
    ("purchasing", "采购部", "Purchasing"),
    ("production", "生产部", "Production"),
    ("logistics", "物流部", "Logistics"),
    ("marketing", "市场部", "Marketing"),
    ("legal", "法务部", "Legal"),
    ("it", "信息技术部", "Information technology"),
]
POSITIONS = {
    Role.SERVICE_WORKER: "售后服务人员",
    Role.AFTERSALES_SPECIALIST: "售后服务专员",
    Role.QUALITY_SPECIALIST: "服务质量管理专员",
    Role.CS_MANAGER: "客户服务经理",
    Role.AFTERSALES_MANAGER: "售后服务部经理",
    Role.DEPARTMENT_MANAGER: "部门经理",
    Role.GENERAL_MANAGER: "总经理",
    Role.ADMINISTRATOR: "系统管理员",
}


def _aware(day, seconds: float = 0.0):
    return timezone.make_aware(datetime.combine(day, time(8, 0))) + timedelta(seconds=seconds)


@seed_step("staff", order=10, version=2)
def seed_staff(scale, rng, progress):
    n_staff = max(12, scale // 2000)
    today = anchor_day()
    departments = _departments(n_staff)
    aftersales = next(d for d in departments if d.is_aftersales)
    others = [d for d in departments if not d.is_aftersales]
    offset = StaffProfile.objects.filter(employee_no__startswith=EMPLOYEE_PREFIX).count()
    has_gm = User.objects.filter(groups__name=Role.GENERAL_MANAGER).exists()

    # Who is who: after-sales gets 80%; each department has one manager.
    plan = []  # (department, roles)
    plan.append(
        (
            aftersales,
            [
                Role.AFTERSALES_MANAGER,
                Role.DEPARTMENT_MANAGER,
                Role.COMMITTEE_MEMBER,
                Role.INSPECTION_GROUP_MEMBER,
            ],
        )
    )
    for dept in others:
        plan.append((dept, [Role.DEPARTMENT_MANAGER, Role.COMMITTEE_MEMBER]))
    if not has_gm:
        plan.append((others[0], [Role.GENERAL_MANAGER, Role.COMMITTEE_MEMBER]))
    plan.append((others[-1], [Role.ADMINISTRATOR]))
    # Every after-sales role at least once, whatever the scale.
    plan.append((aftersales, [Role.CS_MANAGER, Role.INSPECTION_GROUP_MEMBER]))
    plan.append((aftersales, [Role.QUALITY_SPECIALIST, Role.INSPECTION_GROUP_MEMBER]))
    plan.append((aftersales, [Role.AFTERSALES_SPECIALIST, Role.INSPECTION_GROUP_MEMBER]))
    while len(plan) < n_staff:
        if rng.random() < 0.8:
            roll = rng.random()
            if roll < 0.03:
                roles = [Role.CS_MANAGER, Role.INSPECTION_GROUP_MEMBER]
            elif roll < 0.08:
                roles = [Role.QUALITY_SPECIALIST, Role.INSPECTION_GROUP_MEMBER]
            elif roll < 0.16:
                roles = [Role.AFTERSALES_SPECIALIST] + (
                    [Role.INSPECTION_GROUP_MEMBER] if rng.random() < 0.3 else []
                )
            else:
                roles = [Role.SERVICE_WORKER]
            plan.append((aftersales, roles))
        else:
            plan.append((rng.choice(others), []))

    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    password = make_password(SEEDED_STAFF_PASSWORD)
    users, profiles, memberships, changes, managers = [], [], [], [], {}
    bar = progress(len(plan), "staff")
    for i, (dept, roles) in enumerate(plan):
        index = offset + i + 1
        english = rng.random() < 0.08
        name, stem = text.person_en(rng) if english else text.person_zh(rng)
        hired = today - timedelta(days=rng.randint(20, 365 * 12))
        # I11(2): about one service worker in three is still new (no proficient date).
        new = Role.SERVICE_WORKER in roles and rng.random() < 0.3
        if new:
            hired = today - timedelta(days=rng.randint(7, 150))
        proficient = None if new else min(today, hired + timedelta(days=rng.randint(60, 240)))
        joined = _aware(hired)
        user = User(
            username=f"{stem}{index}",
            email=f"{stem}{index}@corp.example",
            password=password,
            is_active=True,
            date_joined=joined,
        )
        users.append(user)
        profile = StaffProfile(
            user=user,
            employee_no=f"{EMPLOYEE_PREFIX}{index:06d}",
            display_name=name,
            department=dept,
            position=_position(dept, roles),
            hire_date=hired,
            proficient_since=proficient,
            language="en" if english else "zh-hans",
            phone="",
            created_at=joined,
            updated_at=joined,
        )
        profile._history_date = joined
        profiles.append(profile)
        for role in roles:
            memberships.append((user, groups[role]))
            changes.append(
                RoleChange(
                    user=user,
                    role=role,
                    action=RoleChange.Action.GRANTED,
                    by=None,
                    at=joined,
                    note="seed",
                )
            )
        if Role.DEPARTMENT_MANAGER in roles or Role.GENERAL_MANAGER in roles:
            managers.setdefault(dept.pk, user)

    with transaction.atomic(), explicit_timestamps(StaffProfile):
        User.objects.bulk_create(users, batch_size=500)
        for profile in profiles:
            profile.user_id = profile.user.pk
        bulk_create_with_history(StaffProfile, profiles)
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=u.pk, group_id=g.pk) for u, g in memberships], batch_size=500
        )
        for change in changes:
            change.user_id = change.user.pk
        RoleChange.objects.bulk_create(changes, batch_size=500)
        for dept in departments:
            if dept.manager_id is None and dept.pk in managers:
                dept.manager = managers[dept.pk]
                dept.save(update_fields=["manager"])
    bar.update(len(plan))
    bar.close()
    return {"departments": len(departments), "staff": len(plan), "role grants": len(changes)}


def _position(dept: Department, roles: list) -> str:
    if roles and roles[0] == Role.DEPARTMENT_MANAGER:
        return f"{dept.name}经理"
    return next((POSITIONS[r] for r in roles if r in POSITIONS), "职员")


def _departments(n_staff: int) -> list[Department]:
    """The four departments the regulation needs plus more for a larger company;
    existing ones (by code) are reused, so demo and scale data share them."""
    from aftersales.accounts.services import department_save

    wanted = [
        *BASE_DEPARTMENTS,
        *[(c, n, e, False) for c, n, e in MORE_DEPARTMENTS[: min(8, n_staff // 60)]],
    ]
    existing = {d.code: d for d in Department.objects.filter(code__in=[w[0] for w in wanted])}
    has_aftersales = Department.objects.filter(is_aftersales=True).exists()
    out = []
    for code, name, name_en, is_aftersales in wanted:
        dept = existing.get(code)
        if dept is None:
            dept = department_save(
                by=None,
                code=code,
                name=name,
                name_en=name_en,
                is_aftersales=is_aftersales and not has_aftersales,
            )
        out.append(dept)
    if not any(d.is_aftersales for d in out):
        out[0] = Department.objects.get(is_aftersales=True)
    return out


@seed_step("customers", order=20, version=2)
def seed_customers(scale, rng, progress):
    """``scale`` customers with 1-2 contacts each, ids growing with time over
    the last three years; contacts unique by construction (see text.py)."""
    creators = list(
        User.objects.filter(
            groups__name__in=[Role.SERVICE_WORKER, Role.AFTERSALES_SPECIALIST, Role.CS_MANAGER],
            profile__employee_no__startswith=EMPLOYEE_PREFIX,
        )
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    ) or [None]
    customer_ids, contact_ids = IdBlock(Customer), IdBlock(ContactPoint)
    offset = customer_ids.next - 1
    end = _aware(anchor_day())
    span = timedelta(days=365 * YEARS_OF_HISTORY).total_seconds()
    start = end - timedelta(seconds=span)
    contacts_made = 0
    bar = progress(scale, "customers")
    for first in range(0, scale, BATCH):
        size = min(scale, first + BATCH) - first
        customers, contacts = [], []
        for i, pk in zip(range(first, first + size), customer_ids.take(size), strict=True):
            created = start + timedelta(seconds=span * (i + rng.random()) / scale)
            # One random() whatever the number of staff, so customers stay the
            # same when the staff step changes.
            creator = creators[int(rng.random() * len(creators))]
            customer, points = _customer(rng, offset + i + 1, created, creator)
            customer["id"] = pk
            customers.append(customer)
            for (kind, value, normalized), contact_pk in zip(
                points, contact_ids.take(len(points)), strict=True
            ):
                contacts.append(
                    {
                        "id": contact_pk,
                        "customer_id": pk,
                        "kind": kind,
                        "value": value,
                        "normalized": normalized,
                        "created_at": created,
                        "updated_at": created,
                        "version": 1,
                        "history_date": created,
                        "history_user_id": customer["created_by_id"],
                    }
                )
        with transaction.atomic():
            insert_rows(Customer, customers)
            insert_rows(ContactPoint, contacts)
        contacts_made += len(contacts)
        bar.update(size)
    bar.close()
    customer_ids.close()
    contact_ids.close()
    return {"customers": scale, "contacts": contacts_made}


def _customer(rng, index: int, created, creator_id):
    roll = rng.random()
    organisation = ""
    if roll < 0.78:  # a person writing in Chinese
        kind, lang = Customer.Kind.PERSON.value, "zh-hans"
        name, stem = text.person_zh(rng)
        pattern = rng.choices(("em", "m", "e", "p", "mp"), cum_weights=(45, 75, 90, 95, 100))[0]
        if rng.random() < 0.12:
            organisation = text.company_zh(rng)[0]
    elif roll < 0.88:  # a person writing in English
        kind, lang = Customer.Kind.PERSON.value, "en"
        name, stem = text.person_en(rng)
        pattern = rng.choices(("e", "em", "p", "ep"), cum_weights=(40, 80, 90, 100))[0]
        if rng.random() < 0.2:
            organisation = text.company_en(rng)[0]
    else:  # an organisation: a hotel chain, a property manager, a retailer
        kind = Customer.Kind.ORGANISATION.value
        lang = "zh-hans" if roll < 0.97 else "en"
        name, brand = text.company_zh(rng) if lang == "zh-hans" else text.company_en(rng)
        stem = f"service.{brand}"
        pattern = rng.choices(("el", "l", "e", "p", "ep"), cum_weights=(40, 60, 80, 90, 100))[0]
    contacts = []
    if "e" in pattern:
        email = text.email(stem, index, rng)
        contacts.append((ContactPoint.Kind.EMAIL.value, email, email.lower()))
    if "m" in pattern:
        contacts.append((ContactPoint.Kind.PHONE.value, *text.mobile(index, rng)))
    if "l" in pattern:
        contacts.append((ContactPoint.Kind.PHONE.value, *text.landline(index, rng)))
    if "p" in pattern:
        postal = text.address_en(rng) if lang == "en" else text.address_zh(rng)
        contacts.append((ContactPoint.Kind.POSTAL.value, postal, ""))
    customer = {
        "kind": kind,
        "name": name,
        "organisation": organisation,
        "preferred_language": lang,
        "notes": text.note(rng, lang) if rng.random() < 0.25 else "",
        "created_by_id": creator_id,
        "created_at": created,
        "updated_at": created,
        "version": 1,
        "history_date": created,
        "history_user_id": creator_id,
    }
    return customer, contacts
