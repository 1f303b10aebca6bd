import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from aftersales.core.errors import DomainError


class KeptQuerySet(models.QuerySet):
    """Records the regulation keeps are never deleted in bulk either."""

    def delete(self):
        raise DomainError("records_kept", _("Records kept by the regulation cannot be deleted."))


class BaseModel(models.Model):
    """Timestamps and a version number for every domain record.

    ``version`` grows on every save; a write that carries the version its author
    saw can tell when someone else changed the record first.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = KeptQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self.version = (self.version or 0) + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DomainError("records_kept", _("Records kept by the regulation cannot be deleted."))


class AppendOnlyModel(models.Model):
    """A record the regulation keeps as written: added once, never changed or
    deleted. A wrong entry is answered by a new one."""

    objects = KeptQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise DomainError(
                "records_kept", _("Records kept by the regulation cannot be changed.")
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DomainError("records_kept", _("Records kept by the regulation cannot be deleted."))


# --- workflows (the engine is aftersales.core.workflow) -----------------------

# Set while the engine itself writes a status; a save or update outside it
# that changes a status is refused.
_engine_writing: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "workflow_engine_writing", default=False
)


@contextmanager
def engine_writing():
    """Only aftersales.core.workflow enters this."""
    token = _engine_writing.set(True)
    try:
        yield
    finally:
        _engine_writing.reset(token)


def _refuse_outside_engine(model) -> None:
    raise DomainError(
        "status_outside_workflow",
        _g("The status of a %(record)s changes only through its workflow.")
        % {"record": model._meta.verbose_name},
        status=500,
    )


class WorkflowQuerySet(KeptQuerySet):
    def update(self, **kwargs):
        status_field = getattr(self.model, "workflow_status_field", "status")
        if status_field in kwargs and not _engine_writing.get():
            _refuse_outside_engine(self.model)
        return super().update(**kwargs)


class WorkflowModel(BaseModel):
    """A record whose status belongs to a ``Workflow``: it is created in one
    of the workflow's states, and only the engine changes it afterwards."""

    workflow_status_field = "status"

    objects = WorkflowQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding and not _engine_writing.get():
            loaded = getattr(self, "_loaded_status", None)
            current = self.__dict__.get(self.workflow_status_field)
            update_fields = kwargs.get("update_fields")
            touches = update_fields is None or self.workflow_status_field in update_fields
            if touches and loaded is not None and current != loaded:
                _refuse_outside_engine(type(self))
        super().save(*args, **kwargs)
        self._loaded_status = self.__dict__.get(self.workflow_status_field)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get(cls.workflow_status_field)
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        # What the database holds now is what a later save compares with.
        self._loaded_status = self.__dict__.get(self.workflow_status_field)


class AboutRecord(AppendOnlyModel):
    """A kept row about any record, named by its type and id."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()

    class Meta:
        abstract = True


class WorkflowEvent(AboutRecord):
    """The event row for workflows whose app keeps no event table of its own
    (policy versions): one row per move."""

    old_status = models.CharField(max_length=30, blank=True)
    new_status = models.CharField(max_length=30, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("workflow event")
        verbose_name_plural = _("workflow events")
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="wf_event_obj")]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} {self.old_status} → {self.new_status}"


class Signature(AboutRecord):
    """One signer's answer at a sign-off step: signed, or returned with a
    comment. A return starts a new round; signatures of earlier rounds no
    longer count. Rows are never changed: the history of every round stays."""

    class Kind(models.TextChoices):
        SIGNED = "signed", _("signed")
        RETURNED = "returned", _("returned")

    step = models.CharField(max_length=40)
    round = models.PositiveIntegerField()
    slot = models.CharField(_("signing for"), max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        indexes = [models.Index(fields=["content_type", "object_id", "step"], name="signature_obj")]
        constraints = [
            # One answer per slot per round: a second signature for a slot is refused.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "step", "round", "slot"],
                name="signature_once_per_round",
            )
        ]

    def __str__(self):
        return f"{self.step} #{self.round} {self.slot}: {self.kind}"


class DeadlineNotice(AboutRecord):
    """A reminder or an escalation sent for a record in a state, once: the
    unique key is the claim, so two workers never send the same notice."""

    state = models.CharField(max_length=30)
    entered_at = models.DateTimeField()
    kind = models.CharField(max_length=10)  # remind | escalate
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "state", "entered_at", "kind"],
                name="deadline_notice_once",
            )
        ]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} {self.state} {self.kind}"


class BenchmarkProbe(models.Model):
    """A row the benchmark's baseline views read and write: the cost of one
    plain query through the whole stack, to compare real pages against."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("benchmark probe")
        verbose_name_plural = _("benchmark probes")

    def __str__(self):
        return f"probe {self.pk}"
