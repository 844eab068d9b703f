"""Load the transcribed source plans (data/plans/*.yaml) into the database.

Stable keys make loading idempotent: a plan is found by its slug, a node by its normalized code
within the plan, an indicator by its code within the plan, an organization by its key. Every
file is validated before anything is written; then one transaction writes only what changed,
so a second load writes nothing. The file format is described in docs/source-data.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from limpia.core.errors import DomainError
from limpia.core.models import Country, Organization, OrganizationKind
from limpia.core.places import resolve_jurisdiction
from limpia.plans.models import (
    MAX_TREE_DEPTH,
    ComputedMetric,
    Direction,
    Horizon,
    Indicator,
    IndicatorKind,
    Measure,
    Node,
    NodeResponsibility,
    Plan,
    PlanStatus,
    ResponsibilityRole,
    Target,
)

PLANS_DIR = resources.files("limpia") / "data" / "plans"


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def count(self, bucket: str, model: str) -> None:
        counts = getattr(self, bucket)
        counts[model] = counts.get(model, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def summary(self) -> str:
        def fmt(counts):
            return ", ".join(f"{n} {m}" for m, n in sorted(counts.items())) or "nothing"

        return (
            f"created {fmt(self.created)}; updated {fmt(self.updated)}; deleted {fmt(self.deleted)}"
        )


class SourceFileError(DomainError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors), code="invalid_source_file")
        self.errors = errors


def normalize_code(code: str) -> str:
    return str(code).strip().rstrip(".").strip()


# ---------------------------------------------------------------- validation


class _Checker:
    def __init__(self, filename: str):
        self.filename = filename
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{self.filename}: {where}: {message}")

    def text(self, data: dict, key: str, where: str, *, required=False, max_length=None) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(where, f"'{key}' is required")
            return ""
        if not isinstance(value, str | int | float):
            self.error(where, f"'{key}' must be text, not {type(value).__name__}")
            return ""
        value = str(value).strip()
        if required and not value:
            self.error(where, f"'{key}' cannot be empty")
        if max_length and len(value) > max_length:
            self.error(where, f"'{key}' is longer than {max_length} characters")
        return value

    def date(self, data: dict, key: str, where: str, *, required=False) -> dt.date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(where, f"'{key}' is required (an ISO date, YYYY-MM-DD)")
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.error(where, f"'{key}' must be an ISO date (YYYY-MM-DD), not {value!r}")
            return None

    def decimal(self, data: dict, key: str, where: str) -> Decimal | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            self.error(where, f"'{key}' must be a number, not {value!r}")
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            self.error(where, f"'{key}' must be a number, not {value!r}")
            return None

    def choice(self, data: dict, key: str, where: str, choices, default: str = "") -> str:
        value = data.get(key)
        if value in (None, ""):
            return default
        if value not in choices.values:
            allowed = ", ".join(choices.values)
            self.error(where, f"'{key}' must be one of {allowed}, not {value!r}")
            return default
        return value


def _parse_indicator(check: _Checker, data: dict, where: str) -> dict[str, Any]:
    code = check.text(data, "code", where, required=True, max_length=40)
    where = f"{where} indicator {code}"
    kind = check.choice(data, "kind", where, IndicatorKind, IndicatorKind.QUANTITY)
    baseline = data.get("baseline") or {}
    targets = []
    for i, target in enumerate(data.get("targets") or [], 1):
        t_where = f"{where} target {i}"
        value = check.decimal(target, "value", t_where)
        due = check.date(target, "due_date", t_where)
        text = check.text(target, "text", t_where)
        if value is None and due is None and not text:
            check.error(t_where, "a target needs a value, a due date or its text")
        targets.append({"value": value, "due_date": due, "text": text})
    dates = [t["due_date"] for t in targets if t["due_date"]]
    if len(dates) != len(set(dates)):
        check.error(where, "two targets share a due date")
    metric, params = "", {}
    if data.get("metric"):
        spec = dict(data["metric"]) if isinstance(data["metric"], dict) else {}
        metric = spec.pop("name", "")
        if metric not in ComputedMetric.values:
            allowed = ", ".join(ComputedMetric.values)
            check.error(where, f"'metric.name' must be one of {allowed}, not {metric!r}")
        params = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in spec.items()}
        unknown = set(params) - {
            "since",
            "country",
            "sizes",
            "sector",
            "subdivision",
            "kind",
            "language",
            "key",
            "body",
            "kinds",
        }
        if unknown:
            check.error(where, f"unknown metric parameters: {', '.join(sorted(unknown))}")
        if "since" in params:
            try:
                dt.date.fromisoformat(str(params["since"]))
            except ValueError:
                check.error(where, f"'metric.since' must be an ISO date, not {params['since']!r}")
        if "sizes" in params and not isinstance(params["sizes"], list):
            check.error(where, "'metric.sizes' must be a list of company sizes")
    return {
        "code": code,
        "name": check.text(data, "name", where, required=True),
        "description": check.text(data, "description", where),
        "metric": metric,
        "metric_params": params,
        "kind": kind,
        "unit": check.text(data, "unit", where, max_length=60),
        "measure": check.choice(data, "measure", where, Measure, Measure.LEVEL),
        "direction": check.choice(data, "direction", where, Direction, Direction.INCREASE),
        "baseline_value": check.decimal(baseline, "value", where + " baseline"),
        "baseline_date": check.date(baseline, "date", where + " baseline"),
        "weight": check.decimal(data, "weight", where) or Decimal(1),
        "source_ref": check.text(data, "source", where, max_length=500),
        "note": check.text(data, "note", where),
        "targets": targets,
    }


def _parse_node(check, data, where, organization_keys, seen_codes) -> dict[str, Any]:
    code = check.text(data, "code", where, required=True, max_length=40)
    normalized = normalize_code(data.get("normalized_code") or code)
    where = f"{where} node {normalized}"
    if normalized in seen_codes:
        check.error(where, f"normalized code {normalized!r} is used twice in this plan")
    seen_codes.add(normalized)
    responsible = []
    for entry in data.get("responsible") or []:
        key = entry.get("org") if isinstance(entry, dict) else None
        role = entry.get("role", "lead") if isinstance(entry, dict) else None
        if key not in organization_keys:
            check.error(where, f"responsible organization {key!r} is not in 'organizations'")
        elif role not in ResponsibilityRole.values:
            check.error(where, f"responsible role must be lead or support, not {role!r}")
        else:
            responsible.append((key, role))
    return {
        "code": code,
        "normalized_code": normalized,
        "level_label": check.text(data, "level_name", where, max_length=80),
        "title": check.text(data, "title", where, required=True),
        "description": check.text(data, "description", where),
        "expected_result": check.text(data, "expected_result", where),
        "responsible_text": check.text(data, "responsible_text", where),
        "horizon": check.choice(data, "horizon", where, Horizon),
        "due_date": check.date(data, "due_date", where),
        "due_text": check.text(data, "due_text", where, max_length=300),
        "resources_local": check.text(data, "resources_local", where),
        "resources_cooperation": check.text(data, "resources_cooperation", where),
        "weight": check.decimal(data, "weight", where) or Decimal(1),
        "source_ref": check.text(data, "source", where, max_length=500),
        "note": check.text(data, "note", where),
        "responsible": responsible,
        "indicators": [_parse_indicator(check, ind, where) for ind in data.get("indicators") or []],
        "children": [
            _parse_node(check, child, where, organization_keys, seen_codes)
            for child in data.get("children") or []
        ],
    }


def parse_plan_file(path: Path | Any) -> tuple[dict[str, Any], list[str]]:
    """Read and validate one file; returns the cleaned plan and the list of errors."""
    check = _Checker(path.name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return {}, [f"{path.name}: not valid YAML: {exc}"]
    if not isinstance(data, dict):
        return {}, [f"{path.name}: the file must hold one plan (a mapping)"]
    slug = check.text(data, "slug", "plan", required=True, max_length=80)
    source = data.get("source") or {}
    organizations = {}
    for i, org in enumerate(data.get("organizations") or [], 1):
        where = f"organizations[{i}]"
        key = check.text(org, "key", where, required=True, max_length=80)
        organizations[key] = {
            "name": check.text(org, "name", where, required=True, max_length=300),
            "acronym": check.text(org, "acronym", where, max_length=40),
            "kind": check.choice(org, "kind", where, OrganizationKind, OrganizationKind.OTHER_BODY),
            "country": check.text(org, "country", where, max_length=2),
        }
    seen_codes: set[str] = set()
    plan = {
        "slug": slug,
        "title": check.text(data, "title", "plan", required=True, max_length=500),
        "short_title": check.text(data, "short_title", "plan", max_length=120),
        "jurisdiction": check.text(data, "jurisdiction", "plan", required=True),
        "parent": check.text(data, "parent", "plan"),
        "period_start": check.date(data, "period_start", "plan", required=True),
        "period_end": check.date(data, "period_end", "plan", required=True),
        "status": check.choice(data, "status", "plan", PlanStatus, PlanStatus.DRAFT),
        "adopted_on": check.date(data, "approved_on", "plan"),
        "adopted_by": check.text(data, "approved_by", "plan", max_length=300),
        "level_names": [str(n) for n in data.get("level_names") or []],
        "description": check.text(data, "description", "plan"),
        "statements": data.get("statements") or [],
        "notes": [str(n) for n in data.get("notes") or []],
        "source_file": check.text(source, "file", "plan source", max_length=200),
        "source_title": check.text(source, "title", "plan source", max_length=500),
        "source_publisher": check.text(source, "publisher", "plan source", max_length=300),
        "source_section": check.text(source, "section", "plan source", max_length=300),
        "organizations": organizations,
        "indicators": [
            _parse_indicator(check, ind, "plan") for ind in data.get("indicators") or []
        ],
        "nodes": [
            _parse_node(check, node, "plan", organizations, seen_codes)
            for node in data.get("nodes") or []
        ],
    }
    if plan["period_start"] and plan["period_end"] and plan["period_end"] < plan["period_start"]:
        check.error("plan", "period_end is before period_start")
    codes = [i["code"] for i in _all_indicators(plan)]
    for code in {c for c in codes if codes.count(c) > 1}:
        check.error("plan", f"indicator code {code!r} is used twice")
    for code in _too_deep(plan["nodes"]):
        check.error(f"node {code}", f"plans cannot be deeper than {MAX_TREE_DEPTH} levels")
    return plan, check.errors


def _too_deep(nodes: list[dict], depth: int = 0) -> list[str]:
    """The normalized codes of the nodes that start a level below the deepest one allowed."""
    found = []
    for node in nodes:
        if depth >= MAX_TREE_DEPTH:
            found.append(node["normalized_code"])
        else:
            found.extend(_too_deep(node["children"], depth + 1))
    return found


def _all_indicators(plan: dict) -> list[dict]:
    found = list(plan["indicators"])

    def walk(nodes):
        for node in nodes:
            found.extend(node["indicators"])
            walk(node["children"])

    walk(plan["nodes"])
    return found


# ---------------------------------------------------------------- writing


def _upsert(report: LoadReport, model, lookup: dict, values: dict, reason: str = "loadplans"):
    """Create or update one row, saving only when something differs (`reason`: the command
    that did it, in the row's history)."""
    instance = model.objects.filter(**lookup).first()
    label = f"{model._meta.model_name}s"
    if instance is None:
        instance = model(**lookup, **values)
        instance._change_reason = reason
        instance.save()
        report.count("created", str(label))
        return instance
    changed = [k for k, v in values.items() if getattr(instance, k) != v]
    if changed:
        for k in changed:
            setattr(instance, k, values[k])
        instance._change_reason = reason
        instance.save(update_fields=changed)
        report.count("updated", str(label))
    return instance


def _jurisdiction(value: str, where: str, errors: list[str]) -> dict:
    try:
        return resolve_jurisdiction(value)
    except DomainError as exc:
        errors.append(f"{where}: {exc.message}")
        return {"country": None, "subregion": None}


def _write_indicator(report, plan_obj, node_obj, data, position) -> Indicator:
    values = {
        k: data[k]
        for k in (
            "name",
            "description",
            "kind",
            "unit",
            "measure",
            "direction",
            "baseline_value",
            "baseline_date",
            "weight",
            "source_ref",
            "note",
            "metric",
            "metric_params",
        )
    }
    indicator = _upsert(
        report,
        Indicator,
        {"plan": plan_obj, "code": data["code"]},
        {**values, "node": node_obj, "position": position},
    )
    wanted = [(t["value"], t["due_date"], t["text"]) for t in data["targets"]]
    current = [(t.value, t.due_date, t.text) for t in indicator.targets.order_by("due_date", "id")]
    normalize = [(v if v is None else Decimal(v).normalize(), d, t) for v, d, t in wanted]
    current_normalized = [(v if v is None else v.normalize(), d, t) for v, d, t in current]
    if sorted(normalize, key=repr) != sorted(current_normalized, key=repr):
        deleted, _ = indicator.targets.all().delete()
        if deleted:
            report.deleted["targets"] = report.deleted.get("targets", 0) + deleted
        for value, due, text in wanted:
            Target.objects.create(indicator=indicator, value=value, due_date=due, text=text)
            report.count("created", "targets")
    return indicator


def _write_plan(report: LoadReport, data: dict, organizations: dict, errors: list[str]) -> Plan:
    parent = Plan.objects.filter(slug=data["parent"]).first() if data["parent"] else None
    if data["parent"] and parent is None:
        errors.append(f"{data['slug']}: parent plan {data['parent']!r} does not exist")
    values = {
        k: data[k]
        for k in (
            "title",
            "short_title",
            "period_start",
            "period_end",
            "status",
            "adopted_on",
            "adopted_by",
            "level_names",
            "description",
            "statements",
            "notes",
            "source_file",
            "source_title",
            "source_publisher",
            "source_section",
        )
    }
    values.update(_jurisdiction(data["jurisdiction"], data["slug"], errors))
    values.update({"parent": parent, "is_transcription": True})
    plan = _upsert(report, Plan, {"slug": data["slug"]}, values)

    kept_nodes: set[int] = set()
    kept_indicators: set[int] = set()
    for position, ind in enumerate(data["indicators"]):
        kept_indicators.add(_write_indicator(report, plan, None, ind, position).pk)

    def write_nodes(nodes, parent_node, depth):
        for position, node in enumerate(nodes):
            values = {
                k: node[k]
                for k in (
                    "code",
                    "level_label",
                    "title",
                    "description",
                    "expected_result",
                    "responsible_text",
                    "horizon",
                    "due_date",
                    "due_text",
                    "resources_local",
                    "resources_cooperation",
                    "weight",
                    "source_ref",
                    "note",
                )
            }
            values.update({"parent": parent_node, "depth": depth, "position": position})
            obj = _upsert(
                report, Node, {"plan": plan, "normalized_code": node["normalized_code"]}, values
            )
            kept_nodes.add(obj.pk)
            wanted = {(organizations[key].pk, role) for key, role in node["responsible"]}
            current = set(obj.responsibilities.values_list("organization_id", "role"))
            if wanted != current:
                obj.responsibilities.all().delete()
                NodeResponsibility.objects.bulk_create(
                    NodeResponsibility(node=obj, organization_id=org, role=role)
                    for org, role in sorted(wanted)
                )
                report.count("updated" if current else "created", "responsibilities")
            for i, ind in enumerate(node["indicators"]):
                kept_indicators.add(_write_indicator(report, plan, obj, ind, i).pk)
            write_nodes(node["children"], obj, depth + 1)

    write_nodes(data["nodes"], None, 0)
    stale_indicators = plan.indicators.exclude(pk__in=kept_indicators)
    with_data = stale_indicators.filter(measurements__isnull=False).distinct()
    for indicator in with_data:
        errors.append(
            f"{data['slug']}: indicator {indicator.code} is no longer in the file but has "
            "measurements; keep it in the file or remove its measurements first"
        )
    deleted, _ = stale_indicators.delete()
    deleted_nodes, _ = plan.nodes.exclude(pk__in=kept_nodes).delete()
    if deleted or deleted_nodes:
        report.deleted["rows"] = report.deleted.get("rows", 0) + deleted + deleted_nodes
    return plan


def _write_organizations(report, plans: list[dict], errors: list[str]) -> dict:
    merged: dict[str, dict] = {}
    for plan in plans:
        for key, org in plan["organizations"].items():
            if key in merged and merged[key]["name"] != org["name"]:
                report.warnings.append(
                    f"organization {key!r} is named {merged[key]['name']!r} and {org['name']!r}; "
                    "the first is kept"
                )
            merged.setdefault(key, org)
    result = {}
    for key, org in sorted(merged.items()):
        country = None
        if org["country"]:
            country = Country.objects.filter(code=org["country"]).first()
            if country is None:
                errors.append(f"organization {key}: unknown country {org['country']!r}")
        result[key] = _upsert(
            report,
            Organization,
            {"key": key},
            {
                "name": org["name"],
                "acronym": org["acronym"],
                "kind": org["kind"],
                "country": country,
            },
        )
    return result


def _ordered(plans: list[dict]) -> list[dict]:
    """Parents before their subplans."""
    by_slug = {p["slug"]: p for p in plans}

    def depth(plan, seen=()):
        parent = by_slug.get(plan["parent"])
        if parent is None or plan["slug"] in seen:
            return 0
        return 1 + depth(parent, (*seen, plan["slug"]))

    return sorted(plans, key=lambda p: (depth(p), p["slug"]))


def plan_files(directory=None) -> list:
    directory = directory or PLANS_DIR
    return sorted(
        (p for p in directory.iterdir() if p.name.endswith((".yaml", ".yml"))),
        key=lambda p: p.name,
    )


def load_plans(paths=None) -> LoadReport:
    """Validate all files, then write them in one transaction; raise SourceFileError on errors."""
    paths = list(paths) if paths is not None else plan_files()
    parsed, errors = [], []
    for path in paths:
        plan, file_errors = parse_plan_file(path)
        errors.extend(file_errors)
        parsed.append(plan)
    slugs = [p.get("slug") for p in parsed]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        errors.append(f"plan slug {slug!r} appears in more than one file")
    if errors:
        raise SourceFileError(errors)
    report = LoadReport()
    with transaction.atomic():
        organizations = _write_organizations(report, parsed, errors)
        for plan in _ordered(parsed):
            _write_plan(report, plan, organizations, errors)
        if errors:
            transaction.set_rollback(True)
            raise SourceFileError(errors)
    return report
