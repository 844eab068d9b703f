"""Compliance, eligibility and certificate status of agreements, computed in the database.

Every figure is a count: the database groups the audit items (each facility's latest submitted
audit of a type, after validated re-verifications for final audits) and returns applicable and
complying counts per facility and goal, per action, per audit; the pure module
`limpia.compliance` turns them into exact fractions. A fixed number of queries whatever the
number of facilities, and no audit item is loaded into Python (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction

from django.db.models import Count, F, Q

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
from limpia.core.sql import regroup_sets


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


def _ratio(counts: dict) -> Fraction | None:
    return Fraction(counts["complying"], counts["applicable"]) if counts["applicable"] else None


def audit_compliance(audit: Audit) -> Fraction | None:
    """The audit's own compliance (its items, nothing merged), in one aggregate query."""
    return _ratio(AuditItem.objects.filter(audit=audit).with_finding().aggregate_counts())


def audit_outcome(audit: Audit) -> str:
    return compliance.final_audit_outcome(audit_compliance(audit), settings_of(audit.agreement))


def latest_audits(agreement_ids, audit_type: str, as_of: dt.date | None = None):
    """Each facility's latest submitted audit of the type in the agreements (a queryset;
    `agreement_ids` a list or a queryset of agreement ids)."""
    return Audit.objects.filter(agreement_id__in=agreement_ids).latest_submitted(audit_type, as_of)


def settled_items(audits, audit_type: str, as_of: dt.date | None = None):
    """The items of `audits` with their `finding`; for final audits, after the validated
    correction re-verifications (checked first in one cheap query: most have none)."""
    corrections = Audit.objects.validated_corrections().filter(corrects__in=audits)
    if as_of:
        corrections = corrections.filter(audit_date__lte=as_of)
    reverified = audit_type == AuditType.FINAL and corrections.exists()
    return (
        AuditItem.objects.filter(audit__in=audits)
        .order_by()
        .with_finding(reverified=reverified, as_of=as_of)
    )


def certification_eligibility(agreement: Agreement, facility: Facility) -> str:
    """eligible, correction_pending, not_eligible, not_assessable or no_final_audit.

    A final audit at 100 % is eligible. Above the correction threshold the facility is
    eligible once validated re-verifications mark the corrected items as complying.
    """
    return _eligibility(agreement, Facility.objects.filter(pk=facility.pk)).get(
        facility.pk, "no_final_audit"
    )


def eligibility_by_facility(agreement: Agreement) -> dict[int, str]:
    """`certification_eligibility` of every facility with a final audit, in four queries."""
    return _eligibility(agreement, None)


def _eligibility(agreement: Agreement, facilities) -> dict[int, str]:
    finals = latest_audits([agreement.pk], AuditType.FINAL)
    if facilities is not None:
        finals = finals.filter(facility__in=facilities)
    return {facility: state for (_a, facility), state in eligibility_of(finals).items()}


def eligibility_of(finals) -> dict[tuple[int, int], str]:
    """(agreement id, facility id) → eligibility, for `finals`: a queryset of latest final
    audits (`latest_audits`). One row per audit comes back with its applicable and complying
    counts before and after the validated re-verifications; the exact thresholds of each
    agreement are applied in Python (`compliance.final_audit_outcome`). Four queries."""
    counts = {
        row["audit_id"]: row
        for row in settled_items(finals, AuditType.FINAL)
        .values("audit_id")
        .annotate(
            applicable_before=Count("pk", filter=Q(applies=True)),
            complying_before=Count("pk", filter=Q(applies=True, complies=True)),
        )
        .counts()
    }
    audits = list(
        finals.order_by("agreement_id", "facility__code").values_list(
            "pk", "agreement_id", "facility_id"
        )
    )
    settings = {
        a.pk: settings_of(a) for a in Agreement.objects.filter(pk__in={a for _p, a, _f in audits})
    }
    empty = {"applicable": 0, "complying": 0, "applicable_before": 0, "complying_before": 0}
    result = {}
    for audit_id, agreement_id, facility_id in audits:
        row = counts.get(audit_id, empty)
        before = _ratio(
            {"applicable": row["applicable_before"], "complying": row["complying_before"]}
        )
        outcome = compliance.final_audit_outcome(before, settings[agreement_id])
        if outcome == "correction":
            outcome = "eligible" if _ratio(row) == 1 else "correction_pending"
        result[(agreement_id, facility_id)] = outcome
    return result


def consultation_state(consultation: Consultation, *, today: dt.date) -> tuple[str, list[str]]:
    regulators = list(consultation.agreement.signatories.filter(role="regulator"))
    return consultation_state_of(
        consultation, regulators, list(consultation.answers.all()), today=today
    )


def consultation_state_of(
    consultation: Consultation,
    regulators,
    answers,
    *,
    today: dt.date,
    settings: compliance.CertificationSettings | None = None,
) -> tuple[str, list[str]]:
    """The consultation's state from its agreement's regulators and its answers (loaded by the
    caller: `queues.consultation_states` reads them for many consultations at once)."""
    answers = {a.signatory_id: a for a in answers}
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
        settings or settings_of(consultation.agreement),
    )
    reasons = [f"{a.signatory.organization}: {a.reason}" for a in answers.values() if a.objects_to]
    return state, reasons


def consolidated(agreement: Agreement, audit_type: str = AuditType.FINAL):
    return consolidated_many([agreement], audit_type)[agreement.pk]


def consolidated_many(agreements, audit_type: str = AuditType.FINAL) -> dict[int, object]:
    """The consolidated report of each agreement, from three or four GROUP BY queries for any
    number of agreements: the audited facilities, their counts per goal, the counts per action
    (and whether any validated re-verification is to be merged). Python only sorts the groups
    and takes the exact means (`compliance.report_from_counts`)."""
    ids = [a.pk for a in agreements]
    audits = latest_audits(ids, audit_type)
    audited = {
        row["pk"]: row
        for row in audits.order_by().values(
            "pk", "agreement_id", "facility__code", "facility__company__tax_id"
        )
    }
    items = settled_items(audits, audit_type)
    goals: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in items.values("audit_id", "action__goal__code").counts():
        goals[row["audit_id"]][row["action__goal__code"]] = (row["applicable"], row["complying"])
    facilities = defaultdict(list)
    for audit_id, row in audited.items():
        facilities[row["agreement_id"]].append(
            compliance.FacilityCounts(
                facility_code=row["facility__code"],
                company_tax_id=row["facility__company__tax_id"],
                goals=goals.get(audit_id, {}),
            )
        )
    actions = defaultdict(list)
    for row in items.values("audit__agreement_id", "action__code", "action__goal__code").counts():
        actions[row["audit__agreement_id"]].append(
            compliance.ActionCounts(
                code=row["action__code"],
                goal_code=row["action__goal__code"],
                applicable_facilities=row["applicable"],
                complying_facilities=row["complying"],
            )
        )
    return {pk: compliance.report_from_counts(facilities[pk], actions[pk]) for pk in ids}


def distribution_groups(
    audits, groupings: dict, audit_type: str = AuditType.FINAL, as_of: dt.date | None = None
) -> dict[str, list[tuple]]:
    """For each grouping name, ``(key, correction threshold, applicable, complying,
    facilities)`` rows over the latest `audits` (a queryset): the items are counted per audit
    once, then the audits are counted by their counts, once per grouping, all in one query
    (`core.sql.regroup_sets`). The rows are few (the distinct count pairs per key) however many
    facilities there are. A grouping's value is an expression from the audit item (e.g.
    F("audit__facility__company__size")), or None for all facilities together."""
    keys = {f"g_{n}": value for n, value in enumerate(groupings.values()) if value is not None}
    per_audit = (
        settled_items(audits, audit_type, as_of)
        .annotate(g_threshold=F("audit__agreement__correction_above"), **keys)
        .values("audit_id", "g_threshold", *keys)
        .counts()
    )
    names = iter(keys)
    sets = {name: (next(names) if value is not None else None) for name, value in groupings.items()}
    rows = regroup_sets(per_audit, sets, ["g_threshold", "applicable", "complying"])
    return {
        name: [(key, Fraction(str(threshold)), a, c, n) for key, threshold, a, c, n in found]
        for name, found in rows.items()
    }


def distributions(
    audits, groupings: dict, audit_type: str = AuditType.FINAL, as_of: dt.date | None = None
) -> dict[str, dict]:
    """grouping name → key → `compliance.Distribution`, each agreement's correction threshold
    applied to its own facilities (see `distribution_groups`)."""
    result = {}
    for name, rows in distribution_groups(audits, groupings, audit_type, as_of).items():
        by_key = defaultdict(list)
        for key, threshold, applicable, complying, count in rows:
            by_key[key].append((threshold, applicable, complying, count))
        result[name] = {key: compliance.distribution(g) for key, g in by_key.items()}
    return result


def certificate_states(certificates, *, today: dt.date) -> dict[int, compliance.CertificateState]:
    """The status of each certificate on `today`, with its maintenance audits in 2 queries."""
    certificates = list(certificates)
    facility_ids = {c.facility_id for c in certificates}
    maintenance = defaultdict(list)
    audits = (
        Audit.objects.filter(
            facility_id__in=facility_ids,
            audit_type=AuditType.MAINTENANCE,
            status=AuditStatus.SUBMITTED,
        )
        .order_by("audit_date", "id")
        .values("id", "agreement_id", "facility_id", "audit_date")
        .annotate(
            applicable=Count("items", filter=Q(items__applies=True)),
            complying=Count("items", filter=Q(items__applies=True, items__complies=True)),
        )
    )
    for audit in audits:
        maintenance[(audit["agreement_id"], audit["facility_id"])].append(
            compliance.MaintenanceAudit(date=audit["audit_date"], passed=_ratio(audit) == 1)
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
    return audit_compliance(audit) == 1
