"""Public pages of Clean Production Agreements (APL): agreements, certified facilities, the
registry of auditors and specialists, and certificate verification. Thin views over querysets,
`agreements.figures` (compliance and certificate status in a fixed number of queries) and the
report renderers."""

import datetime as dt
from fractions import Fraction
from urllib.parse import urlencode

from django import forms
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from limpia.access.rules import agreements_visible_to
from limpia.agreements import figures, lifecycle, services
from limpia.agreements.impacts import aggregate
from limpia.agreements.models import (
    Adhesion,
    Agreement,
    Certificate,
    CertificateStatus,
    ImpactMetric,
    Signatory,
    Stage,
    StageChange,
    facility_search,
)
from limpia.api.agreements import verification
from limpia.core.history import history_entries
from limpia.core.signing import verify
from limpia.exchange import lists
from limpia.registry.models import Expert
from limpia.reports.certificates import CertificateDocument, certificate_pdf
from limpia.reports.compliance_charts import compliance_chart
from limpia.web.paging import page_of, search_text
from limpia.web.templatetags.limpia_agreements import share, tax_id, tax_id_label

CERTIFICATES_PER_PAGE = 100
AGREEMENTS_PER_PAGE = 50
FACILITIES_PER_PAGE = 50
EXPERTS_PER_PAGE = 100


def _agreements(user):
    """Agreements the user may see, with their adhered and certified facility counts."""
    return (
        agreements_visible_to(user, Agreement.objects.all())
        .for_listing()
        .with_facility_counts(timezone.localdate())
        .order_by("-signing_date", "code")
    )


def _territory(agreement) -> str:
    if agreement.is_national:
        return agreement.country.localized_name()
    return ", ".join(s.name for s in agreement.subdivisions.all()) or "—"


def agreement_list(request):
    """A page of agreements (AGREEMENTS_PER_PAGE), searched by code or name with `q`; the
    compliance figures are computed for that page only."""
    agreements = _agreements(request.user)
    search = search_text(request)
    if search:
        agreements = agreements.filter(Q(code__icontains=search) | Q(name__icontains=search))
    listing = page_of(request, agreements, AGREEMENTS_PER_PAGE, search=search)
    page = listing.page
    reports = figures.consolidated_many(page.object_list)
    rows = [
        {
            "agreement": a,
            "territory": _territory(a),
            "compliance": reports[a.pk].compliance,
            "audited": len(reports[a.pk].facilities),
        }
        for a in page.object_list
    ]
    return render(
        request,
        "web/agreements/list.html",
        {
            "rows": rows,
            "listing": listing,
        },
    )


def stage_timeline(agreement: Agreement, changes: list[StageChange]) -> list[dict]:
    """Every stage in order: done, current or upcoming, with the date it was entered.

    A cancelled agreement shows the stages it went through, then "cancelled" as current.
    """
    entered = {}
    for change in changes:  # in order: a stage entered twice shows its latest date
        entered[change.to_stage] = timezone.localdate(change.changed_at)
    if agreement.stage == Stage.CANCELLED:
        cancel = next((c for c in reversed(changes) if c.to_stage == Stage.CANCELLED), None)
        reached = lifecycle.index(cancel.from_stage) if cancel and cancel.from_stage else -1
        current = None
    else:
        reached = lifecycle.index(agreement.stage)
        current = agreement.stage
    steps = []
    for position, stage in enumerate(lifecycle.ORDER):
        if stage == current:
            state = "current"
        elif position <= reached:
            state = "done"
        else:
            state = "upcoming"
        steps.append({"key": stage, "label": stage.label, "state": state, "on": entered.get(stage)})
    if agreement.stage == Stage.CANCELLED:
        steps.append(
            {
                "key": Stage.CANCELLED,
                "label": Stage.CANCELLED.label,
                "state": "current",
                "on": entered.get(Stage.CANCELLED),
            }
        )
    return steps


def _adhesions(request, agreement):
    """A page of the agreement's adhesions (FACILITIES_PER_PAGE, prefix `f`), searched by the
    facility's code or name or the company's name or tax identifier."""
    adhesions = (
        Adhesion.objects.filter(agreement=agreement)
        .select_related("facility__company__country", "facility__subdivision")
        .order_by("facility__code", "pk")
    )
    search = search_text(request, "f")
    if search:
        adhesions = adhesions.filter(facility_search(search))
    return page_of(request, adhesions, FACILITIES_PER_PAGE, prefix="f", search=search)


def agreement_detail(request, slug):
    queryset = _agreements(request.user).prefetch_related(
        Prefetch("signatories", queryset=Signatory.objects.select_related("organization")),
        "goals__actions",
        "stage_changes",
        "documents",
        "extensions",
    )
    agreement = get_object_or_404(queryset, slug=slug)
    changes = list(agreement.stage_changes.all())
    report = figures.report_summary(agreement)  # the figures in SQL, no line of 20,000
    goals = list(agreement.goals.all())
    goal_titles = {g.code: g.title for g in goals}
    action_texts = {a.code: a.text for g in goals for a in g.actions.all()}
    adhesions = _adhesions(request, agreement)
    by_facility = figures.facility_lines(agreement, [a.facility_id for a in adhesions.rows])
    impacts = [
        {**row, "metric_label": ImpactMetric(row["metric"]).label}
        if row["metric"] in ImpactMetric.values
        else {**row, "metric_label": row["metric"]}
        for row in aggregate(agreement)
    ]
    return render(
        request,
        "web/agreements/detail.html",
        {
            "agreement": agreement,
            "history": history_entries(agreement)
            if request.user.has_perm("agreements.change_agreement", agreement)
            else [],
            "territory": _territory(agreement),
            "timeline": stage_timeline(agreement, changes),
            "changes": changes,
            "goals": [
                {
                    "goal": goal,
                    "actions": [
                        {"action": action, "deadline": action.deadline(agreement)}
                        for action in goal.actions.all()
                    ],
                }
                for goal in goals
            ],
            "report": report,
            "goal_lines": [(line, goal_titles.get(line.code, "")) for line in report.goals],
            "action_lines": [(line, action_texts.get(line.code, "")) for line in report.actions],
            "adhesions": adhesions,
            "adhesion_rows": [(a, by_facility.get(a.facility.code)) for a in adhesions.rows],
            "impacts": impacts,
        },
    )


def compliance_svg(request, slug):
    """Compliance per goal and per action of the final audits, as SVG."""
    agreement = get_object_or_404(
        agreements_visible_to(request.user, Agreement.objects.all()), slug=slug
    )
    report = figures.consolidated(agreement)
    svg = compliance_chart(
        goals=[(line.code, line.compliance) for line in report.goals],
        actions=[(line.code, line.compliance) for line in report.actions],
        threshold=Fraction(str(agreement.correction_above)),
        value_label=share,
        labels={
            "goals": _("Compliance per goal"),
            "actions": _("Compliance per action (share of facilities where it applies)"),
            "axis": _("Compliance (%)"),
            "not_assessable": _("not assessable"),
            "empty": _("No final audit has been submitted yet."),
        },
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# ---------------------------------------------------------------- certificates


def _certificates():
    return Certificate.objects.for_listing().select_related("facility__company__country")


def _visible_certificates(request):
    visible = agreements_visible_to(request.user, Agreement.objects.all())
    certificates = _certificates().filter(agreement__in=visible)
    chosen = request.GET.get("agreement", "")
    if chosen:
        certificates = certificates.filter(agreement__slug=chosen)
    return certificates, chosen


def certificate_list(request):
    certificates, chosen = _visible_certificates(request)
    search = search_text(request)
    if search:
        certificates = certificates.filter(
            Q(code__icontains=search)
            | Q(facility__code__icontains=search)
            | Q(facility_name__icontains=search)
            | Q(company_name__icontains=search)
            | Q(facility__company__tax_id__icontains=search)
        )
    listing = page_of(request, certificates, CERTIFICATES_PER_PAGE, search=search)
    states = figures.certificate_states(listing.rows, today=timezone.localdate())
    rows = [{"certificate": c, "state": states[c.pk]} for c in listing.rows]
    return render(
        request,
        "web/agreements/certificates.html",
        {
            "rows": rows,
            "listing": listing,
            "agreement_slug": chosen,
            "keep": [("agreement", chosen)] if chosen else [],
        },
    )


def _find_certificate(code: str) -> Certificate | None:
    return (
        _certificates().filter(code=code).first()
        or _certificates().filter(code__iexact=code).first()
    )


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Certificate code"),
        max_length=40,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).upper()


def verify_form(request):
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("agreements_web:verify_code", code=form.cleaned_data["code"])
    return render(request, "web/agreements/verify.html", {"form": form})


def _not_found(request, code):
    return render(
        request,
        "web/agreements/verify_not_found.html",
        {"code": code, "form": VerifyForm(initial={"code": code})},
        status=404,
    )


def verify_code(request, code):
    """Is the certificate genuine (its data match its signature, and the signature from the
    QR code's `?s=` when given), and what is its status today?"""
    certificate = _find_certificate(code)
    if certificate is None:
        return _not_found(request, code)
    signature = request.GET.get("s") or None
    visible = agreements_visible_to(
        request.user, Agreement.objects.filter(pk=certificate.agreement_id)
    )
    return render(
        request,
        "web/agreements/verify_result.html",
        {
            "certificate": certificate,
            "result": verification(certificate, signature),
            "state": figures.certificate_state(certificate, today=timezone.localdate()),
            "signature_presented": signature is not None,
            "agreement_visible": visible.exists(),
            "form": VerifyForm(),
        },
    )


def verification_url(request, certificate: Certificate) -> str:
    """The absolute address the certificate's QR code points to, with its signature."""
    path = reverse("agreements_web:verify_code", kwargs={"code": certificate.code})
    return request.build_absolute_uri(f"{path}?{urlencode({'s': certificate.signature})}")


def _issuer(agreement: Agreement) -> str:
    signatories = Signatory.objects.filter(agreement=agreement, role="public_body")
    return ", ".join(s.organization.name for s in signatories.select_related("organization"))


def _pdf_labels(company) -> dict[str, str]:
    return {
        "title": _("Certificate of Compliance — Clean Production Agreement"),
        "code": _("Code"),
        "status": _("Status"),
        "issued_on": _("Issue date"),
        "valid_until": _("Valid until"),
        "facility": _("Facility"),
        "facility_code": _("Facility code"),
        "facility_address": _("Address"),
        "company": _("Company"),
        "company_tax_id": tax_id_label(company),
        "agreement": _("Agreement"),
        "agreement_code": _("Agreement code"),
        "sector": _("Sector"),
        "issuer": _("Issued by"),
        "verify": _("Verify the authenticity of this certificate at"),
    }


def certificate_document(request, certificate: Certificate, *, today: dt.date):
    """What the PDF prints, in the visitor's language, with the QR code's absolute URL."""
    facility, agreement = certificate.facility, certificate.agreement
    company = facility.company
    state = figures.certificate_state(certificate, today=today)
    subdivision = facility.subdivision.name if facility.subdivision else ""
    address = ", ".join(part for part in (facility.address, subdivision) if part)
    sectors = ", ".join(f"{s.code} {s.localized_name()}" for s in agreement.sectors.all())
    return CertificateDocument(
        code=certificate.code,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        facility_name=certificate.facility_name,
        facility_code=facility.code,
        facility_address=address or "—",
        company_name=certificate.company_name,
        company_tax_id=tax_id(company),
        agreement_name=certificate.agreement_name,
        agreement_code=agreement.code,
        sector_label=sectors or "—",
        verification_url=verification_url(request, certificate),
        status_label=str(CertificateStatus(state.status).label),
        issuer=_issuer(agreement) or "Limpia",
        language=(get_language() or "es")[:2],
        labels=_pdf_labels(company),
    )


def certificate_pdf_view(request, code):
    """The certificate as a PDF. Data that fail the signature check are not printed: the
    visitor is sent to the verification page, which says so."""
    certificate = _find_certificate(code)
    if certificate is None:
        return _not_found(request, code)
    if not verify(services.certificate_payload(certificate), certificate.signature):
        return redirect("agreements_web:verify_code", code=certificate.code)
    pdf = certificate_pdf(certificate_document(request, certificate, today=timezone.localdate()))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"{certificate.code}.pdf"
    )
    return response


# ---------------------------------------------------------------- registry


def _list_file(name: str, table: tuple[list, list], fmt: str) -> HttpResponse:
    if fmt not in lists.FORMATS:
        raise Http404
    content, content_type = lists.render(name, *table, fmt)
    response = HttpResponse(content, content_type=content_type)
    filename = f"{name}-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def certificate_export(request, fmt: str):
    """The certificates the list shows (same filter), all pages, as CSV, XLSX or JSON."""
    certificates, _chosen = _visible_certificates(request)
    table = lists.certificate_table(
        certificates, today=timezone.localdate(), base_url=request.build_absolute_uri("/")[:-1]
    )
    return _list_file("certificates", table, fmt)


def registry_export(request, fmt: str):
    """The public registry (registered today) as CSV, XLSX or JSON."""
    experts = Expert.objects.public_list(timezone.localdate())
    return _list_file("registry", lists.registry_table(experts), fmt)


def registry(request):
    today = timezone.localdate()
    experts = Expert.objects.public_list(today).select_related("country")
    search = search_text(request)
    if search:
        experts = experts.filter(
            Q(name__icontains=search)
            | Q(auditor_id__icontains=search)
            | Q(specialities__code__startswith=search)
        ).distinct()
    listing = page_of(request, experts, EXPERTS_PER_PAGE, search=search)
    return render(request, "web/agreements/registry.html", {"listing": listing, "today": today})
