"""Import a plan workbook: parse and validate everything, preview, then write in one transaction.

The format is described in docs/import-format.md. The steps:

1. `parse_plan_workbook(source)` reads the file (limpia.exchange.tabular) and checks what the
   file alone can tell: sheets and columns, types, coded values, duplicate keys, references and
   cycles within the file. Unknown columns and sheets are reported as warnings.
2. `load_state(slug)` reads what the database holds for that plan; `preview(parsed, state)`
   adds what needs the database (jurisdiction, parent plan, organizations, references to rows
   that are only in the database, indicator kinds, permissions when a user is given) and lists
   per sheet and row what would be created, updated or left unchanged.
3. `apply(parsed, acting_user=...)` does steps 2 again inside one transaction and writes; if
   anything is wrong nothing is written.

Stable keys make re-importing idempotent: a plan by its slug, a node by its normalized code, an
indicator by its code, a target by (indicator, due date), a measurement by (indicator, date,
disaggregation). Rows missing from the file are never deleted. Columns missing from a sheet
leave those fields as they are.

The import is a reviewed channel: measurements can arrive already approved (or returned), but
only from an administrator or a reviewer of the plan, who is then recorded as their reviewer.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from limpia.core.audit import Source, change_source
from limpia.core.dates import EARLIEST
from limpia.core.errors import DomainError
from limpia.core.fields import SIGNIFICANT_DIGITS, significant_digits
from limpia.core.models import Organization, OrganizationKind
from limpia.core.places import resolve_jurisdiction
from limpia.core.services import require_perm, save_attributed
from limpia.core.tracking import bulk_create_tracked
from limpia.exchange.meter import current as current_meter
from limpia.exchange.tabular import (
    TOO_PRECISE,
    CellError,
    CellValueError,
    Choices,
    Row,
    RowReader,
    Workbook,
    check_header,
    parse_decimal,
    parse_text,
    read_workbook,
)
from limpia.plans.loader import normalize_code
from limpia.plans.models import (
    MAX_TREE_DEPTH,
    Indicator,
    Measurement,
    Node,
    NodeResponsibility,
    Plan,
    Target,
)

REASON = "workbook import"
BATCH = 2000  # measurements written per statement

KIND = Choices(
    {
        "quantity": ["cantidad", "cuantitativo", "cuantitativa"],
        "milestone": ["hito"],
        "qualitative": ["cualitativo", "cualitativa"],
    }
)
MEASURE = Choices({"level": ["nivel"], "increment": ["incremento"]})
DIRECTION = Choices(
    {
        "increase": ["aumentar", "aumento", "ascendente"],
        "decrease": ["disminuir", "disminución", "descendente"],
    }
)
MEASUREMENT_STATUS = Choices(
    {
        "draft": ["borrador"],
        "submitted": ["enviado", "enviada", "presentado", "presentada"],
        "approved": ["aprobado", "aprobada"],
        "returned": ["devuelto", "devuelta"],
    }
)
PLAN_STATUS = Choices({"draft": ["borrador"], "approved": ["aprobado"], "archived": ["archivado"]})
HORIZON = Choices(
    {
        "short": ["corto plazo", "corto"],
        "medium": ["mediano plazo", "mediano", "medio"],
        "long": ["largo plazo", "largo"],
    }
)
REVIEWED_STATUSES = {"approved", "returned"}

SHEETS = ("plan", "nodes", "indicators", "targets", "measurements")
IGNORED_SHEETS = {"instrucciones", "instructions", "léame", "leame", "readme"}
PLAN_KEYS = {
    "slug": True,
    "title": True,
    "jurisdiction": True,
    "period_start": True,
    "period_end": True,
    "status": False,
    "level_names": False,
    "source": False,
    "short_title": False,
    "parent": False,
    "description": False,
    "adopted_on": False,
    "adopted_by": False,
    "source_file": False,
    "source_publisher": False,
    "source_section": False,
}
# sheet → (required columns, optional columns); "dim:<name>" columns are measurements' too.
COLUMNS = {
    "nodes": (
        ("code", "title"),
        (
            "parent_code",
            "description",
            "expected_result",
            "responsible",
            "due_date",
            "horizon",
            "weight",
            "normalized_code",
            "support",
            "level_label",
            "responsible_text",
            "due_text",
            "source_ref",
            "note",
        ),
    ),
    "indicators": (
        ("code", "name", "kind"),
        (
            "node_code",
            "unit",
            "measure",
            "direction",
            "baseline_value",
            "baseline_date",
            "weight",
            "description",
            "source_ref",
            "note",
        ),
    ),
    "targets": (("indicator_code",), ("value", "due_date", "text")),
    "measurements": (
        ("indicator_code", "date", "value"),
        ("text", "status", "comment", "evidence_url"),
    ),
}


# ---------------------------------------------------------------- parsed file


@dataclass
class ParsedPlan:
    plan: dict[str, Any] = field(default_factory=dict)
    plan_rows: dict[str, int] = field(default_factory=dict)
    nodes: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    measurements: list[dict] = field(default_factory=list)
    columns: dict[str, set[str]] = field(default_factory=dict)  # columns present per sheet
    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.plan.get("slug") or ""


@dataclass
class RowAction:
    sheet: str
    row: int
    key: str
    action: str  # create | update | unchanged
    changes: list[str] = field(default_factory=list)


@dataclass
class Preview:
    rows: list[RowAction] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)
    organizations: list[tuple[str, str, str]] = field(default_factory=list)  # name, action, key
    work: Any = None  # what apply() writes

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {
            sheet: {"create": 0, "update": 0, "unchanged": 0} for sheet in SHEETS
        }
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
        for name, action, key in self.organizations:
            lines.append(f"organization {name!r}: {action} ({key})")
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
            "organizations": [{"name": n, "action": a, "key": k} for n, a, k in self.organizations],
            "warnings": [w.as_dict() for w in self.warnings],
            "errors": [e.as_dict() for e in self.errors],
        }


class ImportRefused(DomainError):
    def __init__(self, errors: list[CellError]):
        super().__init__(
            "\n".join(str(e) for e in errors) or "the file was refused", code="import_refused"
        )
        self.errors = errors


# ---------------------------------------------------------------- parsing


def parse_plan_workbook(source) -> ParsedPlan:
    """Read and check a plan workbook (path, bytes or file object)."""
    book = read_workbook(source, SHEETS)
    parsed = ParsedPlan(errors=list(book.errors))
    if book.errors and not book.sheets:
        return parsed
    for name in book.sheets:
        if name not in SHEETS and name not in IGNORED_SHEETS:
            parsed.warnings.append(
                CellError(name, None, None, "unknown sheet, ignored (expected: " + _sheets() + ")")
            )
    missing = [s for s in SHEETS if s not in book.sheets]
    for sheet in missing:
        parsed.errors.append(
            CellError(sheet, None, None, f"the sheet is missing (a plan workbook has {_sheets()})")
        )
    if "plan" in book.sheets:
        _parse_plan_sheet(book, parsed)
    usable = {s: _check_columns(book, parsed, s) for s in COLUMNS if s in book.sheets}
    if usable.get("nodes"):
        _parse_nodes(book.sheets["nodes"].rows, parsed)
    if usable.get("indicators"):
        _parse_indicators(book.sheets["indicators"].rows, parsed)
    if usable.get("targets"):
        _parse_targets(book.sheets["targets"].rows, parsed)
    if usable.get("measurements"):
        _parse_measurements(book.sheets["measurements"].rows, parsed)
    return parsed


def _sheets() -> str:
    return ", ".join(SHEETS)


def _check_columns(book: Workbook, parsed: ParsedPlan, sheet: str) -> bool:
    headers = book.sheets[sheet].headers
    required, optional = COLUMNS[sheet]
    parsed.columns[sheet] = {h for h in headers if h}

    def disaggregation(header: str) -> bool:
        return sheet == "measurements" and header.startswith("dim:") and len(header) > 4

    return check_header(
        sheet,
        headers,
        required=required,
        optional=optional,
        errors=parsed.errors,
        warnings=parsed.warnings,
        is_known=disaggregation,
    )


def _parse_plan_sheet(book: Workbook, parsed: ParsedPlan) -> None:
    sheet = book.sheets["plan"]
    errors = parsed.errors
    values: dict[str, Any] = {}
    for number, cells in sheet.raw_rows:
        if not cells or all(c is None or str(c).strip() == "" for c in cells):
            continue
        key = parse_text(cells[0]).lower() if not hasattr(cells[0], "text") else ""
        if number == 1 and key in ("key", "clave", "campo", "field"):
            continue
        if not key:
            errors.append(CellError("plan", number, "key", "expected a key such as slug or title"))
            continue
        if key not in PLAN_KEYS:
            parsed.warnings.append(
                CellError("plan", number, "key", f"unknown key {key!r}, its value is not imported")
            )
            continue
        if key in parsed.plan_rows:
            errors.append(
                CellError(
                    "plan",
                    number,
                    "key",
                    f"the key {key!r} appears twice (also in row {parsed.plan_rows[key]})",
                )
            )
            continue
        parsed.plan_rows[key] = number
        values[key] = cells[1] if len(cells) > 1 else None
    for key, required in PLAN_KEYS.items():
        if required and key not in parsed.plan_rows:
            errors.append(CellError("plan", None, key, f"the key {key!r} is missing"))
    plan = parsed.plan
    for key in parsed.plan_rows:
        reader = RowReader("plan", Row(parsed.plan_rows[key], values), errors)
        required = PLAN_KEYS[key]
        if key == "slug":
            slug = reader.text(key, required=True, max_length=80)
            if slug and slugify(slug) != slug:
                reader.error(key, f"expected a slug (lower case, digits and -), not {slug!r}")
            plan[key] = slug
        elif key in ("period_start", "period_end", "adopted_on"):
            plan[key] = reader.date(key, required=required)
        elif key == "status":
            plan[key] = reader.choice(key, PLAN_STATUS, default="draft")
        elif key == "level_names":
            names = reader.items(key)
            if len(names) > 12 or any(len(n) > 80 for n in names):
                reader.error(key, "expected at most 12 names of at most 80 characters")
            plan[key] = names
        else:
            limits = {
                "title": 500,
                "short_title": 120,
                "source": 500,
                "source_file": 200,
                "source_publisher": 300,
                "source_section": 300,
                "adopted_by": 300,
                "parent": 80,
            }
            plan[key] = reader.text(key, required=required, max_length=limits.get(key))
    start, end = plan.get("period_start"), plan.get("period_end")
    if start and end and end < start:
        errors.append(
            CellError(
                "plan",
                parsed.plan_rows["period_end"],
                "period_end",
                f"expected a date on or after period_start ({start.isoformat()})",
            )
        )


def _duplicate(reader: RowReader, column: str, what: str, seen: dict, key) -> bool:
    if key in seen:
        reader.error(column, f"{what} is already used in row {seen[key]}; keys must be unique")
        return True
    seen[key] = reader.row.number
    return False


def _parse_nodes(rows: list[Row], parsed: ParsedPlan) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        r = RowReader("nodes", row, parsed.errors)
        code = r.text("code", required=True, max_length=40)
        explicit = r.text("normalized_code", max_length=40)
        key = normalize_code(explicit or code)
        if code and not key:
            r.error("code", "expected a code with letters or digits")
        node = {
            "_row": row.number,
            "key": key,
            "code": code,
            "parent": normalize_code(r.text("parent_code", max_length=40)),
            "title": r.text("title", required=True),
            "description": r.text("description"),
            "expected_result": r.text("expected_result"),
            "responsible": r.items("responsible"),
            "support": r.items("support"),
            "due_date": r.date("due_date"),
            "horizon": r.choice("horizon", HORIZON),
            "weight": r.decimal("weight", minimum=0),
            "level_label": r.text("level_label", max_length=80),
            "responsible_text": r.text("responsible_text"),
            "due_text": r.text("due_text", max_length=300),
            "source_ref": r.text("source_ref", max_length=500),
            "note": r.text("note"),
        }
        if node["weight"] is None:
            node["weight"] = Decimal(1)
        if node["weight"] is not None and node["weight"] >= Decimal("100000"):
            r.error("weight", "expected a weight below 100000")
        both = set(node["responsible"]) & set(node["support"])
        if both:
            r.error("support", f"{sorted(both)[0]!r} is also listed as responsible")
        if key and key == node["parent"]:
            r.error("parent_code", f"a node cannot be its own parent ({key!r})")
            node["parent"] = ""
        if key and _duplicate(r, "code", f"the node code {key!r}", seen, key):
            continue
        node["_ok"] = r.ok
        parsed.nodes.append(node)


def _parse_indicators(rows: list[Row], parsed: ParsedPlan) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        r = RowReader("indicators", row, parsed.errors)
        code = r.text("code", required=True, max_length=40)
        indicator = {
            "_row": row.number,
            "code": code,
            "node": normalize_code(r.text("node_code", max_length=40)),
            "name": r.text("name", required=True),
            "kind": r.choice("kind", KIND, required=True),
            "unit": r.text("unit", max_length=60),
            "measure": r.choice("measure", MEASURE, default="level"),
            "direction": r.choice("direction", DIRECTION, default="increase"),
            "baseline_value": r.decimal("baseline_value"),
            "baseline_date": r.date("baseline_date"),
            "weight": r.decimal("weight", minimum=0),
            "description": r.text("description"),
            "source_ref": r.text("source_ref", max_length=500),
            "note": r.text("note"),
        }
        if indicator["weight"] is None:
            indicator["weight"] = Decimal(1)
        if code and _duplicate(r, "code", f"the indicator code {code!r}", seen, code):
            continue
        indicator["_ok"] = r.ok
        parsed.indicators.append(indicator)


def _parse_targets(rows: list[Row], parsed: ParsedPlan) -> None:
    seen: dict[tuple, int] = {}
    for row in rows:
        r = RowReader("targets", row, parsed.errors)
        target = {
            "_row": row.number,
            "indicator": r.text("indicator_code", required=True, max_length=40),
            "value": r.decimal("value"),
            "due_date": r.date("due_date"),
            "text": r.text("text"),
        }
        if r.ok and target["value"] is None and target["due_date"] is None and not target["text"]:
            r.error("value", "a target needs a value, a due date or its text")
        key = (target["indicator"], target["due_date"])
        what = (
            f"a target of {target['indicator']} due {target['due_date'].isoformat()}"
            if target["due_date"]
            else f"a target of {target['indicator']} without due date"
        )
        if target["indicator"] and _duplicate(r, "due_date", what, seen, key):
            continue
        target["_ok"] = r.ok
        parsed.targets.append(target)


def _parse_measurements(rows: list[Row], parsed: ParsedPlan) -> None:
    seen: dict[tuple, int] = {}
    dims = sorted(c for c in parsed.columns.get("measurements", ()) if c.startswith("dim:"))
    for row in rows:
        r = RowReader("measurements", row, parsed.errors)
        disaggregation = {}
        for column in dims:
            member = r.text(column, max_length=120)
            if member:
                disaggregation[column[4:].strip()[:60]] = member
        measurement = {
            "_row": row.number,
            "indicator": r.text("indicator_code", required=True, max_length=40),
            "date": r.date("date", required=True),
            "value": r.raw("value"),
            "status": r.choice("status", MEASUREMENT_STATUS, default="draft"),
            "comment": r.text("comment"),
            "evidence_url": r.text("evidence_url", max_length=500),
            "text": r.text("text"),
            "disaggregation": dict(sorted(disaggregation.items())),
            "dkey": json.dumps(disaggregation, sort_keys=True, ensure_ascii=False),
        }
        if parse_text(measurement["value"]) == "" and r.ok:
            r.error("value", "a value is required (for a qualitative indicator, the text)")
        key = (measurement["indicator"], measurement["date"], measurement["dkey"])
        if (
            measurement["indicator"]
            and measurement["date"]
            and _duplicate(
                r,
                "date",
                f"a measurement of {measurement['indicator']} on "
                f"{measurement['date'].isoformat()}"
                + (f" for {measurement['dkey']}" if disaggregation else ""),
                seen,
                key,
            )
        ):
            continue
        measurement["_ok"] = r.ok
        parsed.measurements.append(measurement)


# ---------------------------------------------------------------- database state


@dataclass
class PlanState:
    plan: Plan | None = None
    nodes: dict[str, Node] = field(default_factory=dict)  # normalized code → node
    responsibilities: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    indicators_with_measurements: set[int] = field(default_factory=set)
    targets: dict[tuple, Target] = field(default_factory=dict)  # (indicator code, due date)
    measurements: dict[tuple, Measurement] = field(default_factory=dict)


def load_state(slug: str, *, lock: bool = False) -> PlanState:
    state = PlanState()
    plans = Plan.objects.select_for_update(of=("self",)) if lock else Plan.objects
    state.plan = plans.filter(slug=slug).select_related("parent").first() if slug else None
    if state.plan is None:
        return state
    plan = state.plan
    state.nodes = {n.normalized_code: n for n in Node.objects.filter(plan=plan)}
    for node_id, key, role in NodeResponsibility.objects.filter(node__plan=plan).values_list(
        "node_id", "organization__key", "role"
    ):
        state.responsibilities.setdefault(node_id, set()).add((key, role))
    state.indicators = {i.code: i for i in Indicator.objects.filter(plan=plan)}
    codes = {i.pk: i.code for i in state.indicators.values()}
    for target in Target.objects.filter(indicator__plan=plan).order_by("-id"):
        state.targets[(codes[target.indicator_id], target.due_date)] = target  # lowest id wins
    measurements = Measurement.objects.filter(indicator__plan=plan).order_by("-id")
    for m in measurements.iterator(chunk_size=5000):
        state.indicators_with_measurements.add(m.indicator_id)
        dkey = json.dumps(m.disaggregation or {}, sort_keys=True, ensure_ascii=False)
        state.measurements[(codes[m.indicator_id], m.date, dkey)] = m
    return state


# ---------------------------------------------------------------- preview


def _can_review(user, plan: Plan | None, system: bool) -> bool:
    from limpia.access.rules import is_admin, is_plan_reviewer

    if system:
        return True
    if user is None or not user.is_authenticated:
        return False
    return bool(is_admin(user) or (plan is not None and is_plan_reviewer(user, plan)))


def _diff(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    return [k for k, v in wanted.items() if current.get(k) != v]


def _positions(items: list[tuple[Any, int | None]]) -> dict[Any, int]:
    """Keep the stored positions when they already follow the file's order; else renumber."""
    stored = [p for _, p in items]
    if all(p is not None for p in stored) and all(a < b for a, b in itertools.pairwise(stored)):
        return {key: p for key, p in items}
    return {key: i for i, (key, _) in enumerate(items)}


@dataclass
class _Work:
    plan_values: dict = field(default_factory=dict)
    plan_changes: list[str] = field(default_factory=list)
    new_organizations: dict[str, str] = field(default_factory=dict)  # key → name
    org_keys: dict[str, str] = field(default_factory=dict)  # name in file → key
    nodes: list[tuple[dict, dict, list[str]]] = field(default_factory=list)  # row, values, changes
    node_parents: dict[str, str] = field(default_factory=dict)  # combined: key → parent key
    responsibilities: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    indicators: list[tuple[dict, dict, list[str]]] = field(default_factory=list)
    targets: list[tuple[dict, dict, list[str]]] = field(default_factory=list)
    measurements: list[tuple[dict, dict, list[str]]] = field(default_factory=list)


def preview(parsed: ParsedPlan, state: PlanState, *, acting_user=None, system=False) -> Preview:
    """What the import would do, with every error the database reveals added to the file's.

    With an `acting_user`, the permission to import reviewed (approved, returned) measurements
    is checked row by row; `system=True` is the terminal's trusted import.
    """
    result = Preview(errors=list(parsed.errors), warnings=list(parsed.warnings))
    work = _Work()
    result.work = work
    errors = result.errors
    plan = state.plan
    meter = current_meter()
    meter.phase("checking", 1 + sum(len(getattr(parsed, sheet)) for sheet in SHEETS[1:]))
    _preview_plan(parsed, state, result, work, acting_user, system)
    _preview_organizations(parsed, result, work)
    meter.advance()
    _preview_nodes(parsed, state, result, work)
    meter.advance(len(parsed.nodes))
    _preview_indicators(parsed, state, result, work)
    meter.advance(len(parsed.indicators))
    _preview_targets(parsed, state, result, work)
    meter.advance(len(parsed.targets))
    can_review = _can_review(acting_user, plan, system)
    _preview_measurements(parsed, state, result, work, acting_user, can_review)
    meter.finish()
    result.rows.sort(key=lambda r: (SHEETS.index(r.sheet), r.row))
    errors.sort(key=lambda e: (SHEETS.index(e.sheet) if e.sheet in SHEETS else -1, e.row or 0))
    return result


def _preview_plan(parsed, state, result, work, acting_user, system) -> None:
    data, rows, plan = parsed.plan, parsed.plan_rows, state.plan
    if not data.get("slug"):
        return
    values: dict[str, Any] = {}
    simple = {
        "title": "title",
        "short_title": "short_title",
        "period_start": "period_start",
        "period_end": "period_end",
        "status": "status",
        "level_names": "level_names",
        "source": "source_title",
        "description": "description",
        "adopted_on": "adopted_on",
        "adopted_by": "adopted_by",
        "source_file": "source_file",
        "source_publisher": "source_publisher",
        "source_section": "source_section",
    }
    for key, attr in simple.items():
        if key in data:
            values[attr] = data[key]
    if data.get("jurisdiction"):
        try:
            place = resolve_jurisdiction(data["jurisdiction"])
            values["country_id"] = place["country"].pk if place["country"] else None
            values["subregion_id"] = place["subregion"].pk if place["subregion"] else None
        except DomainError:
            result.errors.append(
                CellError(
                    "plan",
                    rows["jurisdiction"],
                    "jurisdiction",
                    "expected an ISO country code (CL), a subregion key (andean) or LAC, "
                    f"not {data['jurisdiction']!r}",
                )
            )
    if "parent" in data:
        parent_id = None
        if data["parent"]:
            parent = Plan.objects.filter(slug=data["parent"]).first()
            if parent is None or parent.slug == data["slug"]:
                result.errors.append(
                    CellError(
                        "plan",
                        rows["parent"],
                        "parent",
                        f"expected the slug of another existing plan, not {data['parent']!r}",
                    )
                )
            else:
                parent_id = parent.pk
        values["parent_id"] = parent_id
    if plan is None:
        work.plan_values = values
        result.rows.append(RowAction("plan", rows.get("slug", 1), data["slug"], "create"))
        return
    current = {attr: getattr(plan, attr) for attr in values}
    changes = _diff(current, values)
    work.plan_values, work.plan_changes = values, changes
    if (
        "status" in changes
        and not system
        and (acting_user is None or not acting_user.has_perm("plans.approve_plan", plan))
    ):
        result.errors.append(
            CellError(
                "plan",
                rows["status"],
                "status",
                f"only an administrator may change a plan's status (it is {plan.status})",
            )
        )
    result.rows.append(
        RowAction(
            "plan",
            rows.get("slug", 1),
            data["slug"],
            "update" if changes else "unchanged",
            changes,
        )
    )


def _preview_organizations(parsed, result, work) -> None:
    names = []
    for node in parsed.nodes:
        names.extend(node["responsible"] + node["support"])
    names = list(dict.fromkeys(names))
    if not names:
        return
    found = list(
        Organization.objects.filter(Q(key__in=names) | Q(name__in=names)).values_list("key", "name")
    )
    by_key = {k for k, _ in found}
    by_name: dict[str, list[str]] = defaultdict(list)
    for key, name in found:
        by_name[name].append(key)
    taken = set(by_key)
    for name in names:
        if name in by_key:
            work.org_keys[name] = name
            result.organizations.append((name, "matched", name))
        elif len(by_name.get(name, [])) == 1:
            work.org_keys[name] = by_name[name][0]
            result.organizations.append((name, "matched", by_name[name][0]))
        elif by_name.get(name):
            row = next(n["_row"] for n in parsed.nodes if name in n["responsible"] + n["support"])
            result.errors.append(
                CellError(
                    "nodes",
                    row,
                    "responsible",
                    f"{name!r} names {len(by_name[name])} organizations; use its key "
                    f"({', '.join(sorted(by_name[name]))})",
                )
            )
        else:
            base = (slugify(name) or "organizacion")[:70]
            key, n = base, 1
            while key in taken or Organization.objects.filter(key=key).exists():
                n += 1
                key = f"{base}-{n}"
            taken.add(key)
            work.org_keys[name] = key
            work.new_organizations[key] = name[:300]
            result.organizations.append((name, "created", key))


def _preview_nodes(parsed, state, result, work) -> None:
    errors = result.errors
    file_nodes = {n["key"]: n for n in parsed.nodes if n["key"]}
    by_code: dict[str, list[str]] = defaultdict(list)
    for n in parsed.nodes:
        by_code[normalize_code(n["code"])].append(n["key"])
    id_to_key = {n.pk: k for k, n in state.nodes.items()}
    parents: dict[str, str] = {}
    for key, node in state.nodes.items():
        if key not in file_nodes:
            parents[key] = id_to_key.get(node.parent_id, "")
    for node in parsed.nodes:
        parent = node["parent"]
        if parent and parent not in file_nodes and parent not in state.nodes:
            candidates = by_code.get(parent, [])
            if len(candidates) == 1:
                parent = node["parent"] = candidates[0]
            else:
                errors.append(
                    CellError(
                        "nodes",
                        node["_row"],
                        "parent_code",
                        f"expected the code of a node of this plan, not {parent!r} "
                        "(no such node in the sheet or the plan)",
                    )
                )
                node["_ok"] = False
                parent = ""
        parents[node["key"]] = parent
    work.node_parents = parents
    depths: dict[str, int] = {}
    in_cycle: set[str] = set()
    for start in parents:
        path, key = [], start
        while key and key not in depths and key not in path:
            path.append(key)
            key = parents.get(key, "")
        if key in path:  # a cycle: every node on it is refused
            cycle = path[path.index(key) :]
            for k in cycle:
                if k not in in_cycle and k in file_nodes:
                    in_cycle.add(k)
                    errors.append(
                        CellError(
                            "nodes",
                            file_nodes[k]["_row"],
                            "parent_code",
                            "the tree has a cycle: " + " → ".join([*cycle, cycle[0]]),
                        )
                    )
            for k in path:
                depths[k] = -1
            continue
        base = depths.get(key, -1) + 1 if key else 0
        if key and depths.get(key) == -1:
            base = -1
        for k in reversed(path):
            depths[k] = base
            base = base + 1 if base >= 0 else -1
    siblings: dict[str, list] = defaultdict(list)
    for node in parsed.nodes:
        if node["key"]:
            existing = state.nodes.get(node["key"])
            siblings[parents.get(node["key"], "")].append(
                (node["key"], existing.position if existing else None)
            )
    positions = {}
    for items in siblings.values():
        positions.update(_positions(items))
    columns = parsed.columns.get("nodes", set())
    optional = [
        c
        for c in (
            "description",
            "expected_result",
            "due_date",
            "horizon",
            "weight",
            "level_label",
            "responsible_text",
            "due_text",
            "source_ref",
            "note",
        )
        if c in columns
    ]
    for node in parsed.nodes:
        key = node["key"]
        if not key:
            continue
        depth = depths.get(key, 0)
        if depth >= MAX_TREE_DEPTH:
            errors.append(
                CellError(
                    "nodes",
                    node["_row"],
                    "parent_code",
                    f"expected at most {MAX_TREE_DEPTH} levels; this node is at level {depth + 1}",
                )
            )
            node["_ok"] = False
        if not node.get("_ok") or key in in_cycle:
            continue
        values = {
            "code": node["code"],
            "title": node["title"],
            "parent": parents.get(key, ""),
            "depth": max(depth, 0),
            "position": positions[key],
        }
        for column in optional:
            values[column] = node[column]
        roles = {}
        if "responsible" in columns:
            roles["lead"] = {work.org_keys.get(n, "") for n in node["responsible"]}
        if "support" in columns:
            roles["support"] = {work.org_keys.get(n, "") for n in node["support"]}
        work.responsibilities[key] = roles
        existing = state.nodes.get(key)
        if existing is None:
            work.nodes.append((node, values, []))
            result.rows.append(RowAction("nodes", node["_row"], key, "create"))
            continue
        current = {k: getattr(existing, k) for k in values if k != "parent"}
        current["parent"] = id_to_key.get(existing.parent_id, "")
        changes = _diff(current, values)
        held = state.responsibilities.get(existing.pk, set())
        for role, wanted in roles.items():
            if {k for k, r in held if r == role} != wanted:
                changes.append("responsible" if role == "lead" else "support")
        work.nodes.append((node, values, changes))
        result.rows.append(
            RowAction("nodes", node["_row"], key, "update" if changes else "unchanged", changes)
        )


def _preview_indicators(parsed, state, result, work) -> None:
    columns = parsed.columns.get("indicators", set())
    file_nodes = {n["key"] for n in parsed.nodes if n["key"]}
    node_keys = {n.pk: k for k, n in state.nodes.items()}
    by_code: dict[str, list[str]] = defaultdict(list)
    for n in parsed.nodes:
        by_code[normalize_code(n["code"])].append(n["key"])
    groups: dict[str, list] = defaultdict(list)
    for ind in parsed.indicators:
        node = ind["node"]
        if node and node not in file_nodes and node not in state.nodes:
            if len(by_code.get(node, [])) == 1:
                ind["node"] = by_code[node][0]
            else:
                result.errors.append(
                    CellError(
                        "indicators",
                        ind["_row"],
                        "node_code",
                        f"expected the code of a node of this plan or empty, not {node!r}",
                    )
                )
                ind["_ok"] = False
        existing = state.indicators.get(ind["code"])
        groups[ind["node"]].append((ind["code"], existing.position if existing else None))
    positions = {}
    for items in groups.values():
        positions.update(_positions(items))
    optional = [
        c
        for c in (
            "unit",
            "measure",
            "direction",
            "baseline_value",
            "baseline_date",
            "weight",
            "description",
            "source_ref",
            "note",
        )
        if c in columns
    ]
    for ind in parsed.indicators:
        if not ind.get("_ok"):
            continue
        values = {
            "name": ind["name"],
            "kind": ind["kind"],
            "node": ind["node"],
            "position": positions[ind["code"]],
        }
        for column in optional:
            values[column] = ind[column]
        existing = state.indicators.get(ind["code"])
        if existing is None:
            work.indicators.append((ind, values, []))
            result.rows.append(RowAction("indicators", ind["_row"], ind["code"], "create"))
            continue
        current = {k: getattr(existing, k) for k in values if k != "node"}
        current["node"] = node_keys.get(existing.node_id, "")
        changes = _diff(current, values)
        if "kind" in changes and existing.pk in state.indicators_with_measurements:
            result.errors.append(
                CellError(
                    "indicators",
                    ind["_row"],
                    "kind",
                    f"this indicator has measurements; its kind stays {existing.kind}",
                )
            )
            continue
        work.indicators.append((ind, values, changes))
        result.rows.append(
            RowAction(
                "indicators",
                ind["_row"],
                ind["code"],
                "update" if changes else "unchanged",
                changes,
            )
        )


def _indicator_kinds(parsed, state) -> dict[str, tuple[str, str]]:
    """Indicator code → (kind, metric) from the file, else from the database."""
    kinds = {code: (i.kind, i.metric) for code, i in state.indicators.items()}
    for ind in parsed.indicators:
        if ind.get("_ok"):
            metric = state.indicators[ind["code"]].metric if ind["code"] in state.indicators else ""
            kinds[ind["code"]] = (ind["kind"], metric)
    return kinds


def _preview_targets(parsed, state, result, work) -> None:
    kinds = _indicator_kinds(parsed, state)
    columns = parsed.columns.get("targets", set())
    invalid = {i["code"] for i in parsed.indicators} - set(kinds)  # refused on their own row
    for target in parsed.targets:
        code = target["indicator"]
        if code in invalid:
            continue
        if code and code not in kinds:
            result.errors.append(
                CellError(
                    "targets",
                    target["_row"],
                    "indicator_code",
                    f"expected the code of an indicator of this plan, not {code!r}",
                )
            )
            continue
        if not target.get("_ok"):
            continue
        values = {c: target[c] for c in ("value", "text") if c in columns}
        key = (code, target["due_date"])
        existing = state.targets.get(key)
        label = f"{code} {target['due_date'] or ''}".strip()
        if existing is None:
            work.targets.append((target, values, []))
            result.rows.append(RowAction("targets", target["_row"], label, "create"))
            continue
        changes = _diff({k: getattr(existing, k) for k in values}, values)
        work.targets.append((target, values, changes))
        result.rows.append(
            RowAction(
                "targets", target["_row"], label, "update" if changes else "unchanged", changes
            )
        )


def _preview_measurements(parsed, state, result, work, acting_user, can_review) -> None:
    kinds = _indicator_kinds(parsed, state)
    columns = parsed.columns.get("measurements", set())
    today = timezone.localdate()
    errors = result.errors
    user_id = getattr(acting_user, "pk", None)
    from limpia.access.rules import is_admin

    admin = acting_user is not None and acting_user.is_authenticated and is_admin(acting_user)
    refusal = (
        "only an administrator or a reviewer of this plan may import {status} measurements "
        "(the import is then their review); import them as submitted for a reviewer to approve"
    )
    invalid = {i["code"] for i in parsed.indicators} - set(kinds)  # refused on their own row
    for m in parsed.measurements:
        row, code = m["_row"], m["indicator"]
        if code in invalid:
            continue
        if code and code not in kinds:
            errors.append(
                CellError(
                    "measurements",
                    row,
                    "indicator_code",
                    f"expected the code of an indicator of this plan, not {code!r}",
                )
            )
            continue
        if not m.get("_ok"):
            continue
        kind, metric = kinds[code]
        ok = True
        if metric:
            errors.append(
                CellError(
                    "measurements",
                    row,
                    "indicator_code",
                    f"indicator {code} is computed from data ({metric}); it takes no measurements",
                )
            )
            continue
        if m["date"] > today:
            errors.append(
                CellError("measurements", row, "date", "expected a date not in the future")
            )
            ok = False
        elif m["date"] < EARLIEST:
            errors.append(CellError("measurements", row, "date", "expected a date after 1900"))
            ok = False
        value, text = None, ""
        if kind == "qualitative":
            text = parse_text(m["value"])
            if m["text"] and m["text"] != text:
                errors.append(
                    CellError(
                        "measurements",
                        row,
                        "text",
                        "a qualitative indicator's text goes in value; leave text empty",
                    )
                )
                continue
        else:
            text = m["text"]
            try:
                value = parse_decimal(m["value"])
            except CellValueError as exc:
                errors.append(CellError("measurements", row, "value", str(exc)))
                continue
            if kind == "milestone" and value not in (Decimal(0), Decimal(1)):
                errors.append(
                    CellError(
                        "measurements",
                        row,
                        "value",
                        f"a milestone's value is 1 (done) or 0 (not done), not {value}",
                    )
                )
                continue
            if value is not None and abs(value) >= Decimal(10) ** 14:
                errors.append(CellError("measurements", row, "value", "the number is too large"))
                continue
            if value is not None and significant_digits(value) > SIGNIFICANT_DIGITS:
                errors.append(
                    CellError("measurements", row, "value", TOO_PRECISE.format(value=value))
                )
                continue
        if not ok:
            continue
        values = {"value": value, "status": m["status"]}
        if kind == "qualitative" or "text" in columns:  # older files have no text column
            values["text"] = text
        for column in ("comment", "evidence_url"):
            if column in columns:
                values[column] = m[column]
        key = (code, m["date"], m["dkey"])
        existing = state.measurements.get(key)
        label = f"{code} {m['date'].isoformat()}" + (f" {m['dkey']}" if m["disaggregation"] else "")
        if existing is None:
            changes = []
            reviewed = m["status"] in REVIEWED_STATUSES
        else:
            changes = _diff({k: getattr(existing, k) for k in values}, values)
            reviewed = bool(changes) and (
                m["status"] in REVIEWED_STATUSES or existing.status in REVIEWED_STATUSES
            )
        if reviewed and not can_review:
            errors.append(
                CellError(
                    "measurements",
                    row,
                    "status",
                    refusal.format(status=m["status"] if existing is None else existing.status),
                )
            )
            continue
        if (
            existing is not None
            and "status" in changes
            and m["status"] in REVIEWED_STATUSES
            and not admin
            and user_id is not None
            and user_id in (existing.created_by_id, existing.submitted_by_id)
        ):
            errors.append(
                CellError(
                    "measurements",
                    row,
                    "status",
                    "you submitted this measurement; another reviewer must review it",
                )
            )
            continue
        work.measurements.append((m, values, changes))
        action = "create" if existing is None else ("update" if changes else "unchanged")
        result.rows.append(RowAction("measurements", row, label, action, changes))


# ---------------------------------------------------------------- permission and writing


def check_permission(parsed: ParsedPlan, state: PlanState, acting_user) -> None:
    """plans.add_plan for a new plan, plans.change_plan on an existing one."""
    if state.plan is None:
        require_perm(acting_user, "plans.add_plan")
    else:
        require_perm(acting_user, "plans.change_plan", state.plan)


def apply(parsed: ParsedPlan, *, acting_user, system: bool = False) -> Preview:
    """Write the workbook in one transaction; raise ImportRefused (nothing written) on errors.

    `system=True` is the terminal's import: trusted like `limpia loadplans`, it needs no user.
    """
    if not system and acting_user is None:
        raise DomainError("An import needs the user who makes it.", code="permission_denied")
    with change_source(Source.IMPORT), transaction.atomic():
        state = load_state(parsed.slug, lock=True)
        if not system:
            check_permission(parsed, state, acting_user)
        result = preview(parsed, state, acting_user=acting_user, system=system)
        if result.errors or not parsed.slug:
            raise ImportRefused(result.errors)
        _write(result.work, parsed, state, acting_user)
    return result


def _attributed(instance, user) -> None:
    save_attributed(instance, acting_user=user, reason=REASON)


def _write(work: _Work, parsed: ParsedPlan, state: PlanState, user) -> None:
    now = timezone.now()
    user = user if getattr(user, "pk", None) else None
    meter = current_meter()
    before_measurements = 1 + len(work.nodes) + len(work.indicators) + len(work.targets)
    meter.phase("writing", before_measurements + len(work.measurements))
    # Plan
    plan = state.plan
    if plan is None:
        plan = Plan(slug=parsed.slug, **work.plan_values)
        if plan.status != "draft":
            plan.status_changed_at, plan.status_changed_by = now, user
        _attributed(plan, user)
    elif work.plan_changes:
        for attr in work.plan_changes:
            setattr(plan, attr, work.plan_values[attr])
        fields = list(work.plan_changes)
        if "status" in fields:
            plan.status_changed_at, plan.status_changed_by = now, user
            fields += ["status_changed_at", "status_changed_by"]
        plan.version += 1
        save_attributed(plan, acting_user=user, update_fields=[*fields, "version"], reason=REASON)
    # Organizations named as responsible that do not exist yet
    organizations = {}
    for key, name in work.new_organizations.items():
        org = Organization(
            key=key, name=name, kind=OrganizationKind.OTHER_BODY, country_id=plan.country_id
        )
        _attributed(org, user)
        organizations[key] = org
    wanted_keys = {
        k for roles in work.responsibilities.values() for ks in roles.values() for k in ks
    }
    for org in Organization.objects.filter(key__in=wanted_keys - set(organizations)):
        organizations[org.key] = org
    # Nodes, parents first
    nodes = dict(state.nodes)
    pending = list(work.nodes)
    order = {key: i for i, key in enumerate(_topological(work.node_parents))}
    pending.sort(key=lambda item: order.get(item[0]["key"], 0))
    for row, values, changes in pending:
        key = row["key"]
        parent = nodes.get(values["parent"]) if values["parent"] else None
        fields = {k: v for k, v in values.items() if k != "parent"}
        node = nodes.get(key)
        if node is None:
            node = Node(plan=plan, normalized_code=key, parent=parent, **fields)
            _attributed(node, user)
            nodes[key] = node
        elif changes:
            update = [c for c in changes if c not in ("responsible", "support")]
            for c in update:
                if c == "parent":
                    node.parent = parent
                else:
                    setattr(node, c, fields[c])
            node.version += 1  # the plan is locked: no other writer in between
            update = ["parent" if c == "parent" else c for c in update] + ["version"]
            save_attributed(node, acting_user=user, update_fields=update, reason=REASON)
        _write_responsibilities(node, work.responsibilities.get(key, {}), state, organizations)
    _refresh_depths(plan)
    # Indicators
    indicators = dict(state.indicators)
    for row, values, changes in work.indicators:
        fields = {k: v for k, v in values.items() if k != "node"}
        node = nodes.get(values["node"]) if values["node"] else None
        indicator = indicators.get(row["code"])
        if indicator is None:
            indicator = Indicator(plan=plan, code=row["code"], node=node, **fields)
            _attributed(indicator, user)
            indicators[row["code"]] = indicator
        elif changes:
            for c in changes:
                if c == "node":
                    indicator.node = node
                else:
                    setattr(indicator, c, fields[c])
            indicator.version += 1
            save_attributed(
                indicator, acting_user=user, update_fields=[*changes, "version"], reason=REASON
            )
    # Targets
    for row, values, changes in work.targets:
        existing = state.targets.get((row["indicator"], row["due_date"]))
        if existing is None:
            target = Target(
                indicator=indicators[row["indicator"]], due_date=row["due_date"], **values
            )
            _attributed(target, user)
        elif changes:
            for c in changes:
                setattr(existing, c, values[c])
            existing.version += 1
            save_attributed(
                existing, acting_user=user, update_fields=[*changes, "version"], reason=REASON
            )
    meter.advance(before_measurements)
    _write_measurements(work, state, indicators, user, now)
    meter.finish()


def _topological(parents: dict[str, str]) -> list[str]:
    depth_cache: dict[str, int] = {}

    def depth(key, seen=()):
        if key in depth_cache:
            return depth_cache[key]
        parent = parents.get(key, "")
        d = 0 if not parent or parent in seen else depth(parent, (*seen, key)) + 1
        depth_cache[key] = d
        return d

    return sorted(parents, key=depth)


def _write_responsibilities(node, roles: dict[str, set[str]], state, organizations) -> None:
    if not roles:
        return
    held = (
        {
            (r.organization.key, r.role): r
            for r in node.responsibilities.select_related("organization")
        }
        if node.pk in state.responsibilities
        else {}
    )
    wanted = {(key, role) for role, keys in roles.items() for key in keys if key}
    for (key, role), responsibility in held.items():
        if role in roles and (key, role) not in wanted:
            responsibility.delete()
    held_orgs = {key for key, role in held if role not in roles or (key, role) in wanted}
    for key, role in sorted(wanted):
        if (key, role) not in held:
            if key in held_orgs:  # an organization moves between lead and support
                node.responsibilities.filter(organization__key=key).delete()
            NodeResponsibility.objects.create(node=node, organization=organizations[key], role=role)


def _refresh_depths(plan: Plan) -> None:
    nodes = list(Node.objects.filter(plan=plan).only("id", "parent_id", "depth"))
    by_id = {n.pk: n for n in nodes}
    changed = []
    cache: dict[int, int] = {}

    def depth(node) -> int:
        if node.pk in cache:
            return cache[node.pk]
        d = 0 if node.parent_id is None else depth(by_id[node.parent_id]) + 1
        cache[node.pk] = d
        return d

    for node in nodes:
        if node.depth != depth(node):
            node.depth = cache[node.pk]
            changed.append(node)
    Node.objects.bulk_update(changed, ["depth"])


def _write_measurements(work, state, indicators, user, now) -> None:
    creates, updates, update_fields = [], [], set()
    for row, values, changes in work.measurements:
        status = values["status"]
        existing = state.measurements.get((row["indicator"], row["date"], row["dkey"]))
        if existing is None:
            m = Measurement(
                indicator=indicators[row["indicator"]],
                date=row["date"],
                disaggregation=row["disaggregation"],
                created_by=user,
                **values,
            )
            if status in ("submitted", *REVIEWED_STATUSES):
                m.submitted_at, m.submitted_by = now, user
            if status in REVIEWED_STATUSES:
                m.reviewed_at, m.reviewed_by = now, user
            m._history_user = user
            m._change_reason = REASON
            creates.append(m)
        elif changes:
            for c in changes:
                setattr(existing, c, values[c])
            existing.version += 1
            update_fields.update([*changes, "version"])
            if "status" in changes:
                if status == "submitted" or (
                    status in REVIEWED_STATUSES and existing.submitted_at is None
                ):
                    existing.submitted_at, existing.submitted_by = now, user
                    update_fields.update({"submitted_at", "submitted_by"})
                if status in REVIEWED_STATUSES:
                    existing.reviewed_at, existing.reviewed_by = now, user
                    update_fields.update({"reviewed_at", "reviewed_by"})
            existing._history_user = user
            updates.append(existing)
    meter = current_meter()
    meter.advance(len(work.measurements) - len(creates) - len(updates))  # unchanged
    for start in range(0, len(creates), BATCH):
        batch = creates[start : start + BATCH]
        bulk_create_tracked(batch, Measurement, user=user, reason=REASON)
        meter.advance(len(batch))
    for start in range(0, len(updates), BATCH):
        batch = updates[start : start + BATCH]
        bulk_update_with_history(
            batch,
            Measurement,
            sorted(update_fields),
            batch_size=BATCH,
            default_user=user,
            default_change_reason=REASON,
        )
        meter.advance(len(batch))
