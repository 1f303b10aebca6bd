"""The shared workflow engine (issue 8): one place that moves every stateful
record, refuses in one way, records every move, and carries the sign-off,
history-guard and deadline machinery the inspection and quality modules use.

The engine is exercised on real models: policy versions (Q3 / Q14 / I3 go
through it), outbox messages, proposals and reward evaluations.
"""

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.models import (
    DeadlineNotice,
    Signature,
    WorkflowEvent,
    WorkflowModel,
)
from aftersales.core.roles import Role
from aftersales.core.workflow import (
    FORBIDDEN,
    NOT_PERMITTED,
    STALE,
    TWO_ROLES,
    Deadline,
    DistinctActors,
    SignOff,
    Workflow,
    generic_event,
    workflow_deadlines,
    workflows,
)
from aftersales.notifications.models import Message
from aftersales.policy.models import POLICY_FLOW, PolicyVersion
from aftersales.policy.services import policy_draft_create

ROOT = Path(__file__).resolve().parents[2]
Draft = PolicyVersion.Status


@pytest.fixture
def draft(db, aftersales_manager):
    version = policy_draft_create(by=aftersales_manager, note="why")
    # Dated ahead, so a test flow may move it to "approved" without the
    # approval service (the table's check constraint wants both).
    version.effective_from, version.approved_at = timezone.localdate(), timezone.now()
    version.save()
    return version


# --- one engine, for every stateful record ---------------------------------


def test_every_stateful_model_has_exactly_one_registered_workflow(db):
    from django.apps import apps

    stateful = {m for m in apps.get_models() if issubclass(m, WorkflowModel)}
    flows = {}
    for flow in workflows():
        flows.setdefault(flow.model, []).append(flow)
    assert stateful, "no model holds a workflow status"
    for model in stateful:
        assert len(flows.get(model, [])) == 1, model
    names = {m._meta.label for m in stateful}
    assert {
        "proposals.Proposal",
        "proposals.Evaluation",
        "notifications.Message",
        "policy.PolicyVersion",
    } <= names


def test_no_app_keeps_a_transition_engine_of_its_own():
    """grep finds one engine: no module but core/workflow.py writes a status
    move of its own (``_transition``, ``_locked``, ``_require_status``)."""
    offenders = []
    for path in (ROOT).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "workflow.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in {
                "_transition",
                "_locked",
                "_require_status",
                "_locked_evaluation",
            }:
                offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert offenders == []


def test_product_code_never_imports_the_test_helpers():
    users = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if "tests" not in p.parts
        and p.name not in {"testing.py", "conftest.py"}
        and "aftersales.core.testing" in p.read_text(encoding="utf-8")
    ]
    assert users == []


@pytest.mark.django_db
def test_a_save_that_changes_a_status_outside_the_engine_is_refused(draft):
    draft.status = Draft.APPROVED
    with pytest.raises(DomainError) as exc:
        draft.save()
    assert exc.value.code == "status_outside_workflow"
    assert PolicyVersion.objects.get(pk=draft.pk).status == Draft.DRAFT


@pytest.mark.django_db
def test_a_copy_refreshed_after_a_move_elsewhere_saves_without_complaint(draft, aftersales_manager):
    stale_copy = PolicyVersion.objects.get(pk=draft.pk)
    with transaction.atomic():
        POLICY_FLOW.move(POLICY_FLOW.lock(draft), Draft.WITHDRAWN, by=aftersales_manager)
    stale_copy.refresh_from_db()
    stale_copy.note = "read again, then saved"
    stale_copy.save()
    assert PolicyVersion.objects.get(pk=draft.pk).status == Draft.WITHDRAWN


@pytest.mark.django_db
def test_a_save_of_other_fields_is_untouched_by_the_guard(draft):
    draft.note = "another reason"
    draft.save()
    draft.refresh_from_db()
    assert draft.note == "another reason" and draft.status == Draft.DRAFT


@pytest.mark.django_db
def test_a_bulk_update_of_a_status_is_refused(draft, worker):
    from aftersales.notifications.services import notify

    notify(template="generic", context={"subject": "s", "body": "b"}, user=worker)
    with pytest.raises(DomainError):
        Message.objects.update(status="sent")
    with pytest.raises(DomainError):
        PolicyVersion.objects.filter(pk=draft.pk).update(status=Draft.WITHDRAWN)
    assert not Message.objects.filter(status="sent").exists()
    assert PolicyVersion.objects.get(pk=draft.pk).status == Draft.DRAFT


# --- a move: lock, stale check, table, who may, event, hooks ----------------


@pytest.mark.django_db
def test_q3_i3_only_the_general_manager_approves_through_the_engine(
    draft, aftersales_manager, general_manager
):
    with transaction.atomic(), pytest.raises(DomainError) as refused:
        POLICY_FLOW.move(POLICY_FLOW.lock(draft), Draft.APPROVED, by=aftersales_manager)
    assert refused.value.code == NOT_PERMITTED and refused.value.status == 403

    with transaction.atomic():
        locked = POLICY_FLOW.lock(draft, draft.version)
        locked.effective_from, locked.approved_at = timezone.localdate(), timezone.now()
        POLICY_FLOW.move(
            locked, Draft.APPROVED, by=general_manager, fields={"effective_from", "approved_at"}
        )
    event = WorkflowEvent.objects.get(
        content_type=ContentType.objects.get_for_model(PolicyVersion), object_id=draft.pk
    )
    assert (event.old_status, event.new_status, event.by) == ("draft", "approved", general_manager)


@pytest.mark.django_db
def test_a_stale_version_is_refused_with_the_one_code_and_nothing_changes(draft, general_manager):
    with pytest.raises(ConflictError) as exc, transaction.atomic():
        POLICY_FLOW.lock(draft, draft.version - 1)
    assert exc.value.code == STALE and exc.value.status == 409


@pytest.mark.django_db
def test_a_move_the_table_does_not_have_is_refused_with_the_one_code(draft, aftersales_manager):
    with transaction.atomic():
        POLICY_FLOW.move(POLICY_FLOW.lock(draft), Draft.WITHDRAWN, by=aftersales_manager)
    with pytest.raises(DomainError) as exc, transaction.atomic():
        POLICY_FLOW.move(POLICY_FLOW.lock(draft), Draft.APPROVED, by=None)
    assert exc.value.code == FORBIDDEN and exc.value.status == 409


@pytest.mark.django_db(transaction=True)
def test_lock_needs_a_transaction(draft):
    with pytest.raises(RuntimeError):
        POLICY_FLOW.lock(draft)


@pytest.mark.django_db
def test_hooks_run_inside_the_transaction_and_after_commit(
    draft, aftersales_manager, django_capture_on_commit_callbacks
):
    seen = []
    flow = Workflow(
        model=PolicyVersion,
        table={Draft.DRAFT: {Draft.WITHDRAWN}},
        label="policy version",
        before_commit=lambda record, old, new: seen.append(("in", old, new)),
        after_commit=lambda pk, old, new: seen.append(("after", pk, new)),
        register=False,
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        flow.move(flow.lock(draft), Draft.WITHDRAWN, by=aftersales_manager)
        assert seen == [("in", "draft", "withdrawn")]
    assert seen[-1] == ("after", draft.pk, "withdrawn")


@pytest.mark.django_db
def test_a_rolled_back_move_leaves_no_event_and_runs_no_after_commit_hook(
    draft, aftersales_manager, django_capture_on_commit_callbacks
):
    after = []
    flow = Workflow(
        model=PolicyVersion,
        table={Draft.DRAFT: {Draft.WITHDRAWN}},
        label="policy version",
        after_commit=lambda pk, old, new: after.append(pk),
        register=False,
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        flow.move(flow.lock(draft), Draft.WITHDRAWN, by=aftersales_manager)
        1 / 0  # noqa: B018 - the action fails after the move
    assert after == []
    assert PolicyVersion.objects.get(pk=draft.pk).status == Draft.DRAFT
    assert not WorkflowEvent.objects.filter(object_id=draft.pk).exists()


# Workflows as tables: random walks accept exactly the moves in the table.
POLICY_TABLE = {
    Draft.DRAFT: {Draft.APPROVED, Draft.WITHDRAWN},
    Draft.APPROVED: set(),
    Draft.WITHDRAWN: set(),
}


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.sampled_from(list(Draft)), min_size=1, max_size=6))
def test_a_random_walk_moves_exactly_as_the_table_allows(steps, general_manager):
    # Examples share the test's transaction: each walks the open draft, or a new one.
    version = PolicyVersion.objects.filter(status=Draft.DRAFT).first()
    version = version or policy_draft_create(by=general_manager, note="walk")
    status, accepted = version.status, 0
    events_before = WorkflowEvent.objects.filter(object_id=version.pk).count()
    for target in steps:
        allowed = target in POLICY_TABLE[status]
        try:
            with transaction.atomic():
                locked = POLICY_FLOW.lock(version)
                locked.effective_from, locked.approved_at = date.today(), timezone.now()
                POLICY_FLOW.move(
                    locked, target, by=general_manager, fields={"effective_from", "approved_at"}
                )
        except DomainError as exc:
            assert not allowed and exc.code == FORBIDDEN
        else:
            assert allowed
            status, accepted = target, accepted + 1
        assert PolicyVersion.objects.get(pk=version.pk).status == status
    assert WorkflowEvent.objects.filter(object_id=version.pk).count() == events_before + accepted


# --- several signers ---------------------------------------------------------

# A two-slot sign-off on a policy draft: "withdrawn" plays the step a return
# sends it back to, and "draft" the step that waits on the signers.
SIGN_TABLE = {
    Draft.DRAFT: {Draft.APPROVED, Draft.WITHDRAWN},
    Draft.WITHDRAWN: {Draft.DRAFT},
    Draft.APPROVED: set(),
}


@pytest.fixture
def signing(db, make_staff):
    flow = Workflow(model=PolicyVersion, table=SIGN_TABLE, label="draft", register=False)
    sales = make_staff("sales_mgr", Role.DEPARTMENT_MANAGER)
    rd = make_staff("rd_mgr", Role.DEPARTMENT_MANAGER)
    signers = {"sales": sales, "rd": rd}
    sign_off = SignOff(
        workflow=flow,
        state=Draft.DRAFT,
        step="countersign",
        done=Draft.APPROVED,
        returned_to=Draft.WITHDRAWN,
        slots=lambda record: ["sales", "rd"],
        may_sign=lambda user, record, slot: signers[slot] == user,
    )
    return flow, sign_off, signers


def _fresh(record):
    return type(record).objects.get(pk=record.pk)


@pytest.mark.django_db
def test_sign_off_moves_on_once_every_signer_signed_in_any_order(draft, signing):
    flow, sign_off, signers = signing
    with transaction.atomic():
        sign_off.sign(draft, by=signers["rd"], slot="rd", seen_version=draft.version)
    assert _fresh(draft).status == Draft.DRAFT
    assert set(sign_off.signatures(draft)) == {"rd"}
    with transaction.atomic():
        sign_off.sign(draft, by=signers["sales"], slot="sales", seen_version=_fresh(draft).version)
    assert _fresh(draft).status == Draft.APPROVED


@pytest.mark.django_db
def test_sign_off_a_return_voids_every_signature_given(draft, signing, aftersales_manager):
    flow, sign_off, signers = signing
    with transaction.atomic():
        sign_off.sign(draft, by=signers["sales"], slot="sales", seen_version=None)
    with transaction.atomic():
        sign_off.give_back(
            draft, by=signers["rd"], slot="rd", seen_version=None, note="cause unclear"
        )
    assert _fresh(draft).status == Draft.WITHDRAWN
    with transaction.atomic():
        flow.move(flow.lock(draft), Draft.DRAFT, by=aftersales_manager)
    # Back at the step: the sales signature of the first round no longer counts.
    assert sign_off.signatures(_fresh(draft)) == {}
    assert sign_off.round(draft) == 2
    with transaction.atomic():
        sign_off.sign(draft, by=signers["rd"], slot="rd", seen_version=None)
    assert _fresh(draft).status == Draft.DRAFT  # sales must sign again
    with transaction.atomic():
        sign_off.sign(draft, by=signers["sales"], slot="sales", seen_version=None)
    assert _fresh(draft).status == Draft.APPROVED
    # Every answer of every round stays on record.
    assert Signature.objects.filter(object_id=draft.pk).count() == 4


@pytest.mark.django_db
def test_sign_off_refuses_a_stranger_a_second_signature_and_a_return_without_reason(
    draft, signing, outsider
):
    flow, sign_off, signers = signing
    with pytest.raises(DomainError) as stranger, transaction.atomic():
        sign_off.sign(draft, by=outsider, slot="rd", seen_version=None)
    assert stranger.value.code == NOT_PERMITTED
    with transaction.atomic():
        sign_off.sign(draft, by=signers["rd"], slot="rd", seen_version=None)
    with pytest.raises(ConflictError), transaction.atomic():
        sign_off.sign(draft, by=signers["rd"], slot="rd", seen_version=None)
    with pytest.raises(DomainError) as no_reason, transaction.atomic():
        sign_off.give_back(draft, by=signers["sales"], slot="sales", seen_version=None, note=" ")
    assert no_reason.value.code == "note_required"
    assert Signature.objects.filter(object_id=draft.pk).count() == 1


@pytest.mark.django_db
def test_sign_off_a_slot_that_signed_cannot_also_return_in_the_same_round(draft, signing):
    flow, sign_off, signers = signing
    with transaction.atomic():
        sign_off.sign(draft, by=signers["rd"], slot="rd", seen_version=None)
    with pytest.raises(ConflictError), transaction.atomic():
        sign_off.give_back(draft, by=signers["rd"], slot="rd", seen_version=None, note="oops")
    assert _fresh(draft).status == Draft.DRAFT


@pytest.mark.django_db
def test_sign_off_checks_the_version_the_signer_saw(draft, signing):
    flow, sign_off, signers = signing
    seen = draft.version
    with transaction.atomic():
        sign_off.sign(draft, by=signers["rd"], slot="rd", seen_version=seen)
    with pytest.raises(ConflictError) as exc, transaction.atomic():
        sign_off.sign(draft, by=signers["sales"], slot="sales", seen_version=seen)
    assert exc.value.code == STALE


# --- guards that read the history -------------------------------------------


def _roles_from_events(record):
    rows = WorkflowEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    )
    role_of = {Draft.WITHDRAWN: "handler", Draft.APPROVED: "reviewer"}
    return [(role_of.get(row.new_status), row.by_id) for row in rows]


@pytest.fixture
def guarded(db):
    guard = DistinctActors(
        roles={"handler": {Draft.WITHDRAWN}, "reviewer": {Draft.APPROVED}},
        history=_roles_from_events,
    )
    return Workflow(
        model=PolicyVersion,
        table=SIGN_TABLE,
        label="draft",
        guards=(guard,),
        record_event=generic_event,
        register=False,
    )


@pytest.mark.django_db
def test_nobody_acts_in_two_roles_on_one_record(draft, guarded, general_manager, make_staff):
    with transaction.atomic():
        guarded.move(guarded.lock(draft), Draft.WITHDRAWN, by=general_manager)
    with transaction.atomic():
        guarded.move(guarded.lock(draft), Draft.DRAFT, by=general_manager)
    assert not guarded.may_move(general_manager, _fresh(draft), Draft.APPROVED)
    with pytest.raises(DomainError) as exc, transaction.atomic():
        guarded.move(guarded.lock(draft), Draft.APPROVED, by=general_manager)
    assert exc.value.code == TWO_ROLES
    other = make_staff("reviewer", Role.GENERAL_MANAGER)
    with transaction.atomic():
        guarded.move(guarded.lock(draft), Draft.APPROVED, by=other)
    assert _fresh(draft).status == Draft.APPROVED


@pytest.mark.django_db
def test_a_delegate_counts_as_the_person_they_act_for(draft, guarded, cs_manager, make_staff):
    from aftersales.accounts.services import delegation_create

    deputy = make_staff("deputy", Role.QUALITY_SPECIALIST)
    delegation_create(
        by=cs_manager,
        delegator=cs_manager,
        delegate=deputy,
        role=Role.CS_MANAGER,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=7),
        reason="leave",
    )
    with transaction.atomic():
        guarded.move(guarded.lock(draft), Draft.WITHDRAWN, by=cs_manager)
    with transaction.atomic():
        guarded.move(guarded.lock(draft), Draft.DRAFT, by=cs_manager)
    with pytest.raises(DomainError) as exc, transaction.atomic():
        guarded.move(guarded.lock(draft), Draft.APPROVED, by=deputy)
    assert exc.value.code == TWO_ROLES


# --- deadlines: one task for every workflow ---------------------------------


@pytest.mark.django_db
def test_a_deadline_reminds_then_escalates_each_once(draft):
    reminded, escalated = [], []
    flow = Workflow(
        model=PolicyVersion,
        table=SIGN_TABLE,
        label="draft",
        register=False,
        deadlines=(
            Deadline(
                state=Draft.DRAFT,
                # Any numeric key serves the test: its value is read as hours.
                policy_key="notice_due_days",
                lead_key="study_reminder_days_before",
                entered_at=lambda rows: rows.annotate(entered_at=F("created_at")),
                remind=lambda record: reminded.append(record.pk),
                escalate=lambda record: escalated.append(record.pk),
            ),
        ),
    )
    from aftersales.policy.services import policy_in_force

    policy = policy_in_force()
    hours = float(policy.value("notice_due_days"))
    lead = float(policy.value("study_reminder_days_before"))
    created = PolicyVersion.objects.get(pk=draft.pk).created_at

    early = created + timedelta(hours=hours - lead - 0.5)
    assert workflow_deadlines(now=early, flows=[flow]) == {}
    within_lead = created + timedelta(hours=hours - lead / 2)
    workflow_deadlines(now=within_lead, flows=[flow])
    workflow_deadlines(now=within_lead, flows=[flow])
    assert reminded == [draft.pk] and escalated == []
    late = created + timedelta(hours=hours + 1)
    workflow_deadlines(now=late, flows=[flow])
    workflow_deadlines(now=late, flows=[flow])
    assert escalated == [draft.pk]
    assert DeadlineNotice.objects.filter(object_id=draft.pk).count() == 2
