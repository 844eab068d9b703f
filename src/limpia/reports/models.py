"""Report files kept for reuse: a large agreement's consolidated report takes longer to lay out
than a request should wait, so it is rendered by the job worker and kept (reports.stored)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredReport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20)  # "agreement": the consolidated final report
    slug = models.SlugField(max_length=100)
    language = models.CharField(max_length=5)
    day = models.DateField(help_text="the date the report carries")
    revision = models.BigIntegerField(help_text="the data revision it is (being) rendered at")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=40, blank=True)
    file = models.CharField(max_length=200, blank=True, help_text="under DATA_DIR/reports")
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "slug", "language", "day"], name="stored_report_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.slug} {self.language} {self.day}: {self.status}"
