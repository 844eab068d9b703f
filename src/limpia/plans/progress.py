"""Plan trees with their progress, computed on read from rows fetched in a fixed number of queries.

The arithmetic lives in the pure module `limpia.progress`; this module only fetches rows
(5 queries for any number of plans and nodes) as tuples, not model instances, builds the
trees and feeds the method. Measurements are streamed in indicator order and each indicator
is evaluated as soon as its own have been read: a tree holds results, not measurements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Case, F, Q, TextField, Value, When

from limpia import progress as method
from limpia.core.memory import collector_paused
from limpia.plans.models import (
    Horizon,
    ImplementationStatus,
    Indicator,
    IndicatorKind,
    Measurement,
    Node,
    NodeResponsibility,
    Plan,
    Target,
)


class NodeRow:
    """What a tree shows of a node, read as one row (a plan has thousands: no model instances)."""

    __slots__ = (  # noqa: RUF023 (FIELDS is their first part, in row order)
        "pk",
        "parent_id",
        "depth",
        "position",
        "code",
        "normalized_code",
        "level_label",
        "title",
        "horizon",
        "due_date",
        "implementation_status",
        "weight",
        "plan",
        "responsibilities",
    )
    FIELDS = __slots__[:12]

    def __init__(self, row: tuple, plan: Plan):
        (
            self.pk,
            self.parent_id,
            self.depth,
            self.position,
            self.code,
            self.normalized_code,
            self.level_label,
            self.title,
            self.horizon,
            self.due_date,
            self.implementation_status,
            self.weight,
        ) = row
        self.plan = plan
        self.responsibilities: list[ResponsibilityRow] = []

    @property
    def id(self) -> int:
        return self.pk

    def level_name(self) -> str:
        return self.level_label or self.plan.level_name(self.depth)

    def effective_due_date(self):
        return Node.effective_due_date(self)

    def get_horizon_display(self) -> str:
        return Horizon(self.horizon).label if self.horizon else ""

    def get_implementation_status_display(self) -> str:
        return ImplementationStatus(self.implementation_status).label


@dataclass(frozen=True, slots=True)
class OrganizationRow:
    key: str
    name: str
    acronym: str

    @property
    def label(self) -> str:
        return self.acronym or self.name

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ResponsibilityRow:
    organization: OrganizationRow
    role: str


class TargetRow(NamedTuple):
    value: Decimal | None
    due_date: date | None
    text: str


class MeasurementRow(NamedTuple):
    """An approved measurement of a qualitative indicator, its text included."""

    date: date
    value: Decimal | None
    is_sample: bool
    text: str


class IndicatorRow:
    """What a tree shows of an indicator, read as one row, with its targets and approved
    measurements as tuples."""

    __slots__ = (  # noqa: RUF023 (FIELDS is their first part, in row order)
        "pk",
        "node_id",
        "code",
        "name",
        "kind",
        "unit",
        "measure",
        "direction",
        "baseline_value",
        "baseline_date",
        "weight",
        "metric",
        "metric_params",
        "plan",
        "targets",
        "observations",
        "includes_sample_data",
        "approved_measurements",
    )
    FIELDS = __slots__[:13]

    def __init__(self, row: tuple, plan: Plan, targets, observations, sampled, measurements):
        (
            self.pk,
            self.node_id,
            self.code,
            self.name,
            self.kind,
            self.unit,
            self.measure,
            self.direction,
            self.baseline_value,
            self.baseline_date,
            self.weight,
            self.metric,
            self.metric_params,
        ) = row
        self.plan = plan
        self.targets: list[TargetRow] = targets
        self.observations: list[method.Observation] = observations
        self.includes_sample_data: bool = sampled
        self.approved_measurements: list[MeasurementRow] = measurements

    @property
    def id(self) -> int:
        return self.pk


class IndicatorResult:
    __slots__ = ("includes_sample_data", "indicator", "result")

    def __init__(self, indicator, result: method.IndicatorProgress, includes_sample_data: bool):
        self.indicator = indicator
        self.result = result
        self.includes_sample_data = includes_sample_data


@dataclass
class NodeResult:
    node: NodeRow
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
    # A summary tree (`summary_tree`) has no indicators: whether the data include sample data
    # comes stored with its rollups.
    stored_sample_data: bool | None = None
    summary: bool = False

    def walk(self):
        for child in self.children:
            yield from child.walk()

    def all_indicators(self):
        yield from self.indicators
        for node in self.walk():
            yield from node.indicators

    @property
    def includes_sample_data(self) -> bool:
        if self.stored_sample_data is not None:
            return self.stored_sample_data
        return any(item.includes_sample_data for item in self.all_indicators())


def indicator_spec(indicator) -> method.IndicatorSpec:
    """The method's view of an indicator (a model instance fetched with
    `Indicator.objects.with_progress_data()`, or an `IndicatorRow`)."""
    targets = indicator.targets
    if not isinstance(targets, list):
        targets = targets.all()
    return method.IndicatorSpec(
        kind=indicator.kind,
        measure=indicator.measure,
        direction=indicator.direction,
        baseline_value=indicator.baseline_value,
        baseline_date=indicator.baseline_date,
        targets=tuple(
            method.Target(value=t.value, due_date=t.due_date)
            for t in targets
            if t.value is not None and t.due_date is not None
        ),
    )


def indicator_observations(indicator, *, computed=None) -> list[method.Observation]:
    """The indicator's approved measurements, or, for a computed indicator (its `metric` set),
    the observations derived from the data (`computed`: the page's MetricData; one is built
    when not given)."""
    if indicator.metric:
        if computed is None:
            from limpia.agreements.metrics import MetricData

            computed = MetricData.for_indicators([indicator])
        return computed.observations(indicator.metric, indicator.metric_params, indicator.measure)
    if isinstance(indicator, IndicatorRow):
        return indicator.observations
    zero = Decimal(0)
    observation = method.Observation
    return [
        observation(m.date, zero if m.value is None else m.value)
        for m in indicator.approved_measurements
    ]


def evaluate_indicator(indicator, *, as_of: date, computed=None) -> method.IndicatorProgress:
    """Progress of one indicator fetched with `Indicator.objects.with_progress_data()`."""
    observations = indicator_observations(indicator, computed=computed)
    return method.indicator_progress(
        indicator_spec(indicator),
        observations,
        as_of=as_of,
        plan_start=indicator.plan.period_start,
    )


def _includes_sample_data(indicator, sample_metrics: frozenset) -> bool:
    if indicator.metric:
        return indicator.metric in sample_metrics
    return indicator.includes_sample_data


def _build(
    plan: Plan,
    nodes: list[NodeRow],
    indicators: list[IndicatorRow],
    results: dict[int, method.IndicatorProgress],
    as_of: date,
    computed,
) -> PlanTree:
    sample_metrics = computed.sample_metrics if computed else frozenset()
    by_node: dict[int | None, list[IndicatorResult]] = defaultdict(list)
    for indicator in indicators:
        by_node[indicator.node_id].append(
            IndicatorResult(
                indicator,
                results[indicator.pk],
                _includes_sample_data(indicator, sample_metrics),
            )
        )
    children_of: dict[int | None, list[NodeRow]] = defaultdict(list)
    for node in nodes:
        children_of[node.parent_id].append(node)

    def rolled(own: list[IndicatorResult], children: list[NodeResult]) -> method.Rollup:
        return method.rollup(
            indicators=[(i.indicator.weight, i.result, i.indicator.kind) for i in own],
            children=[(c.node.weight, c.rollup) for c in children],
        )

    def build(node: NodeRow) -> NodeResult:
        children = [build(child) for child in children_of[node.pk]]
        own = by_node[node.pk]
        return NodeResult(
            node=node, indicators=own, children=children, rollup=rolled(own, children)
        )

    top = [build(node) for node in children_of[None]]
    own = by_node[None]
    return PlanTree(plan=plan, as_of=as_of, indicators=own, children=top, rollup=rolled(own, top))


def _node_rows(plans: dict[int, Plan], nodes_filter=None) -> dict[int, list[NodeRow]]:
    """Each plan's nodes in tree order (those `nodes_filter`, a Q, keeps), with their
    responsible organizations (two queries)."""
    nodes: dict[int, NodeRow] = {}
    by_plan: dict[int, list[NodeRow]] = defaultdict(list)
    chosen = Node.objects.filter(plan_id__in=plans)
    if nodes_filter is not None:
        chosen = chosen.filter(nodes_filter)
    for plan_id, *row in chosen.order_by("depth", "position", "id").values_list(
        "plan_id", *("id" if f == "pk" else f for f in NodeRow.FIELDS)
    ):
        node = NodeRow(row, plans[plan_id])
        nodes[node.pk] = node
        by_plan[plan_id].append(node)
    organizations: dict[str, OrganizationRow] = {}
    for node_id, role, key, name, acronym in (
        NodeResponsibility.objects.filter(node__in=chosen.values("pk"))
        .order_by("role", "organization__name")
        .values_list(
            "node_id", "role", "organization__key", "organization__name", "organization__acronym"
        )
    ):
        organization = organizations.get(key)
        if organization is None:
            organization = organizations[key] = OrganizationRow(key, name, acronym)
        nodes[node_id].responsibilities.append(ResponsibilityRow(organization, role))
    return by_plan


def _indicator_rows(plans: dict[int, Plan], node_ids=None) -> dict[int, list[IndicatorRow]]:
    """Each plan's indicators (of the nodes `node_ids` when given) with their targets (two
    queries); their approved measurements are read by `_evaluate`."""
    scope = {"indicator__plan_id__in": plans}
    if node_ids is not None:
        scope["indicator__node_id__in"] = node_ids
    targets: dict[int, list[TargetRow]] = defaultdict(list)
    for indicator_id, *row in (
        Target.objects.filter(**scope)
        .order_by("due_date", "id")
        .values_list("indicator_id", "value", "due_date", "text")
    ):
        targets[indicator_id].append(TargetRow(*row))
    by_plan: dict[int, list[IndicatorRow]] = defaultdict(list)
    indicators = Indicator.objects.filter(plan_id__in=plans)
    if node_ids is not None:
        indicators = indicators.filter(node_id__in=node_ids)
    for plan_id, *row in indicators.order_by("position", "id").values_list(
        "plan_id", *("id" if f == "pk" else f for f in IndicatorRow.FIELDS)
    ):
        by_plan[plan_id].append(
            IndicatorRow(row, plans[plan_id], targets.pop(row[0], []), [], False, [])
        )
    return by_plan


def _evaluate(
    indicators: list[IndicatorRow], scope: Q, as_of: date, computed
) -> dict[int, method.IndicatorProgress]:
    """The progress of each of `indicators`, by pk, from their approved measurements (those
    `scope` keeps) read in one query, streamed in indicator order: each indicator is evaluated
    as soon as its rows end and its observations are let go, so that a plan of 20,000
    indicators never holds its 400,000 measurements at once. The texts of qualitative
    indicators' measurements are kept (`approved_measurements`: the plan report shows them)."""
    by_pk = {indicator.pk: indicator for indicator in indicators}
    results: dict[int, method.IndicatorProgress] = {}

    def done(indicator: IndicatorRow) -> None:
        results[indicator.pk] = evaluate_indicator(indicator, as_of=as_of, computed=computed)
        indicator.observations = []

    approved = (
        Measurement.objects.approved()
        .totals()
        .filter(scope)
        .annotate(
            shown_text=Case(
                When(indicator__kind=IndicatorKind.QUALITATIVE, then=F("text")),
                default=Value(None),
                output_field=TextField(),
            )
        )
        .order_by("indicator_id")  # the method sorts an indicator's measurements by date
        .values_list("indicator_id", "date", "value", "is_sample", "shown_text")
    )
    observation, zero = method.Observation, Decimal(0)
    current = None
    if indicators:
        for indicator_id, day, value, is_sample, text in approved.iterator(chunk_size=2000):
            if current is None or current.pk != indicator_id:
                if current is not None:
                    done(current)
                current = by_pk[indicator_id]
            if current.metric:  # computed from the data: its measurements are not read
                continue
            current.observations.append(observation(day, zero if value is None else value))
            if is_sample:
                current.includes_sample_data = True
            if text is not None:
                current.approved_measurements.append(MeasurementRow(day, value, is_sample, text))
    if current is not None:
        done(current)
    for indicator in indicators:
        if indicator.pk not in results:
            done(indicator)
    return results


def plan_trees(plans: list[Plan], *, as_of: date) -> dict[int, PlanTree]:
    """The progress trees of several plans, in five queries whatever their size (more only
    when some indicators are computed from the agreements and knowledge data)."""
    from limpia.agreements.metrics import MetricData

    by_id = {p.pk: p for p in plans}
    with collector_paused():  # tens of thousands of rows and results, no cycles among them
        nodes = _node_rows(by_id)
        indicators = _indicator_rows(by_id)
        # A fixed number of queries for every computed indicator of these plans together.
        every = [i for rows in indicators.values() for i in rows]
        computed = MetricData.for_indicators(every)
        results = _evaluate(every, Q(indicator__plan_id__in=by_id), as_of, computed)
        return {
            plan.pk: _build(plan, nodes[plan.pk], indicators[plan.pk], results, as_of, computed)
            for plan in plans
        }


def plan_tree(plan: Plan, *, as_of: date) -> PlanTree:
    return plan_trees([plan], as_of=as_of)[plan.pk]


def subtree(plan: Plan, node_id: int, *, as_of: date) -> tuple[NodeResult, list[NodeRow]]:
    """One node's subtree with its progress, reading only its own nodes and indicators, and
    the node's ancestors (root first): what a node page shows. Nine queries at most."""
    from limpia.agreements.metrics import MetricData

    nodes = _node_rows({plan.pk: plan})[plan.pk]
    by_id = {node.pk: node for node in nodes}
    inside, ancestors = {node_id}, []
    for node in nodes:  # tree order: a parent comes before its children
        if node.parent_id in inside:
            inside.add(node.pk)
    current = by_id[node_id]
    while current.parent_id:
        current = by_id[current.parent_id]
        ancestors.insert(0, current)
    indicators = _indicator_rows({plan.pk: plan}, node_ids=sorted(inside))[plan.pk]
    computed = MetricData.for_indicators(indicators)
    results = _evaluate(
        indicators,
        Q(indicator__plan_id=plan.pk, indicator__node_id__in=sorted(inside)),
        as_of,
        computed,
    )
    own = [node for node in nodes if node.pk in inside]
    for node in own:
        if node.pk == node_id:
            node.parent_id = None  # the subtree's root
    tree = _build(plan, own, indicators, results, as_of, computed)
    return tree.children[0], ancestors


def summary_tree(plan: Plan, stored, *, as_of: date, levels: int) -> PlanTree:
    """The plan's first `levels` levels with the rollups stored for them
    (`plans.snapshots.rollups_of`) and no indicators: what a large plan's page opens on."""
    nodes = _node_rows({plan.pk: plan}, Q(depth__lt=levels))[plan.pk]
    children_of: dict[int | None, list[NodeRow]] = defaultdict(list)
    for node in nodes:
        children_of[node.parent_id].append(node)
    empty = method.rollup(indicators=[], children=[])

    def build(node: NodeRow) -> NodeResult:
        return NodeResult(
            node=node,
            rollup=stored.nodes.get(node.pk, empty),
            indicators=[],
            children=[build(child) for child in children_of[node.pk]],
        )

    return PlanTree(
        plan=plan,
        as_of=as_of,
        rollup=stored.rollup,
        indicators=[],
        children=[build(node) for node in children_of[None]],
        stored_sample_data=stored.includes_sample_data,
        summary=True,
    )
