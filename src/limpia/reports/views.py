"""Report PDFs and the bulletin archive: thin views over `plan_report`, `agreement_report` and
`bulletin` (the archive is files in DATA_DIR/bulletins, written by `limpia bulletin`)."""

from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from limpia.access.rules import agreements_visible_to
from limpia.agreements.models import Agreement
from limpia.core.dates import parse_as_of
from limpia.core.errors import DomainError
from limpia.plans.models import Plan
from limpia.reports import bulletin, stored, typst_pdf
from limpia.reports.agreement_report import agreement_annex_xlsx
from limpia.reports.plan_report import plan_report_pdf
from limpia.reports.typst_pdf import LANGUAGES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _language() -> str:
    code = (get_language() or "es").split("-")[0]
    return code if code in LANGUAGES else "es"


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def plan_report(request, slug):
    plan = get_object_or_404(Plan.objects.visible_to(request.user), slug=slug)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except DomainError as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    pdf = plan_report_pdf(plan, as_of=as_of, language=_language())
    return _pdf(pdf, f"{plan.slug}-{as_of.isoformat()}.pdf")


@require_safe
def agreement_report(request, slug):
    agreement = get_object_or_404(
        agreements_visible_to(request.user, Agreement.objects.select_related("country")),
        slug=slug,
    )
    today = timezone.localdate()
    row, ready = stored.agreement_report(agreement, language=_language(), day=today)
    if ready:
        return _pdf(stored.path_of(row).read_bytes(), f"{agreement.slug}-{today.isoformat()}.pdf")
    # A large agreement's report is being laid out by the job worker: this page says how far
    # it has gone and asks again every few seconds (no script), until the file is there.
    return render(
        request,
        "reports/report_pending.html",
        {"agreement": agreement, "row": row, "Status": stored.Status},
        status=503 if row.status == stored.Status.FAILED else 202,
    )


@require_safe
def agreement_annex(request, slug):
    """The report's lines as a workbook (the report leaves tables of more than
    `agreement_report.LINES_IN_PDF` lines to it)."""
    agreement = get_object_or_404(
        agreements_visible_to(request.user, Agreement.objects.select_related("country")),
        slug=slug,
    )
    today = timezone.localdate()
    data = agreement_annex_xlsx(agreement, language=_language(), today=today)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{agreement.slug}-{today.isoformat()}-annex.xlsx"
    )
    return response


def bulletin_list(request):
    return render(
        request,
        "reports/bulletin_list.html",
        {
            "bulletins": bulletin.archived_bulletins(),
            "labels": typst_pdf.translate(bulletin.LABELS),
        },
    )


def bulletin_detail(request, period):
    content = bulletin.archived_content(period)
    if content is None:
        raise Http404("No bulletin has been generated for this period.")
    return render(
        request,
        "reports/bulletin_detail.html",
        {"content": content, "shown": bulletin.labelled(content)},
    )


def bulletin_download(request, period):
    path = bulletin.archived_pdf(period)
    if path is None:
        raise Http404("No bulletin has been generated for this period.")
    return FileResponse(
        path.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=path.name,
    )
