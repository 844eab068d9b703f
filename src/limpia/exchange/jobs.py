"""Background import jobs: submit a workbook, check it, confirm it, write it, follow its progress.

Every import from the web goes through a job, and so does `limpia import --background`; the
terminal's plain `limpia import` runs in the foreground with a progress bar. The job worker
(`limpia worker`, django-tasks' database backend) runs `run()`; tests and installations without a
worker may use the immediate backend, which runs it at once.

Files and progress live in the data directory, which the app servers and the worker share:
`imports/<job id>.<xlsx|zip>` until the job is finished, and `jobs/<job id>.json`, the meter's
last report (phase, rows done, total, time), which is also the job's heartbeat. A checking or
writing job whose heartbeat is older than settings.JOB_STALL_SECONDS is stalled (its worker
died); it can be retried, and since a job writes in one transaction, nothing of it was written.
The task queue's row of the dead run, which django-tasks-db would leave RUNNING, is marked failed
then (or when a worker next takes a job).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from limpia.access.rules import may_run_import
from limpia.core.audit import Source, change_source
from limpia.core.errors import DomainError, IllegalTransition, NotAllowed
from limpia.core.services import save_attributed
from limpia.exchange import meter as meters
from limpia.exchange.importers import importer
from limpia.exchange.models import ImportJob
from limpia.exchange.plan_import import ImportRefused
from limpia.exchange.tabular import MAX_FILE_BYTES, CellError

logger = logging.getLogger(__name__)

Status = ImportJob.Status
QUEUE_STALL_SECONDS = 15 * 60  # a queued job nobody picked up (no worker running?)
KEEP_SECONDS = 7 * 24 * 60 * 60  # files of finished or abandoned jobs are removed after a week
ROWS_KEPT = 200  # changed rows kept per sheet in a job's result
ERRORS_KEPT = 1000


# ---------------------------------------------------------------- files


def imports_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def progress_dir() -> Path:
    return Path(settings.DATA_DIR) / "jobs"


def upload_path(job: ImportJob) -> Path:
    return imports_dir() / f"{job.pk}.{job.extension}"


def progress_path(job: ImportJob) -> Path:
    return progress_dir() / f"{job.pk}.json"


def file_extension(name: str, data: bytes) -> str:
    suffix = Path(name or "").suffix.lower().lstrip(".")
    if suffix in ("xlsx", "zip"):
        return suffix
    return "xlsx" if b"xl/workbook.xml" in data[:4096] else "zip"


def remove_old_files(now: float | None = None) -> int:
    """Delete kept uploads and progress files older than KEEP_SECONDS; how many were removed."""
    limit = (now if now is not None else time.time()) - KEEP_SECONDS
    removed = 0
    for directory in (imports_dir(), progress_dir()):
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
                    removed += 1
            except OSError:
                continue
    return removed


# ---------------------------------------------------------------- reading a job


def progress(job: ImportJob) -> dict[str, Any]:
    """What the page and the API show: status, phase, rows done, total, percent, stalled."""
    snapshot = meters.read(progress_path(job)) or {}
    data = {
        "status": job.status,
        "phase": snapshot.get("phase", ""),
        "unit": snapshot.get("unit", "rows"),
        "done": snapshot.get("done", 0),
        "total": snapshot.get("total", 0),
        "stalled": is_stalled(job, snapshot),
    }
    if job.status in (Status.READY, Status.INVALID, Status.DONE):
        data["percent"] = 100
    elif data["total"]:
        data["percent"] = min(100, round(100 * data["done"] / data["total"]))
    else:
        data["percent"] = 0
    return data


def is_stalled(job: ImportJob, snapshot: dict | None = None, now: float | None = None) -> bool:
    now = now if now is not None else time.time()
    if job.status == Status.QUEUED:
        return now - job.created_at.timestamp() > QUEUE_STALL_SECONDS and (
            job.started_at is None or now - job.started_at.timestamp() > QUEUE_STALL_SECONDS
        )
    if job.status not in ImportJob.RUNNING:
        return False
    snapshot = snapshot if snapshot is not None else meters.read(progress_path(job)) or {}
    heartbeat = snapshot.get("at") or (job.started_at.timestamp() if job.started_at else 0)
    return now - heartbeat > settings.JOB_STALL_SECONDS


def may_see(user, job: ImportJob) -> bool:
    return bool(user.has_perm("exchange.view_importjob", job))


# ---------------------------------------------------------------- services


def submit(kind: str, data: bytes, filename: str, *, acting_user, write: bool = False):
    """Keep the file and queue a job that checks it (and writes it, with `write`).

    `acting_user` None is the operator's import from the terminal.
    """
    chosen = importer(kind)
    if acting_user is not None and not chosen.may_import(acting_user):
        raise NotAllowed(_("You are not allowed to import a %(kind)s.") % {"kind": chosen.label})
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(
            _("The file is too large; the limit is %(limit)d MB.")
            % {"limit": MAX_FILE_BYTES // 1024 // 1024},
            field="file",
        )
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    job = ImportJob(
        kind=kind,
        filename=Path(filename or "").name[:200],
        extension=file_extension(filename, data),
        size=len(data),
        write=write,
        created_by=acting_user,
    )
    imports_dir().mkdir(parents=True, exist_ok=True)
    with open(upload_path(job), "xb") as handle:
        handle.write(data)
    try:
        with transaction.atomic():  # the job and its history row, or neither
            save_attributed(job, acting_user=acting_user, reason="submitted")
    except Exception:
        upload_path(job).unlink(missing_ok=True)
        raise
    remove_old_files()
    _enqueue(job)
    job.refresh_from_db()
    return job


def confirm(job: ImportJob, *, acting_user) -> ImportJob:
    """Write a checked job (the file is checked again: the data may have changed meanwhile)."""
    _require_owner(job, acting_user)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != Status.READY:
            raise IllegalTransition(
                _("Only a checked import waiting for confirmation can be confirmed (it is %(s)s).")
                % {"s": locked.get_status_display()}
            )
        if not upload_path(locked).is_file():
            raise DomainError(
                _("The file of this import is no longer kept; please upload it again."),
                code="gone",
            )
        locked.status, locked.write = Status.QUEUED, True
        save_attributed(locked, acting_user=acting_user, reason="confirmed")
    _enqueue(locked)
    locked.refresh_from_db()
    return locked


def retry(job: ImportJob, *, acting_user) -> ImportJob:
    """Queue again a job that failed or stalled (its file is still kept)."""
    _require_owner(job, acting_user)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not (locked.status == Status.FAILED or is_stalled(locked)):
            raise IllegalTransition(
                _("Only a failed or stalled import can be retried (it is %(s)s).")
                % {"s": locked.get_status_display()}
            )
        if not upload_path(locked).is_file():
            raise DomainError(
                _("The file of this import is no longer kept; please upload it again."),
                code="gone",
            )
        locked.status, locked.error = Status.QUEUED, ""
        save_attributed(locked, acting_user=acting_user, reason="retried")
        _fail_dead_runs(locked)
    progress_path(locked).unlink(missing_ok=True)
    _enqueue(locked)
    locked.refresh_from_db()
    return locked


def discard(job: ImportJob, *, acting_user) -> ImportJob:
    """Drop a queued, checked, refused or failed job and its file without writing anything."""
    _require_discarder(job, acting_user)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        # A queued job can go too: a worker claims only a job still queued (run()).
        discardable = (Status.QUEUED, Status.READY, Status.INVALID, Status.FAILED)
        if locked.status not in discardable and not is_stalled(locked):
            raise IllegalTransition(
                _("This import cannot be discarded now (it is %(s)s).")
                % {"s": locked.get_status_display()}
            )
        locked.status, locked.finished_at = Status.DISCARDED, timezone.now()
        save_attributed(locked, acting_user=acting_user, reason="discarded")
        _fail_dead_runs(locked)
    upload_path(locked).unlink(missing_ok=True)
    progress_path(locked).unlink(missing_ok=True)
    return locked


def _require_owner(job: ImportJob, user) -> None:
    if not may_run_import(user, job):
        raise NotAllowed(_("Only the person who uploaded this import may confirm or retry it."))


def _require_discarder(job: ImportJob, user) -> None:
    if user is not None and not user.has_perm("exchange.delete_importjob", job):
        raise NotAllowed(_("This import is not yours."))


def _enqueue(job: ImportJob) -> None:
    from limpia.exchange.tasks import run_import_job

    run_import_job.enqueue(str(job.pk))


# ---------------------------------------------------------------- runs whose worker died


class WorkerLost(Exception):
    """Recorded on the task queue's row of a run whose worker stopped without finishing it."""


def _running_task_rows():
    from django_tasks_db.models import DBTaskResult

    from limpia.exchange.tasks import run_import_job

    return DBTaskResult.objects.running().filter(task_path=run_import_job.module_path)


def _fail_task_row(row, job_id: str) -> None:
    row.set_failed(WorkerLost(f"The worker running import job {job_id} stopped before the end."))
    logger.warning("Task %s of import job %s failed: its worker is gone", row.pk, job_id)


def _fail_dead_runs(job: ImportJob) -> None:
    """Mark failed the task rows django-tasks-db left RUNNING for `job` (being retried or
    discarded, in the caller's transaction): a killed worker never finishes them."""
    for row in _running_task_rows().filter(args_kwargs__args__0=str(job.pk)).select_for_update():
        _fail_task_row(row, str(job.pk))


def fail_dead_runs() -> int:
    """Mark failed the RUNNING task rows of every stalled job (its worker died); how many.
    The jobs stay stalled, to be retried or discarded."""
    with transaction.atomic():
        rows = list(_running_task_rows().select_for_update(skip_locked=True))
        job_ids = {row.args_kwargs["args"][0] for row in rows}
        found = {str(job.pk): job for job in ImportJob.objects.filter(pk__in=job_ids)}
        failed = 0
        for row in rows:
            job_id = row.args_kwargs["args"][0]
            job = found.get(job_id)
            # A queued job's row is RUNNING while a worker claims it: only a stalled run is dead.
            if job is None or (job.status in ImportJob.RUNNING and is_stalled(job)):
                _fail_task_row(row, job_id)
                failed += 1
    return failed


# ---------------------------------------------------------------- the worker's side


def run(job_id: str) -> str:
    """Check, and when asked write, the job's file; returns the job's final status.

    Safe to call twice: only a queued job is claimed (by one worker, in one UPDATE).
    """
    fail_dead_runs()  # whichever worker takes a job tidies up after those that were killed
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.CHECKING, started_at=now, finished_at=None, attempts=F("attempts") + 1
    )
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or not claimed:
        return job.status if job else "missing"
    chosen = importer(job.kind)
    user = job.created_by
    meter = meters.FileMeter(progress_path(job))
    try:
        with meters.metering(meter), change_source(Source.JOB):
            parsed = chosen.parse(upload_path(job))
            result = chosen.check(parsed, acting_user=user, system=job.system)
            job.slug = (parsed.slug or "")[:100]
            if result.errors or not parsed.slug:
                return _finish(job, Status.INVALID, summary(result, job.kind))
            if not job.write:
                return _finish(job, Status.READY, summary(result, job.kind))
            job.status = Status.WRITING
            job.save(update_fields=["status", "slug"])
            written = chosen.write(parsed, acting_user=user, system=job.system)
            return _finish(job, Status.DONE, summary(written, job.kind))
    except NotAllowed as refused:
        return _finish(job, Status.INVALID, refusal([CellError(None, None, None, refused.message)]))
    except ImportRefused as refused:  # the data changed between the check and the write
        return _finish(job, Status.INVALID, refusal(refused.errors))
    except Exception as exc:  # kept for a retry; the transaction left nothing written
        logger.exception("Import job %s failed", job.pk)
        job.status, job.error = Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = timezone.now()
        save_attributed(job, acting_user=user, reason="failed")
        return job.status


def _finish(job: ImportJob, status: str, result: dict) -> str:
    job.status, job.result, job.finished_at = status, result, timezone.now()
    job.error = ""
    save_attributed(job, acting_user=job.created_by, reason=status)
    if status in (Status.INVALID, Status.DONE):
        upload_path(job).unlink(missing_ok=True)
    return status


def summary(preview, kind: str) -> dict[str, Any]:
    """A preview as kept with the job: counts, named organizations, warnings, errors, and the
    first ROWS_KEPT changed rows of each sheet (the counts say how many there are)."""
    data = preview.as_dict()
    rows, per_sheet = [], {}
    for row in data.pop("rows"):
        per_sheet[row["sheet"]] = per_sheet.get(row["sheet"], 0) + 1
        if per_sheet[row["sheet"]] <= ROWS_KEPT:
            rows.append(row)
    data["rows"] = rows
    if "organizations" in data:
        data["named"] = [{"kind": "organization", **o} for o in data.pop("organizations")]
    data["error_count"] = len(data["errors"])
    data["errors"] = data["errors"][:ERRORS_KEPT]
    return data


def refusal(errors: list[CellError]) -> dict[str, Any]:
    return {
        "ok": False,
        "counts": {},
        "rows": [],
        "named": [],
        "warnings": [],
        "errors": [e.as_dict() for e in errors[:ERRORS_KEPT]],
        "error_count": len(errors),
    }
