from django.db import models
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
