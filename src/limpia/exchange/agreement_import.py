"""Import an agreement workbook: parse and validate everything, preview, write in one transaction.

The format is described in docs/import-format-agreements.md; the architecture is the plan
import's (limpia.exchange.plan_import):

1. `parse_agreement_workbook(source)` reads the file (limpia.exchange.tabular) and checks what
   the file alone can tell: sheets and columns, types, coded values (English codes or Spanish
   labels), duplicate keys, references within the file, audit items that contradict themselves.
2. `load_state(parsed)` reads what the database holds; `preview(parsed, state)` adds what needs
   the database (territory, sectors, organizations, tax identifiers, companies, facilities,
   auditors and their registration, permissions) and lists per sheet and row what would be
   created, updated or left unchanged.
3. `apply(parsed, acting_user=...)` does step 2 again inside one transaction and writes; if
   anything is wrong nothing is written.

Stable keys: the agreement by its slug; a signatory by (organization, role); a goal and an
action by their codes within the agreement; a company by (country, tax id); a facility by its
code; an auditor by the registry identifier; an audit by (facility, type, date) and its items
by action. Rows missing from the file are never deleted; optional columns missing from a sheet
leave those fields as they are.

A historical agreement may arrive directly at its current stage: the stage history records the
move as imported (`StageChange.imported`), naming the importing user. Audits arrive submitted.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from limpia.agreements import lifecycle, tallies
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    AuditStatus,
    Company,
    Facility,
    Goal,
    Signatory,
    Stage,
    StageChange,
)
from limpia.agreements.services import (
    AUDIT_STAGES,
    CERTIFYING_STAGES,
    CONFLICT_COOLING_OFF_DAYS,
    FINAL_AUDIT_STAGES,
)
from limpia.core.audit import Source, change_source
from limpia.core.errors import DomainError
from limpia.core.models import Country, Organization, Sector, Subdivision
from limpia.core.services import require_perm, save_attributed
from limpia.core.taxid import tax_id_name, validate_tax_id
from limpia.core.tracking import bulk_create_tracked
from limpia.exchange.meter import current as current_meter
from limpia.exchange.plan_import import ImportRefused, RowAction
from limpia.exchange.tabular import (
    CellError,
    Choices,
    Formula,
    Row,
    RowReader,
    Workbook,
    check_header,
    fold,
    parse_text,
    read_workbook,
)
from limpia.registry.models import Expert, Relation

REASON = "workbook import"
BATCH = 2000  # rows written per statement

SHEETS = (
    "agreement",
    "signatories",
    "goals",
    "actions",
    "facilities",
    "auditors",
    "audit_items",
)
READ_ONLY_SHEETS = {"compliance"}
IGNORED_SHEETS = {"instrucciones", "instructions", "léame", "leame", "readme"}

STAGE = Choices(
    {
        "interest": ["expresión de interés", "interés", "manifestación de interés"],
        "admissibility": ["admisibilidad"],
        "diagnosis": ["diagnóstico"],
        "negotiation": ["negociación"],
        "signed": ["firmado", "firmada", "firma"],
        "adhesion": ["adhesión", "periodo de adhesión", "período de adhesión"],
        "implementation": ["implementación"],
        "final_evaluation": ["evaluación final", "final evaluation"],
        "certification": ["certificación"],
        "impact_evaluation": ["evaluación de impacto", "impact evaluation"],
        "closed": ["cerrado", "cerrada", "finalizado", "finalizada"],
        "cancelled": ["cancelado", "cancelada", "canceled"],
    }
)
ROLE = Choices(
    {
        "business_association": ["asociación gremial", "gremio", "business association"],
        "public_body": ["organismo público", "servicio público", "public body"],
        "regulator": ["fiscalizador", "organismo fiscalizador", "regulador"],
        "funding_agency": ["financiador", "agencia de financiamiento", "funding agency"],
    }
)
DEADLINE_FROM = Choices(
    {
        "signing": ["firma", "desde la firma"],
        "adhesion_end": [
            "fin de la adhesión",
            "fin de adhesión",
            "fin del periodo de adhesión",
            "adhesion end",
        ],
    }
)
SCOPE = Choices(
    {
        "organization": ["organización"],
        "facility": ["instalación", "establecimiento", "planta"],
        "equipment": ["equipo"],
        "product": ["producto"],
    }
)
RESPONSIBLE = Choices(
    {
        "company": ["empresa", "cada empresa"],
        "association": ["asociación", "asociación gremial", "gremio"],
    }
)
SIZE = Choices(
    {
        "micro": ["microempresa"],
        "pequeña": ["small", "pequeña empresa"],
        "mediana": ["medium", "mediana empresa"],
        "grande": ["large", "gran empresa"],
    }
)
AUDIT_TYPE = Choices(
    {
        "intermediate": ["intermedia", "auditoría intermedia", "seguimiento"],
        "final": ["auditoría final"],
        "correction": ["corrección", "reverificación", "re-verificación"],
        "maintenance": ["mantención", "mantenimiento", "auditoría de mantención"],
    }
)
# Organizations created for a signatory get a kind that follows from the role.
ROLE_KIND = {
    "business_association": "business_association",
    "public_body": "public_agency",
    "regulator": "regulator",
    "funding_agency": "financial",
}

AGREEMENT_KEYS = {
    "slug": True,
    "code": True,
    "name": True,
    "territory": True,
    "sectors": False,
    "signing_date": False,
    "adhesion_days": False,
    "duration_months": False,
    "stage": False,
    "description": False,
}
# sheet → (required columns, optional columns)
COLUMNS = {
    "signatories": (("organization", "role"), ()),
    "goals": (("code", "title"), ()),
    "actions": (
        ("code", "goal_code", "text"),
        (
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
        ),
    ),
    "facilities": (
        ("company_tax_id", "company_name", "size", "facility_code", "facility_name"),
        ("subdivision", "adhesion_date"),
    ),
    "auditors": (
        ("auditor_id", "name"),
        ("registered_from", "registered_until", "specialities"),
    ),
    "audit_items": (
        ("facility_code", "audit_type", "audit_date", "auditor_id", "action_code", "applies"),
        ("reason", "complies", "observation"),
    ),
}
ACTION_OPTIONAL = COLUMNS["actions"][1]
STAGES_WITH_FACILITIES = set(AUDIT_STAGES) | {Stage.CANCELLED}
MAX_INTEGER = 10_000


# ---------------------------------------------------------------- parsed file and preview


@dataclass
class ParsedAgreement:
    agreement: dict[str, Any] = field(default_factory=dict)
    agreement_rows: dict[str, int] = field(default_factory=dict)
    signatories: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    facilities: list[dict] = field(default_factory=list)
    auditors: list[dict] = field(default_factory=list)
    audit_items: list[dict] = field(default_factory=list)
    columns: dict[str, set[str]] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.agreement.get("slug") or ""


@dataclass
class Preview:
    rows: list[RowAction] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)
    # (what, name in the file, matched | created, key): organizations, companies, auditors
    named: list[tuple[str, str, str, str]] = field(default_factory=list)
    work: Any = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {sheet: {"create": 0, "update": 0, "unchanged": 0} for sheet in SHEETS}
        for row in self.rows:
            counts[row.sheet][row.action] += 1
        return counts

    def changed(self) -> list[RowAction]:
        return [r for r in self.rows if r.action != "unchanged"]

    def render(self, *, details: int = 50) -> str:
        lines = []
        for sheet, counts in self.counts().items():
            lines.append(
                f"{sheet}: {counts['create']} to create, {counts['update']} to update, "
                f"{counts['unchanged']} unchanged"
            )
        for what, name, action, key in self.named:
            if action == "created" or what == "organization":
                lines.append(f"{what} {name!r}: {action} ({key})")
        changed = self.changed()
        for row in changed[:details]:
            what = f" ({', '.join(row.changes)})" if row.changes else ""
            lines.append(f"  sheet {row.sheet}, row {row.row}: {row.action} {row.key}{what}")
        if len(changed) > details:
            lines.append(f"  ... and {len(changed) - details} more changes")
        for warning in self.warnings:
            lines.append(f"warning: {warning}")
        for error in self.errors:
            lines.append(f"error: {error}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "rows": [r.__dict__ for r in self.rows if r.action != "unchanged"],
            "named": [{"kind": w, "name": n, "action": a, "key": k} for w, n, a, k in self.named],
            "warnings": [w.as_dict() for w in self.warnings],
            "errors": [e.as_dict() for e in self.errors],
        }


# ---------------------------------------------------------------- parsing


def parse_agreement_workbook(source) -> ParsedAgreement:
    """Read and check an agreement workbook (path, bytes or file object)."""
    book = read_workbook(source, SHEETS)
    parsed = ParsedAgreement(errors=list(book.errors))
    if book.errors and not book.sheets:
        return parsed
    for name in book.sheets:
        if name in READ_ONLY_SHEETS:
            parsed.warnings.append(
                CellError(
                    name,
                    None,
                    None,
                    "read-only sheet (figures computed from the audits), ignored on import",
                )
            )
        elif name not in SHEETS and name not in IGNORED_SHEETS:
            parsed.warnings.append(
                CellError(name, None, None, f"unknown sheet, ignored (expected: {_sheets()})")
            )
    for sheet in SHEETS:
        if sheet not in book.sheets:
            parsed.errors.append(
                CellError(
                    sheet,
                    None,
                    None,
                    f"the sheet is missing (an agreement workbook has {_sheets()})",
                )
            )
    if "agreement" in book.sheets:
        _parse_agreement_sheet(book, parsed)
    usable = {s: _check_columns(book, parsed, s) for s in COLUMNS if s in book.sheets}
    parsers = {
        "signatories": _parse_signatories,
        "goals": _parse_goals,
        "actions": _parse_actions,
        "facilities": _parse_facilities,
        "auditors": _parse_auditors,
        "audit_items": _parse_audit_items,
    }
    for sheet, parser in parsers.items():
        if usable.get(sheet):
            parser(book.sheets[sheet].rows, parsed)
    return parsed


def _sheets() -> str:
    return ", ".join(SHEETS)


def _check_columns(book: Workbook, parsed: ParsedAgreement, sheet: str) -> bool:
    headers = book.sheets[sheet].headers
    required, optional = COLUMNS[sheet]
    parsed.columns[sheet] = {h for h in headers if h}
    return check_header(
        sheet,
        headers,
        required=required,
        optional=optional,
        errors=parsed.errors,
        warnings=parsed.warnings,
    )


def _integer(r: RowReader, column: str, *, required=False) -> int | None:
    value = r.decimal(column, required=required, minimum=0)
    if value is None:
        return None
    if value != value.to_integral_value() or value > MAX_INTEGER:
        r.error(column, f"expected a whole number from 0 to {MAX_INTEGER}, not {value}")
        return None
    return int(value)


def _parse_agreement_sheet(book: Workbook, parsed: ParsedAgreement) -> None:
    sheet = book.sheets["agreement"]
    errors = parsed.errors
    values: dict[str, Any] = {}
    for number, cells in sheet.raw_rows:
        if not cells or all(c is None or str(c).strip() == "" for c in cells):
            continue
        key = parse_text(cells[0]).lower() if not isinstance(cells[0], Formula) else ""
        if number == 1 and key in ("key", "clave", "campo", "field"):
            continue
        if not key:
            errors.append(
                CellError("agreement", number, "key", "expected a key such as slug or code")
            )
            continue
        if key not in AGREEMENT_KEYS:
            parsed.warnings.append(
                CellError(
                    "agreement", number, "key", f"unknown key {key!r}, its value is not imported"
                )
            )
            continue
        if key in parsed.agreement_rows:
            errors.append(
                CellError(
                    "agreement",
                    number,
                    "key",
                    f"the key {key!r} appears twice (also in row {parsed.agreement_rows[key]})",
                )
            )
            continue
        parsed.agreement_rows[key] = number
        values[key] = cells[1] if len(cells) > 1 else None
    for key, required in AGREEMENT_KEYS.items():
        if required and key not in parsed.agreement_rows:
            errors.append(CellError("agreement", None, key, f"the key {key!r} is missing"))
    data = parsed.agreement
    for key, number in parsed.agreement_rows.items():
        r = RowReader("agreement", Row(number, values), errors)
        required = AGREEMENT_KEYS[key]
        if key == "slug":
            slug = r.text(key, required=True, max_length=80)
            if slug and slugify(slug) != slug:
                r.error(key, f"expected a slug (lower case, digits and -), not {slug!r}")
                slug = ""
            data[key] = slug
        elif key == "code":
            data[key] = r.text(key, required=True, max_length=40)
        elif key == "name":
            data[key] = r.text(key, required=True, max_length=400)
        elif key in ("territory", "sectors"):
            data[key] = [item.upper() for item in r.items(key)]
            if required and not data[key] and r.ok:
                r.error(key, "a value is required")
        elif key == "signing_date":
            data[key] = r.date(key)
            if data[key] and data[key] > timezone.localdate():
                r.error(key, "expected a date not in the future")
        elif key in ("adhesion_days", "duration_months"):
            data[key] = _integer(r, key)
        elif key == "stage":
            data[key] = r.choice(key, STAGE)
        else:
            data[key] = r.text(key)
    stage = data.get("stage") or ""
    if (
        stage
        and stage != Stage.CANCELLED
        and lifecycle.index(stage) >= lifecycle.index(Stage.SIGNED)
        and data.get("signing_date") is None
        and not any(e.sheet == "agreement" and e.column == "signing_date" for e in errors)
    ):
        errors.append(
            CellError(
                "agreement",
                parsed.agreement_rows.get("signing_date"),
                "signing_date",
                f"an agreement in stage {stage!r} needs its signing date",
            )
        )


def _duplicate(r: RowReader, column: str, what: str, seen: dict, key) -> bool:
    if key in seen:
        r.error(column, f"{what} is already used in row {seen[key]}; keys must be unique")
        return True
    seen[key] = r.row.number
    return False


def _parse_signatories(rows: list[Row], parsed: ParsedAgreement) -> None:
    seen: dict = {}
    for row in rows:
        r = RowReader("signatories", row, parsed.errors)
        item = {
            "_row": row.number,
            "organization": r.text("organization", required=True, max_length=300),
            "role": r.choice("role", ROLE, required=True),
        }
        if (
            item["organization"]
            and item["role"]
            and _duplicate(
                r,
                "organization",
                f"the signatory {item['organization']!r} as {item['role']}",
                seen,
                (item["organization"], item["role"]),
            )
        ):
            continue
        item["_ok"] = r.ok
        parsed.signatories.append(item)


def _parse_goals(rows: list[Row], parsed: ParsedAgreement) -> None:
    seen: dict = {}
    for row in rows:
        r = RowReader("goals", row, parsed.errors)
        item = {
            "_row": row.number,
            "code": r.text("code", required=True, max_length=20),
            "title": r.text("title", required=True),
        }
        if item["code"] and _duplicate(
            r, "code", f"the goal code {item['code']!r}", seen, item["code"]
        ):
            continue
        item["_ok"] = r.ok
        parsed.goals.append(item)


def _parse_actions(rows: list[Row], parsed: ParsedAgreement) -> None:
    seen: dict = {}
    for row in rows:
        r = RowReader("actions", row, parsed.errors)
        sizes = []
        for size in r.items("applies_to_sizes"):
            try:
                sizes.append(SIZE.parse(size))
            except ValueError as exc:
                r.error("applies_to_sizes", str(exc))
        item = {
            "_row": row.number,
            "code": r.text("code", required=True, max_length=20),
            "goal_code": r.text("goal_code", required=True, max_length=20),
            "text": r.text("text", required=True),
            "deadline_months": _integer(r, "deadline_months"),
            "deadline_from": r.choice("deadline_from", DEADLINE_FROM),
            "deadline_date": r.date("deadline_date"),
            "performance_indicator": r.text("performance_indicator"),
            "verification": r.text("verification"),
            "scope": r.choice("scope", SCOPE, default="facility"),
            "responsible": r.choice("responsible", RESPONSIBLE, default="company"),
            "target_value": r.decimal("target_value"),
            "target_unit": r.text("target_unit", max_length=40),
            "applies_to_sizes": sorted(set(sizes), key=SIZE.codes.index),
        }
        value = item["target_value"]
        if value is not None and (
            abs(value) >= Decimal(10) ** 14 or value.as_tuple().exponent < -6
        ):
            r.error("target_value", "expected a number below 10^14 with at most 6 decimals")
        if item["code"] and _duplicate(
            r, "code", f"the action code {item['code']!r}", seen, item["code"]
        ):
            continue
        item["_ok"] = r.ok
        parsed.actions.append(item)


def _parse_facilities(rows: list[Row], parsed: ParsedAgreement) -> None:
    seen: dict = {}
    for row in rows:
        r = RowReader("facilities", row, parsed.errors)
        item = {
            "_row": row.number,
            "company_tax_id": r.text("company_tax_id", required=True, max_length=40),
            "company_name": r.text("company_name", required=True, max_length=300),
            "size": r.choice("size", SIZE, required=True),
            "facility_code": r.text("facility_code", required=True, max_length=40),
            "facility_name": r.text("facility_name", required=True, max_length=300),
            "subdivision": r.text("subdivision", max_length=200),
            "adhesion_date": r.date("adhesion_date", required="adhesion_date" in row.values),
        }
        if item["adhesion_date"] and item["adhesion_date"] > timezone.localdate():
            r.error("adhesion_date", "expected a date not in the future")
        code = item["facility_code"]
        if code and _duplicate(r, "facility_code", f"the facility code {code!r}", seen, code):
            continue
        item["_ok"] = r.ok
        parsed.facilities.append(item)


def _parse_auditors(rows: list[Row], parsed: ParsedAgreement) -> None:
    seen: dict = {}
    for row in rows:
        r = RowReader("auditors", row, parsed.errors)
        item = {
            "_row": row.number,
            "auditor_id": r.text("auditor_id", required=True, max_length=40),
            "name": r.text("name", required=True, max_length=200),
            "registered_from": r.date("registered_from"),
            "registered_until": r.date("registered_until"),
            "specialities": sorted({code.upper() for code in r.items("specialities")}),
        }
        start, end = item["registered_from"], item["registered_until"]
        if start and end and end < start:
            r.error(
                "registered_until",
                f"expected a date on or after registered_from ({start.isoformat()})",
            )
        code = item["auditor_id"]
        if code and _duplicate(r, "auditor_id", f"the auditor id {code!r}", seen, code):
            continue
        item["_ok"] = r.ok
        parsed.auditors.append(item)


def _parse_audit_items(rows: list[Row], parsed: ParsedAgreement) -> None:
    seen: dict = {}
    today = timezone.localdate()
    for row in rows:
        r = RowReader("audit_items", row, parsed.errors)
        item = {
            "_row": row.number,
            "facility_code": r.text("facility_code", required=True, max_length=40),
            "audit_type": r.choice("audit_type", AUDIT_TYPE, required=True),
            "audit_date": r.date("audit_date", required=True),
            "auditor_id": r.text("auditor_id", required=True, max_length=40),
            "action_code": r.text("action_code", required=True, max_length=20),
            "applies": r.boolean("applies", required=True),
            "reason": r.text("reason"),
            "complies": r.boolean("complies"),
            "observation": r.text("observation"),
        }
        if item["audit_date"] and item["audit_date"] > today:
            r.error("audit_date", "expected a date not in the future")
        if item["applies"] is True and item["complies"] is None and r.ok:
            r.error(
                "complies",
                "an item that applies says whether the facility complies: expected yes or no",
            )
        if item["applies"] is False:
            if item["complies"] is not None:
                r.error("complies", "an item that does not apply leaves complies empty")
            if not item["reason"] and r.ok:
                r.error("reason", "say why the action does not apply (a reason is required)")
        key = (
            item["facility_code"],
            item["audit_type"],
            item["audit_date"],
            item["action_code"],
        )
        if all(key) and _duplicate(
            r,
            "action_code",
            f"an item for action {item['action_code']} in the {item['audit_type']} audit of "
            f"{item['facility_code']} on {item['audit_date'].isoformat()}",
            seen,
            key,
        ):
            continue
        item["_ok"] = r.ok
        parsed.audit_items.append(item)


# ---------------------------------------------------------------- database state


@dataclass
class AgreementState:
    agreement: Agreement | None = None
    sectors: set[str] = field(default_factory=set)
    subdivisions: set[str] = field(default_factory=set)
    signatories: set[tuple[str, str]] = field(default_factory=set)  # (organization key, role)
    goals: dict[str, Goal] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)  # action code → action (goal loaded)
    adhesions: dict[str, Adhesion] = field(default_factory=dict)  # facility code → adhesion
    facilities: dict[str, Facility] = field(default_factory=dict)  # code → facility (company)
    experts: dict[str, Expert] = field(default_factory=dict)
    expert_specialities: dict[int, set[str]] = field(default_factory=dict)
    audits: dict[tuple, Audit] = field(default_factory=dict)  # (facility, type, date) → audit
    items: dict[int, dict[str, AuditItem]] = field(default_factory=dict)  # audit → action → item


def load_state(parsed: ParsedAgreement, *, lock: bool = False) -> AgreementState:
    state = AgreementState()
    slug = parsed.slug
    agreements = Agreement.objects.select_for_update(of=("self",)) if lock else Agreement.objects
    state.agreement = agreements.filter(slug=slug).first() if slug else None
    agreement = state.agreement
    facility_codes = {f["facility_code"] for f in parsed.facilities if f["facility_code"]}
    facility_codes |= {i["facility_code"] for i in parsed.audit_items if i["facility_code"]}
    if agreement is not None:
        state.sectors = set(agreement.sectors.values_list("code", flat=True))
        state.subdivisions = set(agreement.subdivisions.values_list("code", flat=True))
        state.signatories = set(
            Signatory.objects.filter(agreement=agreement).values_list("organization__key", "role")
        )
        state.goals = {g.code: g for g in Goal.objects.filter(agreement=agreement)}
        goal_by_id = {g.pk: g for g in state.goals.values()}
        for action in Action.objects.filter(goal__agreement=agreement).order_by("-id"):
            action.goal = goal_by_id[action.goal_id]
            state.actions[action.code] = action  # the lowest id wins on a duplicated code
        for adhesion in Adhesion.objects.filter(agreement=agreement).select_related(
            "facility__company"
        ):
            state.adhesions[adhesion.facility.code] = adhesion
            state.facilities[adhesion.facility.code] = adhesion.facility
        audits = (
            Audit.objects.filter(agreement=agreement)
            .select_related("facility", "auditor")
            .order_by("-id")
        )
        action_codes = {a.pk: code for code, a in state.actions.items()}
        for audit in audits:
            key = (audit.facility.code, audit.audit_type, audit.audit_date)
            state.audits[key] = audit
        for item in AuditItem.objects.filter(audit__agreement=agreement):
            code = action_codes.get(item.action_id)
            if code:
                state.items.setdefault(item.audit_id, {})[code] = item
    missing = facility_codes - set(state.facilities)
    if missing:
        for facility in Facility.objects.filter(code__in=missing).select_related("company"):
            state.facilities[facility.code] = facility
    auditor_ids = {a["auditor_id"] for a in parsed.auditors if a["auditor_id"]}
    auditor_ids |= {i["auditor_id"] for i in parsed.audit_items if i["auditor_id"]}
    auditor_ids |= {a.auditor.auditor_id for a in state.audits.values()}
    for expert in Expert.objects.filter(auditor_id__in=auditor_ids):
        state.experts[expert.auditor_id] = expert
    through = Expert.specialities.through
    for expert_id, code in through.objects.filter(
        expert_id__in=[e.pk for e in state.experts.values()]
    ).values_list("expert_id", "sector__code"):
        state.expert_specialities.setdefault(expert_id, set()).add(code)
    return state


# ---------------------------------------------------------------- preview


@dataclass
class _Work:
    agreement_values: dict = field(default_factory=dict)
    agreement_changes: list[str] = field(default_factory=list)
    sectors: set[str] | None = None
    subdivisions: set[str] | None = None
    stage_change: tuple[str, str] | None = None
    country: Country | None = None
    new_organizations: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → name, kind
    signatories: list[tuple[str, str]] = field(default_factory=list)  # to create
    goals: list[tuple[dict, dict, list[str]]] = field(default_factory=list)
    actions: list[tuple[dict, dict, list[str]]] = field(default_factory=list)
    experts: list[tuple[dict, dict, list[str]]] = field(default_factory=list)
    companies: dict[str, tuple[dict, list[str]]] = field(default_factory=dict)  # tax id → ...
    facilities: list[tuple[dict, dict, list[str]]] = field(default_factory=list)
    adhesions: list[tuple[dict, dict, list[str]]] = field(default_factory=list)
    audits: list[dict] = field(default_factory=list)


def _diff(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    return [k for k, v in wanted.items() if current.get(k) != v]


def _positions(items: list[tuple[Any, int | None]]) -> dict[Any, int]:
    """Keep the stored positions when they already follow the file's order; else renumber."""
    stored = [p for _, p in items]
    if all(p is not None for p in stored) and all(a < b for a, b in itertools.pairwise(stored)):
        return {key: p for key, p in items}
    return {key: i for i, (key, _) in enumerate(items)}


def _is_admin(user, system: bool) -> bool:
    from limpia.access.rules import is_admin

    if system:
        return True
    return bool(user is not None and user.is_authenticated and is_admin(user))


def preview(
    parsed: ParsedAgreement, state: AgreementState, *, acting_user=None, system=False
) -> Preview:
    """What the import would do, with every error the database reveals added to the file's."""
    result = Preview(errors=list(parsed.errors), warnings=list(parsed.warnings))
    work = _Work()
    result.work = work
    admin = _is_admin(acting_user, system)
    meter = current_meter()
    meter.phase("checking", 1 + sum(len(getattr(parsed, sheet)) for sheet in SHEETS[1:]))
    _preview_agreement(parsed, state, result, work, admin)
    meter.advance()
    _preview_signatories(parsed, state, result, work)
    meter.advance(len(parsed.signatories))
    _preview_goals(parsed, state, result, work)
    meter.advance(len(parsed.goals))
    _preview_actions(parsed, state, result, work)
    meter.advance(len(parsed.actions))
    _preview_auditors(parsed, state, result, work, admin)
    meter.advance(len(parsed.auditors))
    _preview_facilities(parsed, state, result, work)
    meter.advance(len(parsed.facilities))
    _preview_audits(parsed, state, result, work, admin)
    meter.finish()
    result.rows.sort(key=lambda r: (SHEETS.index(r.sheet), r.row))
    result.errors.sort(
        key=lambda e: (SHEETS.index(e.sheet) if e.sheet in SHEETS else -1, e.row or 0)
    )
    return result


def _stage(parsed, state) -> str:
    if parsed.agreement.get("stage"):
        return parsed.agreement["stage"]
    return state.agreement.stage if state.agreement else Stage.INTEREST


def _preview_agreement(parsed, state, result, work, admin) -> None:
    data, rows, agreement = parsed.agreement, parsed.agreement_rows, state.agreement
    errors = result.errors
    if agreement is not None:
        work.country = agreement.country
    if not data.get("slug"):
        return
    values: dict[str, Any] = {}
    for key in ("code", "name", "signing_date", "adhesion_days", "duration_months", "description"):
        if key in data and (data[key] is not None or key == "signing_date"):
            values[key] = data[key]
    if data.get("code"):
        other = Agreement.objects.filter(code=data["code"]).exclude(slug=data["slug"]).first()
        if other is not None:
            errors.append(
                CellError(
                    "agreement",
                    rows["code"],
                    "code",
                    f"the code {data['code']!r} belongs to another agreement ({other.slug})",
                )
            )
    territory = data.get("territory") or []
    if territory:
        _preview_territory(territory, rows["territory"], values, work, errors)
    if "sectors" in data:
        codes = set(data["sectors"])
        found = set(Sector.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = sorted(codes - found)
        if unknown:
            errors.append(
                CellError(
                    "agreement",
                    rows["sectors"],
                    "sectors",
                    "expected ISIC Rev.4 codes separated by ';', not "
                    + ", ".join(repr(c) for c in unknown),
                )
            )
        work.sectors = codes
    stage = data.get("stage") or ""
    if stage:
        values["stage"] = stage
    if (
        agreement is not None
        and work.country is not None
        and agreement.country_id != work.country.pk
        and state.adhesions
    ):
        errors.append(
            CellError(
                "agreement",
                rows["territory"],
                "territory",
                f"the agreement has adhered facilities; its country stays {agreement.country_id}",
            )
        )
    if agreement is None:
        values.setdefault("stage", Stage.INTEREST)
        work.agreement_values = values
        work.stage_change = ("", values["stage"])
        result.rows.append(RowAction("agreement", rows.get("slug", 1), data["slug"], "create"))
        return
    current = {k: getattr(agreement, k) for k in values if k != "country"}
    current["country"] = agreement.country_id
    wanted = dict(values)
    if "country" in wanted:
        wanted["country"] = wanted["country"].pk
    changes = _diff(current, wanted)
    if work.sectors is not None and work.sectors != state.sectors:
        changes.append("sectors")
    if work.subdivisions is not None and work.subdivisions != state.subdivisions:
        changes.append("territory")
    work.agreement_values, work.agreement_changes = values, changes
    if "stage" in changes:
        if not admin:
            errors.append(
                CellError(
                    "agreement",
                    rows["stage"],
                    "stage",
                    f"only an administrator may move an agreement's stage by import (it is "
                    f"{agreement.stage}); use the agreement's page",
                )
            )
        work.stage_change = (agreement.stage, stage)
    result.rows.append(
        RowAction(
            "agreement",
            rows.get("slug", 1),
            data["slug"],
            "update" if changes else "unchanged",
            changes,
        )
    )


def _preview_territory(territory, row, values, work, errors) -> None:
    if len(territory) == 1 and len(territory[0]) == 2:
        country = Country.objects.filter(code=territory[0]).first()
        if country is None:
            errors.append(
                CellError(
                    "agreement",
                    row,
                    "territory",
                    f"expected an ISO country code (CL) or ISO 3166-2 subdivision codes "
                    f"(CL-LL; CL-BI), not {territory[0]!r}",
                )
            )
            return
        values["country"], values["is_national"] = country, True
        work.country, work.subdivisions = country, set()
        return
    found = {s.code: s for s in Subdivision.objects.filter(code__in=territory)}
    unknown = [code for code in territory if code not in found]
    if unknown:
        errors.append(
            CellError(
                "agreement",
                row,
                "territory",
                "expected an ISO country code (CL) or ISO 3166-2 subdivision codes "
                f"(CL-LL; CL-BI), not {', '.join(repr(c) for c in unknown)}",
            )
        )
        return
    countries = {s.country_id for s in found.values()}
    if len(countries) > 1:
        errors.append(
            CellError(
                "agreement",
                row,
                "territory",
                f"expected subdivisions of one country, not of {', '.join(sorted(countries))}",
            )
        )
        return
    country = Country.objects.get(code=countries.pop())
    values["country"], values["is_national"] = country, False
    work.country, work.subdivisions = country, set(found)


def _preview_signatories(parsed, state, result, work) -> None:
    names = list(dict.fromkeys(s["organization"] for s in parsed.signatories if s["_ok"]))
    if not names:
        return
    found = list(
        Organization.objects.filter(Q(key__in=names) | Q(name__in=names)).values_list("key", "name")
    )
    by_key = {k for k, _ in found}
    by_name: dict[str, list[str]] = defaultdict(list)
    for key, name in found:
        by_name[name].append(key)
    keys: dict[str, str] = {}
    taken = set(by_key)
    for signatory in parsed.signatories:
        if not signatory["_ok"]:
            continue
        name, role = signatory["organization"], signatory["role"]
        if name not in keys:
            if name in by_key:
                keys[name] = name
                result.named.append(("organization", name, "matched", name))
            elif len(by_name.get(name, [])) == 1:
                keys[name] = by_name[name][0]
                result.named.append(("organization", name, "matched", keys[name]))
            elif by_name.get(name):
                result.errors.append(
                    CellError(
                        "signatories",
                        signatory["_row"],
                        "organization",
                        f"{name!r} names {len(by_name[name])} organizations; use its key "
                        f"({', '.join(sorted(by_name[name]))})",
                    )
                )
                keys[name] = ""
                continue
            else:
                base = (slugify(name) or "organizacion")[:70]
                key, n = base, 1
                while key in taken or Organization.objects.filter(key=key).exists():
                    n += 1
                    key = f"{base}-{n}"
                taken.add(key)
                keys[name] = key
                work.new_organizations[key] = (name, ROLE_KIND[role])
                result.named.append(("organization", name, "created", key))
        key = keys[name]
        if not key:
            continue
        if (key, role) in state.signatories or (key, role) in work.signatories:
            action = "unchanged"
        else:
            work.signatories.append((key, role))
            action = "create"
        result.rows.append(RowAction("signatories", signatory["_row"], f"{key} {role}", action))


def _preview_goals(parsed, state, result, work) -> None:
    items = [
        (g["code"], getattr(state.goals.get(g["code"]), "position", None)) for g in parsed.goals
    ]
    positions = _positions(items)
    for goal in parsed.goals:
        if not goal["_ok"]:
            continue
        values = {"title": goal["title"], "position": positions[goal["code"]]}
        existing = state.goals.get(goal["code"])
        if existing is None:
            work.goals.append((goal, values, []))
            result.rows.append(RowAction("goals", goal["_row"], goal["code"], "create"))
            continue
        changes = _diff({k: getattr(existing, k) for k in values}, values)
        work.goals.append((goal, values, changes))
        result.rows.append(
            RowAction(
                "goals", goal["_row"], goal["code"], "update" if changes else "unchanged", changes
            )
        )


def _goal_codes(parsed, state) -> set[str]:
    bad = {g["code"] for g in parsed.goals if not g["_ok"]}
    return ({g["code"] for g in parsed.goals} | set(state.goals)) - bad


def _preview_actions(parsed, state, result, work) -> None:
    goals = _goal_codes(parsed, state)
    columns = parsed.columns.get("actions", set())
    invalid_goals = {g["code"] for g in parsed.goals if not g["_ok"]}
    groups: dict[str, list] = defaultdict(list)
    for action in parsed.actions:
        existing = state.actions.get(action["code"])
        groups[action["goal_code"]].append(
            (action["code"], existing.position if existing else None)
        )
    positions = {}
    for items in groups.values():
        positions.update(_positions(items))
    for action in parsed.actions:
        if action["goal_code"] in invalid_goals:
            continue
        if action["goal_code"] and action["goal_code"] not in goals:
            result.errors.append(
                CellError(
                    "actions",
                    action["_row"],
                    "goal_code",
                    f"expected the code of a goal of this agreement, not {action['goal_code']!r}",
                )
            )
            action["_ok"] = False
        if not action["_ok"]:
            continue
        values = {
            "goal": action["goal_code"],
            "text": action["text"],
            "position": positions[action["code"]],
        }
        for column in ACTION_OPTIONAL:
            if column in columns:
                values[column] = action[column]
        existing = state.actions.get(action["code"])
        if existing is None:
            work.actions.append((action, values, []))
            result.rows.append(RowAction("actions", action["_row"], action["code"], "create"))
            continue
        current = {k: getattr(existing, k) for k in values if k != "goal"}
        current["goal"] = existing.goal.code
        if "applies_to_sizes" in current:
            current["applies_to_sizes"] = sorted(
                set(current["applies_to_sizes"] or []),
                key=lambda s: SIZE.codes.index(s) if s in SIZE.codes else len(SIZE.codes),
            )
        changes = _diff(current, values)
        work.actions.append((action, values, changes))
        result.rows.append(
            RowAction(
                "actions",
                action["_row"],
                action["code"],
                "update" if changes else "unchanged",
                changes,
            )
        )


def _preview_auditors(parsed, state, result, work, admin) -> None:
    columns = parsed.columns.get("auditors", set())
    codes = {c for a in parsed.auditors for c in a["specialities"]}
    found = set(Sector.objects.filter(code__in=codes).values_list("code", flat=True))
    for auditor in parsed.auditors:
        unknown = [c for c in auditor["specialities"] if c not in found]
        if unknown:
            result.errors.append(
                CellError(
                    "auditors",
                    auditor["_row"],
                    "specialities",
                    "expected ISIC Rev.4 codes separated by ';', not "
                    + ", ".join(repr(c) for c in unknown),
                )
            )
            auditor["_ok"] = False
        if not auditor["_ok"]:
            continue
        values = {"name": auditor["name"]}
        for column in ("registered_from", "registered_until", "specialities"):
            if column in columns:
                values[column] = auditor[column]
        if "specialities" in values:
            values["specialities"] = set(values["specialities"])
        existing = state.experts.get(auditor["auditor_id"])
        if existing is None:
            action, changes = "create", []
            result.named.append(("auditor", auditor["name"], "created", auditor["auditor_id"]))
        else:
            current = {k: getattr(existing, k) for k in values if k != "specialities"}
            current["specialities"] = state.expert_specialities.get(existing.pk, set())
            changes = _diff(current, values)
            action = "update" if changes else "unchanged"
            result.named.append(("auditor", auditor["name"], "matched", auditor["auditor_id"]))
        if action != "unchanged" and not admin:
            result.errors.append(
                CellError(
                    "auditors",
                    auditor["_row"],
                    "auditor_id",
                    "only an administrator may add or change auditors in the registry "
                    "(registry.manage_registry); ask one to import this row",
                )
            )
            continue
        work.experts.append((auditor, values, changes))
        result.rows.append(
            RowAction("auditors", auditor["_row"], auditor["auditor_id"], action, changes)
        )


def _subdivision_lookup(country: Country | None) -> dict[str, str]:
    if country is None:
        return {}
    lookup = {}
    for code, name in Subdivision.objects.filter(country=country).values_list("code", "name"):
        lookup[fold(code)] = code
        lookup.setdefault(fold(name), code)
    return lookup


def _preview_facilities(parsed, state, result, work) -> None:
    errors = result.errors
    country = work.country
    stage = _stage(parsed, state)
    subdivisions = _subdivision_lookup(country)
    columns = parsed.columns.get("facilities", set())
    raw_ids = {f["company_tax_id"] for f in parsed.facilities if f["company_tax_id"]}
    companies: dict[str, Company] = {}
    if country is not None and raw_ids:
        for company in Company.objects.filter(country=country, tax_id__in=raw_ids):
            companies[company.tax_id] = company
    compact_of: dict[str, str] = {}
    for facility in parsed.facilities:
        raw = facility["company_tax_id"]
        if not raw or country is None or raw in compact_of:
            continue
        if raw in companies:  # already registered: matched as stored
            compact_of[raw] = raw
            continue
        try:
            compact_of[raw] = validate_tax_id(country.code, raw)
        except DomainError as exc:
            compact_of[raw] = ""
            errors.append(
                CellError(
                    "facilities",
                    facility["_row"],
                    "company_tax_id",
                    f"expected a valid {tax_id_name(country.code)} of {country.code}: "
                    f"{exc.message}",
                )
            )
            facility["_ok"] = False
    compacts = {c for c in compact_of.values() if c and c not in companies}
    if compacts:
        for company in Company.objects.filter(country=country, tax_id__in=compacts):
            companies[company.tax_id] = company
    first_row: dict[str, dict] = {}
    for facility in parsed.facilities:
        raw = facility["company_tax_id"]
        tax_id = compact_of.get(raw, "")
        if not facility["_ok"] or country is None or not tax_id:
            continue
        facility["tax_id"] = tax_id
        # the company
        company_values = {"name": facility["company_name"], "size": facility["size"]}
        earlier = first_row.get(tax_id)
        if earlier is not None:
            for column, attr in (("company_name", "name"), ("size", "size")):
                if earlier[column] != facility[column]:
                    errors.append(
                        CellError(
                            "facilities",
                            facility["_row"],
                            column,
                            f"the company {tax_id_name(country.code)} {raw} has "
                            f"{attr} {earlier[column]!r} in row {earlier['_row']}; a company "
                            "has one name and size",
                        )
                    )
                    facility["_ok"] = False
        else:
            first_row[tax_id] = facility
            company = companies.get(tax_id)
            if company is None:
                work.companies[tax_id] = (company_values, ["create"])
                result.named.append(("company", facility["company_name"], "created", tax_id))
            else:
                changes = _diff({"name": company.name, "size": company.size}, company_values)
                work.companies[tax_id] = (company_values, changes)
                result.named.append(("company", facility["company_name"], "matched", tax_id))
        # the facility
        code = facility["facility_code"]
        subdivision = None
        if facility["subdivision"]:
            subdivision = subdivisions.get(fold(facility["subdivision"]))
            if subdivision is None:
                example = min(subdivisions.values(), default="")
                errors.append(
                    CellError(
                        "facilities",
                        facility["_row"],
                        "subdivision",
                        f"expected an ISO 3166-2 code or the name of a subdivision of "
                        f"{country.code} (such as {example}), "
                        f"not {facility['subdivision']!r}",
                    )
                )
                facility["_ok"] = False
        existing = state.facilities.get(code)
        if existing is not None and (
            existing.company.country_id != country.pk or existing.company.tax_id != tax_id
        ):
            errors.append(
                CellError(
                    "facilities",
                    facility["_row"],
                    "facility_code",
                    f"the facility {code} belongs to another company "
                    f"({existing.company.country_id} {existing.company.tax_id}, "
                    f"{existing.company.name})",
                )
            )
            facility["_ok"] = False
        adhesion = state.adhesions.get(code)
        if adhesion is None and facility["adhesion_date"] is None and facility["_ok"]:
            errors.append(
                CellError(
                    "facilities",
                    facility["_row"],
                    "adhesion_date",
                    "a value is required (the date the facility adhered)",
                )
            )
            facility["_ok"] = False
        if adhesion is None and stage not in STAGES_WITH_FACILITIES and facility["_ok"]:
            errors.append(
                CellError(
                    "facilities",
                    facility["_row"],
                    "adhesion_date",
                    f"facilities adhere to a signed agreement; this one is in stage {stage!r}",
                )
            )
            facility["_ok"] = False
        if not facility["_ok"]:
            continue
        facility_values = {"name": facility["facility_name"]}
        if "subdivision" in columns:
            facility_values["subdivision"] = subdivision
        changes = []
        if existing is None:
            result.named.append(("facility", facility["facility_name"], "created", code))
        else:
            current = {"name": existing.name, "subdivision": existing.subdivision_id}
            changes = [
                "facility_name" if c == "name" else c for c in _diff(current, facility_values)
            ]
        work.facilities.append((facility, facility_values, changes))
        company_changes = work.companies.get(tax_id, ({}, []))[1]
        if earlier is None and company_changes != ["create"]:
            changes = ["company_name" if c == "name" else c for c in company_changes] + changes
        # the adhesion
        adhesion_values = {}
        if facility["adhesion_date"] is not None:
            adhesion_values["adhered_on"] = facility["adhesion_date"]
        if adhesion is None:
            _window_warning(parsed, state, result, facility)
            work.adhesions.append((facility, adhesion_values, ["create"]))
            action = "create"
        else:
            diff = _diff({"adhered_on": adhesion.adhered_on}, adhesion_values)
            changes += ["adhesion_date" for _ in diff]
            work.adhesions.append((facility, adhesion_values, diff))
            action = "update" if changes else "unchanged"
        result.rows.append(RowAction("facilities", facility["_row"], code, action, changes))


def _window_warning(parsed, state, result, facility) -> None:
    signed = parsed.agreement.get("signing_date")
    if "signing_date" not in parsed.agreement and state.agreement is not None:
        signed = state.agreement.signing_date
    days = parsed.agreement.get("adhesion_days")
    if days is None:
        days = state.agreement.adhesion_days if state.agreement else 90
    day = facility["adhesion_date"]
    if signed is None or day is None:
        return
    end = signed + dt.timedelta(days=days)
    if not signed <= day <= end:
        facility["_exception"] = True
        result.warnings.append(
            CellError(
                "facilities",
                facility["_row"],
                "adhesion_date",
                f"outside the adhesion window ({signed.isoformat()} to {end.isoformat()}); "
                "recorded as an exception",
            )
        )


def _auditor_view(parsed, state) -> dict[str, dict]:
    """auditor id → kind, registration and database id, from the file over the database."""
    view = {}
    for auditor_id, expert in state.experts.items():
        view[auditor_id] = {
            "kind": expert.kind,
            "registered_from": expert.registered_from,
            "registered_until": expert.registered_until,
            "pk": expert.pk,
        }
    columns = parsed.columns.get("auditors", set())
    for auditor in parsed.auditors:
        if not auditor["_ok"]:
            view[auditor["auditor_id"]] = None  # refused on its own row
            continue
        entry = view.get(auditor["auditor_id"]) or {
            "kind": "auditor",
            "registered_from": None,
            "registered_until": None,
            "pk": None,
        }
        for column in ("registered_from", "registered_until"):
            if column in columns:
                entry[column] = auditor[column]
        view[auditor["auditor_id"]] = entry
    return view


def _registered(entry, day) -> bool:
    return bool(
        entry["registered_from"]
        and entry["registered_from"] <= day
        and (entry["registered_until"] is None or day <= entry["registered_until"])
    )


def _preview_audits(parsed, state, result, work, admin) -> None:
    errors = result.errors
    stage = _stage(parsed, state)
    facilities = {f["facility_code"]: f for f in parsed.facilities}
    # company size and (country, tax id) of each facility usable here
    sizes: dict[str, str] = {}
    companies: dict[str, tuple] = {}
    for code, facility in state.facilities.items():
        if code in state.adhesions:
            sizes[code] = facility.company.size
            companies[code] = (facility.company.country_id, facility.company.tax_id)
    for facility in parsed.facilities:
        if facility.get("_ok") and facility.get("tax_id"):
            sizes[facility["facility_code"]] = facility["size"]
            companies[facility["facility_code"]] = (
                work.country.pk if work.country else None,
                facility["tax_id"],
            )
    refused_facilities = {f["facility_code"] for f in parsed.facilities if not f.get("_ok")}
    # actions as the import leaves them: code → (responsible, sizes, goal code)
    actions = {
        code: (a.responsible, a.applies_to_sizes, a.goal.code) for code, a in state.actions.items()
    }
    refused_actions = set()
    for action, values, _changes in work.actions:
        old = actions.get(action["code"], ("company", [], values["goal"]))
        actions[action["code"]] = (
            values.get("responsible", old[0]),
            values.get("applies_to_sizes", old[1]),
            values["goal"],
        )
    for action in parsed.actions:
        if not action["_ok"]:
            refused_actions.add(action["code"])
    auditors = _auditor_view(parsed, state)
    relations = _relations(state)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for item in parsed.audit_items:
        key = (item["facility_code"], item["audit_type"], item["audit_date"])
        if all(key):
            groups[key].append(item)
    file_finals = defaultdict(list)
    for facility_code, audit_type, day in groups:
        if audit_type == "final":
            file_finals[facility_code].append(day)
    for key, items in groups.items():
        facility_code, audit_type, day = key
        first = items[0]
        ok = all(i["_ok"] for i in items)
        existing = state.audits.get(key)
        # the facility
        if facility_code in refused_facilities:
            continue
        if facility_code not in facilities and facility_code not in state.adhesions:
            for item in items:
                errors.append(
                    CellError(
                        "audit_items",
                        item["_row"],
                        "facility_code",
                        f"expected the code of a facility of the facilities sheet, not "
                        f"{facility_code!r}",
                    )
                )
            continue
        # the stage
        stages = {
            "final": FINAL_AUDIT_STAGES,
            "correction": FINAL_AUDIT_STAGES,
            "maintenance": CERTIFYING_STAGES,
        }.get(audit_type, AUDIT_STAGES)
        if existing is None and stage not in stages:
            errors.append(
                CellError(
                    "audit_items",
                    first["_row"],
                    "audit_type",
                    f"a {audit_type} audit is not possible while the agreement is in stage "
                    f"{stage!r}",
                )
            )
            ok = False
        # the auditor: one per audit, registered on the date, without conflict
        auditor_id = first["auditor_id"]
        for item in items[1:]:
            if item["auditor_id"] != auditor_id:
                errors.append(
                    CellError(
                        "audit_items",
                        item["_row"],
                        "auditor_id",
                        f"the same audit names auditor {auditor_id!r} in row {first['_row']}; "
                        "an audit has one auditor",
                    )
                )
                ok = False
        entry = auditors.get(auditor_id, "missing")
        if entry == "missing":
            errors.append(
                CellError(
                    "audit_items",
                    first["_row"],
                    "auditor_id",
                    f"expected the id of an auditor of the auditors sheet or the registry, not "
                    f"{auditor_id!r}",
                )
            )
            ok = False
        elif entry is None:
            ok = False
        elif entry["kind"] != "auditor":
            errors.append(
                CellError(
                    "audit_items",
                    first["_row"],
                    "auditor_id",
                    f"{auditor_id} is registered as a specialist, not as an auditor",
                )
            )
            ok = False
        elif not _registered(entry, day):
            errors.append(
                CellError(
                    "audit_items",
                    first["_row"],
                    "auditor_id",
                    f"{auditor_id} is not a registered auditor on {day.isoformat()} "
                    f"(registered from {_iso(entry['registered_from'])} until "
                    f"{_iso(entry['registered_until'])})",
                )
            )
            ok = False
        elif entry["pk"] and companies.get(facility_code):
            conflict = _conflict(relations.get(entry["pk"], []), companies[facility_code], day)
            if conflict:
                errors.append(
                    CellError(
                        "audit_items",
                        first["_row"],
                        "auditor_id",
                        f"conflict of interest: {auditor_id} declared a relation ({conflict}) "
                        "with the facility's company; they cannot audit its facilities",
                    )
                )
                ok = False
        # the correction names the facility's latest final audit before it
        corrects = None
        if audit_type == "correction":
            days = list(file_finals.get(facility_code, []))
            days += [k[2] for k in state.audits if k[0] == facility_code and k[1] == "final"]
            days = [d for d in days if d <= day]
            if existing is not None and existing.corrects_id:
                corrects = "existing"
            elif not days:
                errors.append(
                    CellError(
                        "audit_items",
                        first["_row"],
                        "audit_type",
                        f"a correction re-verification follows a final audit of "
                        f"{facility_code}; there is none on or before {day.isoformat()}",
                    )
                )
                ok = False
            else:
                corrects = (facility_code, "final", max(days))
        # the items
        size = sizes.get(facility_code)
        recorded = set()
        for item in items:
            code = item["action_code"]
            if code in refused_actions:
                ok = False
                continue
            if code not in actions:
                errors.append(
                    CellError(
                        "audit_items",
                        item["_row"],
                        "action_code",
                        f"expected the code of an action of this agreement, not {code!r}",
                    )
                )
                ok = False
                continue
            responsible, applies_to, _goal = actions[code]
            if responsible != "company" or (size and applies_to and size not in applies_to):
                errors.append(
                    CellError(
                        "audit_items",
                        item["_row"],
                        "action_code",
                        f"action {code} is not audited at this facility (it belongs to the "
                        "association or to companies of another size)",
                    )
                )
                ok = False
            recorded.add(code)
        if ok and existing is None and audit_type != "correction" and size:
            expected = [
                code
                for code, (responsible, applies_to, _goal) in actions.items()
                if responsible == "company" and (not applies_to or size in applies_to)
            ]
            missing = sorted(set(expected) - recorded, key=_natural)
            if missing:
                errors.append(
                    CellError(
                        "audit_items",
                        first["_row"],
                        "action_code",
                        f"the {audit_type} audit of {facility_code} on {day.isoformat()} has no "
                        f"items for the applicable actions {', '.join(missing)}; a submitted "
                        "audit covers every applicable action",
                    )
                )
                ok = False
        if not ok:
            continue
        if existing is not None and existing.status != AuditStatus.SUBMITTED:
            errors.append(
                CellError(
                    "audit_items",
                    first["_row"],
                    "audit_date",
                    f"this {audit_type} audit of {facility_code} is still open in Limpia; "
                    "its auditor submits it there",
                )
            )
            continue
        stored = state.items.get(existing.pk, {}) if existing else {}
        audit_changes = []
        if existing is not None and existing.auditor.auditor_id != auditor_id:
            audit_changes.append("auditor_id")
        planned = []
        for n, item in enumerate(items):
            values = {
                "applies": item["applies"],
                "complies": item["complies"] if item["applies"] else None,
                "reason": item["reason"],
                "observation": item["observation"],
            }
            current = stored.get(item["action_code"])
            label = f"{facility_code} {audit_type} {day.isoformat()} {item['action_code']}"
            if existing is None or current is None:
                changes, action = [], "create"
            else:
                changes = _diff({k: getattr(current, k) for k in values}, values)
                action = "update" if changes else "unchanged"
            if n == 0 and audit_changes:
                changes = audit_changes + changes
                action = "update" if action == "unchanged" else action
            planned.append((item, values, changes, current, action, label))
        if existing is not None and not admin and any(p[4] != "unchanged" for p in planned):
            errors.append(
                CellError(
                    "audit_items",
                    first["_row"],
                    "facility_code",
                    f"the {audit_type} audit of {facility_code} on {day.isoformat()} is "
                    "submitted; only an administrator may change its findings by import",
                )
            )
            continue
        for item, _values, changes, _current, action, label in planned:
            result.rows.append(RowAction("audit_items", item["_row"], label, action, changes))
        work.audits.append(
            {
                "key": key,
                "existing": existing,
                "auditor_id": auditor_id,
                "corrects": corrects,
                "changed": bool(audit_changes),
                "items": [(p[0], p[1], p[2], p[3]) for p in planned],
            }
        )


def _iso(day) -> str:
    return day.isoformat() if day else "-"


def _natural(code: str):
    from limpia.compliance.method import natural_key

    return natural_key(code)


def _relations(state) -> dict[int, list[Relation]]:
    found = defaultdict(list)
    ids = [e.pk for e in state.experts.values()]
    for relation in Relation.objects.filter(expert_id__in=ids).select_related("company"):
        found[relation.expert_id].append(relation)
    return found


def _conflict(relations, company, day) -> str:
    cooling = day - dt.timedelta(days=CONFLICT_COOLING_OFF_DAYS)
    for relation in relations:
        if (relation.company.country_id, relation.company.tax_id) != company:
            continue
        if relation.started_on <= day and (
            relation.ended_on is None or relation.ended_on >= cooling
        ):
            return relation.kind
    return ""


# ---------------------------------------------------------------- permission and writing


def check_permission(parsed: ParsedAgreement, state: AgreementState, acting_user) -> None:
    """agreements.add_agreement for a new agreement, agreements.change_agreement on one."""
    if state.agreement is None:
        require_perm(acting_user, "agreements.add_agreement")
    else:
        require_perm(acting_user, "agreements.change_agreement", state.agreement)


def apply(parsed: ParsedAgreement, *, acting_user, system: bool = False) -> Preview:
    """Write the workbook in one transaction; raise ImportRefused (nothing written) on errors.

    `system=True` is the terminal's import: trusted like `limpia loadplans`, it needs no user.
    """
    if not system and acting_user is None:
        raise DomainError("An import needs the user who makes it.", code="permission_denied")
    with change_source(Source.IMPORT), transaction.atomic():
        state = load_state(parsed, lock=True)
        if not system:
            check_permission(parsed, state, acting_user)
        result = preview(parsed, state, acting_user=acting_user, system=system)
        if result.errors or not parsed.slug:
            raise ImportRefused(result.errors)
        agreement = _write(
            result.work, parsed, state, acting_user if getattr(acting_user, "pk", None) else None
        )
        tallies.rebuild([agreement.pk])
    return result


def _save(instance, user, fields=None) -> None:
    save_attributed(instance, acting_user=user, update_fields=fields, reason=REASON)


def _create(model, objects: list, user) -> list:
    """Insert `objects` and their history rows (user, reason and channel as a save would record)
    in a number of statements that does not grow with the rows (BATCH rows per statement; the
    history copied by the database: `core.tracking.bulk_create_tracked`)."""
    for start in range(0, len(objects), BATCH):
        bulk_create_tracked(objects[start : start + BATCH], model, user=user, reason=REASON)
    return objects


def _update(model, objects: list, fields, user) -> None:
    """Update `fields` of `objects` and record a history row for each, in bulk."""
    if not objects:
        return
    for start in range(0, len(objects), BATCH):
        bulk_update_with_history(
            objects[start : start + BATCH],
            model,
            sorted(set(fields)),
            batch_size=BATCH,
            default_user=user,
            default_change_reason=REASON,
        )


def _write(work: _Work, parsed: ParsedAgreement, state: AgreementState, user) -> Agreement:
    now = timezone.now()
    meter = current_meter()
    items = sum(len(plan["items"]) for plan in work.audits)
    meter.phase("writing", 1 + len(work.goals) + len(work.actions) + items + 1)
    agreement = _write_agreement(work, parsed, state, user, now)
    # Signatories (organizations created first)
    organizations = {
        key: Organization(key=key, name=name[:300], kind=kind, country=agreement.country)
        for key, (name, kind) in work.new_organizations.items()
    }
    _create(Organization, list(organizations.values()), user)
    wanted = {key for key, _role in work.signatories} - set(organizations)
    if wanted:
        for org in Organization.objects.filter(key__in=wanted):
            organizations[org.key] = org
    Signatory.objects.bulk_create(
        [
            Signatory(agreement=agreement, organization=organizations[key], role=role)
            for key, role in work.signatories
        ]
    )
    # Goals and actions
    goals = dict(state.goals)
    new, changed, fields = [], [], set()
    for goal, values, changes in work.goals:
        existing = goals.get(goal["code"])
        if existing is None:
            goals[goal["code"]] = Goal(agreement=agreement, code=goal["code"], **values)
            new.append(goals[goal["code"]])
        elif changes:
            for c in changes:
                setattr(existing, c, values[c])
            changed.append(existing)
            fields.update(changes)
    Goal.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        Goal.objects.bulk_update(changed, sorted(fields), batch_size=BATCH)
    actions = dict(state.actions)
    new, changed, fields = [], [], set()
    for action, values, changes in work.actions:
        attributes = {k: v for k, v in values.items() if k != "goal"}
        existing = actions.get(action["code"])
        if existing is None:
            actions[action["code"]] = Action(
                goal=goals[values["goal"]], code=action["code"], **attributes
            )
            new.append(actions[action["code"]])
        elif changes:
            for c in changes:
                if c == "goal":
                    existing.goal = goals[values["goal"]]
                else:
                    setattr(existing, c, attributes[c])
            changed.append(existing)
            fields.update(changes)
    Action.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        Action.objects.bulk_update(changed, sorted(fields), batch_size=BATCH)
    meter.advance(1 + len(work.goals) + len(work.actions))
    experts = _write_experts(work, state, agreement, user)
    facilities = _write_facilities(work, state, agreement, user)
    _write_audits(work, state, agreement, actions, experts, facilities, user, now)
    meter.finish()
    return agreement


def _write_agreement(work, parsed, state, user, now) -> Agreement:
    values = dict(work.agreement_values)
    agreement = state.agreement
    if agreement is None:
        agreement = Agreement(slug=parsed.slug, **values)
        _save(agreement, user)
    elif work.agreement_changes:
        fields = [c for c in work.agreement_changes if c not in ("sectors", "territory")]
        for c in fields:
            setattr(agreement, c, values[c])
        if fields:
            _save(agreement, user, fields)
    if work.sectors is not None and work.sectors != state.sectors:
        agreement.sectors.set(Sector.objects.filter(code__in=work.sectors))
    if work.subdivisions is not None and work.subdivisions != state.subdivisions:
        agreement.subdivisions.set(Subdivision.objects.filter(code__in=work.subdivisions))
    if work.stage_change is not None:
        from_stage, to_stage = work.stage_change
        StageChange.objects.create(
            agreement=agreement,
            from_stage=from_stage,
            to_stage=to_stage,
            changed_at=now,
            changed_by=user,
            comment="Importado desde un libro de cálculo (workbook import)",
            imported=True,
        )
    return agreement


def _write_experts(work, state, agreement, user) -> dict[str, Expert]:
    experts = dict(state.experts)
    sectors = {}
    wanted = {c for _a, values, _c in work.experts for c in values.get("specialities", ())}
    if wanted:
        sectors = {s.code: s for s in Sector.objects.filter(code__in=wanted)}
    for auditor, values, changes in work.experts:
        fields = {k: v for k, v in values.items() if k != "specialities"}
        expert = experts.get(auditor["auditor_id"])
        if expert is None:
            expert = Expert(
                auditor_id=auditor["auditor_id"],
                kind="auditor",
                country=agreement.country,
                **fields,
            )
            _save(expert, user)
            experts[expert.auditor_id] = expert
            if values.get("specialities"):
                expert.specialities.set([sectors[c] for c in sorted(values["specialities"])])
        elif changes:
            update = [c for c in changes if c != "specialities"]
            for c in update:
                setattr(expert, c, fields[c])
            if update:
                _save(expert, user, update)
            if "specialities" in changes:
                expert.specialities.set([sectors[c] for c in sorted(values["specialities"])])
    return experts


def _write_facilities(work, state, agreement, user) -> dict[str, Facility]:
    country = agreement.country
    companies = {}
    if work.companies:
        companies = {
            c.tax_id: c for c in Company.objects.filter(country=country, tax_id__in=work.companies)
        }
    new, changed, fields = [], [], set()
    for tax_id, (values, changes) in work.companies.items():
        company = companies.get(tax_id)
        if company is None:
            company = Company(country=country, tax_id=tax_id, **values)
            companies[tax_id] = company
            new.append(company)
        elif changes:
            for c in changes:
                setattr(company, c, values[c])
            changed.append(company)
            fields.update(changes)
    _create(Company, new, user)
    _update(Company, changed, fields, user)
    facilities = dict(state.facilities)
    new, changed, fields = [], [], set()
    for facility, values, changes in work.facilities:
        code = facility["facility_code"]
        existing = facilities.get(code)
        attributes = dict(values)
        if "subdivision" in attributes:
            attributes["subdivision_id"] = attributes.pop("subdivision")
        if existing is None:
            existing = Facility(company=companies[facility["tax_id"]], code=code, **attributes)
            facilities[code] = existing
            new.append(existing)
        elif changes:
            for attr, value in attributes.items():
                setattr(existing, attr, value)
            changed.append(existing)
            fields.update(attributes)
    _create(Facility, new, user)
    _update(Facility, changed, fields, user)
    new, changed = [], []
    for facility, values, changes in work.adhesions:
        code = facility["facility_code"]
        adhesion = state.adhesions.get(code)
        if adhesion is None:
            new.append(
                Adhesion(
                    agreement=agreement,
                    facility=facilities[code],
                    adhered_on=values["adhered_on"],
                    exception_reason=(
                        "Fuera del periodo de adhesión (importado desde un libro de cálculo)"
                        if facility.get("_exception")
                        else ""
                    ),
                    recorded_by=user,
                )
            )
        elif changes:
            adhesion.adhered_on = values["adhered_on"]
            changed.append(adhesion)
    _create(Adhesion, new, user)
    _update(Adhesion, changed, ["adhered_on"], user)
    return facilities


def _write_audits(work, state, agreement, actions, experts, facilities, user, now) -> None:
    """The audits in bulk: those that correct nothing new first, then the corrections of the
    final audits just created; then their items; then the correction deadline of every final
    audit written whose outcome is a correction period (one read of their items)."""
    order = {"intermediate": 0, "final": 1, "correction": 2, "maintenance": 3}
    meter = current_meter()
    audits = dict(state.audits)
    plans = sorted(work.audits, key=lambda p: (p["key"][2], order[p["key"][1]]))
    pending, changed_auditor = [], []
    for plan in plans:
        audit = plan["existing"]
        expert = experts[plan["auditor_id"]]
        if audit is None:
            facility_code, audit_type, day = plan["key"]
            audit = Audit(
                agreement=agreement,
                facility=facilities[facility_code],
                auditor=expert,
                audit_type=audit_type,
                audit_date=day,
                status=AuditStatus.SUBMITTED,
                submitted_at=now,
            )
            audits[plan["key"]] = audit
            pending.append((plan, audit))
        elif plan["changed"]:
            audit.auditor = expert
            changed_auditor.append(audit)
        plan["audit"] = audit
    while pending:  # rounds: an audit is written once the final audit it corrects has an id
        ready, waiting = [], []
        for plan, audit in pending:
            target = audits[plan["corrects"]] if isinstance(plan["corrects"], tuple) else None
            if target is not None and target.pk is None:
                waiting.append((plan, audit))
                continue
            audit.corrects = target
            ready.append(audit)
        if not ready:  # cannot happen: corrections correct final audits, never corrections
            raise DomainError("An audit corrects an audit that cannot be written.")
        _create(Audit, ready, user)
        pending = waiting
    _update(Audit, changed_auditor, ["auditor"], user)
    new, changed, fields = [], [], {"version"}
    outcome_due = []
    for plan in plans:
        audit = plan["audit"]
        written = plan["existing"] is None or plan["changed"]
        meter.advance(len(plan["items"]))
        for item, values, changes, current in plan["items"]:
            if current is None:
                new.append(AuditItem(audit=audit, action=actions[item["action_code"]], **values))
                written = True
            elif changes:
                for c in changes:
                    if c in values:
                        setattr(current, c, values[c])
                        fields.add(c)
                current.version += 1
                changed.append(current)
                written = True
        if written and plan["key"][1] == "final" and audit.correction_deadline is None:
            outcome_due.append(audit)
    _create(AuditItem, new, user)
    _update(AuditItem, changed, fields, user)
    _write_correction_deadlines(agreement, outcome_due, user)


def _write_correction_deadlines(agreement, audits: list[Audit], user) -> None:
    """A final audit whose compliance earns a correction period gets its deadline."""
    from limpia import compliance
    from limpia.agreements.figures import settings_of

    if not audits:
        return
    settings = settings_of(agreement)
    items: dict[int, list] = defaultdict(list)
    for start in range(0, len(audits), BATCH):
        ids = [a.pk for a in audits[start : start + BATCH]]
        rows = AuditItem.objects.filter(audit_id__in=ids).values_list(
            "audit_id", "action__code", "action__goal__code", "applies", "complies"
        )
        for audit_id, action_code, goal_code, applies, complies in rows:
            items[audit_id].append(
                compliance.AuditItem(
                    action_code=action_code,
                    goal_code=goal_code,
                    applies=applies,
                    complies=complies if applies else None,
                )
            )
    due = []
    for audit in audits:
        share = compliance.facility_compliance(items[audit.pk])
        if compliance.final_audit_outcome(share, settings) == "correction":
            audit.correction_deadline = audit.audit_date + dt.timedelta(
                days=agreement.correction_days
            )
            due.append(audit)
    _update(Audit, due, ["correction_deadline"], user)
