"""Realistic Chinese and English text for seeded records.

Every function takes the caller's ``random.Random`` so a seed gives the same
data again. Nothing here touches the database.

Emails use reserved domains (``example.com``, ``*.example``: RFC 2606) so a
seeded database can never mail a real person; phone numbers are made unique by
construction (``mobile`` / ``landline``), not by retrying.
"""

import unicodedata
from itertools import accumulate

# (hanzi, pinyin, weight): the common surnames roughly by frequency, a few
# compound ones, and characters that trip fonts and encodings.
SURNAMES = [
    ("王", "wang", 72),
    ("李", "li", 72),
    ("张", "zhang", 68),
    ("刘", "liu", 52),
    ("陈", "chen", 45),
    ("杨", "yang", 33),
    ("黄", "huang", 24),
    ("赵", "zhao", 20),
    ("吴", "wu", 19),
    ("周", "zhou", 19),
    ("徐", "xu", 14),
    ("孙", "sun", 14),
    ("马", "ma", 13),
    ("朱", "zhu", 13),
    ("胡", "hu", 12),
    ("郭", "guo", 12),
    ("何", "he", 11),
    ("高", "gao", 10),
    ("林", "lin", 10),
    ("罗", "luo", 10),
    ("郑", "zheng", 9),
    ("梁", "liang", 9),
    ("谢", "xie", 8),
    ("宋", "song", 7),
    ("唐", "tang", 7),
    ("许", "xu", 7),
    ("韩", "han", 7),
    ("冯", "feng", 6),
    ("邓", "deng", 6),
    ("曹", "cao", 6),
    ("彭", "peng", 6),
    ("曾", "zeng", 5),
    ("肖", "xiao", 5),
    ("田", "tian", 5),
    ("董", "dong", 5),
    ("袁", "yuan", 5),
    ("潘", "pan", 4),
    ("蒋", "jiang", 4),
    ("蔡", "cai", 4),
    ("余", "yu", 4),
    ("杜", "du", 4),
    ("叶", "ye", 4),
    ("程", "cheng", 4),
    ("苏", "su", 4),
    ("魏", "wei", 3),
    ("吕", "lv", 3),
    ("丁", "ding", 3),
    ("任", "ren", 3),
    ("沈", "shen", 3),
    ("姚", "yao", 3),
    ("卢", "lu", 3),
    ("钟", "zhong", 3),
    ("欧阳", "ouyang", 1),
    ("司马", "sima", 1),
    ("诸葛", "zhuge", 1),
    ("上官", "shangguan", 1),
]
GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂", "gui"),
    ("英", "ying"),
    ("华", "hua"),
    ("玉", "yu"),
    ("兰", "lan"),
    ("文", "wen"),
    ("辉", "hui"),
    ("建", "jian"),
    ("国", "guo"),
    ("晓", "xiao"),
    ("红", "hong"),
    ("鹏", "peng"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("子", "zi"),
    ("涵", "han"),
    ("博", "bo"),
    ("思", "si"),
    ("佳", "jia"),
    ("梓", "zi"),
    ("轩", "xuan"),
    ("睿", "rui"),
    ("晨", "chen"),
    ("阳", "yang"),
    ("凯", "kai"),
    ("瑞", "rui"),
    ("嘉", "jia"),
    ("昊", "hao"),
    ("诗", "shi"),
    ("雨", "yu"),
    ("萱", "xuan"),
    ("俊", "jun"),
    ("斌", "bin"),
    ("志", "zhi"),
    ("海", "hai"),
    ("燕", "yan"),
    ("波", "bo"),
    ("峰", "feng"),
    ("成", "cheng"),
    ("东", "dong"),
    ("亮", "liang"),
    ("喆", "zhe"),
    ("堃", "kun"),
    ("镕", "rong"),
    ("彧", "yu"),
    ("昇", "sheng"),
]
FIRST_EN = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Susan",
    "Richard",
    "Jessica",
    "Thomas",
    "Sarah",
    "Daniel",
    "Karen",
    "Matthew",
    "Emma",
    "Oliver",
    "Sophie",
    "Lucas",
    "Anna",
    "Hans",
    "Marie",
    "Kenji",
    "Yuki",
    "Min-jun",
    "Seo-yeon",
    "Pierre",
    "Chloé",
    "José",
    "Zoë",
    "Seán",
    "Björn",
]
LAST_EN = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Müller",
    "Schmidt",
    "Tanaka",
    "Suzuki",
    "Kim",
    "Park",
    "Dubois",
    "García",
    "O'Brien",
    "Nguyen",
    "van der Berg",
]
CITIES_ZH = [
    ("上海市", "浦东新区", "Shanghai", "Pudong", "200120"),
    ("上海市", "徐汇区", "Shanghai", "Xuhui", "200030"),
    ("北京市", "朝阳区", "Beijing", "Chaoyang", "100020"),
    ("北京市", "海淀区", "Beijing", "Haidian", "100080"),
    ("广东省广州市", "天河区", "Guangzhou", "Tianhe", "510620"),
    ("广东省深圳市", "南山区", "Shenzhen", "Nanshan", "518052"),
    ("浙江省杭州市", "西湖区", "Hangzhou", "Xihu", "310012"),
    ("江苏省苏州市", "工业园区", "Suzhou", "SIP", "215021"),
    ("江苏省南京市", "鼓楼区", "Nanjing", "Gulou", "210008"),
    ("四川省成都市", "武侯区", "Chengdu", "Wuhou", "610041"),
    ("湖北省武汉市", "洪山区", "Wuhan", "Hongshan", "430070"),
    ("重庆市", "渝北区", "Chongqing", "Yubei", "401120"),
    ("天津市", "河西区", "Tianjin", "Hexi", "300202"),
    ("山东省青岛市", "市南区", "Qingdao", "Shinan", "266071"),
    ("陕西省西安市", "雁塔区", "Xi'an", "Yanta", "710061"),
]
ROADS = [
    ("张江路", "Zhangjiang Road"),
    ("中山路", "Zhongshan Road"),
    ("人民路", "Renmin Road"),
    ("解放路", "Jiefang Road"),
    ("建设路", "Jianshe Road"),
    ("科技园路", "Keji Park Road"),
    ("长江路", "Changjiang Road"),
    ("黄河路", "Huanghe Road"),
    ("文三路", "Wensan Road"),
    ("天府大道", "Tianfu Avenue"),
    ("深南大道", "Shennan Avenue"),
    ("学院路", "Xueyuan Road"),
]
BRAND_ZH = [
    ("华信", "huaxin"),
    ("长城", "changcheng"),
    ("东方", "dongfang"),
    ("恒达", "hengda"),
    ("新世纪", "xinshiji"),
    ("金桥", "jinqiao"),
    ("宏远", "hongyuan"),
    ("天成", "tiancheng"),
    ("瑞丰", "ruifeng"),
    ("博远", "boyuan"),
    ("中联", "zhonglian"),
    ("海润", "hairun"),
]
TRADE_ZH = [
    ("科技", "tech"),
    ("贸易", "trading"),
    ("电器", "appliance"),
    ("物业管理", "property"),
    ("酒店管理", "hotels"),
    ("机电设备", "equipment"),
    ("餐饮管理", "catering"),
    ("连锁", "retail"),
]
COMPANY_EN = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Blue Harbor",
    "Greenfield",
    "Summit",
    "Pacific Rim",
    "Silverline",
    "Redwood",
    "Orient Star",
    "Lakeside",
]
COMPANY_EN_KIND = ["Trading", "Hotels", "Facilities", "Engineering", "Logistics", "Retail"]
COMPANY_SUFFIX_EN = ["Co., Ltd.", "Ltd.", "Inc.", "GmbH", "(Shanghai) Co., Ltd."]
# Each product with the faults customers actually report about it.
PRODUCTS = [
    (
        "空调",
        "air conditioner",
        [
            ("制冷效果差", "barely cools"),
            ("噪音很大", "is very noisy"),
            ("漏水", "leaks water"),
            ("遥控器失灵", "ignores the remote"),
        ],
    ),
    (
        "洗衣机",
        "washing machine",
        [
            ("无法脱水", "will not spin"),
            ("漏水", "leaks water"),
            ("显示故障代码 E4", "shows error code E4"),
        ],
    ),
    (
        "冰箱",
        "refrigerator",
        [
            ("冷藏室结冰", "freezes the fridge section"),
            ("噪音很大", "is very noisy"),
            ("异味明显", "smells"),
        ],
    ),
    (
        "热水器",
        "water heater",
        [("无法点火", "will not ignite"), ("水温忽高忽低", "runs hot and cold")],
    ),
    (
        "净水器",
        "water purifier",
        [("滤芯提示异常", "shows a filter warning"), ("出水很慢", "barely flows")],
    ),
    ("扫地机器人", "robot vacuum", [("无法回充", "will not dock"), ("地图丢失", "loses its map")]),
    ("油烟机", "range hood", [("吸力不足", "has weak suction"), ("噪音很大", "is very noisy")]),
    ("电视", "TV", [("无法开机", "does not turn on"), ("画面闪烁", "flickers")]),
]
NOTES_ZH = [
    "客户反映{product}使用{months}个月后{problem}，希望尽快安排上门维修。",
    "老客户，{product}已过保修期，{problem}，同意付费维修。",
    "请工作日上午联系，{product}{problem}，已提供购买发票照片。",
    "客户对上次服务满意，建议增加周末上门服务时段。",
    "来电投诉{product}{problem}，情绪激动，需经理回访。",
]
NOTES_EN = [
    "Customer reports the {product} {problem} after {months} months; asks for a visit.",
    "Long-standing customer. {product} out of warranty and {problem}; will pay for repair.",
    "Prefers email. The {product} {problem}; receipt attached to the first message.",
    "Happy with the last visit; suggests weekend appointments.",
]
EMAIL_DOMAINS = [
    "example.com",
    "example.net",
    "example.org",
    "qq.example",
    "163.example",
    "mail.example",
]

# Phones are unique by construction: index k maps to one number through a
# bijection (multiply by a unit modulo the number space), so no lookups or
# retries are needed. Prefix 139 and area code 0571 are kept for demo data.
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]
AREA_CODES = [
    "10",
    "21",
    "20",
    "755",
    "22",
    "23",
    "25",
    "27",
    "28",
    "29",
    "512",
    "532",
    "24",
    "531",
]
_MOBILE_SPACE = 10**8
_MOBILE_MUL = 48271  # coprime to 10**8
_LAND_SPACE = 6 * 10**7  # first digit 2-7: numbers starting 800 are not valid in 010 / 021
_LAND_MUL = 7919  # coprime to 6 * 10**7
_SURNAME_CUM = list(accumulate(w for _h, _p, w in SURNAMES))


def person_zh(rng) -> tuple[str, str]:
    """(name, pinyin stem for an email)."""
    surname, s_py, _w = rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]
    given = rng.sample(GIVEN, rng.choice((1, 2, 2)))
    name = surname + "".join(g for g, _p in given)
    py = "".join(p for _g, p in given)
    stem = rng.choice((f"{s_py}.{py}", f"{py}{s_py}", f"{s_py}{py}"))
    return name, stem


def person_en(rng) -> tuple[str, str]:
    first, last = rng.choice(FIRST_EN), rng.choice(LAST_EN)
    stem = f"{_ascii(first)}.{_ascii(last)}"
    return f"{first} {last}", stem


def company_zh(rng) -> tuple[str, str]:
    city = rng.choice(CITIES_ZH)[0].removesuffix("市").split("省")[-1]
    (brand, b_py), (trade, t_py) = rng.choice(BRAND_ZH), rng.choice(TRADE_ZH)
    return f"{city}{brand}{trade}有限公司", f"{b_py}-{t_py}"


def company_en(rng) -> tuple[str, str]:
    brand, kind = rng.choice(COMPANY_EN), rng.choice(COMPANY_EN_KIND)
    return f"{brand} {kind} {rng.choice(COMPANY_SUFFIX_EN)}", _ascii(brand).replace(" ", "")


def address_zh(rng) -> str:
    city, district, *_rest = rng.choice(CITIES_ZH)
    road = rng.choice(ROADS)[0]
    return f"{city}{district}{road}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(1, 32)}{rng.randint(1, 4):02d}室"


def address_en(rng) -> str:
    _c, _d, city, district, postcode = rng.choice(CITIES_ZH)
    road = rng.choice(ROADS)[1]
    return f"Room {rng.randint(1, 32)}{rng.randint(1, 4):02d}, Building {rng.randint(1, 30)}, {rng.randint(1, 999)} {road}, {district}, {city} {postcode}"


def note(rng, lang: str) -> str:
    product_zh, product_en, problems = rng.choice(PRODUCTS)
    problem_zh, problem_en = rng.choice(problems)
    months = rng.randint(1, 60)
    if lang == "en":
        return rng.choice(NOTES_EN).format(product=product_en, problem=problem_en, months=months)
    return rng.choice(NOTES_ZH).format(product=product_zh, problem=problem_zh, months=months)


def email(stem: str, index: int, rng) -> str:
    """Unique for a unique index: the stem has no digits, the index is all digits."""
    return f"{stem}{index}@{rng.choice(EMAIL_DOMAINS)}"


def mobile(index: int, rng) -> tuple[str, str]:
    """(as typed, E.164) for the index-th seeded mobile number."""
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    rest = f"{(index // len(MOBILE_PREFIXES) * _MOBILE_MUL + 12345) % _MOBILE_SPACE:08d}"
    digits = prefix + rest
    typed = rng.choice(
        (
            digits,
            f"{prefix} {rest[:4]} {rest[4:]}",
            f"+86 {prefix} {rest[:4]} {rest[4:]}",
            f"+86-{prefix}-{rest[:4]}-{rest[4:]}",
        )
    )
    return typed, "+86" + digits


def landline(index: int, rng) -> tuple[str, str]:
    area = AREA_CODES[index % len(AREA_CODES)]
    n = (index // len(AREA_CODES) * _LAND_MUL + 4321) % _LAND_SPACE
    local = f"{2 + n // 10**7}{n % 10**7:07d}"
    typed = rng.choice(
        (
            f"0{area}-{local[:4]} {local[4:]}",
            f"(0{area}) {local}",
            f"+86 {area} {local[:4]} {local[4:]}",
        )
    )
    return typed, f"+86{area}{local}"


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalpha() or c in ".-")).lower()
