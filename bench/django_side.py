"""The harness's Django-side tasks, run as ``python -m bench.django_side TASK``
with the benchmark database's DATABASE_URL and the server's settings; each
prints one JSON object on its last stdout line.

    check --scale N --seed S   does the database hold exactly this seeding, on the current schema?
    setup                      bench user (password from BENCH_USER_PASSWORD), API token, probe row,
                               seeded proposal ids, portal look-up pairs and one proposal
                               per hostile PDF shape -> ctx
    queries                    SQL queries per scenario (ctx as JSON on stdin)

Queries are counted here, not in the timed server: the server runs with DEBUG
off and no extra middleware, and this process sends the same requests through
Django's test Client (same settings, same database, same session cookie and
token) with ``CaptureQueriesContext``. Each request is sent twice and the second
counted, so per-process caches (content types, the token's last-used write,
which happens at most once a minute) count as they do in a warm server.
"""

import argparse
import json
import os
import sys

BENCH_USERNAME = "bench.manager"


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.config.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser(prog="python -m bench.django_side")
    parser.add_argument("task", choices=["check", "setup", "queries"])
    parser.add_argument("--scale", type=int)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.task == "check":
        out = check(scale=args.scale, seed=args.seed)
    elif args.task == "setup":
        out = setup()
    else:
        out = count_queries(json.loads(sys.stdin.read()))
    print(json.dumps(out, ensure_ascii=False))
    return 0


def check(*, scale: int, seed: int) -> dict:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from aftersales.core.seeding import state_matches
    from aftersales.core.seeding.state import read_state

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return {"match": False, "reason": f"{len(plan)} migrations not applied", "state": None}
    match, reason = state_matches(scale=scale, seed=seed)
    state = read_state()
    if not match and reason.startswith("the database holds") and state:
        # Earlier runs' create scenarios added customers (and proposals) and
        # left the seeded rows alone: no reason to reseed a million rows.
        from aftersales.customers.models import Customer

        made = _bench_made_customers()
        if made and Customer.objects.count() - made == state.get("customers_total"):
            match, reason = True, ""
            state = {**state, "bench_made_customers": made}
    return {"match": match, "reason": reason, "state": state}


def _bench_made_customers() -> int:
    """Customers the create scenarios made (bench/scenarios/proposals.py):
    their addresses are bench.web.<pid>.<i>@example.com or bench.api.…"""
    from django.db.models import Q

    from aftersales.customers.models import ContactPoint

    return (
        ContactPoint.objects.filter(
            Q(value__startswith="bench.web.") | Q(value__startswith="bench.api."),
            value__endswith="@example.com",
        )
        .values("customer_id")
        .distinct()
        .count()
    )


def setup() -> dict:
    """The bench user: the after-sales department manager's roles, the busiest
    'My work'; Chinese, the product's first language."""
    from datetime import date

    from django.contrib.auth import get_user_model

    from aftersales.accounts.models import ApiToken, Department
    from aftersales.accounts.services import api_token_create, api_token_revoke, staff_create
    from aftersales.core.models import BenchmarkProbe
    from aftersales.core.roles import Role
    from aftersales.customers.models import Customer

    User = get_user_model()
    password = os.environ["BENCH_USER_PASSWORD"]
    user = User.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        user = staff_create(
            by=None,
            username=BENCH_USERNAME,
            password=password,
            employee_no="BENCH-001",
            display_name="压测经理",
            department=Department.objects.get(is_aftersales=True),
            hire_date=date(2020, 1, 1),
            proficient_since=date(2020, 6, 1),
            language="zh-hans",
            roles=[
                Role.AFTERSALES_MANAGER,
                Role.DEPARTMENT_MANAGER,
                Role.COMMITTEE_MEMBER,
                Role.INSPECTION_GROUP_MEMBER,
            ],
        )
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    # One live token per run; the last run's are revoked.
    for old in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        api_token_revoke(token=old, by=user)
    _token, raw = api_token_create(user=user, name="bench", days=2)
    probe = BenchmarkProbe.objects.order_by("pk").first() or BenchmarkProbe.objects.create(
        note="baseline"
    )
    # Rows from earlier runs' baseline_write: keep the table as small as the first run's.
    BenchmarkProbe.objects.exclude(pk=probe.pk).delete()
    newest = list(Customer.objects.order_by("-pk").values_list("pk", flat=True)[:1000])
    return {
        "username": BENCH_USERNAME,
        "api_token": raw,
        "probe_pk": probe.pk,
        "customer_ids": newest,
        "customers_total": Customer.objects.count(),
        **_proposal_context(),
        "pdf_proposals": _pdf_context(user),
    }


def _proposal_context() -> dict:
    """For bench/scenarios/proposals.py: the seeded proposals' id range (the
    detail page reads ids in it; rows earlier runs' create scenarios added lie
    above it, maybe with gaps) and (reference, email) pairs for the portal
    look-up, read from this database, so no file from an earlier seeding is needed."""
    from aftersales.core.seeding.state import read_state
    from aftersales.proposals.models import Proposal
    from aftersales.proposals.seeding import lookup_pairs

    seeded = 0
    for step in (read_state() or {}).get("steps", []):
        if step.get("step") == "proposals":
            seeded = int(step.get("rows", {}).get("proposals", 0))
    last = seeded or (Proposal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
    return {"proposal_last_id": last, "lookups": lookup_pairs(500, last=last) if last else []}


def _pdf_context(user) -> dict:
    """For bench/scenarios/pdf.py: one accepted proposal per hostile shape,
    its content 20,000 characters of that shape; made once, found by title
    on later runs (and remade if the shape's text changed)."""
    from django.db import DatabaseError, transaction

    from aftersales.customers.models import ContactPoint
    from aftersales.customers.services import customer_create
    from aftersales.proposals.models import Category, Proposal
    from aftersales.proposals.services import proposal_accept, proposal_receive
    from bench.scenarios.pdf import SHAPES, text_of_shape

    email = "bench.pdf@example.com"
    contact = ContactPoint.objects.filter(value=email).select_related("customer").first()
    customer = contact.customer if contact else customer_create(name="压测 PDF", email=email)
    ids = {}
    for shape in SHAPES:
        content = text_of_shape(shape)
        title = f"bench pdf_20k_{shape}"
        proposal = (
            Proposal.objects.filter(customer=customer, title=title, content=content)
            .exclude(accepted_at=None)
            .first()
        )
        if proposal is None:
            try:
                with transaction.atomic():
                    proposal = proposal_receive(
                        customer=customer,
                        channel="web",
                        title=title,
                        content=content,
                        acknowledge=False,
                    )
                    proposal = proposal_accept(
                        proposal=proposal,
                        by=user,
                        category=Category.SERVICE,
                        summary=title,
                        seen_version=proposal.version,
                    )
            except DatabaseError as exc:
                # The scenario then answers 404 and its row says so.
                print(f"pdf_20k_{shape}: no proposal stored: {exc}", file=sys.stderr)
                ids[shape] = 0
                continue
        ids[shape] = proposal.pk
    return ids


def count_queries(ctx: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.scenarios import all_scenarios

    out = {}
    for name, scenario in all_scenarios().items():
        client = Client()
        counts, problem = [], ""
        for i in range(2):
            method, path, headers, body = scenario.request(ctx, i)
            headers = {
                k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")
            }
            with CaptureQueriesContext(connection) as captured:
                response = client.generic(
                    method, path, data=body or b"", headers=headers, HTTP_HOST="127.0.0.1"
                )
            content = b"".join(response) if response.streaming else response.content
            problem = problem or scenario.check(response.status_code, content)
            counts.append(len(captured.captured_queries))
        out[name] = {"queries": counts[-1], "first_request_queries": counts[0], "problem": problem}
    return out


if __name__ == "__main__":
    sys.exit(main())
