"""Plan trees with their progress, computed on read from rows fetched in a fixed number of queries.

The arithmetic lives in the pure module `limpia.progress`; this module only fetches rows
(5 queries for any number of plans and nodes), builds the trees and feeds the method.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch

from limpia import progress as method
from limpia.plans.models import Indicator, Node, NodeResponsibility, Plan


@dataclass
class IndicatorResult:
    indicator: Indicator
    result: method.IndicatorProgress

    sample_metrics: frozenset = frozenset()

    @property
    def includes_sample_data(self) -> bool:
        if self.indicator.metric:
            return self.indicator.metric in self.sample_metrics
        return any(m.is_sample for m in self.indicator.approved_measurements)


@dataclass
class NodeResult:
    node: Node
    rollup: method.Rollup
    indicators: list[IndicatorResult]
    children: list[NodeResult] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class PlanTree:
    plan: Plan
    as_of: date
    rollup: method.Rollup
    indicators: list[IndicatorResult]
    children: list[NodeResult]

    def walk(self):
        for child in self.children:
            yield from child.walk()

    def all_indicators(self):
        yield from self.indicators
        for node in self.walk():
            yield from node.indicators

    @property
    def includes_sample_data(self) -> bool:
        return any(item.includes_sample_data for item in self.all_indicators())


def indicator_spec(indicator: Indicator) -> method.IndicatorSpec:
    targets = tuple(
        method.Target(value=t.value, due_date=t.due_date)
        for t in indicator.targets.all()
        if t.value is not None and t.due_date is not None
    )
    return method.IndicatorSpec(
        kind=indicator.kind,
        measure=indicator.measure,
        direction=indicator.direction,
        baseline_value=indicator.baseline_value,
        baseline_date=indicator.baseline_date,
        targets=targets,
    )


def indicator_observations(indicator: Indicator, *, computed=None) -> list[method.Observation]:
    """The indicator's approved measurements, or, for a computed indicator (its `metric` set),
    the observations derived from the data (`computed`: the page's MetricData; one is built
    when not given)."""
    if indicator.metric:
        if computed is None:
            from limpia.agreements.metrics import MetricData

            computed = MetricData.for_indicators([indicator])
        return computed.observations(indicator.metric, indicator.metric_params, indicator.measure)
    return [
        method.Observation(date=m.date, value=m.value if m.value is not None else Decimal(0))
        for m in indicator.approved_measurements
    ]


def evaluate_indicator(
    indicator: Indicator, *, as_of: date, computed=None
) -> method.IndicatorProgress:
    """Progress of one indicator fetched with `Indicator.objects.with_progress_data()`."""
    observations = indicator_observations(indicator, computed=computed)
    return method.indicator_progress(
        indicator_spec(indicator),
        observations,
        as_of=as_of,
        plan_start=indicator.plan.period_start,
    )


def _build(
    plan: Plan, nodes: list[Node], indicators: list[Indicator], as_of: date, computed
) -> PlanTree:
    by_node: dict[int | None, list[IndicatorResult]] = defaultdict(list)
    for indicator in indicators:
        indicator.plan = plan  # share the instance instead of one per indicator
        by_node[indicator.node_id].append(
            IndicatorResult(
                indicator,
                evaluate_indicator(indicator, as_of=as_of, computed=computed),
                sample_metrics=computed.sample_metrics if computed else frozenset(),
            )
        )
    children_of: dict[int | None, list[Node]] = defaultdict(list)
    for node in nodes:
        node.plan = plan
        children_of[node.parent_id].append(node)

    def build(node: Node) -> NodeResult:
        children = [build(child) for child in children_of[node.pk]]
        own = by_node[node.pk]
        return NodeResult(
            node=node,
            indicators=own,
            children=children,
            rollup=method.rollup(
                indicators=[(i.indicator.weight, i.result, i.indicator.kind) for i in own],
                children=[(c.node.weight, c.rollup) for c in children],
            ),
        )

    top = [build(node) for node in children_of[None]]
    own = by_node[None]
    return PlanTree(
        plan=plan,
        as_of=as_of,
        indicators=own,
        children=top,
        rollup=method.rollup(
            indicators=[(i.indicator.weight, i.result, i.indicator.kind) for i in own],
            children=[(c.node.weight, c.rollup) for c in top],
        ),
    )


def plan_trees(plans: list[Plan], *, as_of: date) -> dict[int, PlanTree]:
    """The progress trees of several plans, in five queries whatever their size."""
    plan_ids = [p.pk for p in plans]
    responsibilities = NodeResponsibility.objects.select_related("organization").order_by(
        "role", "organization__name"
    )
    nodes = (
        Node.objects.filter(plan_id__in=plan_ids)
        .prefetch_related(Prefetch("responsibilities", queryset=responsibilities))
        .order_by("depth", "position", "id")
    )
    indicators = list(
        Indicator.objects.filter(plan_id__in=plan_ids)
        .with_progress_data()
        .select_related(None)
        .order_by("position", "id")
    )
    nodes_by_plan: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        nodes_by_plan[node.plan_id].append(node)
    indicators_by_plan: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in indicators:
        indicators_by_plan[indicator.plan_id].append(indicator)
    from limpia.agreements.metrics import MetricData

    # A fixed number of queries for every computed indicator of these plans together.
    computed = MetricData.for_indicators(indicators)
    return {
        plan.pk: _build(plan, nodes_by_plan[plan.pk], indicators_by_plan[plan.pk], as_of, computed)
        for plan in plans
    }


def plan_tree(plan: Plan, *, as_of: date) -> PlanTree:
    return plan_trees([plan], as_of=as_of)[plan.pk]
