"""Import a plan or agreement workbook from the browser: upload → check → preview → confirm.

An upload becomes an import job (limpia.exchange.jobs): the worker reads and checks the file
while the job's page shows a progress bar (polled with htmx), then the preview: per sheet what
would be created, updated or left unchanged, the organizations matched or created, the warnings
and every error with its sheet, row and column. Confirming queues the write, which is checked
again against the data of that moment and done in one transaction. The page can be left and
found again in the list of imports; a job whose worker died can be retried.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from limpia.access.rules import import_jobs_visible_to, may_run_import
from limpia.core.errors import DomainError
from limpia.exchange import jobs
from limpia.exchange.importers import IMPORTERS, Importer
from limpia.exchange.models import ImportJob
from limpia.exchange.tabular import MAX_FILE_BYTES
from limpia.exchange.templates_files import template
from limpia.web.forms import BootstrapForm

ACTION_LABELS = {
    "create": gettext_lazy("create"),
    "update": gettext_lazy("update"),
    "unchanged": gettext_lazy("unchanged"),
}
ACTION_CLASSES = {"create": "success", "update": "warning", "unchanged": "secondary"}
STATUS_CLASSES = {
    "queued": "secondary",
    "checking": "info",
    "ready": "primary",
    "invalid": "danger",
    "writing": "info",
    "done": "success",
    "failed": "danger",
    "discarded": "secondary",
}
JOBS_LISTED = 50
DISCARDABLE = (ImportJob.Status.QUEUED, ImportJob.Status.READY, ImportJob.Status.FAILED)


class UploadForm(BootstrapForm):
    file = forms.FileField(
        label=gettext_lazy("Workbook"),
        help_text=gettext_lazy(
            "An .xlsx file, or a .zip of CSV files named like the sheets (at most 20 MB)."
        ),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.zip"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_FILE_BYTES)}
            )
        return upload


def _importer(kind: str, user) -> Importer:
    chosen = IMPORTERS.get(kind)
    if chosen is None:
        raise Http404
    if not chosen.may_import(user):
        raise PermissionDenied(
            _("You are not allowed to import a %(kind)s.") % {"kind": chosen.label}
        )
    return chosen


def _job(request, pk) -> ImportJob:
    job = (
        import_jobs_visible_to(request.user, ImportJob.objects.all())
        .select_related("created_by")
        .filter(pk=pk)
        .first()
    )
    if job is None:  # someone else's job is as unknown as a job that does not exist
        raise Http404
    return job


# ---------------------------------------------------------------- pages


@login_required
def job_list(request):
    """The user's imports (an administrator's: everyone's), newest first."""
    rows = import_jobs_visible_to(request.user, ImportJob.objects.for_listing())[:JOBS_LISTED]
    kinds = [k for k, chosen in IMPORTERS.items() if chosen.may_import(request.user)]
    listed = [
        {"job": job, "stalled": jobs.is_stalled(job), "css": STATUS_CLASSES[job.status]}
        for job in rows
    ]
    return render(request, "web/imports/job_list.html", {"jobs": listed, "kinds": kinds})


@login_required
def upload(request, kind: str):
    chosen = _importer(kind, request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            job = jobs.submit(
                kind, file.read(MAX_FILE_BYTES + 1), file.name, acting_user=request.user
            )
        except DomainError as refused:
            form.add_error("file", refused.message)
        else:
            return redirect("imports:job", pk=job.pk)
    return render(
        request,
        "web/imports/upload.html",
        {"form": form, "kind": kind, "label": chosen.label},
        status=400 if form.errors else 200,
    )


def template_download(request, kind: str):
    """The empty workbook of `kind`, with its instructions."""
    if kind not in IMPORTERS:
        raise Http404
    filename, content_type, content = template(kind)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def job_detail(request, pk):
    job = _job(request, pk)
    return render(request, "web/imports/job.html", _job_context(request, job))


@login_required
def job_progress(request, pk):
    """The part of the job page that changes while it runs (htmx polls it every second)."""
    job = _job(request, pk)
    if job.status not in ImportJob.ACTIVE and request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # finished: show the whole page (preview or result)
        return response
    return render(request, "web/imports/job_progress.html", _job_context(request, job))


def _job_context(request, job: ImportJob) -> dict:
    chosen = IMPORTERS[job.kind]
    result = job.result or {}
    sheets = []
    counts = result.get("counts") or {}
    for sheet in chosen.sheets:
        rows = [r for r in result.get("rows", []) if r["sheet"] == sheet]
        sheet_counts = counts.get(sheet, {"create": 0, "update": 0, "unchanged": 0})
        changed = sheet_counts["create"] + sheet_counts["update"]
        sheets.append(
            {
                "name": sheet,
                "counts": sheet_counts,
                "rows": [
                    {
                        **r,
                        "label": ACTION_LABELS.get(r["action"], r["action"]),
                        "css": ACTION_CLASSES.get(r["action"], "secondary"),
                    }
                    for r in rows
                ],
                "more": max(changed - len(rows), 0),
            }
        )
    user = request.user
    target_url = ""
    if job.slug and job.status == ImportJob.Status.DONE:
        target_url = chosen.url(job.slug)
    stalled = jobs.is_stalled(job)
    changed = sum(c.get("create", 0) + c.get("update", 0) for c in counts.values())
    return {
        "job": job,
        "changed": changed,
        "active": job.status in ImportJob.ACTIVE,
        "running": job.status in ImportJob.RUNNING,
        "label": chosen.label,
        "progress": jobs.progress(job),
        "stalled": stalled,
        "css": STATUS_CLASSES[job.status],
        "sheets": sheets if counts else [],
        "named": result.get("named", []),
        "warnings": result.get("warnings", []),
        "errors": result.get("errors", []),
        "error_count": result.get("error_count", 0),
        "target_url": target_url,
        "can_confirm": job.status == ImportJob.Status.READY and may_run_import(user, job),
        "can_retry": (job.status == ImportJob.Status.FAILED or stalled)
        and may_run_import(user, job),
        "can_discard": (job.status in DISCARDABLE or stalled)
        and user.has_perm("exchange.delete_importjob", job),
    }


def _act(request, pk, service, done_message):
    job = _job(request, pk)
    try:
        service(job, acting_user=request.user)
    except DomainError as refused:
        if refused.code == "permission_denied":
            raise PermissionDenied(refused.message) from None
        messages.error(request, refused.message)
    else:
        if done_message:
            messages.success(request, done_message)
    return redirect("imports:job", pk=job.pk)


@login_required
@require_POST
def job_confirm(request, pk):
    return _act(request, pk, jobs.confirm, "")


@login_required
@require_POST
def job_retry(request, pk):
    return _act(request, pk, jobs.retry, "")


@login_required
@require_POST
def job_discard(request, pk):
    return _act(request, pk, jobs.discard, _("The import was discarded; nothing was written."))
