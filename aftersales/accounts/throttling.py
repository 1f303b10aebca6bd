"""Sign-in throttling by address, beside django-axes' lock-out by user name
(issue 7 item 8).

django-axes locks a user name after ``AXES_FAILURE_LIMIT`` failures from any
addresses, for ``AXES_COOLOFF_TIME`` (``AXES_LOCKOUT_PARAMETERS``). Failures
from one address across many user names are slowed down here instead, never
locked out: a whole office signs in from one address. Past
``LOGIN_ADDRESS_FREE_FAILURES`` failures, the address waits 2, 4, 8 … seconds
(at most ``LOGIN_ADDRESS_MAX_DELAY_SECONDS``) after its latest failure before
another attempt from it is even checked.

The failures counted are axes' own records (``AccessAttempt``: one row per
user name, address and browser, with its count and latest time), in the
database every worker shares and expiring after the same cool-off as the
lock-out, so there is no second counter to keep in step with the first.
"""

import math
from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, Sum
from django.utils import timezone
from django_ratelimit.core import _get_ip


def client_address(request) -> str | None:
    """The address axes records and this module counts (``AXES_CLIENT_IP_CALLABLE``).

    The rule of the portal's rate limits (django-ratelimit): the header named by
    ``RATELIMIT_IP_META_KEY`` behind a proxy, and an IPv6 client as its /64, so
    rotating through the addresses of one network does not start afresh. None
    when the request has no address (axes' own answer then), as for the
    request Django's test client makes up to sign someone in.
    """
    try:
        return _get_ip(request)
    except (ImproperlyConfigured, KeyError, ValueError):
        return None


def delay_seconds(failures: int) -> int:
    """How long an address waits after its latest failure, given how many
    failures it has in the cool-off window: nothing up to the free ones, then
    2^k seconds for the k-th failure past them, capped (never a lock-out)."""
    past = failures - settings.LOGIN_ADDRESS_FREE_FAILURES
    if past < 0:
        return 0
    cap = settings.LOGIN_ADDRESS_MAX_DELAY_SECONDS
    # 2**past grows without bound; compare before computing it.
    return cap if past >= cap.bit_length() else min(2 ** (past + 1), cap)


def address_wait(request, *, now: datetime | None = None) -> int:
    """Whole seconds before an attempt from this request's address is checked; 0: now."""
    if not settings.AXES_ENABLED:
        return 0
    now = now or timezone.now()
    seen = AccessAttempt.objects.filter(
        ip_address=client_address(request), attempt_time__gte=now - get_cool_off(request)
    ).aggregate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
    if not seen["failures"]:
        return 0
    left = seen["latest"].timestamp() + delay_seconds(seen["failures"]) - now.timestamp()
    return max(0, math.ceil(left))
