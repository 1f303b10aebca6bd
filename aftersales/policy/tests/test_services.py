"""The regulation's numbers as versioned, approved policy (Q3, Q14, I3; P9, P11, P12)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales.core.errors import ConflictError, DomainError
from aftersales.policy import services
from aftersales.policy.models import PolicyVersion
from aftersales.policy.registry import KEYS
from aftersales.policy.tests.factories import approved_version, move_version_one_to, policy_values

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are read in English here; the UI tests cover both languages.
    with translation.override("en"):
        yield


def today():
    return timezone.localdate()


@pytest.fixture
def draft(general_manager):
    return services.policy_draft_create(by=general_manager)


def save_draft(draft, by, note="Reserve shorter after the 2025 review", **overrides):
    return services.policy_draft_update(
        version=draft, by=by, values=policy_values(**overrides), note=note
    )


# --- version 1: the regulation's defaults --------------------------------------------


def test_version_one_holds_the_regulations_defaults_recorded_as_approved_at_installation():
    version = PolicyVersion.objects.get(number=1)

    assert version.status == PolicyVersion.Status.APPROVED
    assert version.installed is True
    assert version.approved_at is not None and version.effective_from is not None
    assert version.approved_by is None  # nobody signed it: the regulation itself did
    # P9: a reserve lasts at most two months.
    assert version.value("reserve_max_days") == 60
    # P11: reward by grade.
    amounts = {row["grade"]: Decimal(row["amount"]) for row in version.value("reward_grades")}
    assert amounts == {"A": Decimal(2000), "B": Decimal(1000), "C": Decimal(500), "D": Decimal(200)}
    weights = version.value("reward_weights")
    assert sum(Decimal(w) for w in weights.values()) == 1
    # P12: certificate after 3 proposals a year.
    assert version.value("certificate_min_proposals_per_year") == 3
    # Every key reads as its registered default.
    for name, key in KEYS.items():
        assert version.value(name) == key.clean(key.default), name


def test_version_one_is_in_force_today_when_nothing_else_was_approved():
    assert services.policy_in_force().number == 1
    assert services.policy_value("reserve_max_days") == 60


def test_installing_defaults_twice_keeps_the_one_version_one():
    again = services.policy_install_defaults()

    assert again.number == 1
    assert PolicyVersion.objects.filter(number=1).count() == 1


# --- which version is in force on a date ------------------------------------------------


def test_policy_in_force_picks_the_version_effective_on_each_date_and_past_versions_stay_readable(
    general_manager,
):
    move_version_one_to(date(2023, 1, 1))
    v2 = approved_version(date(2024, 1, 1), reserve_max_days=45)
    v3 = approved_version(date(2025, 1, 1), reserve_max_days=30)
    draft = services.policy_draft_create(by=general_manager)
    save_draft(draft, general_manager, reserve_max_days=20)
    v4 = services.policy_approve(
        version=draft, by=general_manager, effective_from=today() + timedelta(days=1)
    )

    assert services.policy_in_force(date(2023, 6, 1)).number == 1
    assert services.policy_in_force(date(2024, 1, 1)).pk == v2.pk
    assert services.policy_in_force(date(2024, 12, 31)).pk == v2.pk
    assert services.policy_in_force(date(2025, 1, 1)).pk == v3.pk
    # Q3: approved for tomorrow means not in force today.
    assert services.policy_in_force(today()).pk == v3.pk
    assert services.policy_in_force(today() + timedelta(days=1)).pk == v4.pk
    # The old numbers are still there to read.
    assert services.policy_value("reserve_max_days", date(2024, 3, 1)) == 45
    assert services.policy_value("reserve_max_days", date(2023, 3, 1)) == 60


def test_policy_in_force_before_any_version_took_effect_is_refused_by_name():
    move_version_one_to(date(2023, 1, 1))

    with pytest.raises(DomainError) as exc:
        services.policy_in_force(date(2022, 12, 31))
    assert exc.value.code == "no_policy"


def test_of_two_versions_effective_the_same_day_the_later_approved_is_in_force(general_manager):
    draft = services.policy_draft_create(by=general_manager)
    save_draft(draft, general_manager, reserve_max_days=40)
    later = services.policy_approve(version=draft, by=general_manager, effective_from=today())

    assert services.policy_in_force(today()).pk == later.pk
    assert services.policy_value("reserve_max_days") == 40


def test_withdrawn_and_draft_versions_are_never_in_force(general_manager):
    draft = services.policy_draft_create(by=general_manager)
    save_draft(draft, general_manager, reserve_max_days=10)

    assert services.policy_in_force().number == 1
    services.policy_withdraw(version=draft, by=general_manager)
    assert services.policy_in_force().number == 1
    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.WITHDRAWN


# --- a record keeps the rule it was judged by ------------------------------------------


def test_p9_a_deadline_keeps_the_version_it_was_set_by_when_a_later_version_is_approved(
    general_manager,
):
    start = today()
    decide_by, used = services.deadline_from(start, "reserve_max_days")
    assert (decide_by, used.number) == (start + timedelta(days=60), 1)

    draft = services.policy_draft_create(by=general_manager)
    save_draft(draft, general_manager, reserve_max_days=30)
    services.policy_approve(version=draft, by=general_manager, effective_from=start)

    # A reserve set from today on gets the new limit ...
    new_deadline, new_version = services.deadline_from(start, "reserve_max_days")
    assert (new_deadline, new_version.pk) == (start + timedelta(days=30), draft.pk)
    # ... while the one already set, computed again from the version it stored, does not move.
    again, same = services.deadline_from(
        start, "reserve_max_days", version=PolicyVersion.objects.get(pk=used.pk)
    )
    assert again == decide_by == start + timedelta(days=60)
    assert same.pk == used.pk


def test_p9_a_deadline_from_a_past_start_uses_the_version_in_force_on_that_start():
    move_version_one_to(date(2023, 1, 1))
    approved_version(date(2024, 1, 1), reserve_max_days=45)

    decide_by, used = services.deadline_from(date(2023, 12, 1), "reserve_max_days")

    assert used.number == 1
    assert decide_by == date(2023, 12, 1) + timedelta(days=60)


# --- invalid values: a clear message, nothing saved -------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reserve_max_days", -5, "at least"),
        ("reserve_max_days", "sixty", "whole number"),
        ("reserve_max_days", "1.5", "whole number"),
        ("reserve_max_days", True, "whole number"),
        ("reserve_max_days", 400, "at most"),
        (
            "reward_weights",
            {"creativity": "0.5", "feasibility": "0.3", "benefit": "0.3"},
            "add up to 1",
        ),
        ("reward_weights", {"creativity": "0.4", "feasibility": "0.6"}, "each criterion"),
        (
            "reward_weights",
            {"creativity": "x", "feasibility": "0.3", "benefit": "0.3"},
            "not a number",
        ),
        (
            "reward_weights",
            {"creativity": "1.2", "feasibility": "-0.2", "benefit": "0"},
            "negative",
        ),
        ("reward_grades", [], "cannot be empty"),
        (
            "reward_grades",
            [
                {"grade": "A", "min_score": "5", "amount": "2000"},
                {"grade": "B", "min_score": "7", "amount": "1000"},
            ],
            "best to worst",
        ),
        (
            "reward_grades",
            [
                {"grade": "A", "min_score": "8", "amount": "500"},
                {"grade": "B", "min_score": "7", "amount": "1000"},
            ],
            "best to worst",
        ),
        ("reward_grades", [{"grade": "A", "min_score": "eight", "amount": "2000"}], "not a number"),
        (
            "reward_grades",
            [
                {"grade": "A", "min_score": "8", "amount": "2000"},
                {"grade": "A", "min_score": "7", "amount": "1000"},
            ],
            "name of its own",
        ),
        ("certificate_min_proposals_per_year", 0, "at least"),
    ],
)
def test_invalid_policy_values_are_refused_with_a_message_naming_the_key_and_nothing_is_saved(
    general_manager, draft, key, value, message
):
    before = PolicyVersion.objects.get(pk=draft.pk)

    with pytest.raises(DomainError) as exc:
        save_draft(draft, general_manager, **{key: value})

    assert exc.value.code == "invalid_policy"
    assert list(exc.value.fields) == [key]
    assert message in str(exc.value.fields[key])
    after = PolicyVersion.objects.get(pk=draft.pk)
    assert (after.values, after.note, after.version) == (before.values, before.note, before.version)


def test_an_unknown_policy_key_is_refused_by_name(general_manager, draft):
    values = policy_values() | {"reserve_max_weeks": 8}

    with pytest.raises(DomainError) as exc:
        services.policy_draft_update(version=draft, by=general_manager, values=values, note="typo")

    assert exc.value.fields == {"reserve_max_weeks": "Unknown setting."}
    assert "reserve_max_weeks" not in PolicyVersion.objects.get(pk=draft.pk).values


def test_a_draft_missing_a_key_is_refused_naming_the_key(general_manager, draft):
    values = policy_values()
    del values["study_due_days"]

    with pytest.raises(DomainError) as exc:
        services.policy_draft_update(version=draft, by=general_manager, values=values, note="short")

    assert set(exc.value.fields) == {"study_due_days"}


def test_valid_values_are_stored_in_their_clean_form(general_manager, draft):
    saved = save_draft(
        draft,
        general_manager,
        reserve_max_days=" 45 ",
        reward_weights={"creativity": "0.5", "feasibility": "0.25", "benefit": "0.25"},
    )

    assert saved.values["reserve_max_days"] == 45
    assert saved.values["reward_weights"] == {
        "creativity": "0.5",
        "feasibility": "0.25",
        "benefit": "0.25",
    }
    assert saved.note == "Reserve shorter after the 2025 review"


# --- Q3 / Q14 / I3: the general manager approves ----------------------------------------


def test_q3_only_the_general_manager_can_approve_a_policy(
    general_manager, worker, cs_manager, aftersales_manager, outsider, draft
):
    save_draft(draft, general_manager, reserve_max_days=45)

    for person in (worker, cs_manager, aftersales_manager, outsider):
        with pytest.raises(DomainError) as exc:
            services.policy_approve(version=draft, by=person, effective_from=today())
        assert (exc.value.code, exc.value.status) == ("forbidden", 403)
        assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT

    approved = services.policy_approve(version=draft, by=general_manager, effective_from=today())
    assert approved.status == PolicyVersion.Status.APPROVED
    assert approved.approved_by == general_manager
    assert approved.approved_at is not None
    assert approved.effective_from == today()


def test_q3_the_general_manager_role_on_delegation_may_approve_for_the_period(
    general_manager, aftersales_manager, draft
):
    from aftersales.accounts.services import delegation_create

    save_draft(draft, general_manager, reserve_max_days=45)
    delegation_create(
        delegator=general_manager,
        delegate=aftersales_manager,
        role="general_manager",
        starts_on=today(),
        ends_on=today() + timedelta(days=7),
        reason="Business trip",
        by=general_manager,
    )

    approved = services.policy_approve(
        version=draft,
        by=type(aftersales_manager).objects.get(pk=aftersales_manager.pk),
        effective_from=today(),
    )
    assert approved.approved_by_id == aftersales_manager.pk


def test_roles_without_policy_rights_cannot_start_or_edit_a_draft(
    worker, cs_manager, general_manager
):
    for person in (worker, cs_manager):
        with pytest.raises(DomainError) as exc:
            services.policy_draft_create(by=person)
        assert exc.value.status == 403
    draft = services.policy_draft_create(by=general_manager)
    with pytest.raises(DomainError):
        save_draft(draft, worker)
    with pytest.raises(DomainError):
        services.policy_withdraw(version=draft, by=worker)


def test_an_approved_version_cannot_be_edited_approved_again_or_withdrawn(general_manager, draft):
    save_draft(draft, general_manager, reserve_max_days=45)
    approved = services.policy_approve(version=draft, by=general_manager, effective_from=today())

    with pytest.raises(DomainError) as edit:
        save_draft(approved, general_manager, reserve_max_days=10)
    with pytest.raises(DomainError) as approve:
        services.policy_approve(version=approved, by=general_manager, effective_from=today())
    with pytest.raises(DomainError) as withdraw:
        services.policy_withdraw(version=approved, by=general_manager)

    assert {edit.value.code, approve.value.code, withdraw.value.code} == {"transition_forbidden"}
    assert PolicyVersion.objects.get(pk=approved.pk).values["reserve_max_days"] == 45


def test_the_installed_version_one_cannot_be_edited(general_manager):
    with pytest.raises(DomainError) as exc:
        save_draft(PolicyVersion.objects.get(number=1), general_manager, reserve_max_days=10)

    assert exc.value.code == "transition_forbidden"
    assert PolicyVersion.objects.get(number=1).value("reserve_max_days") == 60


def test_approval_with_an_effective_date_in_the_past_is_refused(general_manager, draft):
    save_draft(draft, general_manager)

    with pytest.raises(DomainError) as exc:
        services.policy_approve(
            version=draft, by=general_manager, effective_from=today() - timedelta(days=1)
        )

    assert exc.value.code == "effective_in_past"
    assert "effective_from" in exc.value.fields
    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT


@pytest.mark.parametrize("note", ["", "   "])
def test_a_draft_needs_a_reason_for_the_change(general_manager, draft, note):
    with pytest.raises(DomainError) as exc:
        save_draft(draft, general_manager, note=note, reserve_max_days=45)

    assert exc.value.code == "note_required"
    assert "note" in exc.value.fields
    assert PolicyVersion.objects.get(pk=draft.pk).values["reserve_max_days"] == 60


def test_a_draft_without_a_reason_cannot_be_approved(general_manager, draft):
    with pytest.raises(DomainError) as exc:
        services.policy_approve(version=draft, by=general_manager, effective_from=today())

    assert exc.value.code == "note_required"
    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT


def test_a_new_draft_starts_from_the_policy_in_force_and_only_one_draft_exists_at_a_time(
    general_manager,
):
    move_version_one_to(date(2023, 1, 1))
    base = approved_version(date(2024, 1, 1), reserve_max_days=45)
    draft = services.policy_draft_create(by=general_manager)

    assert draft.based_on_id == base.pk
    assert draft.values["reserve_max_days"] == 45
    assert draft.number == base.number + 1
    with pytest.raises(DomainError) as exc:
        services.policy_draft_create(by=general_manager)
    assert exc.value.code == "draft_exists"


# --- concurrent edits -------------------------------------------------------------------


def test_a_draft_saved_with_a_stale_seen_version_is_refused_as_a_conflict(
    general_manager, aftersales_manager, draft
):
    seen = draft.version
    services.policy_draft_update(
        version=draft,
        by=aftersales_manager,
        values=policy_values(reserve_max_days=50),
        note="first",
        seen_version=seen,
    )

    with pytest.raises(ConflictError) as exc:
        services.policy_draft_update(
            version=draft,
            by=general_manager,
            values=policy_values(reserve_max_days=40),
            note="second",
            seen_version=seen,
        )

    assert exc.value.status == 409
    assert PolicyVersion.objects.get(pk=draft.pk).values["reserve_max_days"] == 50


def test_approving_a_draft_that_changed_since_it_was_read_is_refused_as_a_conflict(
    general_manager, aftersales_manager, draft
):
    save_draft(draft, aftersales_manager, reserve_max_days=50)
    read = PolicyVersion.objects.get(pk=draft.pk).version
    save_draft(draft, aftersales_manager, reserve_max_days=5)

    with pytest.raises(ConflictError):
        services.policy_approve(
            version=draft, by=general_manager, effective_from=today(), seen_version=read
        )

    assert PolicyVersion.objects.get(pk=draft.pk).status == PolicyVersion.Status.DRAFT


def test_policy_versions_are_kept_not_deleted():
    with pytest.raises(DomainError):
        PolicyVersion.objects.get(number=1).delete()
    with pytest.raises(DomainError):
        PolicyVersion.objects.all().delete()

    assert PolicyVersion.objects.filter(number=1).exists()
