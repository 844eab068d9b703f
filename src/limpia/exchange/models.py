"""Import jobs: a workbook checked and written in the background, with its outcome kept.

A job goes queued → checking → ready (checked, waiting for the user to confirm) or invalid (the
file has errors), then, once confirmed, queued → writing → done. A job whose worker died is
"stalled" (computed on read from its progress heartbeat) and can be retried; the import writes in
one transaction, so a dead worker leaves nothing half-written.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from limpia.core.tracking import tracked_history


class ImportJobQuerySet(models.QuerySet):
    def for_listing(self):
        return self.select_related("created_by").order_by("-created_at")

    def active(self):
        return self.filter(status__in=ImportJob.ACTIVE)


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        PLAN = "plan", _("plan")
        AGREEMENT = "agreement", _("agreement")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        CHECKING = "checking", _("checking")
        READY = "ready", _("checked, waiting for confirmation")
        INVALID = "invalid", _("refused: the file has errors")
        WRITING = "writing", _("writing")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")
        DISCARDED = "discarded", _("discarded")

    ACTIVE = (Status.QUEUED, Status.CHECKING, Status.WRITING)
    RUNNING = (Status.CHECKING, Status.WRITING)
    FINISHED = (Status.INVALID, Status.DONE, Status.DISCARDED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    extension = models.CharField(max_length=4)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    write = models.BooleanField(
        _("write"), default=False, help_text=_("Write once checked, without waiting.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    slug = models.SlugField(_("slug"), max_length=100, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
        help_text=_("Empty for an operator's import from the terminal."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    history = tracked_history()

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename or self.pk}"

    @property
    def system(self) -> bool:
        """An operator's import (terminal, no user): trusted like `limpia loadplans`."""
        return self.created_by_id is None
