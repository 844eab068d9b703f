"""The plan tree as JSON-ready dicts (GET /api/v1/plans/{slug}/tree/)."""

from decimal import Decimal

from limpia.plans.progress import IndicatorResult, NodeResult, PlanTree


def number(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 6))


def indicator_data(item: IndicatorResult) -> dict:
    indicator, result = item.indicator, item.result
    return {
        "code": indicator.code,
        "name": indicator.name,
        "kind": indicator.kind,
        "unit": indicator.unit,
        "measure": indicator.measure,
        "direction": indicator.direction,
        "baseline": {"value": number(result.baseline_value), "date": result.baseline_date},
        "targets": [
            {"value": number(t.value), "due_date": t.due_date, "text": t.text}
            for t in indicator.targets
        ],
        "current_value": number(result.current_value),
        "observed_on": result.observed_on,
        "progress": number(result.progress),
        "status": result.status,
        "forecast_value": number(result.forecast_value),
        "projected_date": result.projected_date,
        "late": result.late,
        "includes_sample_data": item.includes_sample_data,
    }


def _rollup_data(rollup) -> dict:
    return {
        "progress": number(rollup.progress),
        "coverage": number(rollup.coverage),
        "status_counts": {k: v for k, v in rollup.status_counts.items() if v},
    }


def node_data(item: NodeResult) -> dict:
    node = item.node
    return {
        "id": node.pk,
        "code": node.code,
        "normalized_code": node.normalized_code,
        "title": node.title,
        "level": node.level_name(),
        "depth": node.depth,
        "horizon": node.horizon,
        "due_date": node.effective_due_date(),
        "implementation_status": node.implementation_status,
        "responsible": [
            {"organization": r.organization.key, "name": r.organization.name, "role": r.role}
            for r in node.responsibilities
        ],
        **_rollup_data(item.rollup),
        "indicators": [indicator_data(i) for i in item.indicators],
        "children": [node_data(child) for child in item.children],
    }


def tree_data(tree: PlanTree, plan_fields: dict) -> dict:
    return {
        **plan_fields,
        "as_of": tree.as_of,
        "includes_sample_data": tree.includes_sample_data,
        **_rollup_data(tree.rollup),
        "indicators": [indicator_data(i) for i in tree.indicators],
        "children": [node_data(child) for child in tree.children],
    }
