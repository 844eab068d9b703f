"""Compliance, eligibility and certificate status of agreements, computed in the database.

Every figure is a count: the database groups the audit items (each facility's latest submitted
audit of a type, after validated re-verifications for final audits) and returns applicable and
complying counts per facility and goal, per action, per audit; the pure module
`limpia.compliance` turns them into exact fractions. A fixed number of queries whatever the
number of facilities, and no audit item is loaded into Python (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, F, Q

from limpia import compliance
from limpia.agreements.models import (
    ActionTally,
    Agreement,
    Audit,
    AuditItem,
    AuditStatus,
    AuditType,
    Certificate,
    Consultation,
    Facility,
    FacilityTally,
    GoalTally,
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
    """`certification_eligibility` of every facility with a final audit, in two queries."""
    return _eligibility(agreement, None)


def _eligibility(agreement: Agreement, facilities) -> dict[int, str]:
    finals = latest_audits([agreement.pk], AuditType.FINAL)
    if facilities is not None:
        finals = finals.filter(facility__in=facilities)
    return {facility: state for (_a, facility), state in eligibility_of(finals).items()}


def eligibility_of(finals) -> dict[tuple[int, int], str]:
    """(agreement id, facility id) → eligibility, for `finals`: a queryset of latest final
    audits (`latest_audits`). Each audit's applicable and complying counts before and after
    the validated re-verifications come from its tally (`FacilityTally`), in one query with
    the audits; the exact thresholds of each agreement are applied in Python
    (`compliance.final_audit_outcome`). Two queries."""
    rows = list(
        FacilityTally.objects.filter(audit__in=finals, audit_type=AuditType.FINAL)
        .order_by("agreement_id", "facility__code")
        .values_list(
            "agreement_id",
            "facility_id",
            "applicable",
            "complying",
            "applicable_before",
            "complying_before",
        )
    )
    settings = {
        a.pk: settings_of(a) for a in Agreement.objects.filter(pk__in={row[0] for row in rows})
    }
    result = {}
    for (
        agreement_id,
        facility_id,
        applicable,
        complying,
        applicable_before,
        complying_before,
    ) in rows:
        before = Fraction(complying_before, applicable_before) if applicable_before else None
        outcome = compliance.final_audit_outcome(before, settings[agreement_id])
        if outcome == "correction":
            settled = Fraction(complying, applicable) if applicable else None
            outcome = "eligible" if settled == 1 else "correction_pending"
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
    """The consolidated report of each agreement on today, from its tallies
    (`agreements.tallies`) in three queries for any number of agreements: each facility's
    totals, the goals' counts grouped by value, the actions'. Python sorts the lines and takes
    the exact means once per distinct pair of counts (`compliance.report_from_tallies`)."""
    ids = [a.pk for a in agreements]
    scope = {"agreement_id__in": ids, "audit_type": audit_type}
    facilities = defaultdict(list)
    for agreement_id, code, tax_id, applicable, complying in FacilityTally.objects.filter(
        **scope
    ).values_list(
        "agreement_id", "facility__code", "facility__company__tax_id", "applicable", "complying"
    ):
        facilities[agreement_id].append(
            compliance.FacilityTotal(code, tax_id, applicable, complying)
        )
    goals = defaultdict(list)
    for agreement_id, code, applicable, complying, count in (
        GoalTally.objects.filter(**scope)
        .values_list("agreement_id", "goal__code", "applicable", "complying")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        goals[agreement_id].append(compliance.GoalGroup(code, applicable, complying, count))
    actions = defaultdict(list)
    for agreement_id, code, goal_code, applicable, complying in ActionTally.objects.filter(
        **scope, audited__gt=0
    ).values_list("agreement_id", "action__code", "action__goal__code", "applicable", "complying"):
        actions[agreement_id].append(
            compliance.ActionCounts(code, goal_code, applicable, complying)
        )
    return {
        pk: compliance.report_from_tallies(facilities[pk], goals[pk], actions[pk]) for pk in ids
    }


@dataclass(frozen=True)
class ReportSummary:
    """A consolidated report without its facility and company lines (`report_lines` reads a
    page of them): the agreement's figure, how many lines there are, the goals and actions."""

    compliance: Fraction | None
    facilities_count: int
    companies_count: int
    goals: tuple[compliance.GoalLine, ...]
    actions: tuple[compliance.ActionLine, ...]


def report_summary(agreement: Agreement, audit_type: str = AuditType.FINAL) -> ReportSummary:
    """The report's figures from the tallies in three queries, whatever the number of
    facilities: the facilities grouped by their pair of counts (the agreement's exact mean and
    how many facilities; with how many companies), the goals grouped likewise, the actions.
    Equal to `consolidated` without its lines."""
    scope = FacilityTally.objects.filter(agreement=agreement, audit_type=audit_type)
    pairs = list(scope.values_list("applicable", "complying").annotate(n=Count("pk")).order_by())
    companies = scope.aggregate(n=Count("facility__company__tax_id", distinct=True))["n"]
    goals = [
        compliance.GoalGroup(code, applicable, complying, n)
        for code, applicable, complying, n in GoalTally.objects.filter(
            agreement=agreement, audit_type=audit_type
        )
        .values_list("goal__code", "applicable", "complying")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    actions = [
        compliance.ActionCounts(code, goal_code, applicable, complying)
        for code, goal_code, applicable, complying in ActionTally.objects.filter(
            agreement=agreement, audit_type=audit_type, audited__gt=0
        ).values_list("action__code", "action__goal__code", "applicable", "complying")
    ]
    report = compliance.report_from_tallies([], goals, actions)
    return ReportSummary(
        compliance=compliance.mean_of_groups(pairs),
        facilities_count=sum(n for _a, _c, n in pairs),
        companies_count=companies,
        goals=report.goals,
        actions=report.actions,
    )


def facility_lines(
    agreement: Agreement, facility_ids, audit_type: str = AuditType.FINAL
) -> dict[str, compliance.FacilityLine]:
    """The report's lines of the facilities `facility_ids` (a page of them), by facility code,
    in one query; a facility with no audit of that type has none."""
    rows = FacilityTally.objects.filter(
        agreement=agreement, audit_type=audit_type, facility_id__in=list(facility_ids)
    ).values_list("facility__code", "facility__company__tax_id", "applicable", "complying")
    return {row[0]: compliance.facility_line(compliance.FacilityTotal(*row)) for row in rows}


def report_lines(
    agreement: Agreement, lines: slice, audit_type: str = AuditType.FINAL
) -> tuple[tuple[compliance.FacilityLine, ...], tuple[compliance.CompanyLine, ...]]:
    """The facility lines and the company lines at the positions `lines` of the report, in
    the report's natural order, ordered and cut by the database (`NaturalOrder.sort_key`):
    three queries that read one page of lines whatever the number of facilities."""
    scope = FacilityTally.objects.filter(agreement=agreement, audit_type=audit_type)
    facilities = tuple(
        compliance.facility_line(compliance.FacilityTotal(*row))
        for row in scope.order_by("facility__sort_key").values_list(
            "facility__code", "facility__company__tax_id", "applicable", "complying"
        )[lines]
    )
    tax_ids = [
        tax_id
        for tax_id, _key in scope.values_list(
            "facility__company__tax_id", "facility__company__sort_key"
        )
        .distinct()
        .order_by("facility__company__sort_key")[lines]
    ]
    totals = defaultdict(list)
    for tax_id, applicable, complying in scope.filter(
        facility__company__tax_id__in=tax_ids
    ).values_list("facility__company__tax_id", "applicable", "complying"):
        totals[tax_id].append((applicable, complying))
    companies = tuple(compliance.company_line(t, totals[t]) for t in tax_ids)
    return facilities, companies


def consolidated_counted(agreement: Agreement, audit_type: str = AuditType.FINAL):
    """The consolidated report counted from the audit items (what the tallies must equal):
    the audited facilities, their counts per goal, the counts per action, in three or four
    GROUP BY queries (`compliance.report_from_counts`)."""
    audits = latest_audits([agreement.pk], audit_type)
    audited = {
        row["pk"]: row
        for row in audits.order_by().values("pk", "facility__code", "facility__company__tax_id")
    }
    items = settled_items(audits, audit_type)
    goals: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in items.values("audit_id", "action__goal__code").counts():
        goals[row["audit_id"]][row["action__goal__code"]] = (row["applicable"], row["complying"])
    facilities = [
        compliance.FacilityCounts(
            facility_code=row["facility__code"],
            company_tax_id=row["facility__company__tax_id"],
            goals=goals.get(audit_id, {}),
        )
        for audit_id, row in audited.items()
    ]
    actions = [
        compliance.ActionCounts(
            code=row["action__code"],
            goal_code=row["action__goal__code"],
            applicable_facilities=row["applicable"],
            complying_facilities=row["complying"],
        )
        for row in items.values("action__code", "action__goal__code").counts()
    ]
    return compliance.report_from_counts(facilities, actions)


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


def tallied_distribution_groups(
    agreement_ids, groupings: dict, audit_type: str = AuditType.FINAL
) -> dict[str, list[tuple]]:
    """`distribution_groups` on today, from the tallies: each facility's counts are read from
    its `FacilityTally` row instead of being counted from its items. A grouping's value is an
    expression from the tally (e.g. F("facility__company__size"))."""
    keys = {f"g_{n}": value for n, value in enumerate(groupings.values()) if value is not None}
    per_facility = (
        FacilityTally.objects.filter(agreement_id__in=agreement_ids, audit_type=audit_type)
        .annotate(g_threshold=F("agreement__correction_above"), **keys)
        .values("g_threshold", "applicable", "complying", *keys)
    )
    names = iter(keys)
    sets = {name: (next(names) if value is not None else None) for name, value in groupings.items()}
    rows = regroup_sets(per_facility, sets, ["g_threshold", "applicable", "complying"])
    return {
        name: [(key, Fraction(str(threshold)), a, c, n) for key, threshold, a, c, n in found]
        for name, found in rows.items()
    }


def tallies_hold(as_of: dt.date) -> bool:
    """Whether the tallies answer for `as_of`: no submitted audit is dated after it (the
    tallies count every submitted audit; an earlier date is counted from the items)."""
    return not Audit.objects.filter(audit_date__gt=as_of, status=AuditStatus.SUBMITTED).exists()


def distributions(
    audits, groupings: dict, audit_type: str = AuditType.FINAL, as_of: dt.date | None = None
) -> dict[str, dict]:
    """grouping name → key → `compliance.Distribution`, each agreement's correction threshold
    applied to its own facilities (see `distribution_groups`)."""
    return distributions_of(distribution_groups(audits, groupings, audit_type, as_of))


def distributions_of(groups: dict[str, list[tuple]]) -> dict[str, dict]:
    """grouping name → key → `compliance.Distribution` from `distribution_groups` rows."""
    result = {}
    for name, rows in groups.items():
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
