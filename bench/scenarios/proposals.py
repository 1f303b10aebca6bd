"""Customer proposals (issue 3, P4-P12) at scale: the staff list, a filtered
page, a Chinese search, the detail page, intake by the web form and by the
API, the portal look-up and the summary page.

The database holds ``scale`` proposals with ids 1..scale (the proposals seed
step, aftersales/proposals/seeding.py); the harness's setup
(bench/django_side.py) puts the last seeded id into ``ctx["proposal_last_id"]``
and (reference, email) pairs of seeded proposals, read from the database, into
``ctx["lookups"]`` for the portal look-up, which the load generator cannot
query. Without them (an older harness), ``customers_total`` stands for the
last id and the pairs come from ``var/bench/seed/proposal-lookups-<vendor>.json``
(pairs found in every such file).

Markers are language-independent: element ids and URLs the templates print.
"""

import json
import os
from pathlib import Path
from urllib.parse import quote, urlencode

from bench.scenarios import Scenario, register

ROW = '<td><a href="/proposals/'  # a proposal row in the list (partials/list_rows.html)
SIGNED_IN = 'action="/logout/"'
SEED_DIR = Path(__file__).resolve().parents[2] / "var" / "bench" / "seed"


def _spread(ctx: dict, i: int) -> int:
    """The i-th proposal id to read: scattered over 1..N, the same on each run."""
    n = max(1, int(ctx.get("proposal_last_id") or ctx.get("customers_total") or 1))
    return (i * 7919 + 104729) % n + 1


def _csrf(ctx: dict) -> str:
    """The csrftoken the harness's sign-in received (a session-less POST
    needs only it: the cookie and the form field must agree)."""
    for part in ctx["session_cookie"].split(";"):
        name, _sep, value = part.strip().partition("=")
        if name == "csrftoken":
            return value
    raise KeyError("csrftoken")


_LOOKUPS: list = []


def _lookups(ctx: dict) -> list:
    if ctx.get("lookups"):  # bench/django_side.py setup() read them from the database
        return ctx["lookups"]
    if not _LOOKUPS:
        sets = [
            {tuple(pair) for pair in json.loads(path.read_text())["pairs"]}
            for path in sorted(SEED_DIR.glob("proposal-lookups-*.json"))
        ]
        if not sets:
            raise FileNotFoundError(f"no proposal-lookups-*.json in {SEED_DIR}: seed first")
        _LOOKUPS.extend(sorted(set.intersection(*sets)))
    return _LOOKUPS


def _form_headers(ctx: dict) -> dict:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={_csrf(ctx)}",
    }


def _web_form(ctx: dict, i: int) -> bytes:
    # A new address each time (this process, this request): no per-address
    # acknowledgement cap is reached, as with real visitors.
    return urlencode(
        {
            "csrfmiddlewaretoken": _csrf(ctx),
            "website": "",
            "name": "压测客户",
            "email": f"bench.web.{os.getpid()}.{i}@example.com",
            "phone": "",
            "language": "zh-hans",
            "title": "建议简化退货流程",
            "content": "去年买的洗衣机无法脱水，申请退货时需要填写的资料太多，"
            "希望简化流程并增加上门取件服务。The return form is too long.",
            "consent": "on",
        }
    ).encode()


def _api_body(ctx: dict, i: int) -> bytes:
    return json.dumps(
        {
            "customer": {
                "name": "Bench Customer",
                "email": f"bench.api.{os.getpid()}.{i}@example.com",
                "preferred_language": "en",
            },
            "channel": "letter",
            "title": "关于保修期延长的建议",
            "content": "保修期内更换的配件只保修三个月，建议与整机保修期一致。Please align the warranty.",
        },
        ensure_ascii=False,
    ).encode()


def _lookup_body(ctx: dict, i: int) -> bytes:
    pairs = _lookups(ctx)
    reference, email = pairs[(i * 31) % len(pairs)]
    return urlencode(
        {"csrfmiddlewaretoken": _csrf(ctx), "reference": reference, "contact": email}
    ).encode()


register(
    Scenario(
        name="proposal_list",
        method="GET",
        path=lambda ctx, i: "/proposals/",
        expect_status=200,
        marker=(ROW, SIGNED_IN),
        auth="session",
        description="staff list, first page, newest first",
    )
)
register(
    Scenario(
        name="proposal_filtered",
        method="GET",
        path=lambda ctx, i: "/proposals/?status=under_study&channel=email",
        expect_status=200,
        marker=(ROW, SIGNED_IN),
        auth="session",
        description="list filtered by status and channel, first page",
    )
)
register(
    Scenario(
        name="proposal_search",
        method="GET",
        path=lambda ctx, i: "/proposals/?q=" + quote("退货"),
        expect_status=200,
        marker=(ROW, SIGNED_IN),
        auth="session",
        description="full-text search for a two-character Chinese word, first page",
    )
)
register(
    Scenario(
        name="proposal_detail",
        method="GET",
        path=lambda ctx, i: f"/proposals/{_spread(ctx, i)}/",
        expect_status=200,
        marker=('id="proposal-title"', 'id="timeline-h"', SIGNED_IN),
        auth="session",
        description="detail with timeline and notices, ids scattered over the table",
    )
)
register(
    Scenario(
        name="proposal_create_web",
        method="POST",
        path=lambda ctx, i: "/portal/",
        expect_status=302,
        marker="",  # a redirect to the thanks page; the status says it was taken
        headers=_form_headers,
        body=_web_form,
        description="portal web form (P4): new customer, proposal, acknowledgement",
    )
)
register(
    Scenario(
        name="proposal_create_api",
        method="POST",
        path=lambda ctx, i: "/api/v1/proposals/",
        expect_status=201,
        marker='"reference"',
        auth="token",
        headers=lambda ctx: {"Content-Type": "application/json"},
        body=_api_body,
        description="API: record a letter for a new customer (P4), Bearer token",
    )
)
register(
    Scenario(
        name="portal_lookup",
        method="POST",
        path=lambda ctx, i: "/portal/lookup/",
        expect_status=200,
        marker='id="milestones"',
        headers=_form_headers,
        body=_lookup_body,
        description="portal look-up by reference and email",
    )
)
register(
    Scenario(
        name="proposal_summary",
        method="GET",
        path=lambda ctx, i: "/proposals/summary/",
        expect_status=200,
        marker=('id="by-status"', SIGNED_IN),
        auth="session",
        description="summary: counts by status, channel, department; reserves near their date",
    )
)
