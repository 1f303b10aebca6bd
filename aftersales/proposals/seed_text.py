"""Realistic proposal text for large-data seeding, in Chinese and English.

What customers really write to an after-sales department: returns (退货),
warranty (保修), repairs (维修), service (服务), spare parts (配件) and
installation (安装), often with a few English words (model numbers, app
names, Wi-Fi) in the Chinese. Titles stay short; contents are 100-500
characters. Every function takes the caller's ``random.Random``; nothing here
touches the database.
"""

from aftersales.core.seeding.text import PRODUCTS

# (Chinese title, English title): {p} is the product.
TITLES = [
    ("建议简化{p}退货流程", "Make returning a {p} simpler"),
    ("关于{p}保修期延长的建议", "Extend the warranty on the {p}"),
    ("{p}维修进度希望能在线查询", "Let customers track {p} repairs online"),
    ("希望增加周末上门服务时段", "Offer weekend home-service appointments"),
    ("{p}配件应单独销售", "Sell {p} spare parts separately"),
    ("{p}安装前请提前电话确认", "Call before coming to install the {p}"),
    ("建议维修师傅上门自带鞋套", "Technicians should bring shoe covers"),
    ("{p}保修卡改为电子保修", "Replace the {p} warranty card with an e-warranty"),
    ("App 里增加预约维修入口", "Add repair booking to the app"),
    ("退货退款到账太慢", "Refunds for returns take too long"),
    ("希望公布常用配件价格表", "Publish a price list for common parts"),
    ("{p}安装说明书需要更新", "The {p} installation guide needs updating"),
    ("400 热线等待时间过长", "The 400 hotline wait is too long"),
    ("建议提供以旧换新服务", "Offer trade-in on old appliances"),
    ("关于{p}售后服务的几点建议", "A few suggestions on {p} after-sales service"),
    ("维修后回访电话很有帮助，建议保留", "Keep the follow-up call after a repair"),
]

# Sentences, each with {p} product and {q} problem where it fits.
OPENINGS_ZH = [
    "我家的{p}用了{m}个月，最近{q}。",
    "去年在官方旗舰店买的{p}，上个月开始{q}。",
    "我是贵公司的老客户，家里有三台你们的产品，其中{p}{q}。",
    "上周{p}{q}，打了 400 热线才安排维修。",
    "单位采购的{p}共有{n}台，其中几台{q}。",
]
MIDDLES_ZH = [
    "申请退货时需要填写的资料太多，还要寄回原包装，很多客户早就把包装扔了。",
    "维修师傅很专业，但预约要等三四天，希望能增加服务网点。",
    "保修期内换了一个配件，却被告知配件只保修三个月，建议与整机保修期一致。",
    "安装时师傅说需要另外购买安装支架，事先没有人告诉我们，感觉不够透明。",
    "维修单上只写了“已处理”，没有写更换了什么配件，希望以后写清楚。",
    "在 App 上提交了报修，但一直显示“处理中”，没有任何进度更新。",
    "客服态度很好，但同一个问题需要向不同的人重复说明好几次。",
    "建议把保修政策写在产品首页，而不是藏在说明书最后一页。",
    "配件网店经常缺货，滤芯、遥控器这些常用配件应该保证供应。",
    "上门安装时能否顺便检查一下水电线路，避免以后出现安全问题。",
    "退货退款用了十五个工作日才到账，比其他品牌慢很多。",
    "希望维修完成后能发一条短信或邮件，附上维修报告和保修说明。",
    "Wi-Fi 连接经常断开，重新配网很麻烦，建议改进固件。",
    "说明书上的型号和实物不一致，安装时差点装错配件。",
]
CLOSINGS_ZH = [
    "希望公司能够考虑这个建议，谢谢！",
    "以上建议仅供参考，期待你们的改进。",
    "如需进一步了解情况，可以随时联系我。",
    "相信这样做能让更多客户满意，感谢阅读。",
    "谢谢你们的服务，祝公司越办越好。",
]
OPENINGS_EN = [
    "Our {p} is {m} months old and recently {q}.",
    "I bought the {p} from your official store last year; last month it {q}.",
    "I have been your customer for years. Our {p} {q}.",
    "We manage {n} units of your {p} across our hotels; several {q}.",
]
MIDDLES_EN = [
    "Returning it required the original box, which most people no longer have.",
    "The technician was excellent, but the repair appointment took four days to get.",
    "A spare part replaced under warranty is only covered for three months; it should match the product.",
    "Nobody told us installation needed an extra bracket until the installer arrived.",
    "The repair sheet only said 'fixed' and did not list the parts replaced.",
    "The app showed my service request as 'in progress' for a week with no update.",
    "I had to explain the same problem to three different people on the hotline.",
    "Please publish warranty terms on the product page, not the last page of the manual.",
    "Common parts such as filters and remotes are often out of stock online.",
    "A short email after each repair with the report and warranty terms would help a lot.",
    "The Wi-Fi connection drops and pairing again is tedious; please improve the firmware.",
]
CLOSINGS_EN = [
    "I hope you will consider this. Thank you.",
    "Happy to discuss further if useful.",
    "Thanks for reading, and for the service so far.",
]
DECLINE_ZH = [
    "经研究，现有流程已能满足大多数客户需求，暂不调整。",
    "该建议涉及的成本较高，近期暂不具备实施条件。",
    "相关功能已在规划中，将随下一版本统一考虑。",
]
DECLINE_EN = [
    "After study, the current process already serves most customers; no change for now.",
    "The cost of this change is too high to implement at present.",
    "This is already planned and will be considered with the next release.",
]
MEASURES_ZH = [
    "简化退货申请表，取消原包装要求，由服务人员上门取件。",
    "维修单增加更换配件明细，并通过短信发送电子维修报告。",
    "增加周末上门服务时段，并在 App 中开放预约。",
    "配件保修期与整机保修期统一，更新保修政策说明。",
    "安装前一天电话确认所需配件和安装条件。",
]
MEASURES_EN = [
    "Simplify the return form, drop the original-box requirement, and collect returns at home.",
    "List replaced parts on every repair sheet and send an electronic report by text message.",
    "Add weekend appointments and open booking in the app.",
    "Align the warranty on spare parts with the product's and update the warranty terms.",
    "Call the day before each installation to confirm parts and site conditions.",
]
RESERVE_ZH = [
    "需要与供应商确认配件供应周期后再作决定。",
    "涉及保修政策调整，需等待年度政策评审。",
    "需要收集更多客户反馈后再决定。",
]
RESERVE_EN = [
    "Waiting for the supplier to confirm spare-part lead times.",
    "Touches the warranty policy; waiting for the annual policy review.",
    "Needs more customer feedback before a decision.",
]
OPINION_ZH = [
    "本部门认为该建议可行，预计实施周期两个月。",
    "建议采纳，但需要增加服务人员培训。",
    "成本较高，建议暂缓，先小范围试点。",
    "已与相关部门沟通，原则上同意。",
]
SPAM_ZH = ["低价代开发票，联系微信 xx123", "恭喜您中奖！点击领取 iPhone", "SEO 优化，首页排名保证"]


def title(rng, lang: str, product: tuple) -> str:
    zh, en = rng.choice(TITLES)
    return zh.format(p=product[0]) if lang != "en" else en.format(p=product[1])


def content(rng, lang: str, product: tuple) -> str:
    """100-500 characters: an opening about the product, two to five points, a closing."""
    name_zh, name_en, problems = product
    problem_zh, problem_en = rng.choice(problems)
    months, units = rng.randint(2, 60), rng.randint(3, 40)
    if lang == "en":
        parts = [rng.choice(OPENINGS_EN).format(p=name_en, q=problem_en, m=months, n=units)]
        parts += rng.sample(MIDDLES_EN, rng.randint(1, 3))
        parts.append(rng.choice(CLOSINGS_EN))
        return " ".join(parts)[:500]
    parts = [rng.choice(OPENINGS_ZH).format(p=name_zh, q=problem_zh, m=months, n=units)]
    parts += rng.sample(MIDDLES_ZH, rng.randint(2, 5))
    parts.append(rng.choice(CLOSINGS_ZH))
    text = "".join(parts)
    if len(text) < 100:
        text = rng.choice(MIDDLES_ZH) + text
    return text[:500]


def product(rng) -> tuple:
    return rng.choice(PRODUCTS)


def spam(rng) -> tuple[str, str]:
    text = rng.choice(SPAM_ZH)
    return text, text + " " + text


def pick(rng, lang: str, zh: list, en: list) -> str:
    return rng.choice(en if lang == "en" else zh)


OPINION_EN = [
    "Feasible in our view; about two months to implement.",
    "We recommend adopting it, with extra training for service staff.",
    "Costly; we suggest a small pilot first.",
]
CLOSE_NOTE_ZH = ["内容与售后服务无关，已转交销售部。", "重复来信，已在原提案中处理。"]
CLOSE_NOTE_EN = [
    "Not about after-sales service; passed to Sales.",
    "Sent twice; handled in the first one.",
]
