"""The outbox's test set-up; the SMTP server fixtures are in the root conftest."""

import pytest


@pytest.fixture(autouse=True)
def outbox_settings(settings):
    settings.MAIL_DOMAIN = "mail.example.test"
    settings.OUTBOX_MAX_ATTEMPTS = 6
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 60
    settings.OUTBOX_BACKOFF_FACTOR = 5
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 6 * 3600
    settings.OUTBOX_STUCK_SECONDS = 300
    settings.OUTBOX_SWEEP_BATCH = 50
    settings.COMPANY_NAME = ""


@pytest.fixture(autouse=True)
def huey_runs_in_process(huey_immediate):
    """Tasks queued by on-commit callbacks run at once, in memory."""


@pytest.fixture
def make_customer(db):
    from aftersales.customers.services import customer_create

    counter = {"n": 0}

    def make(name="张三", *, email="", phone="", postal_address="", language="zh-hans"):
        counter["n"] += 1
        return customer_create(
            name=name,
            email=email,
            phone=phone,
            postal_address=postal_address,
            preferred_language=language,
        )

    return make


@pytest.fixture
def chinese_customer(make_customer):
    return make_customer("张三", email="zhangsan@example.com", language="zh-hans")


@pytest.fixture
def english_customer(make_customer):
    return make_customer("Jane Smith", email="jane@example.com", language="en")
