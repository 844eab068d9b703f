"""Export an agreement as the workbook the importer reads: .xlsx, a .zip of CSV files, or JSON.

The sheets and columns are exactly those of docs/import-format-agreements.md, so an exported
workbook imports back to the same data (limpia.exchange.agreement_import). A read-only
`compliance` sheet adds the consolidated figures of the final audits
(limpia.agreements.figures.consolidated); the import reports it and ignores it. Text that a
spreadsheet would take for a formula (=, +, -, @) gets a leading quote, which the importer
removes; numbers stay numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Prefetch

from limpia.agreements.figures import consolidated
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    AuditStatus,
    Goal,
    Signatory,
)
from limpia.core.errors import DomainError
from limpia.exchange.workbooks import (
    sheets_to_csv_zip,
    sheets_to_json,
    sheets_to_xlsx,
    write_export,
)
from limpia.registry.models import Expert

FORMATS = ("xlsx", "csv", "json")
SIGNATORY_COLUMNS = ["organization", "role"]
GOAL_COLUMNS = ["code", "title"]
ACTION_COLUMNS = [
    "code",
    "goal_code",
    "text",
    "deadline_months",
    "deadline_from",
    "deadline_date",
    "performance_indicator",
    "verification",
    "scope",
    "responsible",
    "target_value",
    "target_unit",
    "applies_to_sizes",
]
FACILITY_COLUMNS = [
    "company_tax_id",
    "company_name",
    "size",
    "facility_code",
    "facility_name",
    "subdivision",
    "adhesion_date",
]
AUDITOR_COLUMNS = ["auditor_id", "name", "registered_from", "registered_until", "specialities"]
AUDIT_ITEM_COLUMNS = [
    "facility_code",
    "audit_type",
    "audit_date",
    "auditor_id",
    "action_code",
    "applies",
    "reason",
    "complies",
    "observation",
]
COMPLIANCE_COLUMNS = [
    "level",
    "code",
    "goal_code",
    "compliance_percent",
    "applicable",
    "complying",
    "facilities",
]
SIZE_ORDER = ["micro", "pequeña", "mediana", "grande"]
AUDIT_TYPE_ORDER = {"intermediate": 0, "final": 1, "correction": 2, "maintenance": 3}


def _number(value: Decimal | None) -> int | Decimal | None:
    if value is None:
        return None
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else value


def _percent(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator) * 100
    return _number(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return "yes" if value else "no"


def _sizes(sizes) -> str:
    known = [s for s in SIZE_ORDER if s in (sizes or [])]
    return "; ".join(known + [s for s in (sizes or []) if s not in SIZE_ORDER])


def agreement_sheets(agreement: Agreement) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """sheet → (header, rows) with typed values (dates, numbers, text)."""
    subdivisions = sorted(agreement.subdivisions.values_list("code", flat=True))
    territory = "; ".join(subdivisions) if subdivisions else agreement.country_id
    agreement_rows = [
        ["slug", agreement.slug],
        ["code", agreement.code],
        ["name", agreement.name],
        ["sectors", "; ".join(sorted(agreement.sectors.values_list("code", flat=True)))],
        ["territory", territory],
        ["signing_date", agreement.signing_date],
        ["adhesion_days", agreement.adhesion_days],
        ["duration_months", agreement.duration_months],
        ["stage", agreement.stage],
        ["description", agreement.description],
    ]
    signatory_rows = [
        [key, role]
        for key, role in Signatory.objects.filter(agreement=agreement)
        .order_by("id")
        .values_list("organization__key", "role")
    ]
    goals = list(Goal.objects.filter(agreement=agreement).order_by("position", "id"))
    goal_rows = [[g.code, g.title] for g in goals]
    goal_order = {g.pk: i for i, g in enumerate(goals)}
    actions = sorted(
        Action.objects.filter(goal__agreement=agreement).select_related("goal"),
        key=lambda a: (goal_order[a.goal_id], a.position, a.pk),
    )
    action_rows = [
        [
            a.code,
            a.goal.code,
            a.text,
            a.deadline_months,
            a.deadline_from,
            a.deadline_date,
            a.performance_indicator,
            a.verification,
            a.scope,
            a.responsible,
            _number(a.target_value),
            a.target_unit,
            _sizes(a.applies_to_sizes),
        ]
        for a in actions
    ]
    adhesions = (
        Adhesion.objects.filter(agreement=agreement)
        .select_related("facility__company")
        .order_by("facility__code")
    )
    facility_rows = [
        [
            ad.facility.company.tax_id,
            ad.facility.company.name,
            ad.facility.company.size,
            ad.facility.code,
            ad.facility.name,
            ad.facility.subdivision_id or "",
            ad.adhered_on,
        ]
        for ad in adhesions
    ]
    action_order = {a.pk: i for i, a in enumerate(actions)}
    audits = sorted(
        Audit.objects.filter(agreement=agreement, status=AuditStatus.SUBMITTED)
        .select_related("facility", "auditor")
        .prefetch_related(Prefetch("items", queryset=AuditItem.objects.order_by("id"))),
        key=lambda a: (a.facility.code, a.audit_date, AUDIT_TYPE_ORDER[a.audit_type], a.pk),
    )
    item_rows = []
    seen_audits = set()
    auditor_ids = set()
    codes = {a.pk: a.code for a in actions}
    for audit in audits:
        key = (audit.facility_id, audit.audit_type, audit.audit_date)
        if key in seen_audits:  # two audits under one key cannot round-trip; keep the first
            continue
        seen_audits.add(key)
        items = sorted(audit.items.all(), key=lambda i: action_order.get(i.action_id, 0))
        for item in items:
            auditor_ids.add(audit.auditor_id)
            item_rows.append(
                [
                    audit.facility.code,
                    audit.audit_type,
                    audit.audit_date,
                    audit.auditor.auditor_id,
                    codes[item.action_id],
                    _yes_no(item.applies),
                    item.reason,
                    _yes_no(item.complies if item.applies else None),
                    item.observation,
                ]
            )
    experts = Expert.objects.filter(pk__in=auditor_ids).prefetch_related("specialities")
    auditor_rows = [
        [
            e.auditor_id,
            e.name,
            e.registered_from,
            e.registered_until,
            "; ".join(sorted(s.code for s in e.specialities.all())),
        ]
        for e in sorted(experts, key=lambda e: e.auditor_id)
    ]
    return {
        "agreement": (["key", "value"], agreement_rows),
        "signatories": (SIGNATORY_COLUMNS, signatory_rows),
        "goals": (GOAL_COLUMNS, goal_rows),
        "actions": (ACTION_COLUMNS, action_rows),
        "facilities": (FACILITY_COLUMNS, facility_rows),
        "auditors": (AUDITOR_COLUMNS, auditor_rows),
        "audit_items": (AUDIT_ITEM_COLUMNS, item_rows),
        "compliance": (COMPLIANCE_COLUMNS, compliance_rows(agreement)),
    }


def compliance_rows(agreement: Agreement) -> list[list[Any]]:
    """The consolidated figures of the final audits (after validated corrections), read-only."""
    report = consolidated(agreement)
    rows: list[list[Any]] = [
        [
            "agreement",
            agreement.code,
            "",
            _percent(report.compliance),
            None,
            None,
            len(report.facilities),
        ],
    ]
    for goal in report.goals:
        rows.append(["goal", goal.code, goal.code, _percent(goal.compliance), None, None, None])
    for action in report.actions:
        rows.append(
            [
                "action",
                action.code,
                action.goal_code,
                _percent(action.compliance),
                action.applicable_facilities,
                action.complying_facilities,
                None,
            ]
        )
    for company in report.companies:
        rows.append(
            [
                "company",
                company.tax_id,
                "",
                _percent(company.compliance),
                None,
                None,
                company.facilities,
            ]
        )
    for facility in report.facilities:
        rows.append(
            [
                "facility",
                facility.facility_code,
                "",
                _percent(facility.compliance),
                facility.applicable,
                facility.complying,
                None,
            ]
        )
    return rows


def export_agreement(agreement: Agreement, fmt: str = "xlsx") -> bytes | dict:
    """xlsx bytes, zip-of-CSV bytes, or (fmt="json") a dict of sheet → list of row dicts."""
    if fmt not in FORMATS:
        raise DomainError(
            f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.", field="format"
        )
    sheets = agreement_sheets(agreement)
    if fmt == "xlsx":
        return sheets_to_xlsx(sheets)
    if fmt == "csv":
        return sheets_to_csv_zip(sheets)
    return sheets_to_json(sheets)


def export_filename(agreement: Agreement, fmt: str) -> str:
    return f"{agreement.slug}.{ {'xlsx': 'xlsx', 'csv': 'zip', 'json': 'json'}[fmt] }"


def export_agreement_command(*, slug, output=None, fmt=None, stdout=None) -> None:
    """`limpia export agreement SLUG [-o FILE] [--format xlsx|csv|json]`."""
    agreement = Agreement.objects.filter(slug=slug).first()
    if agreement is None:
        raise DomainError(f"No agreement with slug {slug!r}.")
    write_export(
        lambda chosen: export_agreement(agreement, chosen), output=output, fmt=fmt, stdout=stdout
    )
