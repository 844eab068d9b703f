"""The agreement report of a large agreement, rendered by the job worker and kept.

The report leaves tables of more than `agreement_report.LINES_IN_PDF` lines to its annex
workbook, so its pages are bounded; what grows with the agreement is reading its figures
(2.5 s for the 15,952 audited facilities of the largest S10 agreement, on PostgreSQL). Above
IN_REQUEST_FACILITIES that takes longer than a request should wait. A request for it reads
the report kept for the same agreement, language and day at the current data revision
(`plans.snapshots.data_revision`: any write moves it, so a kept file is never stale). A small
agreement's report is rendered in the request and kept; a large one's is queued for the job
worker (`limpia worker`; immediately, in the request, where jobs run immediately) and the page
says how far it has gone, refreshing itself until the file is there.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from limpia.agreements.models import Agreement, AuditType, FacilityTally
from limpia.plans.snapshots import data_revision
from limpia.reports.models import StoredReport

logger = logging.getLogger(__name__)

# Above this many audited facilities the report is rendered by the job worker.
IN_REQUEST_FACILITIES = 20_000
# A report that failed is prepared again after this long (or as soon as the data move).
RETRY_AFTER = dt.timedelta(minutes=10)
Status = StoredReport.Status


def reports_dir() -> Path:
    return Path(settings.DATA_DIR) / "reports"


def path_of(row: StoredReport) -> Path:
    return reports_dir() / row.file


def render(agreement: Agreement, language: str, day) -> bytes:
    from limpia.reports.agreement_report import agreement_report_pdf

    return agreement_report_pdf(agreement, language=language, today=day)


def agreement_report(agreement: Agreement, *, language: str, day) -> tuple[StoredReport, bool]:
    """The kept report of the agreement for `language` and `day`: (its row, whether its file is
    ready). Rendered now for a small agreement, queued for the worker for a large one."""
    revision = data_revision()
    key = {"kind": "agreement", "slug": agreement.slug, "language": language, "day": day}
    row = StoredReport.objects.filter(**key).first()
    current = row is not None and row.revision == revision
    if current and row.status == Status.DONE and path_of(row).exists():
        return row, True
    if current and row.status in (Status.QUEUED, Status.RUNNING):
        return row, False
    if current and row.status == Status.FAILED and not _may_retry(row):
        return row, False  # said so; tried again after RETRY_AFTER or once the data move
    audited = FacilityTally.objects.filter(agreement=agreement, audit_type=AuditType.FINAL).count()
    with transaction.atomic():
        row, created = StoredReport.objects.select_for_update().get_or_create(
            **key, defaults={"revision": revision}
        )
        busy = row.revision == revision and row.status in (Status.QUEUED, Status.RUNNING)
        if busy and not created:
            return row, False  # another request queued it meanwhile
        row.revision, row.status, row.phase, row.error = revision, Status.QUEUED, "", ""
        row.queued_at, row.started_at, row.finished_at = timezone.now(), None, None
        row.save()
    if audited <= IN_REQUEST_FACILITIES:
        run(row.pk)
    else:
        from limpia.reports.tasks import render_stored_report

        render_stored_report.enqueue(row.pk)
    row.refresh_from_db()
    return row, row.status == Status.DONE and path_of(row).exists()


def _may_retry(row: StoredReport) -> bool:
    return row.finished_at is None or (timezone.now() - row.finished_at) > RETRY_AFTER


def run(row_id: int) -> str:
    """Render the queued report (the worker's side); its final status. Only a queued row is
    claimed, so two workers never render the same one."""
    claimed = StoredReport.objects.filter(pk=row_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now(), phase="figures"
    )
    row = StoredReport.objects.filter(pk=row_id).first()
    if row is None or not claimed:
        return row.status if row else "missing"
    started = time.monotonic()
    try:
        agreement = Agreement.objects.select_related("country").get(slug=row.slug)
        with translation.override(row.language):
            data = render(agreement, row.language, row.day)
        reports_dir().mkdir(parents=True, exist_ok=True)
        name = f"agreement-{row.pk}-{row.revision}.pdf"
        temporary = reports_dir() / f".{name}.tmp"
        temporary.write_bytes(data)
        temporary.replace(reports_dir() / name)
        old = row.file
        updated = StoredReport.objects.filter(pk=row.pk, revision=row.revision).update(
            status=Status.DONE,
            phase="",
            file=name,
            size=len(data),
            finished_at=timezone.now(),
        )
        if old and old != name:
            (reports_dir() / old).unlink(missing_ok=True)
        # Earlier days' reports of the same agreement and language are not asked for any more.
        earlier = StoredReport.objects.filter(
            kind=row.kind, slug=row.slug, language=row.language, day__lt=row.day
        )
        for file in earlier.exclude(file="").values_list("file", flat=True):
            (reports_dir() / file).unlink(missing_ok=True)
        earlier.delete()
        logger.info("Report %s rendered in %.1f s", row, time.monotonic() - started)
        return Status.DONE if updated else "superseded"
    except Exception as exc:
        logger.exception("Report %s failed", row)
        StoredReport.objects.filter(pk=row.pk).update(
            status=Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return Status.FAILED
