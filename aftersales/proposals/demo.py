"""Demo proposals at every step of P4-P10, made through the services, so a
newcomer's `make run` shows the whole workflow. Only on a database that has
no proposals yet. A demo step of the seeding registry, registered when
proposals/seeding.py is imported; it runs after the staff and customers it
uses."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from aftersales.accounts.models import Department
from aftersales.core.seeding.registry import DemoPart, demo_step
from aftersales.customers.models import ContactPoint
from aftersales.proposals import services
from aftersales.proposals.models import Category, Channel, CloseReason, Proposal

User = get_user_model()

# (customer email or phone, channel, title, content, how far it goes)
DEMO_PROPOSALS = [
    (
        "zhao.lihua@example.com",
        Channel.WEB,
        "建议空调保修期内提供免费清洗",
        "我家的空调在保修期内，每年夏天都要自费清洗。建议在保修期内每年提供一次免费清洗服务，"
        "既能减少故障，也能提升客户满意度。",
        "received",
    ),
    (
        "john.smith@example.com",
        Channel.EMAIL,
        "Online booking for repair visits",
        "It would help if customers could book a repair visit online and choose a two-hour "
        "window, instead of waiting at home all day. 预约上门维修时段。",
        "accepted",
    ),
    (
        "13910002002",
        Channel.PHONE,
        "退货流程太复杂",
        "客户来电反映：退货需要填写三张表格并等待两周审批，建议简化退货流程，缩短审批时间。",
        "under_study",
    ),
    (
        "wuxiaoming@example.net",
        Channel.WEB,
        "配件价格应在网站公开",
        "维修时更换的配件价格不透明，建议在官网公开常用配件价格表，方便客户比较。",
        "studied",
    ),
    (
        "jiang.siyuan@example.com",
        Channel.LETTER,
        "安装师傅应出示工牌",
        "上门安装的师傅没有出示工牌，客户无法确认身份。建议所有上门人员佩戴并主动出示工牌。",
        "adopted",
    ),
    (
        "anna.mueller@example.org",
        Channel.EMAIL,
        "English manuals for hotel air conditioners",
        "Our hotel staff cannot read the Chinese-only manuals. Please provide English manuals "
        "and an English hotline.",
        "implemented",
    ),
    (
        "yang.guang@example.net",
        Channel.WEB,
        "增加周末上门服务",
        "工作日上班无法在家等待维修，建议增加周六、周日的上门维修服务。",
        "reserved",
    ),
    (
        "feng.zhe@example.com",
        Channel.WEB,
        "维修后短信回访改为微信",
        "维修后的短信回访链接打不开，建议改为微信小程序回访。",
        "not_adopted",
    ),
    (
        "13910002002",
        Channel.PHONE,
        "退货流程太复杂（再次来电）",
        "客户再次来电，内容同上一次：退货流程复杂。",
        "duplicate",
    ),
]


@demo_step("proposals", order=30)
def seed_demo_proposals() -> DemoPart:
    return DemoPart(created=_seed_demo_proposals())


def _seed_demo_proposals() -> int:
    if Proposal.objects.exists():
        return 0
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    needed = ("li.na", "wang.fang", "chen.jing")
    if any(name not in users for name in needed):
        return 0
    specialist, cs_manager, as_manager = (users[n] for n in needed)
    departments = {d.code: d for d in Department.objects.all()}
    engineering, quality = departments.get("engineering"), departments.get("quality")
    today = timezone.localdate()
    made = {}
    for n, (contact, channel, title, content, stage) in enumerate(DEMO_PROPOSALS):
        point = ContactPoint.objects.filter(normalized__in=[contact, _e164(contact)]).first()
        if point is None:
            continue
        proposal = services.proposal_receive(
            customer=point.customer,
            channel=channel,
            title=title,
            content=content,
            received_at=timezone.now() - timedelta(days=30 - n * 3),
            by=specialist if channel in (Channel.LETTER, Channel.PHONE) else None,
        )
        made[n] = proposal
        if stage == "received":
            continue
        if stage == "duplicate":
            services.proposal_close(
                proposal=proposal,
                by=specialist,
                reason=CloseReason.DUPLICATE,
                duplicate_of=made[2],
                seen_version=_v(proposal),
            )
            continue
        services.proposal_accept(
            proposal=proposal,
            by=specialist,
            category=Category.SERVICE,
            summary=title,
            seen_version=_v(proposal),
        )
        if stage == "accepted" or not (engineering and quality):
            continue
        services.proposal_route(
            proposal=proposal,
            by=specialist,
            departments=[engineering, quality],
            seen_version=_v(proposal),
        )
        if stage == "under_study":
            continue
        for study in proposal.study_requests.select_related("department__manager"):
            services.study_opinion_submit(
                study=study,
                by=study.department.manager,
                opinion="经研究，建议可行，成本可控。",
                seen_version=_v(proposal),
            )
        if stage == "studied":
            continue
        if stage in ("adopted", "implemented"):
            services.proposal_adopt(
                proposal=proposal,
                by=cs_manager,
                implementing_department=departments.get("aftersales") or engineering,
                planned_date=today + timedelta(days=21),
                measures="所有上门人员统一佩戴工牌，进门前主动出示并自我介绍。",
                seen_version=_v(proposal),
            )
            if stage == "implemented":
                services.proposal_implemented(
                    proposal=proposal,
                    by=as_manager,
                    note="Done.",
                    seen_version=_v(proposal),
                )
        elif stage == "reserved":
            services.proposal_reserve(
                proposal=proposal,
                by=cs_manager,
                reason="需要评估周末排班与人力成本。",
                decide_by=today + timedelta(days=45),
                seen_version=_v(proposal),
            )
        elif stage == "not_adopted":
            services.proposal_not_adopt(
                proposal=proposal,
                by=cs_manager,
                note="公司暂未开通微信小程序，短信链接问题已另行修复。",
                seen_version=_v(proposal),
            )
    return len(made)


def _v(proposal: Proposal) -> int:
    return Proposal.objects.values_list("version", flat=True).get(pk=proposal.pk)


def _e164(value: str) -> str:
    digits = "".join(c for c in value if c.isdigit())
    return f"+86{digits}" if len(digits) == 11 else value
