"""The acceptance-record PDF (P5) of a proposal whose content is 20,000
characters of one hostile shape (issue 7, item 1): one unbroken Chinese
paragraph, English words, letters with no space at all, and mixed scripts.
Target: p50 <= 5 s each; before the fix the Chinese one rendered for over
22 minutes.

The harness's setup (bench/django_side.py, ``_pdf_context``) creates one
accepted proposal per shape, its content made by ``text_of_shape`` below, and
puts their ids into ``ctx["pdf_proposals"]``. The text is the same on every
run (a fixed seed).

The marker is the PDF header: an error page is HTML.
"""

import random

from bench.scenarios import Scenario, register

LENGTH = 20_000
SHAPES = ("zh", "en", "nospace", "mixed")

# Common simplified characters (all in Noto Sans SC's subset), a few words.
_HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
    "方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好"
    "应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向"
    "道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特"
    "件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理"
    "退货保修售后服务建议流程客户投诉维修更换配件安装上门取件电话邮件网站"
)
_WORDS = [
    "the",
    "warranty",
    "return",
    "repair",
    "replace",
    "customer",
    "service",
    "please",
    "make",
    "process",
    "one",
    "step",
    "washing",
    "machine",
    "spare",
    "parts",
    "delivery",
    "installation",
    "refund",
    "invoice",
    "complaint",
]
_OTHER = ["Привет", "спасибо", "αβγδ", "Ωμέγα", "ÄÖÜß", "über", "naïve", "x86_64", "№"]
_PUNCT = "，。、！？；：（）“”-/%.,!?()"
_RARE = ["𠀀", "𠀁", "𪚥", "😀", "👍", "❤"]


def text_of_shape(shape: str, length: int = LENGTH, *, seed: int = 7) -> str:
    """``length`` characters of ``shape`` (one of SHAPES), the same each time."""
    rng = random.Random(f"{shape}-{seed}")
    if shape == "zh":
        return "".join(rng.choice(_HAN) for _ in range(length))
    if shape == "nospace":
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return "".join(rng.choice(letters) for _ in range(length))
    parts: list[str] = []
    size = 0
    while size < length:
        if shape == "en":
            part = rng.choice(_WORDS) + rng.choice((" ", " ", " ", ", ", ". "))
        elif shape == "mixed":
            kind = rng.randrange(6)
            if kind == 0:
                part = "".join(rng.choice(_HAN) for _ in range(rng.randint(3, 30)))
            elif kind == 1:
                part = rng.choice(_WORDS) + " "
            elif kind == 2:
                part = str(rng.randrange(10 ** rng.randint(1, 12)))
            elif kind == 3:
                part = rng.choice(_OTHER) + rng.choice(("", " "))
            elif kind == 4:
                part = rng.choice(_PUNCT)
            else:
                part = rng.choice(_RARE)
        else:
            raise ValueError(f"unknown shape {shape!r}")
        parts.append(part)
        size += len(part)
    return "".join(parts)[:length]


def _pdf_path(shape: str):
    def path(ctx: dict, i: int) -> str:
        return f"/proposals/{ctx['pdf_proposals'][shape]}/acceptance-record.pdf"

    return path


for _shape, _what in (
    ("zh", "one unbroken Chinese paragraph"),
    ("en", "one paragraph of English words"),
    ("nospace", "letters with no space at all"),
    ("mixed", "Chinese, English, digits, punctuation, Cyrillic, Greek, emoji, Extension B"),
):
    register(
        Scenario(
            name=f"pdf_20k_{_shape}",
            method="GET",
            path=_pdf_path(_shape),
            expect_status=200,
            marker="%PDF-",
            auth="session",
            description=f"P5 acceptance record PDF, content 20,000 characters: {_what}",
        )
    )
