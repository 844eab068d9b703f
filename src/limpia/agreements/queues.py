"""The coordinators' work queues of agreements, computed in the database.

Each agreement in its implementation and evaluation has seven queues: facilities late on their
actions, audits in progress, re-verifications to validate, eligible facilities whose regulators
are not yet consulted, open consultations, facilities ready for their certificate, and the
certificates. `summaries` counts them for any number of agreements (a page of the work page) in
a fixed number of queries; the other functions give one queue's rows, to be paginated. No
function loads an agreement's facilities, reports or audit items into Python: what Python sees
is one row per audited candidate at most (to apply the exact certification thresholds) and the
open consultations (work in progress, few) with their answers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.lookups import Exact

from limpia.agreements import figures
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditStatus,
    AuditType,
    Certificate,
    Consultation,
    ConsultationAnswer,
    FollowUpItem,
    FollowUpReport,
    ItemStatus,
    ResponsibleParty,
    Signatory,
    facility_search,
)

SETTLED = (ItemStatus.DONE, ItemStatus.NOT_APPLICABLE)


@dataclass
class Summary:
    """The size of each queue of one agreement."""

    late: int = 0
    open_audits: int = 0
    to_validate: int = 0
    to_consult: int = 0
    consultations: int = 0
    to_certify: int = 0
    certificates: int = 0

    @property
    def pending(self) -> int:
        """Items that wait for the coordinator (certificates issued are done work)."""
        return self.late + self.to_validate + self.to_consult + self.to_certify


# ---------------------------------------------------------------- late facilities


def _due_actions(agreements, today: dt.date) -> dict[str | None, set[int]]:
    """The companies' actions past their deadline on `today`, in the agreements: under None
    those that apply to every size, under a size those that apply to it only (one query)."""
    by_pk = {a.pk: a for a in agreements}
    due: dict[str | None, set[int]] = defaultdict(set)
    actions = Action.objects.filter(
        goal__agreement__in=list(by_pk), responsible=ResponsibleParty.COMPANY
    ).select_related("goal")
    for action in actions:
        deadline = action.deadline(by_pk[action.goal.agreement_id])
        if deadline and deadline < today:
            for size in action.applies_to_sizes or [None]:
                due[size].add(action.pk)
    return due


def late_adhesions(agreements, today: dt.date):
    """The agreements' adhesions (not withdrawn) with at least one action past its deadline that
    applies to the company's size and that the latest follow-up report does not show done (or
    not applicable): one query, `latest_report` annotated."""
    agreements = list(agreements)
    due = _due_actions(agreements, today)
    adhesions = Adhesion.objects.filter(agreement__in=agreements, withdrawn_on__isnull=True)
    if not due:
        return adhesions.none()
    latest = FollowUpReport.objects.filter(adhesion=OuterRef("pk")).order_by("-period_end", "-id")
    settled = FollowUpItem.objects.filter(
        report_id=OuterRef(OuterRef("latest_report")),
        action_id=OuterRef("pk"),
        status__in=SETTLED,
    )
    applies = Q(pk__in=due.get(None, ()))
    for size, ids in due.items():
        if size is not None:
            applies |= Q(pk__in=ids) & Q(Exact(OuterRef("company_size"), Value(size)))
    overdue = Action.objects.filter(applies, goal__agreement_id=OuterRef("agreement_id")).filter(
        ~Exists(settled)
    )
    return (
        adhesions.annotate(
            company_size=F("facility__company__size"),
            latest_report=Subquery(latest.values("pk")[:1]),
        )
        .filter(Exists(overdue))
        .order_by("facility__code", "pk")
    )


def late_rows(adhesions, today: dt.date) -> list[dict]:
    """For a page of `late_adhesions`: the facility, its overdue action codes (in the
    agreement's order) and the end of its last report period (five queries)."""
    adhesions = list(adhesions.select_related("facility__company", "agreement"))
    if not adhesions:
        return []
    due = _due_actions({a.agreement for a in adhesions}, today)
    actions = (
        Action.objects.filter(pk__in=set().union(*due.values()))
        .order_by("goal__agreement_id", "goal__position", "position", "pk")
        .values_list("pk", "goal__agreement_id", "code", "applies_to_sizes")
    )
    codes = {pk: (agreement_id, code, sizes) for pk, agreement_id, code, sizes in actions}
    reports = {
        r.pk: r for r in FollowUpReport.objects.filter(pk__in=[a.latest_report for a in adhesions])
    }
    settled = set(
        FollowUpItem.objects.filter(report__in=list(reports), status__in=SETTLED).values_list(
            "report_id", "action_id"
        )
    )
    rows = []
    for adhesion in adhesions:
        size = adhesion.facility.company.size
        overdue = [
            code
            for pk, (agreement_id, code, sizes) in codes.items()
            if agreement_id == adhesion.agreement_id
            and (not sizes or size in sizes)
            and (adhesion.latest_report, pk) not in settled
        ]
        report = reports.get(adhesion.latest_report)
        rows.append(
            {
                "facility": adhesion.facility,
                "overdue_actions": overdue,
                "last_report": report.period_end if report else None,
            }
        )
    return rows


def late_facilities(agreement: Agreement, *, today: dt.date) -> list[dict]:
    """Every late facility of the agreement with its overdue actions (`late_rows`)."""
    return late_rows(late_adhesions([agreement], today), today)


# ---------------------------------------------------------------- audits


def open_audits(agreements):
    return Audit.objects.filter(agreement__in=agreements, status=AuditStatus.OPEN).order_by(
        "audit_date", "id"
    )


def to_validate(agreements):
    """Submitted re-verifications (correction audits) that no coordinator has validated."""
    return Audit.objects.filter(
        agreement__in=agreements,
        audit_type=AuditType.CORRECTION,
        status=AuditStatus.SUBMITTED,
        validated_at__isnull=True,
    ).order_by("audit_date", "id")


# ---------------------------------------------------------------- consultation and certificate


def _uncertified(agreement_field: str = "agreement"):
    """No certificate of the row's agreement for the row's facility."""
    return ~Exists(
        Certificate.objects.filter(
            agreement=OuterRef(agreement_field), facility=OuterRef("facility")
        )
    )


def _candidates(agreements):
    """Each facility's latest final audit in the agreements, for facilities still adhered,
    not consulted and not certified: the ones that may be waiting for a consultation."""
    adhered = Adhesion.objects.filter(
        agreement=OuterRef("agreement"), facility=OuterRef("facility"), withdrawn_on__isnull=True
    )
    consulted = Consultation.objects.filter(
        agreement=OuterRef("agreement"), facility=OuterRef("facility")
    )
    return (
        figures.latest_audits(agreements, AuditType.FINAL)
        .filter(Exists(adhered), _uncertified())
        .filter(~Exists(consulted))
    )


def eligible_to_consult(agreements, search: str = "") -> list[tuple[int, int]]:
    """(agreement id, facility id) of the eligible facilities whose regulators are not yet
    consulted, ordered by agreement and facility code; `search` narrows them as
    `facility_search` does. The eligibility is `figures.eligibility` of the candidates."""
    candidates = _candidates(agreements)
    if search:
        candidates = candidates.filter(facility_search(search))
    outcome = figures.eligibility_of(candidates)
    return [key for key, state in outcome.items() if state == "eligible"]


def consultation_states(consultations, today: dt.date) -> dict[int, tuple[str, list[str]]]:
    """The state of each consultation and the regulators' objections, in three queries
    whatever their number (`figures.consultation_state` one by one would take two each)."""
    consultations = list(consultations)
    agreement_ids = {c.agreement_id for c in consultations}
    if not consultations:
        return {}
    settings = {
        a.pk: figures.settings_of(a) for a in Agreement.objects.filter(pk__in=agreement_ids)
    }
    regulators = defaultdict(list)
    for signatory in Signatory.objects.filter(agreement__in=agreement_ids, role="regulator"):
        regulators[signatory.agreement_id].append(signatory)
    answers = defaultdict(list)
    for answer in ConsultationAnswer.objects.filter(
        consultation__in=[c.pk for c in consultations]
    ).select_related("signatory__organization"):
        answers[answer.consultation_id].append(answer)
    return {
        c.pk: figures.consultation_state_of(
            c,
            regulators[c.agreement_id],
            answers[c.pk],
            today=today,
            settings=settings[c.agreement_id],
        )
        for c in consultations
    }


def open_consultations(agreements):
    """Consultations whose facility has no certificate yet, the newest first."""
    return (
        Consultation.objects.filter(agreement__in=agreements)
        .filter(_uncertified())
        .order_by("-consulted_on", "-id")
    )


def cleared(agreements, today: dt.date) -> list[Consultation]:
    """Open consultations that are cleared: the facility is ready for its certificate."""
    consultations = list(open_consultations(agreements).select_related("facility__company"))
    states = consultation_states(consultations, today)
    return [c for c in consultations if states[c.pk][0] == "cleared"]


# ---------------------------------------------------------------- summaries


def summaries(agreements, today: dt.date) -> dict[int, Summary]:
    """Every queue's size for each agreement, in a fixed number of queries (ten)."""
    agreements = list(agreements)
    result = {a.pk: Summary() for a in agreements}
    if not agreements:
        return result
    ids = [a.pk for a in agreements]
    for row in (
        late_adhesions(agreements, today).order_by().values("agreement_id").annotate(n=Count("pk"))
    ):
        result[row["agreement_id"]].late = row["n"]
    audits = (
        Audit.objects.filter(agreement__in=ids)
        .order_by()
        .values("agreement_id")
        .annotate(
            open=Count("pk", filter=Q(status=AuditStatus.OPEN)),
            to_validate=Count(
                "pk",
                filter=Q(
                    audit_type=AuditType.CORRECTION,
                    status=AuditStatus.SUBMITTED,
                    validated_at__isnull=True,
                ),
            ),
        )
    )
    for row in audits:
        result[row["agreement_id"]].open_audits = row["open"]
        result[row["agreement_id"]].to_validate = row["to_validate"]
    for agreement_id, _facility_id in eligible_to_consult(ids):
        result[agreement_id].to_consult += 1
    consultations = list(open_consultations(ids))
    states = consultation_states(consultations, today)
    for consultation in consultations:
        summary = result[consultation.agreement_id]
        summary.consultations += 1
        if states[consultation.pk][0] == "cleared":
            summary.to_certify += 1
    for row in (
        Certificate.objects.filter(agreement__in=ids)
        .order_by()
        .values("agreement_id")
        .annotate(n=Count("pk"))
    ):
        result[row["agreement_id"]].certificates = row["n"]
    return result
