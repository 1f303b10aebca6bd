"""Issue 8 item 3: the proposals' notices are the proposals app's templates,
keyed "proposals/<name>"; messages stored under the old bare keys move with them."""

import importlib

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader

from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.notifications.services import notify

MIGRATION = "0004_message_template_keys"


def _migration():
    return importlib.import_module(f"aftersales.proposals.migrations.{MIGRATION}")


def test_the_key_migration_is_in_the_migration_graph():
    assert ("proposals", MIGRATION) in MigrationLoader(None).graph.nodes


@pytest.mark.django_db
def test_p4_messages_stored_under_an_old_key_are_found_under_the_new_one():
    """Today's acknowledgements (P4) and late decision notices (P7-P9) are
    looked up by key: a stored row keeps being found after the move."""
    customer = make_customer(name="赵丽华", email="zhao@example.com")
    old = {}
    for key in ("proposal_ack", "proposal_adopted", "study_requested"):
        message = notify(
            template="generic", context={"subject": "s", "body": "b"}, customer=customer
        )
        Message.objects.filter(pk=message.pk).update(template=key)
        old[message.pk] = key
    untouched = notify(template="generic", context={"subject": "s", "body": "b"}, customer=customer)

    _migration().forwards(apps, None)

    stored = dict(Message.objects.values_list("pk", "template"))
    assert {pk: stored[pk] for pk in old} == {pk: f"proposals/{key}" for pk, key in old.items()}
    assert stored[untouched.pk] == "generic"

    _migration().backwards(apps, None)

    assert {pk: t for pk, t in Message.objects.values_list("pk", "template") if pk in old} == old
    assert Message.objects.get(pk=untouched.pk).template == "generic"


def test_the_migration_moves_exactly_the_templates_the_proposals_app_holds():
    from aftersales.notifications.rendering import template_keys

    moved = {f"proposals/{key}" for key in _migration().KEYS}

    assert moved == {key for key in template_keys() if key.startswith("proposals/")}
