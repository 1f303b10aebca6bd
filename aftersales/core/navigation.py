"""The main navigation: each entry shows only to those who may use it.

Later issues append their entries here.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.permissions import can


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    perm: str | None = None  # None: every signed-in user


NAVIGATION = [
    NavItem("core:my_work", _("My work")),
    NavItem("proposals:list", _("Proposals"), "proposals.view_proposal"),
    NavItem("proposals:certificates", _("Certificates"), "proposals.issue_certificate"),
    NavItem("proposals:mail_list", _("Inbound mail"), "proposals.handle_inbound_mail"),
    NavItem("customers:list", _("Customers"), "customers.view_customer"),
    NavItem("notifications:outbox", _("Outbox"), "notifications.view_message"),
    NavItem("policy:list", _("Policy"), "policy.view_policyversion"),
    NavItem("accounts:staff_list", _("Staff and roles"), "accounts.manage_staff"),
]


def nav_for(user, current_path: str = "") -> list[dict]:
    items = []
    for item in NAVIGATION:
        if item.perm is None or can(user, item.perm):
            url = reverse(item.url_name)
            items.append({"url": url, "label": item.label, "active": False, "name": item.url_name})
    # The current page belongs to the entry with the longest matching URL:
    # /proposals/certificates/ is "Certificates", not also "Proposals".
    matches = [
        i
        for i in items
        if (current_path == i["url"] if i["url"] == "/" else current_path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items
