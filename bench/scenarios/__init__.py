"""The scenario registry. A scenario is one kind of request, checked on every
response: the expected status and a marker string in the body, so a redirect to
the login page, a 429 or an error page is never timed as a fast page.

Later issues add a module to this package (``bench/scenarios/proposals.py``)
calling ``register(Scenario(...))``; every module here is imported.

Builders get ``ctx``, a dict the harness fills (``django_side.build_context``
and the sign-in): ``probe_pk``, ``api_token``, ``session_cookie``,
``customer_ids``, ``username`` and whatever later issues add. ``path`` also
gets ``i``, the request's number on its connection, to vary the rows asked for.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: Callable[[dict, int], str]
    expect_status: int
    marker: str | tuple[str, ...]  # every one must be in the body
    auth: str = "none"  # "none" | "session" (the signed-in bench user) | "token" (Bearer)
    headers: Callable[[dict], dict] = field(default=lambda ctx: {})
    body: Callable[[dict, int], bytes] | None = None
    description: str = ""

    def request(self, ctx: dict, i: int) -> tuple[str, str, dict, bytes | None]:
        """(method, path, headers, body) for the i-th request on a connection."""
        headers = {"Host": "127.0.0.1", "Accept-Language": "zh-hans", **self.headers(ctx)}
        if self.auth == "session":
            headers["Cookie"] = ctx["session_cookie"]
        elif self.auth == "token":
            headers["Authorization"] = f"Bearer {ctx['api_token']}"
        body = self.body(ctx, i) if self.body else None
        if self.method in ("POST", "PUT", "PATCH"):
            body = body or b""
            headers["Content-Length"] = str(len(body))
        return self.method, self.path(ctx, i), headers, body

    def check(self, status: int, content: bytes) -> str:
        """ "" when the response is the page this scenario means, else why not."""
        if status != self.expect_status:
            return f"status {status}, expected {self.expect_status}"
        markers = (self.marker,) if isinstance(self.marker, str) else self.marker
        for marker in markers:
            if marker.encode() not in content:
                return f"marker {marker!r} missing"
        return ""


SCENARIOS: dict[str, Scenario] = {}
BASELINE = "baseline"


def register(scenario: Scenario) -> Scenario:
    if scenario.name in SCENARIOS:
        raise ValueError(f"Scenario {scenario.name!r} is registered twice.")
    SCENARIOS[scenario.name] = scenario
    return scenario


def all_scenarios() -> dict[str, Scenario]:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
    return SCENARIOS
