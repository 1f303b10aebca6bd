"""Baselines and the pages every user hits."""

from bench.scenarios import Scenario, register

register(
    Scenario(
        name="baseline",
        method="GET",
        path=lambda ctx, i: f"/bench/baseline/{ctx['probe_pk']}",
        expect_status=200,
        marker="bench-baseline-ok",
        description="one SELECT by primary key, a tiny template",
    )
)
register(
    Scenario(
        name="baseline_write",
        method="POST",
        path=lambda ctx, i: "/bench/baseline-write",
        expect_status=201,
        marker="bench-write-ok",
        description="exactly one INSERT",
    )
)
register(
    Scenario(
        name="login_page",
        method="GET",
        path=lambda ctx, i: "/login/",
        expect_status=200,
        marker='name="password"',
        description="the sign-in form, anonymous",
    )
)
register(
    Scenario(
        name="my_work",
        method="GET",
        path=lambda ctx, i: "/",
        expect_status=200,
        # Language-independent: the page's article citation and the sign-out
        # form (so the login page, reached by a redirect, never matches).
        marker=('<span class="article-id">Q4</span>', 'action="/logout/"'),
        auth="session",
        description="'My work', signed in as the bench manager (Chinese profile)",
    )
)
register(
    Scenario(
        name="api_customers",
        method="GET",
        path=lambda ctx, i: "/api/v1/customers/",
        expect_status=200,
        marker='"next_cursor"',
        auth="token",
        description="first page (25) of the customer list, newest first, Bearer token",
    )
)
