"""The customers app's seeding steps (see core/seeding/registry.py); they
run after the staff's, whose people they are created by.

``seed --demo``: thirty customers in both languages, people and
organisations, reachable by email, phone or post only; made through the
services, and left alone when a contact (or the postal address) is known.

``seed --scale N``: N customers with 1-2 contacts each by ``insert_rows``
(see core/seeding/bulk.py for why), 5,000 a transaction, with the history
rows a service would have written. The scale counts customers.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from aftersales.accounts.seeding import EMPLOYEE_PREFIX
from aftersales.core.roles import Role
from aftersales.core.seeding import text
from aftersales.core.seeding.bulk import IdBlock, insert_rows
from aftersales.core.seeding.registry import (
    YEARS_OF_HISTORY,
    DemoPart,
    anchor_day,
    aware,
    demo_step,
    scale_counter,
    seed_step,
)
from aftersales.customers.models import ContactPoint, Customer
from aftersales.customers.services import customer_create, customer_find

User = get_user_model()

BATCH = 5000
# The demo colleague who takes the demo customers' details.
DEMO_CREATOR = "wang.fang"


@scale_counter
def count_customers(alias: str) -> int:
    return Customer.objects.using(alias).count()


# --- seed --demo ---------------------------------------------------------------


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


@demo_step("customers", order=20)
def seed_demo_customers() -> DemoPart:
    creator = User.objects.get(username=DEMO_CREATOR)
    created = 0
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
        created += 1
    return DemoPart(created=created)


def _postal_known(address: str) -> bool:
    return ContactPoint.objects.filter(kind=ContactPoint.Kind.POSTAL, value=address).exists()


# --- seed --scale N ------------------------------------------------------------


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
    end = aware(anchor_day())
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
