"""The regulation's roles, as Django groups with permissions.

The role list and what each role may do are kept here, in code, so a review of
"who may approve a policy" reads one table. ``sync_roles`` makes the groups
match it after every migrate. Later issues add their permissions to the table.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Names follow the glossary in regulation.md.
    SERVICE_WORKER = "service_worker", _("service worker")
    AFTERSALES_SPECIALIST = "aftersales_specialist", _("after-sales service specialist")
    QUALITY_SPECIALIST = "quality_specialist", _("service quality specialist")
    CS_MANAGER = "cs_manager", _("customer service manager")
    AFTERSALES_MANAGER = "aftersales_manager", _("after-sales department manager")
    DEPARTMENT_MANAGER = "department_manager", _("department manager")
    GENERAL_MANAGER = "general_manager", _("general manager")
    COMMITTEE_MEMBER = "committee_member", _("evaluation committee member")
    INSPECTION_GROUP_MEMBER = "inspection_group_member", _("inspection leading group member")
    ADMINISTRATOR = "administrator", _("system administrator")


STAFF_READ = {
    "customers.view_customer",
    "policy.view_policyversion",
    "accounts.view_staffprofile",
    "proposals.view_proposal",
}
CUSTOMER_CARE = {"customers.add_customer", "customers.change_customer"}
OUTBOX = {"notifications.view_message", "notifications.handle_offline_message"}
# P4 / P5: the department records proposals from every channel, accepts them
# and routes them for study.
INTAKE = {
    "proposals.add_proposal",
    "proposals.accept_proposal",
    "proposals.handle_inbound_mail",
}
# P11: the evaluation committee is the general manager and the department managers.
COMMITTEE = {"proposals.score_proposal"}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.SERVICE_WORKER: STAFF_READ | CUSTOMER_CARE | {"proposals.add_proposal"},
    Role.AFTERSALES_SPECIALIST: STAFF_READ | CUSTOMER_CARE | OUTBOX | INTAKE,
    Role.QUALITY_SPECIALIST: STAFF_READ | CUSTOMER_CARE | OUTBOX,
    # P6: the customer service manager decides.
    Role.CS_MANAGER: STAFF_READ
    | CUSTOMER_CARE
    | OUTBOX
    | INTAKE
    | {
        "customers.anonymize_customer",
        "notifications.retry_message",
        "accounts.add_delegation",
        "proposals.decide_proposal",
        "proposals.record_implementation",
        "proposals.export_proposal",
        "proposals.manage_evaluation",
        "proposals.issue_certificate",
    },
    # P9: the after-sales department manager approves a reserve past its limit.
    Role.AFTERSALES_MANAGER: STAFF_READ
    | CUSTOMER_CARE
    | OUTBOX
    | INTAKE
    | COMMITTEE
    | {
        "customers.anonymize_customer",
        "notifications.retry_message",
        "policy.change_policyversion",
        "accounts.add_delegation",
        "proposals.extend_reserve",
        "proposals.record_implementation",
        "proposals.export_proposal",
        "proposals.manage_evaluation",
        "proposals.issue_certificate",
    },
    Role.DEPARTMENT_MANAGER: STAFF_READ
    | COMMITTEE
    | {"accounts.add_delegation", "proposals.record_implementation"},
    # Q3 / Q14 / I3: the general manager approves the regulation's numbers.
    # P11: ... and chairs the evaluation committee, approving rewards.
    Role.GENERAL_MANAGER: STAFF_READ
    | COMMITTEE
    | {
        "policy.approve_policyversion",
        "policy.change_policyversion",
        "accounts.add_delegation",
        "proposals.approve_reward",
        "proposals.export_proposal",
    },
    Role.COMMITTEE_MEMBER: STAFF_READ | COMMITTEE,
    Role.INSPECTION_GROUP_MEMBER: STAFF_READ,
    Role.ADMINISTRATOR: STAFF_READ
    | OUTBOX
    | {
        "accounts.manage_staff",
        "notifications.retry_message",
        "customers.anonymize_customer",
        "proposals.handle_inbound_mail",
    },
}

# Roles a delegation may hand on for a period: the managing ones.
DELEGABLE_ROLES = (
    Role.CS_MANAGER,
    Role.AFTERSALES_MANAGER,
    Role.DEPARTMENT_MANAGER,
    Role.GENERAL_MANAGER,
)


def sync_roles(*, using: str = "default") -> None:
    from django.contrib.auth.models import Group, Permission

    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    found = {
        f"{app}.{code}": pk
        for pk, app, code in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise RuntimeError(f"Roles name permissions that do not exist: {', '.join(missing)}")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=str(role.value))
        group.permissions.set([found[p] for p in perms])


def install_defaults_after_migrate(sender, app_config=None, using="default", **kwargs):
    """After every migrate (and every test flush): the roles as groups, and
    policy version 1 with the regulation's defaults if no policy exists yet."""
    from django.apps import apps

    # post_migrate fires once per app; act once, on the last of ours.
    if app_config is not None and app_config.label != _last_app_label(apps):
        return
    sync_roles(using=using)
    from aftersales.policy.services import policy_install_defaults

    policy_install_defaults()


def _last_app_label(apps) -> str:
    # post_migrate is sent only for apps that have a models module.
    labels = [
        c.label
        for c in apps.get_app_configs()
        if c.name.startswith("aftersales.") and c.models_module is not None
    ]
    return labels[-1]
