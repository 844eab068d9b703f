"""Compliance, eligibility and certificate status of agreements, from rows fetched in a fixed
number of queries and computed by the pure module `limpia.compliance`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction

from django.db.models import Prefetch

from limpia import compliance
from limpia.agreements.models import (
    Agreement,
    Audit,
    AuditItem,
    AuditStatus,
    AuditType,
    Certificate,
    Consultation,
    Facility,
)


def settings_of(agreement: Agreement) -> compliance.CertificationSettings:
    return compliance.CertificationSettings(
        correction_above=Fraction(str(agreement.correction_above)),
        correction_days=agreement.correction_days,
        objection_days=agreement.objection_days,
        silence_is_consent=agreement.silence_is_consent,
        validity_years=agreement.validity_years,
    )


def pure_items(items) -> tuple[compliance.AuditItem, ...]:
    return tuple(
        compliance.AuditItem(
            action_code=item.action.code,
            goal_code=item.action.goal.code,
            applies=item.applies,
            complies=item.complies if item.applies else None,
        )
        for item in items
    )


def _items_queryset():
    return AuditItem.objects.select_related("action__goal")


def audit_compliance(audit: Audit) -> Fraction | None:
    return compliance.facility_compliance(pure_items(_items_queryset().filter(audit=audit)))


def audit_outcome(audit: Audit) -> str:
    return compliance.final_audit_outcome(audit_compliance(audit), settings_of(audit.agreement))


def _final_and_corrections(agreement: Agreement, facility: Facility):
    final = (
        Audit.objects.filter(
            agreement=agreement,
            facility=facility,
            audit_type=AuditType.FINAL,
            status=AuditStatus.SUBMITTED,
        )
        .order_by("-audit_date", "-id")
        .first()
    )
    if final is None:
        return None, []
    corrections = list(
        Audit.objects.filter(
            corrects=final, status=AuditStatus.SUBMITTED, validated_at__isnull=False
        ).order_by("audit_date", "id")
    )
    return final, corrections


def certification_eligibility(agreement: Agreement, facility: Facility) -> str:
    """eligible, correction_pending, not_eligible, not_assessable or no_final_audit.

    A final audit at 100 % is eligible. Above the correction threshold the facility is
    eligible once validated re-verifications mark the corrected items as complying.
    """
    final, corrections = _final_and_corrections(agreement, facility)
    if final is None:
        return "no_final_audit"
    items = pure_items(_items_queryset().filter(audit=final))
    outcome = compliance.final_audit_outcome(
        compliance.facility_compliance(items), settings_of(agreement)
    )
    if outcome != "correction":
        return outcome
    for correction in corrections:
        items = compliance.after_reverification(
            items, pure_items(_items_queryset().filter(audit=correction))
        )
    if compliance.facility_compliance(items) == 1:
        return "eligible"
    return "correction_pending"


def eligibility_by_facility(agreement: Agreement) -> dict[int, str]:
    """`certification_eligibility` of every facility with a final audit, in two queries."""
    settings = settings_of(agreement)
    result = {}
    for facility_id, (audit, merged) in (
        latest_audits_of([agreement.pk], AuditType.FINAL).get(agreement.pk, {}).items()
    ):
        original = pure_items(audit.items.all())
        outcome = compliance.final_audit_outcome(compliance.facility_compliance(original), settings)
        if outcome == "correction":
            full = compliance.facility_compliance(merged) == 1
            outcome = "eligible" if full else "correction_pending"
        result[facility_id] = outcome
    return result


def consultation_state(consultation: Consultation, *, today: dt.date) -> tuple[str, list[str]]:
    agreement = consultation.agreement
    regulators = list(agreement.signatories.filter(role="regulator"))
    answers = {a.signatory_id: a for a in consultation.answers.all()}
    objections = [
        compliance.Objection(regulator=str(a.signatory_id), on=a.answered_on, reason=a.reason)
        for a in answers.values()
        if a.objects_to
    ]
    state = compliance.consultation_state(
        consultation.consulted_on,
        today,
        objections,
        [str(r.pk) for r in regulators],
        {str(k): not a.objects_to for k, a in answers.items()},
        settings_of(agreement),
    )
    reasons = [f"{a.signatory.organization}: {a.reason}" for a in answers.values() if a.objects_to]
    return state, reasons


def latest_audits_of(agreement_ids, audit_type: str) -> dict[int, dict[int, tuple]]:
    """agreement id → facility id → (its latest submitted audit of the type, its items).

    Two queries for any number of agreements. For the final audit, validated correction
    re-verifications are merged in: the consolidated final report shows the facility's result
    after corrections.
    """
    audits = (
        Audit.objects.filter(
            agreement_id__in=list(agreement_ids),
            status=AuditStatus.SUBMITTED,
            audit_type__in=[audit_type, AuditType.CORRECTION],
        )
        .select_related("facility__company")
        .prefetch_related(Prefetch("items", queryset=_items_queryset()))
        .order_by("audit_date", "id")
    )
    latest: dict[int, dict[int, tuple]] = defaultdict(dict)
    corrections = defaultdict(list)
    for audit in audits:
        if audit.audit_type == audit_type:
            latest[audit.agreement_id][audit.facility_id] = (audit, pure_items(audit.items.all()))
        elif audit.validated_at is not None:
            corrections[audit.corrects_id].append(pure_items(audit.items.all()))
    if audit_type == AuditType.FINAL:
        for by_facility in latest.values():
            for facility_id, (audit, items) in list(by_facility.items()):
                for reverified in corrections.get(audit.pk, []):
                    items = compliance.after_reverification(items, reverified)
                by_facility[facility_id] = (audit, items)
    return latest


def _report(by_facility: dict[int, tuple]) -> compliance.ConsolidatedReport:
    facilities = {
        audit.facility.code: compliance.FacilityAudit(
            facility_code=audit.facility.code,
            company_tax_id=audit.facility.company.tax_id,
            items=items,
        )
        for audit, items in by_facility.values()
    }
    return compliance.consolidated_report(facilities)


def consolidated(agreement: Agreement, audit_type: str = AuditType.FINAL):
    return _report(latest_audits_of([agreement.pk], audit_type).get(agreement.pk, {}))


def consolidated_many(agreements, audit_type: str = AuditType.FINAL) -> dict[int, object]:
    """The consolidated report of each agreement, in two queries for all of them."""
    agreements = list(agreements)
    latest = latest_audits_of([a.pk for a in agreements], audit_type)
    return {a.pk: _report(latest.get(a.pk, {})) for a in agreements}


def certificate_states(certificates, *, today: dt.date) -> dict[int, compliance.CertificateState]:
    """The status of each certificate on `today`, with its maintenance audits in 2 queries."""
    certificates = list(certificates)
    facility_ids = {c.facility_id for c in certificates}
    maintenance = defaultdict(list)
    audits = Audit.objects.filter(
        facility_id__in=facility_ids,
        audit_type=AuditType.MAINTENANCE,
        status=AuditStatus.SUBMITTED,
    ).prefetch_related(Prefetch("items", queryset=_items_queryset()))
    for audit in audits:
        maintenance[(audit.agreement_id, audit.facility_id)].append(
            compliance.MaintenanceAudit(date=audit.audit_date, passed=compliance_is_full(audit))
        )
    return {
        c.pk: compliance.certificate_status(
            issued_on=c.issued_on,
            valid_until=c.valid_until,
            today=today,
            revoked_on=c.revoked_on,
            maintenance=maintenance[(c.agreement_id, c.facility_id)],
            settings=settings_of(c.agreement),
        )
        for c in certificates
    }


def certificate_state(certificate: Certificate, *, today: dt.date) -> compliance.CertificateState:
    return certificate_states([certificate], today=today)[certificate.pk]


def compliance_is_full(audit: Audit) -> bool:
    """A maintenance audit passes when every applicable item complies."""
    return compliance.facility_compliance(pure_items(audit.items.all())) == 1
