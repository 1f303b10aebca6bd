"""A small, realistic after-sales department in both languages, made through
the services so every row is one the application itself could have written.

Re-running is safe: departments, staff and customers that already exist (by
code, user name, email or phone) are left as they are.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from aftersales.accounts.models import Department
from aftersales.accounts.services import department_save, staff_create
from aftersales.core.roles import Role
from aftersales.customers.services import customer_create, customer_find

User = get_user_model()

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo logins on purpose

DEPARTMENTS = [
    # code, Chinese, English, after-sales?
    ("aftersales", "售后服务部", "After-sales service", True),
    ("quality", "质量管理部", "Quality management", False),
    ("engineering", "技术部", "Engineering", False),
    ("sales", "销售部", "Sales", False),
    ("management", "总经理办公室", "General manager's office", False),
]


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

# (kind, name, organisation, email, phone, postal address, language, notes).
# Phones use the 139 prefix and area code 0571, which scale seeding never uses.
CUSTOMERS = [
    (
        "person",
        "赵丽华",
        "",
        "zhao.lihua@example.com",
        "139 1000 2001",
        "",
        "zh-hans",
        "空调噪音问题的老客户。",
    ),
    ("person", "钱伟", "", "qianwei@163.example", "13910002002", "", "zh-hans", ""),
    ("person", "孙秀英", "", "", "+86 139 1000 2003", "", "zh-hans", "只接电话，不用电子邮件。"),
    (
        "person",
        "李建军",
        "",
        "",
        "",
        "浙江省杭州市西湖区文三路 90 号 2 栋 301 室",
        "zh-hans",
        "只留了通信地址，书面回复。",
    ),
    ("person", "周婷", "", "zhou.ting@qq.example", "", "", "zh-hans", ""),
    (
        "person",
        "吴晓明",
        "",
        "wuxiaoming@example.net",
        "139-1000-2006",
        "上海市徐汇区漕溪北路 18 号 1201 室",
        "zh-hans",
        "",
    ),
    ("person", "郑浩", "", "", "0571-8765 4301", "", "zh-hans", "座机号码。"),
    ("person", "王梓涵", "", "wangzihan@example.org", "13910002008", "", "zh-hans", ""),
    ("person", "冯喆", "", "feng.zhe@example.com", "", "", "zh-hans", "名字含生僻字“喆”。"),
    ("person", "陈堃", "", "", "13910002010", "", "zh-hans", ""),
    ("person", "褚镕", "", "churong@mail.example", "", "", "zh-hans", ""),
    ("person", "欧阳晨", "", "ouyang.chen@example.com", "13910002012", "", "zh-hans", "复姓。"),
    ("person", "卫佳怡", "", "", "", "北京市海淀区学院路 30 号 5 号楼 602", "zh-hans", ""),
    (
        "person",
        "蒋思远",
        "华信科技有限公司",
        "jiang.siyuan@example.com",
        "13910002014",
        "",
        "zh-hans",
        "",
    ),
    ("person", "沈雨萱", "", "shenyuxuan@163.example", "", "", "zh-hans", ""),
    ("person", "韩磊", "", "", "+86 139 1000 2016", "", "zh-hans", ""),
    (
        "person",
        "杨光",
        "",
        "yang.guang@example.net",
        "13910002017",
        "",
        "zh-hans",
        "建议增加周末上门服务。",
    ),
    (
        "person",
        "John Smith",
        "",
        "john.smith@example.com",
        "",
        "",
        "en",
        "Prefers email in English.",
    ),
    (
        "person",
        "Anna Müller",
        "Lakeside Hotels GmbH",
        "anna.mueller@example.org",
        "+86 139 1000 2019",
        "",
        "en",
        "",
    ),
    (
        "person",
        "Kenji Tanaka",
        "",
        "",
        "",
        "Room 1202, Building 3, 188 Zhangjiang Road, Pudong, Shanghai 201203",
        "en",
        "Postal only.",
    ),
    ("person", "Sarah O'Brien", "", "sarah.obrien@example.net", "", "", "en", ""),
    ("person", "José García", "", "jose.garcia@example.com", "13910002022", "", "en", ""),
    ("person", "Min-jun Park", "", "", "13910002023", "", "en", "Phone only; speaks some Chinese."),
    (
        "organisation",
        "上海金桥物业管理有限公司",
        "",
        "service@jinqiao-property.example",
        "0571-8765 4324",
        "",
        "zh-hans",
        "小区物业，批量报修。",
    ),
    (
        "organisation",
        "杭州宏远酒店管理有限公司",
        "",
        "",
        "(0571) 87654325",
        "浙江省杭州市上城区解放路 66 号",
        "zh-hans",
        "",
    ),
    (
        "organisation",
        "深圳天成电器连锁有限公司",
        "",
        "kefu@tiancheng-retail.example",
        "",
        "",
        "zh-hans",
        "",
    ),
    (
        "organisation",
        "成都海润餐饮管理有限公司",
        "",
        "",
        "",
        "四川省成都市武侯区天府大道 1000 号",
        "zh-hans",
        "只收纸质信函。",
    ),
    (
        "organisation",
        "Northwind Trading Co., Ltd.",
        "",
        "aftersales@northwind.example",
        "+86 571 8765 4328",
        "",
        "en",
        "",
    ),
    ("organisation", "Contoso Facilities Ltd.", "", "facilities@contoso.example", "", "", "en", ""),
    (
        "organisation",
        "Blue Harbor Hotels (Shanghai) Co., Ltd.",
        "",
        "",
        "0571-8765 4330",
        "",
        "en",
        "Call the front desk.",
    ),
]


@dataclass
class DemoResult:
    logins: list  # (username, name, roles, password)
    created_staff: int
    created_customers: int
    created_proposals: int = 0


@transaction.atomic
def seed_demo() -> DemoResult:
    validate_password(DEMO_PASSWORD)
    today = timezone.localdate()
    departments = _departments()
    created_staff = 0
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
            created_staff += 1
        if person.roles and Role.ADMINISTRATOR in person.roles:
            by = by or user
        dept = departments[person.dept]
        if person.manages and dept.manager_id is None:
            department_save(by=by, department=dept, manager=user)
        logins.append(
            (person.username, person.name, [Role(r).label for r in person.roles], DEMO_PASSWORD)
        )
    creator = User.objects.get(username="wang.fang")
    created_customers = 0
    for kind, name, org, email, phone, postal, lang, notes in CUSTOMERS:
        if (email or phone) and customer_find(email=email, phone=phone):
            continue
        if not (email or phone) and _postal_known(postal):
            continue
        customer_create(
            by=creator,
            kind=kind,
            name=name,
            organisation=org,
            email=email,
            phone=phone,
            postal_address=postal,
            preferred_language=lang,
            notes=notes,
        )
        created_customers += 1
    from aftersales.proposals.demo import seed_demo_proposals

    return DemoResult(
        logins=logins,
        created_staff=created_staff,
        created_customers=created_customers,
        created_proposals=seed_demo_proposals(),
    )


def _departments() -> dict[str, Department]:
    existing = {d.code: d for d in Department.objects.all()}
    has_aftersales = any(d.is_aftersales for d in existing.values())
    out = {}
    for code, name, name_en, is_aftersales in DEPARTMENTS:
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


def _postal_known(address: str) -> bool:
    from aftersales.customers.models import ContactPoint

    return ContactPoint.objects.filter(kind=ContactPoint.Kind.POSTAL, value=address).exists()
