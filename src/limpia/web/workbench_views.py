"""The agreements back office: the coordinator's stage forms, a company's facility reporting, the
auditor's audit sheet (saved item by item, with htmx) and the regulator's answer.

Thin views: objects the user may not see are 404, acts the user's role does not allow are 403,
and every change goes through `limpia.agreements.services`; their refusals are shown on the
field they name.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from limpia.access.rules import (
    agreement_ids_coordinated,
    agreements_visible_to,
    audits_visible_to,
    company_ids_represented,
    consultations_visible_to,
    facilities_worked_on_by,
    organization_ids_regulating,
)
from limpia.agreements import figures, queues, services
from limpia.agreements.lifecycle import TRANSITIONS
from limpia.agreements.models import (
    FACILITY_SEARCH_FIELDS,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    AuditStatus,
    AuditType,
    Certificate,
    Consultation,
    ConsultationAnswer,
    Facility,
    Goal,
    Impact,
    Stage,
)
from limpia.core.errors import DomainError
from limpia.registry.models import Expert, ExpertKind
from limpia.web import workbench_forms as wf
from limpia.web.paging import page_of, search_text

CONSULTATION_STATES = {
    "open": gettext_lazy("open (waiting for the regulators)"),
    "cleared": gettext_lazy("cleared (no objection)"),
    "objected": gettext_lazy("objected"),
    "expired_without_answer": gettext_lazy("window closed without answer"),
}
OUTCOMES = {
    "eligible": gettext_lazy("eligible for certification"),
    "correction": gettext_lazy("corrections needed (a correction deadline will be set)"),
    "not_eligible": gettext_lazy("not eligible"),
    "not_assessable": gettext_lazy("not assessable"),
}

# ---------------------------------------------------------------- helpers


def _show_error(form, exc: DomainError, fields: dict[str, str | None] | None = None) -> None:
    """Put a service's refusal on the field it names (or on the form)."""
    field = (fields or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied


def _agreement(request, slug, perm: str) -> Agreement:
    agreement = get_object_or_404(agreements_visible_to(request.user, Agreement.objects), slug=slug)
    _require(request.user, perm, agreement)
    return agreement


def _is_admin(user) -> bool:
    return user.is_active and user.is_superuser


def _facilities_visible(user):
    return facilities_worked_on_by(user, Facility.objects.select_related("company"))


def _consultations_visible(user):
    return consultations_visible_to(
        user, Consultation.objects.select_related("agreement", "facility__company")
    )


def _adhered_facilities(agreement):
    return Facility.objects.filter(
        adhesions__agreement=agreement, adhesions__withdrawn_on__isnull=True
    ).select_related("company")


def _state(consultation, today) -> tuple[str, str, list[str]]:
    state, reasons = figures.consultation_state(consultation, today=today)
    return state, str(CONSULTATION_STATES.get(state, state)), reasons


def _next_url(request, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _simple_form(request, form, *, title, submit, context=None):
    return render(
        request,
        "web/workbench/form.html",
        {"form": form, "title": title, "submit": submit, **(context or {})},
    )


def as_decimal(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value.numerator) / Decimal(value.denominator)


# ---------------------------------------------------------------- my work


WORK_PER_PAGE = 25  # rows of each list of the work pages

QUEUES = {  # the agreement work page's tabs, in the order the work flows
    "late": gettext_lazy("Late facilities"),
    "open_audits": gettext_lazy("Audits in progress"),
    "to_validate": gettext_lazy("Re-verifications to validate"),
    "to_consult": gettext_lazy("To consult"),
    "consultations": gettext_lazy("Consultations"),
    "to_certify": gettext_lazy("Ready for the certificate"),
    "certificates": gettext_lazy("Certificates"),
}


def _next_stages(agreement) -> list[Stage]:
    return [Stage(s) for s in TRANSITIONS[agreement.stage] if s != Stage.CANCELLED]


def _matching(queryset, search: str, *fields: str):
    """Rows whose fields contain the search text (any of them)."""
    if not search:
        return queryset
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": search})
    return queryset.filter(condition)


FACILITY_FIELDS = tuple(f"facility__{field}" for field in FACILITY_SEARCH_FIELDS)


@login_required
def home(request):
    """The user's agreement work, by role, each list a page of its own (searched and paged on
    its own): the agreements they coordinate with the size of each work queue, their
    facilities, their audits, the consultations they answer. A user with none of these roles
    has nothing to do here."""
    user = request.user
    today = timezone.localdate()
    admin = _is_admin(user)
    coordinated = Agreement.objects.exclude(stage__in=[Stage.CLOSED, Stage.CANCELLED])
    if not admin:
        coordinated = coordinated.filter(pk__in=agreement_ids_coordinated(user))
    coordinates = admin or coordinated.exists()
    companies = company_ids_represented(user)
    expert = getattr(user, "expert", None)
    regulating = organization_ids_regulating(user)
    if not (coordinates or companies or expert is not None or regulating):
        raise PermissionDenied
    context = {"today": today}
    if coordinates:
        listing = page_of(
            request,
            _matching(coordinated, search_text(request, "a"), "code", "name").order_by("code"),
            WORK_PER_PAGE,
            prefix="a",
        )
        counts = queues.summaries(listing.rows, today)
        context["agreements"] = listing
        context["coordinated"] = [
            {"agreement": a, "summary": counts[a.pk], "next_stages": _next_stages(a)}
            for a in listing.rows
        ]
    if companies:
        facilities = _matching(
            Facility.objects.filter(company_id__in=companies),
            search_text(request, "f"),
            "code",
            "name",
            "company__name",
        )
        context["facilities"] = page_of(
            request,
            facilities.select_related("company")
            .prefetch_related("adhesions__agreement", "adhesions__reports")
            .order_by("code", "pk"),
            WORK_PER_PAGE,
            prefix="f",
        )
    if expert is not None:
        audits = (
            Audit.objects.for_listing()
            .filter(auditor=expert)
            .annotate(
                done=Case(
                    When(status=AuditStatus.OPEN, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("done", "audit_date", "id")
        )
        context["expert"] = expert
        context["audits"] = page_of(
            request,
            _matching(audits, search_text(request, "u"), *FACILITY_FIELDS, "agreement__code"),
            WORK_PER_PAGE,
            prefix="u",
        )
    if regulating:
        regulated = Consultation.objects.filter(
            agreement__signatories__role="regulator",
            agreement__signatories__organization_id__in=regulating,
        ).values("pk")
        consultations = _matching(
            Consultation.objects.filter(pk__in=regulated),
            search_text(request, "c"),
            *FACILITY_FIELDS,
            "agreement__code",
        )
        listing = page_of(
            request,
            consultations.select_related("agreement", "facility__company").order_by(
                "-consulted_on", "-id"
            ),
            WORK_PER_PAGE,
            prefix="c",
        )
        states = queues.consultation_states(listing.rows, today)
        mine = defaultdict(list)
        for answer in ConsultationAnswer.objects.filter(
            consultation__in=list(listing.rows), signatory__organization_id__in=regulating
        ):
            mine[answer.consultation_id].append(answer)
        context["consultations"] = listing
        context["consultation_rows"] = [
            (c, _state_label(states[c.pk][0]), mine[c.pk]) for c in listing.rows
        ]
    return render(request, "web/workbench/home.html", context)


def _state_label(state: str) -> str:
    return str(CONSULTATION_STATES.get(state, state))


@login_required
def agreement_work(request, slug):
    """One agreement's work queues: the size of each as tabs, the chosen one paged and searched
    (by facility code or name, or company name)."""
    agreement = _agreement(request, slug, "agreements.change_agreement")
    today = timezone.localdate()
    summary = queues.summaries([agreement], today)[agreement.pk]
    chosen = request.GET.get("queue", "")
    if chosen not in QUEUES:
        chosen = next(
            (key for key in QUEUES if getattr(summary, key)), "late"
        )  # the first with work in it
    search = search_text(request)
    rows, listing = _queue(request, agreement, chosen, search, today)
    return render(
        request,
        "web/workbench/agreement.html",
        {
            "agreement": agreement,
            "next_stages": _next_stages(agreement),
            "summary": summary,
            "tabs": [(key, label, getattr(summary, key)) for key, label in QUEUES.items()],
            "queue": chosen,
            "queue_label": QUEUES[chosen],
            "listing": listing,
            "rows": rows,
            "keep": [("queue", chosen)],
            "today": today,
        },
    )


def _queue(request, agreement, queue: str, search: str, today):
    """The rows of one page of one queue, and its listing."""
    agreements = [agreement]

    def paged(items):
        return page_of(request, items, WORK_PER_PAGE, search=search)

    if queue == "late":
        listing = paged(
            _matching(queues.late_adhesions(agreements, today), search, *FACILITY_FIELDS)
        )
        return queues.late_rows(listing.rows, today), listing
    if queue in ("open_audits", "to_validate"):
        audits = getattr(queues, queue)(agreements).select_related("facility__company", "auditor")
        listing = paged(_matching(audits, search, *FACILITY_FIELDS))
        return list(listing.rows), listing
    if queue == "to_consult":
        keys = queues.eligible_to_consult(agreements, search)
        listing = paged(keys)
        found = Facility.objects.select_related("company").in_bulk([f for _a, f in listing.rows])
        return [found[f] for _a, f in listing.rows], listing
    if queue == "consultations":
        consultations = queues.open_consultations(agreements).select_related(
            "agreement", "facility__company"
        )
        listing = paged(_matching(consultations, search, *FACILITY_FIELDS))
        states = queues.consultation_states(listing.rows, today)
        return [(c, _state_label(states[c.pk][0]), states[c.pk][1]) for c in listing.rows], listing
    if queue == "to_certify":
        ready = [
            c
            for c in queues.cleared(agreements, today)
            if not search
            or any(
                search.casefold() in text.casefold()
                for text in (c.facility.code, c.facility.name, c.facility.company.name)
            )
        ]
        listing = paged(ready)
        return [c.facility for c in listing.rows], listing
    certificates = Certificate.objects.filter(agreement=agreement).select_related(
        "facility__company"
    )
    listing = paged(_matching(certificates, search, *FACILITY_FIELDS).order_by("-issued_on", "-id"))
    return list(listing.rows), listing


# ---------------------------------------------------------------- coordinator


@login_required
def stage(request, slug):
    agreement = _agreement(request, slug, "agreements.change_stage")
    form = wf.StageForm(request.POST or None, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = services.agreement_change_stage(
                acting_user=request.user,
                agreement=agreement,
                to_stage=data["to_stage"],
                comment=data["comment"],
                signing_date=data.get("signing_date"),
            )
        except DomainError as exc:
            _show_error(form, exc, {"stage": "to_stage", "status": "to_stage"})
        else:
            messages.success(
                request,
                _("%(agreement)s is now in stage “%(stage)s”.")
                % {"agreement": agreement.code, "stage": agreement.get_stage_display()},
            )
            return redirect("workbench:agreement", slug=agreement.slug)
    return render(
        request,
        "web/workbench/stage.html",
        {
            "agreement": agreement,
            "form": form if form.fields["to_stage"].choices else None,
            "changes": agreement.stage_changes.select_related("changed_by"),
            "extensions": agreement.extensions.select_related("granted_by"),
        },
    )


@login_required
def extend(request, slug):
    agreement = _agreement(request, slug, "agreements.change_stage")
    form = wf.ExtendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_extend(
                acting_user=request.user, agreement=agreement, **form.cleaned_data
            )
        except DomainError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("The implementation was extended."))
            return redirect("workbench:stage", slug=slug)
    return _simple_form(
        request,
        form,
        title=_("Extend the implementation"),
        submit=_("Extend"),
        context={
            "agreement": agreement,
            "details": [(_("Current end"), agreement.implementation_end)],
        },
    )


@login_required
def adhesion_new(request, slug):
    """The coordinator, or a company's representative for its own facilities."""
    user = request.user
    agreement = get_object_or_404(agreements_visible_to(user, Agreement.objects), slug=slug)
    coordinator = user.has_perm("agreements.record_adhesion_exception", agreement)
    if not (coordinator or company_ids_represented(user)):
        raise PermissionDenied
    form = wf.AdhesionForm(request.POST or None)
    if not coordinator:
        del form.fields["exception_reason"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        candidates = Facility.objects.select_related("company")
        if not coordinator:
            candidates = candidates.filter(company_id__in=company_ids_represented(user))
        facility = candidates.filter(code=data["facility"].strip()).first()
        if facility is None:
            form.add_error(
                "facility", _("There is no facility with this code that you may adhere.")
            )
        else:
            try:
                services.facility_adhere(
                    acting_user=user,
                    agreement=agreement,
                    facility=facility,
                    adhered_on=data["adhered_on"],
                    exception_reason=data.get("exception_reason", ""),
                )
            except DomainError as exc:
                _show_error(form, exc, {"status": None})
            else:
                messages.success(
                    request,
                    _("Facility %(code)s adhered to %(agreement)s.")
                    % {"code": facility.code, "agreement": agreement.code},
                )
                return redirect("workbench:home")
    return _simple_form(
        request,
        form,
        title=_("Adhesion of a facility"),
        submit=_("Record the adhesion"),
        context={
            "agreement": agreement,
            "details": [
                (_("Adhesion window opens"), agreement.signing_date),
                (_("Adhesion window closes"), agreement.adhesion_end),
            ],
        },
    )


@login_required
def audit_new(request, slug):
    agreement = _agreement(request, slug, "agreements.open_audit")
    form = wf.AuditOpenForm(
        request.POST or None,
        facilities=_adhered_facilities(agreement),
        auditors=Expert.objects.filter(kind=ExpertKind.AUDITOR),
        final_audits=Audit.objects.for_listing().filter(
            agreement=agreement, audit_type=AuditType.FINAL, status=AuditStatus.SUBMITTED
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.audit_open(
                acting_user=request.user, agreement=agreement, **form.cleaned_data
            )
        except DomainError as exc:
            _show_error(form, exc)
        else:
            messages.success(
                request, _("The audit was assigned to %(auditor)s.") % {"auditor": audit.auditor}
            )
            return redirect("workbench:agreement", slug=agreement.slug)
    return _simple_form(
        request,
        form,
        title=_("Open an audit"),
        submit=_("Assign"),
        context={"agreement": agreement},
    )


@login_required
@require_POST
def audit_validate(request, slug, pk):
    agreement = _agreement(request, slug, "agreements.validate_correction")
    audit = get_object_or_404(Audit, pk=pk, agreement=agreement)
    try:
        services.correction_validate(acting_user=request.user, audit=audit)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The re-verification was validated."))
    return redirect(_next_url(request, reverse("workbench:agreement", args=[agreement.slug])))


@login_required
def consultation_new(request, slug):
    agreement = _agreement(request, slug, "agreements.consult_regulators")
    form = wf.FacilityDateForm(
        request.POST or None,
        facilities=_adhered_facilities(agreement),
        date_label=_("Consulted on"),
        initial={"facility": request.GET.get("facility")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_open(
                acting_user=request.user,
                agreement=agreement,
                facility=form.cleaned_data["facility"],
                consulted_on=form.cleaned_data["on"],
            )
        except DomainError as exc:
            _show_error(form, exc, {"status": "facility"})
        else:
            messages.success(request, _("The regulators were consulted."))
            return redirect("workbench:consultation", pk=consultation.pk)
    return _simple_form(
        request,
        form,
        title=_("Consult the regulators"),
        submit=_("Consult"),
        context={"agreement": agreement},
    )


@login_required
def certificate_new(request, slug):
    agreement = _agreement(request, slug, "agreements.issue_certificate")
    form = wf.FacilityDateForm(
        request.POST or None,
        facilities=_adhered_facilities(agreement),
        date_label=_("Issued on"),
        initial={"facility": request.GET.get("facility")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.certificate_issue(
                acting_user=request.user,
                agreement=agreement,
                facility=form.cleaned_data["facility"],
                issued_on=form.cleaned_data["on"],
            )
        except DomainError as exc:
            _show_error(form, exc, {"status": "facility"})
        else:
            messages.success(
                request,
                _("Certificate %(code)s issued, valid until %(date)s.")
                % {"code": certificate.code, "date": certificate.valid_until.isoformat()},
            )
            return redirect("workbench:agreement", slug=agreement.slug)
    return _simple_form(
        request,
        form,
        title=_("Issue a certificate"),
        submit=_("Issue"),
        context={"agreement": agreement},
    )


@login_required
def certificate_revoke(request, code):
    certificate = get_object_or_404(Certificate.objects.for_listing(), code=code)
    _require(request.user, "agreements.revoke_certificate", certificate.agreement)
    form = wf.RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_revoke(
                acting_user=request.user, certificate=certificate, **form.cleaned_data
            )
        except DomainError as exc:
            _show_error(form, exc, {"status": None})
        else:
            messages.success(request, _("Certificate %(code)s was revoked.") % {"code": code})
            return redirect("workbench:home")
    return _simple_form(
        request,
        form,
        title=_("Revoke certificate %(code)s") % {"code": code},
        submit=_("Revoke"),
        context={
            "agreement": certificate.agreement,
            "details": [
                (_("Facility"), certificate.facility),
                (_("Issued on"), certificate.issued_on),
                (_("Valid until"), certificate.valid_until),
                (_("Revoked on"), certificate.revoked_on),
            ],
        },
    )


# ---------------------------------------------------------------- company representative


def _adhesion(request, code, slug) -> Adhesion:
    facility = get_object_or_404(_facilities_visible(request.user), code=code)
    agreement = get_object_or_404(agreements_visible_to(request.user, Agreement.objects), slug=slug)
    return get_object_or_404(
        Adhesion.objects.select_related("agreement", "facility__company"),
        agreement=agreement,
        facility=facility,
    )


@login_required
def report(request, code, slug):
    """A diagnosis or follow-up report of one facility: per applicable action a status, evidence
    and comment. The company's representative writes them; the coordinator reads them."""
    adhesion = _adhesion(request, code, slug)
    user = request.user
    _require(user, "agreements.view_facility_reports", adhesion)
    may_report = user.has_perm("agreements.report_follow_up", adhesion)
    if request.method == "POST" and not may_report:
        raise PermissionDenied
    reports = list(
        adhesion.reports.prefetch_related("items__action").order_by("-period_end", "-id")
    )
    previous = {i.action_id: i for i in reports[0].items.all()} if reports else {}
    actions = services.applicable_actions(adhesion.agreement, adhesion.facility.company)
    form = wf.FollowUpForm(request.POST or None, actions=actions, previous=previous)
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_submit(
                acting_user=user,
                adhesion=adhesion,
                kind=form.cleaned_data["kind"],
                period_end=form.cleaned_data["period_end"],
                items=form.items(),
            )
        except DomainError as exc:
            _show_error(form, exc, {"status": None, "items": None})
        else:
            messages.success(request, _("The report was submitted."))
            return redirect("workbench:report", code=code, slug=slug)
    return render(
        request,
        "web/workbench/report.html",
        {
            "adhesion": adhesion,
            "agreement": adhesion.agreement,
            "facility": adhesion.facility,
            "form": form,
            "reports": reports,
            "can_report": may_report and adhesion.is_active,
            "can_withdraw": adhesion.is_active
            and user.has_perm("agreements.record_adhesion", adhesion),
            "withdraw_form": wf.WithdrawForm(initial={"on": timezone.localdate()}),
        },
    )


@login_required
def withdraw(request, code, slug):
    adhesion = _adhesion(request, code, slug)
    _require(request.user, "agreements.record_adhesion", adhesion)
    form = wf.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.adhesion_withdraw(
                acting_user=request.user, adhesion=adhesion, **form.cleaned_data
            )
        except DomainError as exc:
            _show_error(form, exc, {"status": None})
        else:
            messages.success(request, _("The facility withdrew from the agreement."))
            return redirect("workbench:report", code=code, slug=slug)
    return _simple_form(
        request,
        form,
        title=_("Withdraw %(facility)s") % {"facility": adhesion.facility},
        submit=_("Withdraw"),
        context={"agreement": adhesion.agreement},
    )


@login_required
def impacts(request, code, slug):
    adhesion = _adhesion(request, code, slug)
    _require(
        request.user,
        "agreements.record_impact",
        Impact(agreement=adhesion.agreement, facility=adhesion.facility),
    )
    form = wf.ImpactForm(request.POST or None, initial={"year": timezone.localdate().year - 1})
    if request.method == "POST" and form.is_valid():
        try:
            impact = services.impact_record(
                acting_user=request.user,
                agreement=adhesion.agreement,
                facility=adhesion.facility,
                **form.cleaned_data,
            )
        except DomainError as exc:
            _show_error(form, exc, {"amount": "value", "currency": "unit"})
        else:
            messages.success(
                request,
                _("Recorded: %(metric)s %(year)s = %(value)s %(unit)s.")
                % {
                    "metric": impact.get_metric_display(),
                    "year": impact.year,
                    "value": impact.value.normalize(),
                    "unit": impact.unit,
                },
            )
            return redirect("workbench:impacts", code=code, slug=slug)
    return render(
        request,
        "web/workbench/impacts.html",
        {
            "adhesion": adhesion,
            "agreement": adhesion.agreement,
            "facility": adhesion.facility,
            "form": form,
            "impacts": Impact.objects.filter(
                agreement=adhesion.agreement, facility=adhesion.facility
            ).order_by("metric", "year"),
        },
    )


# ---------------------------------------------------------------- auditor


def _visible_audit(request, pk) -> Audit:
    return get_object_or_404(audits_visible_to(request.user, Audit.objects.for_listing()), pk=pk)


def _sheet_actions(audit: Audit):
    """The rows of the sheet and the items recorded so far (action id → item).

    Rows are the facility's applicable actions; for a correction re-verification, the items
    the final audit found not complying."""
    recorded = {
        i.action_id: i for i in AuditItem.objects.filter(audit=audit).select_related("action__goal")
    }
    if audit.audit_type == AuditType.CORRECTION and audit.corrects_id:
        failed = AuditItem.objects.filter(
            audit_id=audit.corrects_id, applies=True, complies=False
        ).select_related("action__goal")
        actions = [i.action for i in failed]
    else:
        actions = services.applicable_actions(audit.agreement, audit.facility.company)
        goals = Goal.objects.in_bulk({a.goal_id for a in actions})
        for action in actions:
            action.goal = goals[action.goal_id]
    known = {a.pk for a in actions}
    actions += [i.action for i in recorded.values() if i.action_id not in known]
    return actions, recorded


def _row(action, item, *, data=None, note="", conflict="", editable=True) -> dict:
    form = wf.AuditItemForm(
        data, prefix=f"item-{action.pk}", initial=wf.AuditItemForm.initial_for(item)
    )
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return {"action": action, "item": item, "form": form, "note": note, "conflict": conflict}


def _summary(audit, actions, recorded) -> dict:
    applies = [i for i in recorded.values() if i.applies]
    outcome = figures.audit_outcome(audit) if audit.audit_type == AuditType.FINAL else ""
    return {
        "compliance": as_decimal(figures.audit_compliance(audit)),
        "recorded": len(recorded),
        "rows": len(actions),
        "applies": len(applies),
        "complies": sum(1 for i in applies if i.complies),
        "outcome": outcome,
        "outcome_label": OUTCOMES.get(outcome, ""),
    }


def _needs_deadline(audit, summary) -> bool:
    return audit.audit_type == AuditType.FINAL and summary["outcome"] == "correction"


def _render_sheet(request, audit, *, override=None, submit_form=None, status=200):
    actions, recorded = _sheet_actions(audit)
    can_record = (
        request.user.has_perm("agreements.record_audit", audit) and audit.status == AuditStatus.OPEN
    )
    rows = [
        override
        if override and override["action"].pk == action.pk
        else _row(action, recorded.get(action.pk), editable=can_record)
        for action in actions
    ]
    summary = _summary(audit, actions, recorded)
    if submit_form is None and can_record:
        submit_form = wf.AuditSubmitForm(with_deadline=_needs_deadline(audit, summary))
    return render(
        request,
        "web/workbench/audit.html",
        {
            "audit": audit,
            "agreement": audit.agreement,
            "rows": rows,
            "summary": summary,
            "can_record": can_record,
            "submit_form": submit_form,
            "can_validate": audit.audit_type == AuditType.CORRECTION
            and audit.status == AuditStatus.SUBMITTED
            and audit.validated_at is None
            and request.user.has_perm("agreements.validate_correction", audit.agreement),
        },
        status=status,
    )


@login_required
def audit(request, pk):
    return _render_sheet(request, _visible_audit(request, pk))


def _yes_no_label(value) -> str:
    return {True: _("yes"), False: _("no"), None: "—"}[value]


@login_required
@require_POST
def audit_item(request, pk, action_code):
    """Save one row of the sheet. With htmx the row comes back re-rendered (its new version and
    a “saved” note, or the refusal); without JavaScript it redirects back to the sheet."""
    audit = _visible_audit(request, pk)
    _require(request.user, "agreements.record_audit", audit)
    actions, recorded = _sheet_actions(audit)
    action = next((a for a in actions if a.code == action_code), None)
    if action is None:
        raise Http404
    form = wf.AuditItemForm(request.POST, prefix=f"item-{action.pk}")
    row = None
    conflict = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = services.audit_item_record(
                acting_user=request.user,
                audit=audit,
                action=action,
                applies=data["applies"],
                complies=data["complies"],
                reason=data["reason"],
                evidence=data["evidence"],
                observation=data["observation"],
                version=data["version"],
            )
        except services.Conflict as exc:
            conflict = True
            current = AuditItem.objects.get(audit=audit, action=action)
            # Keep what the auditor typed; a second Save knowingly replaces the current version.
            posted = request.POST.copy()
            posted[f"item-{action.pk}-version"] = str(current.version)
            stored = _(
                "Now stored: applies %(applies)s, complies %(complies)s, reason “%(reason)s”, "
                "evidence “%(evidence)s”, observation “%(observation)s”. Save again to replace it."
            ) % {
                "applies": _yes_no_label(current.applies),
                "complies": _yes_no_label(current.complies),
                "reason": current.reason,
                "evidence": current.evidence,
                "observation": current.observation,
            }
            row = _row(action, current, data=posted, conflict=f"{exc.message} {stored}")
            row["form"].is_valid()
        except DomainError as exc:
            _show_error(form, exc, {"action": None, "status": None, "version": None})
        else:
            recorded[action.pk] = item
            if not request.htmx:
                messages.success(request, _("Item %(code)s saved.") % {"code": action.code})
                sheet = reverse("workbench:audit", args=[audit.pk])
                return redirect(f"{sheet}#item-{action.pk}")
            row = _row(action, item, note=_("Saved."))
    if row is None:
        row = {
            "action": action,
            "item": recorded.get(action.pk),
            "form": form,
            "note": "",
            "conflict": "",
        }
    if request.htmx:
        return render(
            request,
            "web/workbench/_audit_row_response.html",
            {
                "audit": audit,
                "row": row,
                "can_record": True,
                "summary": _summary(audit, actions, recorded),
            },
        )
    return _render_sheet(request, audit, override=row, status=409 if conflict else 200)


@login_required
@require_POST
def audit_submit(request, pk):
    audit = _visible_audit(request, pk)
    _require(request.user, "agreements.record_audit", audit)
    actions, recorded = _sheet_actions(audit)
    form = wf.AuditSubmitForm(
        request.POST, with_deadline=_needs_deadline(audit, _summary(audit, actions, recorded))
    )
    if form.is_valid():
        try:
            services.audit_submit(
                acting_user=request.user,
                audit=audit,
                correction_deadline=form.cleaned_data.get("correction_deadline"),
            )
        except DomainError as exc:
            _show_error(form, exc, {"items": None, "status": None})
        else:
            messages.success(request, _("The audit was submitted."))
            return redirect("workbench:audit", pk=audit.pk)
    return _render_sheet(request, audit, submit_form=form)


# ---------------------------------------------------------------- regulator


@login_required
def consultation(request, pk):
    consultation = get_object_or_404(_consultations_visible(request.user), pk=pk)
    user = request.user
    can_answer = user.has_perm("agreements.answer_consultation", consultation)
    if request.method == "POST" and not can_answer:
        raise PermissionDenied
    signatories = consultation.agreement.signatories.filter(role="regulator").select_related(
        "organization"
    )
    if not _is_admin(user):
        signatories = signatories.filter(organization_id__in=organization_ids_regulating(user))
    form = None
    if can_answer:
        form = wf.AnswerForm(
            request.POST or None,
            signatories=signatories,
            initial={"signatory": signatories.first()},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.consultation_answer(
                    acting_user=user, consultation=consultation, **form.cleaned_data
                )
            except DomainError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, _("Your answer was recorded."))
                return redirect("workbench:consultation", pk=consultation.pk)
    _code, state, reasons = _state(consultation, timezone.localdate())
    return render(
        request,
        "web/workbench/consultation.html",
        {
            "consultation": consultation,
            "agreement": consultation.agreement,
            "facility": consultation.facility,
            "state": state,
            "reasons": reasons,
            "window_end": consultation.consulted_on
            + dt.timedelta(days=consultation.agreement.objection_days),
            "answers": consultation.answers.select_related(
                "signatory__organization", "answered_by"
            ),
            "competence": [
                (s, list(s.competence.all())) for s in signatories.prefetch_related("competence")
            ],
            "form": form,
        },
    )
