"""The accounts app's seeding steps: departments and staff (see
core/seeding/registry.py). They run first: every later step needs staff.

``seed --demo``: five departments and fourteen named staff, one or more for
every role, made through the services; re-running leaves existing ones (by
code or user name) as they are.

``seed --scale N``: one staff member per 2,000 customers (at least 12), one
more department per 60 staff (at most 8 more), by bulk_create with the
history rows a service would have written.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from aftersales.accounts.models import Department, RoleChange, StaffProfile
from aftersales.accounts.services import department_save, staff_create
from aftersales.core.roles import Role
from aftersales.core.seeding import text
from aftersales.core.seeding.bulk import bulk_create_with_history, explicit_timestamps
from aftersales.core.seeding.registry import DemoPart, anchor_day, aware, demo_step, seed_step

User = get_user_model()

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo logins on purpose
# Seeded staff sign in with this password too; one hash serves them all
# (hashing hundreds of passwords would take minutes).
SEEDED_STAFF_PASSWORD = DEMO_PASSWORD
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

DEMO_DEPARTMENTS = [
    *BASE_DEPARTMENTS,
    ("management", "总经理办公室", "General manager's office", False),
]


# --- seed --demo ---------------------------------------------------------------


@dataclass
class DemoStaff:
    username: str
    name: str
    dept: str
    position: str
    roles: list = field(default_factory=list)
    years: float = 3.0  # since hire
    new: bool = False  # I11(2): no proficient date yet, inspected weekly
    language: str = "zh-hans"
    manages: bool = False


STAFF = [
    DemoStaff(
        "liu.jianguo",
        "刘建国",
        "management",
        "总经理",
        [Role.GENERAL_MANAGER, Role.COMMITTEE_MEMBER],
        12,
        manages=True,
    ),
    DemoStaff(
        "chen.jing",
        "陈静",
        "aftersales",
        "售后服务部经理",
        [
            Role.AFTERSALES_MANAGER,
            Role.DEPARTMENT_MANAGER,
            Role.COMMITTEE_MEMBER,
            Role.INSPECTION_GROUP_MEMBER,
        ],
        8,
        manages=True,
    ),
    DemoStaff(
        "wang.fang",
        "王芳",
        "aftersales",
        "客户服务经理",
        [Role.CS_MANAGER, Role.INSPECTION_GROUP_MEMBER],
        6,
    ),
    DemoStaff(
        "li.na",
        "李娜",
        "aftersales",
        "售后服务专员",
        [Role.AFTERSALES_SPECIALIST, Role.INSPECTION_GROUP_MEMBER],
        4,
    ),
    DemoStaff(
        "zhang.min",
        "张敏",
        "aftersales",
        "服务质量管理专员",
        [Role.QUALITY_SPECIALIST, Role.INSPECTION_GROUP_MEMBER],
        5,
    ),
    DemoStaff("sun.hao", "孙浩", "aftersales", "售后服务人员", [Role.SERVICE_WORKER], 3),
    DemoStaff("zhu.ting", "朱婷", "aftersales", "售后服务人员", [Role.SERVICE_WORKER], 2),
    DemoStaff("ma.lei", "马磊", "aftersales", "售后服务人员", [Role.SERVICE_WORKER], 0.2, new=True),
    DemoStaff(
        "emily.carter",
        "Emily Carter",
        "aftersales",
        "Service worker",
        [Role.SERVICE_WORKER],
        0.1,
        new=True,
        language="en",
    ),
    DemoStaff(
        "zhou.qiang",
        "周强",
        "quality",
        "质量管理部经理",
        [Role.DEPARTMENT_MANAGER, Role.COMMITTEE_MEMBER],
        9,
        manages=True,
    ),
    DemoStaff(
        "wu.lei",
        "吴磊",
        "engineering",
        "技术部经理",
        [Role.DEPARTMENT_MANAGER, Role.COMMITTEE_MEMBER],
        7,
        manages=True,
    ),
    DemoStaff("gao.feng", "高峰", "engineering", "工程师", [], 4),
    DemoStaff(
        "xu.yan",
        "Xu Yan (徐燕)",
        "sales",
        "Sales manager",
        [Role.DEPARTMENT_MANAGER, Role.COMMITTEE_MEMBER],
        6,
        language="en",
        manages=True,
    ),
    DemoStaff("admin", "系统管理员", "management", "系统管理员", [Role.ADMINISTRATOR], 5),
]


@demo_step("staff", order=10, exists=lambda: StaffProfile.objects.exists())
def seed_demo_staff() -> DemoPart:
    validate_password(DEMO_PASSWORD)
    today = timezone.localdate()
    departments = _demo_departments()
    created = 0
    logins = []
    by = None
    for person in STAFF:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            hired = today - timedelta(days=round(person.years * 365))
            user = staff_create(
                by=by,
                username=person.username,
                password=DEMO_PASSWORD,
                employee_no=f"D{len(logins) + 1:03d}",
                display_name=person.name,
                department=departments[person.dept],
                hire_date=hired,
                email=f"{person.username}@corp.example",
                position=person.position,
                proficient_since=None if person.new else _proficient(hired, today),
                language=person.language,
                roles=[str(r) for r in person.roles],
            )
            created += 1
        if person.roles and Role.ADMINISTRATOR in person.roles:
            by = by or user
        dept = departments[person.dept]
        if person.manages and dept.manager_id is None:
            department_save(by=by, department=dept, manager=user)
        logins.append(
            (person.username, person.name, [Role(r).label for r in person.roles], DEMO_PASSWORD)
        )
    return DemoPart(created=created, logins=logins)


def _demo_departments() -> dict[str, Department]:
    existing = {d.code: d for d in Department.objects.all()}
    has_aftersales = any(d.is_aftersales for d in existing.values())
    out = {}
    for code, name, name_en, is_aftersales in DEMO_DEPARTMENTS:
        out[code] = existing.get(code) or department_save(
            by=None,
            code=code,
            name=name,
            name_en=name_en,
            is_aftersales=is_aftersales and not has_aftersales,
        )
    return out


def _proficient(hired: date, today: date) -> date:
    # Proficient a few months after hire, never in the future.
    return min(today, hired + timedelta(days=120))


# --- seed --scale N ------------------------------------------------------------


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
        joined = aware(hired)
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
