"""Customer proposals, P4-P12: what a proposal is, the steps it moves through,
and the records the regulation keeps about it.

The workflow is the table ``TRANSITIONS`` (STYLE rule 2); every move goes
through ``PROPOSAL_FLOW`` (the shared engine, aftersales.core.workflow), which
checks it, writes a ProposalEvent and keeps the summary counters.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import AppendOnlyModel, BaseModel, WorkflowModel
from aftersales.core.roles import Role
from aftersales.core.workflow import Workflow


class Channel(models.TextChoices):
    # P4: every channel a proposal arrives by.
    WEB = "web", _("web form")
    EMAIL = "email", _("email")
    LETTER = "letter", _("letter")
    PHONE = "phone", _("telephone")


class Status(models.TextChoices):
    RECEIVED = "received", _("received")
    ACCEPTED = "accepted", _("accepted")
    UNDER_STUDY = "under_study", _("under study")
    RESERVED = "reserved", _("reserved")
    ADOPTED = "adopted", _("adopted")
    NOT_ADOPTED = "not_adopted", _("not adopted")
    IMPLEMENTED = "implemented", _("implemented")
    CLOSED = "closed", _("closed: not a proposal")


# P5-P9 as a table. A proposal is accepted (acceptance record), studied by
# departments, then decided (P6): adopted, not adopted or reserved; a reserve
# is decided later (P9); an adopted proposal is implemented (P7). What is not
# a proposal at all is closed before or right after acceptance.
TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.ACCEPTED, Status.CLOSED},
    Status.ACCEPTED: {Status.UNDER_STUDY, Status.CLOSED},
    Status.UNDER_STUDY: {Status.ADOPTED, Status.NOT_ADOPTED, Status.RESERVED},
    Status.RESERVED: {Status.ADOPTED, Status.NOT_ADOPTED},
    Status.ADOPTED: {Status.IMPLEMENTED},
    Status.NOT_ADOPTED: set(),
    Status.IMPLEMENTED: set(),
    Status.CLOSED: set(),
}

OPEN_STATUSES = (Status.RECEIVED, Status.ACCEPTED, Status.UNDER_STUDY, Status.RESERVED)
DECIDED_STATUSES = (Status.ADOPTED, Status.NOT_ADOPTED, Status.IMPLEMENTED)
ADOPTED_STATUSES = (Status.ADOPTED, Status.IMPLEMENTED)


class Category(models.TextChoices):
    # P5: the acceptance record's category.
    PRODUCT = "product", _("product")
    SERVICE = "service", _("service")
    PROCESS = "process", _("process and management")
    OTHER = "other", _("other")


class CloseReason(models.TextChoices):
    # P5: what is not a proposal is closed with a reason and no thank-you.
    SPAM = "spam", _("spam")
    MISDIRECTED = "misdirected", _("sent to the wrong place (e.g. a complaint)")
    DUPLICATE = "duplicate", _("duplicate of another proposal")
    OTHER = "other", _("other")


class DevelopmentMode(models.TextChoices):
    # P10: who owns what results from an adopted proposal.
    COMPANY = "company", _("developed by the company")
    JOINT = "joint", _("developed jointly with the customer")


class Proposal(WorkflowModel):
    # Set right after the insert, from the id; NULL only inside that transaction
    # (an empty string would clash with the unique constraint).
    reference = models.CharField(  # noqa: DJ001
        _("reference"), max_length=20, unique=True, null=True
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    title = models.CharField(_("title"), max_length=300)
    content = models.TextField(_("content"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    # When the department received it: the postmark or call date for letters
    # and calls, the arrival for web and email.
    received_at = models.DateTimeField(_("received at"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Web form: the moment the customer agreed to the personal-data notice.
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # Email: the Message-ID of the mail it came from, for threading replies.
    source_message_id = models.CharField(max_length=255, blank=True)

    # P5: the acceptance record.
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    # P5: not a proposal.
    close_reason = models.CharField(
        _("reason"), max_length=20, choices=CloseReason.choices, blank=True
    )
    close_note = models.TextField(_("note"), blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )

    # P6: the decision.
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(_("decision note"), blank=True)

    # P9: reserve.
    reserve_reason = models.TextField(_("reason for reserving"), blank=True)
    reserved_on = models.DateField(_("reserved on"), null=True, blank=True)
    decide_by = models.DateField(_("decide by"), null=True, blank=True, db_index=True)
    # The policy in force on the reserve date fixes its limit for good.
    reserve_policy = models.ForeignKey(
        "policy.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reserve_reminded_at = models.DateTimeField(null=True, blank=True)
    reserve_escalated_at = models.DateTimeField(null=True, blank=True)

    # P7: implementation.
    implementing_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("implementing department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    planned_implementation_date = models.DateField(
        _("planned implementation date"), null=True, blank=True
    )
    improvement_measures = models.TextField(_("improvement measures"), blank=True)
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    implemented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("implementation recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    implementation_note = models.TextField(_("implementation note"), blank=True)
    implementation_reminded_at = models.DateTimeField(null=True, blank=True)

    # P10: development mode.
    development_mode = models.CharField(
        _("development mode"), max_length=10, choices=DevelopmentMode.choices, blank=True
    )
    agreement_reference = models.CharField(_("agreement reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        permissions = [
            ("accept_proposal", _("Can accept, close and route proposals for study")),
            ("decide_proposal", _("Can decide proposals (adopt, not adopt, reserve)")),
            ("extend_reserve", _("Can approve a reserve past its limit")),
            ("record_implementation", _("Can record a proposal's implementation")),
            ("export_proposal", _("Can export proposals")),
            ("handle_inbound_mail", _("Can see and retry quarantined mail")),
            ("score_proposal", _("Can score proposals as a committee member")),
            ("manage_evaluation", _("Can open proposal evaluations and record payment")),
            ("approve_reward", _("Can approve rewards")),
            ("issue_certificate", _("Can issue certificates of appreciation")),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="proposal_status_id"),
            models.Index(fields=["channel", "-id"], name="proposal_channel_id"),
            models.Index(fields=["customer", "-id"], name="proposal_customer_id"),
            # P9: reserves by decide-by date (summary, reminders, sorting).
            # Decided proposals keep their old decide_by, so the date alone
            # would walk every proposal that was ever reserved.
            models.Index(fields=["status", "decide_by", "id"], name="proposal_status_decide_by"),
            # P7: adopted proposals by planned implementation date (My work).
            models.Index(
                fields=["status", "planned_implementation_date", "id"],
                name="proposal_status_planned",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(development_mode="joint") | ~Q(agreement_reference=""),
                name="p10_joint_needs_agreement",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("proposals:detail", args=[self.pk])

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_adopted(self) -> bool:
        return self.status in ADOPTED_STATUSES


class ProposalEvent(AppendOnlyModel):
    """Append-only: one row per thing that happened to a proposal (STYLE rule 2)."""

    class Kind(models.TextChoices):
        STATUS = "status", _("status changed")
        RECEIVED = "received", _("received")
        MAIL = "mail", _("mail attached")
        STUDY_REQUESTED = "study_requested", _("study requested")
        OPINION = "opinion", _("study opinion")
        REMINDER = "reminder", _("reminder sent")
        ESCALATION = "escalation", _("escalated")
        RESERVE_EXTENDED = "reserve_extended", _("reserve extended")
        DEVELOPMENT = "development", _("development mode recorded")
        REWARD = "reward", _("reward")
        NOTE = "note", _("note")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    old_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("proposal event")
        verbose_name_plural = _("proposal events")
        indexes = [models.Index(fields=["proposal", "at"], name="proposal_event_at")]

    def __str__(self):
        return f"{self.proposal_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Attachment(BaseModel):
    """An original the proposal arrived with (P4): an uploaded file, a scanned
    letter, a call note, a mail attachment or inline image."""

    class Kind(models.TextChoices):
        UPLOAD = "upload", _("uploaded file")
        SCAN = "scan", _("scanned letter")
        CALL_NOTE = "call_note", _("call note")
        MAIL = "mail", _("mail attachment")
        INLINE = "inline", _("inline image")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="proposals/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    inbound_mail = models.ForeignKey(
        "proposals.InboundMail",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


# P5: a study opinion is written by the department's manager, or by whoever
# that manager delegated a managing role to. The page, the API, My work and
# the service all ask this one function.
OPINION_DELEGABLE_ROLES = (Role.DEPARTMENT_MANAGER, Role.AFTERSALES_MANAGER, Role.CS_MANAGER)


def opinion_delegators(user, on=None):
    """The active delegations through which ``user`` writes for a manager."""
    from aftersales.accounts.models import Delegation

    return Delegation.objects.active(on).filter(delegate=user, role__in=OPINION_DELEGABLE_ROLES)


class StudyRequest(BaseModel):
    """P5: a department asked to study a proposal, and its written opinion."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="study_requests")
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="study_requests",
    )
    due_date = models.DateField(_("due date"), db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opinion = models.TextField(_("study opinion"), blank=True)
    opinion_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    opinion_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("study request")
        verbose_name_plural = _("study requests")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "department"], name="one_study_per_dept")
        ]

    def __str__(self):
        return f"{self.proposal_id} → {self.department_id}"

    @property
    def is_answered(self) -> bool:
        return self.opinion_at is not None


class ReserveExtension(AppendOnlyModel):
    """P9: a reserve taken past its limit, approved by the after-sales
    department manager with a reason. Append-only."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="reserve_extensions"
    )
    old_decide_by = models.DateField(_("old decide-by date"))
    new_decide_by = models.DateField(_("new decide-by date"))
    reason = models.TextField(_("reason"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"))

    class Meta:
        ordering = ["approved_at", "id"]
        verbose_name = _("reserve extension")
        verbose_name_plural = _("reserve extensions")

    def __str__(self):
        return f"{self.proposal_id}: {self.old_decide_by} → {self.new_decide_by}"


class InboundMail(BaseModel):
    """Every mail the intake read (P4), whatever became of it. The raw bytes
    are kept, so nothing that arrived is lost, and a quarantined mail can be
    retried once the cause is fixed."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("created a proposal")
        ATTACHED = "attached", _("attached to a proposal")
        DUPLICATE = "duplicate", _("already taken")
        IGNORED = "ignored", _("automatic mail, ignored")
        QUARANTINED = "quarantined", _("quarantined")

    class Source(models.TextChoices):
        IMAP = "imap", _("mailbox")
        PIPE = "pipe", _("mail server pipe")

    # The Message-ID, or "sha256:<hash of the bytes>" for mail without one.
    dedupe_key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    raw = models.FileField(_("raw message"), upload_to="mail/%Y/%m/", max_length=300)
    size = models.PositiveBigIntegerField(_("size"))
    mail_from = models.CharField(_("from"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True)
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_mails",
    )
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        indexes = [models.Index(fields=["outcome", "-id"], name="inbound_outcome_id")]

    def __str__(self):
        return f"{self.outcome}: {self.subject}"


class Evaluation(WorkflowModel):
    """P11: the evaluation committee's rating of an adopted proposal, the grade
    and reward it gives, its approval by the general manager and payment."""

    class Status(models.TextChoices):
        SCORING = "scoring", _("scoring")
        GRADED = "graded", _("graded")
        APPROVED = "approved", _("approved")
        PAID = "paid", _("paid")

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="evaluation")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCORING
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The committee as it stood when scoring opened: "every member has scored"
    # means these people.
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="evaluations", verbose_name=_("committee")
    )
    policy = models.ForeignKey("policy.PolicyVersion", on_delete=models.PROTECT, related_name="+")
    closed_early_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_early_note = models.TextField(_("note"), blank=True)
    weighted_score = models.DecimalField(
        _("weighted score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    amount = models.DecimalField(
        _("reward (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self):
        return f"{self.proposal_id} {self.status}"


class Score(AppendOnlyModel):
    """P11: one committee member's scores. Append-only; one per member."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="scores")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    creativity = models.DecimalField(_("creativity"), max_digits=5, decimal_places=2)
    feasibility = models.DecimalField(_("feasibility"), max_digits=5, decimal_places=2)
    benefit = models.DecimalField(_("overall benefit"), max_digits=5, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "member"], name="p11_one_score_each")
        ]

    def __str__(self):
        return f"{self.evaluation_id} {self.member_id}"


class Certificate(BaseModel):
    """P12: a certificate of appreciation for one customer and one year."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    year = models.PositiveIntegerField(_("year"))
    proposals_count = models.PositiveIntegerField(_("proposals in the year"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    file = models.FileField(_("file"), upload_to="certificates/%Y/", max_length=300)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-year", "number"]
        verbose_name = _("certificate of appreciation")
        verbose_name_plural = _("certificates of appreciation")
        constraints = [
            models.UniqueConstraint(fields=["customer", "year"], name="p12_one_certificate_a_year")
        ]

    def __str__(self):
        return self.number


class Tally(models.Model):
    """Counters for the summary page, kept in the transaction of each change
    so the page reads a few rows instead of counting a million."""

    key = models.CharField(max_length=100)
    # Writers spread over a few rows per key, so concurrent intake does not
    # queue on one row lock; readers add the shards up.
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "shard"], name="tally_key_shard")]

    def __str__(self):
        return f"{self.key}={self.count}"


# --- the workflows (aftersales.core.workflow) ---------------------------------


def _proposal_event(proposal, *, old, new, by, at, note, data) -> None:
    ProposalEvent.objects.create(
        proposal=proposal,
        kind=ProposalEvent.Kind.STATUS,
        by=by,
        note=note or "",
        old_status=old,
        new_status=new,
        at=at,
        data=data or {},
    )


def _count_move(proposal, old, new) -> None:
    # The summary's counters move in the same transaction as the status.
    from aftersales.proposals.counters import tally

    tally({f"status:{old}": -1, f"status:{new}": 1})


PROPOSAL_FLOW = Workflow(
    model=Proposal,
    table=TRANSITIONS,
    label=_("proposal"),
    record_event=_proposal_event,
    before_commit=_count_move,
    describe=lambda proposal: proposal.reference,
)


# P11: scoring, then graded, approved by the general manager, and paid.
EVALUATION_TRANSITIONS = {
    Evaluation.Status.SCORING: {Evaluation.Status.GRADED},
    Evaluation.Status.GRADED: {Evaluation.Status.APPROVED},
    Evaluation.Status.APPROVED: {Evaluation.Status.PAID},
    Evaluation.Status.PAID: set(),
}


def _evaluation_event(evaluation, *, old, new, by, at, note, data) -> None:
    # P11: the reward's steps are on the proposal's timeline, named by what
    # happened ("graded", "approved", "paid").
    ProposalEvent.objects.create(
        proposal_id=evaluation.proposal_id,
        kind=ProposalEvent.Kind.REWARD,
        by=by,
        note=note or "",
        at=at,
        data={"action": new, "evaluation": evaluation.pk, **(data or {})},
    )


EVALUATION_FLOW = Workflow(
    model=Evaluation,
    table=EVALUATION_TRANSITIONS,
    label=_("evaluation"),
    record_event=_evaluation_event,
    lock_related=("proposal", "policy"),
    describe=lambda evaluation: evaluation.proposal.reference,
)
