"""Every change to plans and measurements goes through these functions.

Each runs in a transaction, checks the acting user's permission through the rules in
`limpia.access.rules`, validates, saves with `update_fields`, and leaves a history row that
names the acting user.
"""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from limpia.core.dates import EARLIEST
from limpia.core.errors import DomainError, IllegalTransition
from limpia.core.services import claim_version, require_perm, save_attributed, validate_model
from limpia.plans.models import (
    Indicator,
    IndicatorKind,
    Measurement,
    MeasurementStatus,
    Plan,
    PlanStatus,
)

S = MeasurementStatus
# verb → (states it may start from, state it leads to)
MEASUREMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
}

P = PlanStatus
PLAN_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({P.DRAFT}), P.APPROVED),
    "archive": (frozenset({P.DRAFT, P.APPROVED}), P.ARCHIVED),
    "reopen": (frozenset({P.APPROVED, P.ARCHIVED}), P.DRAFT),
}


REFUSALS = {
    ("measurement", "submit"): gettext_lazy(
        "Only a draft or returned measurement can be submitted; this one is “%(status)s”."
    ),
    ("measurement", "approve"): gettext_lazy(
        "Only a submitted measurement can be approved; this one is “%(status)s”."
    ),
    ("measurement", "return"): gettext_lazy(
        "Only a submitted measurement can be returned; this one is “%(status)s”."
    ),
    ("plan", "approve"): gettext_lazy(
        "Only a draft plan can be approved; this one is “%(status)s”."
    ),
    ("plan", "archive"): gettext_lazy("This plan is already archived."),
    ("plan", "reopen"): gettext_lazy("This plan is already a draft."),
}


def require_visible_elements(acting_user, **fields) -> None:
    """Plan nodes or indicators that another record links to (`field=[items]`) must belong to
    plans the acting user may see; the first that does not is refused on its field (one query
    whatever the number of items)."""
    from limpia.access.rules import plans_visible_to

    plan_ids = {item.plan_id for items in fields.values() for item in items or ()}
    if not plan_ids:
        return
    visible = set(
        plans_visible_to(acting_user, Plan.objects.filter(pk__in=plan_ids)).values_list(
            "pk", flat=True
        )
    )
    for field, items in fields.items():
        for item in items or ():
            if item.plan_id not in visible:
                raise DomainError(
                    _("%(code)s belongs to a plan you cannot see.") % {"code": item.code},
                    field=field,
                )


def _check_transition(table, verb: str, current: str, kind: str) -> str:
    sources, target = table[verb]
    if current not in sources:
        status_label = {**dict(MeasurementStatus.choices), **dict(PlanStatus.choices)}[current]
        raise IllegalTransition(REFUSALS[(kind, verb)] % {"status": status_label})
    return target


def _clean_measurement_values(
    indicator: Indicator, *, value: Decimal | None, text: str, on: date
) -> tuple[Decimal | None, str]:
    if on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="date")
    if on < EARLIEST:
        raise DomainError(_("The date is too far in the past."), field="date")
    if indicator.kind == IndicatorKind.QUALITATIVE:
        if not text.strip():
            raise DomainError(_("A qualitative indicator needs the reported text."), field="text")
        return None, text
    if value is None:
        raise DomainError(_("A value is required."), field="value")
    if indicator.kind == IndicatorKind.MILESTONE and value not in (Decimal(0), Decimal(1)):
        raise DomainError(_("A milestone's value is 1 (done) or 0 (not done)."), field="value")
    return value, text


def _clean_disaggregation(disaggregation) -> dict[str, str]:
    if not disaggregation:
        return {}
    if not isinstance(disaggregation, dict):
        raise DomainError(
            _("Disaggregation must map a dimension to a value."), field="disaggregation"
        )
    cleaned = {}
    for dimension, member in disaggregation.items():
        dimension, member = str(dimension).strip(), str(member).strip()
        if not dimension or not member:
            raise DomainError(
                _("Disaggregation dimensions and values cannot be empty."),
                field="disaggregation",
            )
        if len(dimension) > 60 or len(member) > 120:
            raise DomainError(
                _(
                    "A disaggregation dimension has at most 60 characters and its value at "
                    "most 120."
                ),
                field="disaggregation",
            )
        cleaned[dimension] = member
    return dict(sorted(cleaned.items()))  # one spelling of each group (Measurement's constraint)


def _save_once_per_date(measurement: Measurement, **save) -> None:
    _require_one_per_date(measurement)
    try:
        with transaction.atomic():
            save_attributed(measurement, **save)
    except IntegrityError:
        _require_one_per_date(measurement)  # a concurrent writer saved the same date first
        raise


def _require_one_per_date(measurement: Measurement) -> None:
    others = Measurement.objects.filter(
        indicator_id=measurement.indicator_id,
        date=measurement.date,
        disaggregation=measurement.disaggregation,
    ).exclude(pk=measurement.pk)
    if others.exists():
        group = ", ".join(f"{k}={v}" for k, v in measurement.disaggregation.items())
        raise DomainError(
            (
                _(
                    "This indicator already has a measurement for %(group)s on %(date)s: "
                    "correct that one instead."
                )
                if group
                else _(
                    "This indicator already has a measurement on %(date)s: "
                    "correct that one instead."
                )
            )
            % {"date": measurement.date.isoformat(), "group": group},
            field="date",
        )


@transaction.atomic
def measurement_create(
    *,
    acting_user,
    indicator: Indicator,
    date: date,
    value: Decimal | None = None,
    text: str = "",
    disaggregation: dict | None = None,
    comment: str = "",
    evidence_url: str = "",
    submit: bool = False,
) -> Measurement:
    require_perm(acting_user, "plans.add_measurement", indicator)
    if indicator.metric:
        raise DomainError(
            _("This indicator is computed from %(metric)s; it takes no reported measurements.")
            % {"metric": indicator.get_metric_display()},
            field="indicator",
        )
    value, text = _clean_measurement_values(indicator, value=value, text=text, on=date)
    measurement = Measurement(
        indicator=indicator,
        date=date,
        value=value,
        text=text,
        disaggregation=_clean_disaggregation(disaggregation),
        comment=comment,
        evidence_url=evidence_url,
        created_by=acting_user,
    )
    _save_once_per_date(measurement, acting_user=acting_user, reason="created")
    if submit:
        measurement = measurement_submit(acting_user=acting_user, measurement=measurement)
    return measurement


@transaction.atomic
def measurement_update(
    *,
    acting_user,
    measurement: Measurement,
    date: date,
    value: Decimal | None = None,
    text: str = "",
    disaggregation: dict | None = None,
    comment: str = "",
    evidence_url: str = "",
    submit: bool = False,
    version: int | None = None,
) -> Measurement:
    """Correct a draft or returned measurement. `version` is the version the writer read: when
    someone changed the measurement since, Conflict (nothing saved)."""
    measurement = _locked(measurement)
    require_perm(acting_user, "plans.change_measurement", measurement)
    claim_version(measurement, version)
    if measurement.status not in (S.DRAFT, S.RETURNED):
        raise IllegalTransition(
            _("Only draft or returned measurements can be edited; this one is %(status)s.")
            % {"status": measurement.get_status_display()}
        )
    value, text = _clean_measurement_values(measurement.indicator, value=value, text=text, on=date)
    measurement.date, measurement.value, measurement.text = date, value, text
    measurement.disaggregation = _clean_disaggregation(disaggregation)
    measurement.comment, measurement.evidence_url = comment, evidence_url
    _save_once_per_date(
        measurement,
        acting_user=acting_user,
        update_fields=[
            "date",
            "value",
            "text",
            "disaggregation",
            "comment",
            "evidence_url",
            "version",
        ],
        reason="edited",
    )
    if submit:
        measurement = measurement_submit(acting_user=acting_user, measurement=measurement)
    return measurement


def _locked(measurement: Measurement) -> Measurement:
    """Re-read the row under a lock so that two reviewers cannot both act on one submission."""
    return (
        Measurement.objects.select_for_update(of=("self",))
        .select_related("indicator__plan", "indicator__node")
        .get(pk=measurement.pk)
    )


@transaction.atomic
def measurement_submit(*, acting_user, measurement: Measurement) -> Measurement:
    measurement = _locked(measurement)
    require_perm(acting_user, "plans.submit_measurement", measurement)
    measurement.status = _check_transition(
        MEASUREMENT_TRANSITIONS, "submit", measurement.status, "measurement"
    )
    measurement.submitted_at, measurement.submitted_by = timezone.now(), acting_user
    measurement.version += 1
    save_attributed(
        measurement,
        acting_user=acting_user,
        update_fields=["status", "submitted_at", "submitted_by", "version"],
        reason="submitted",
    )
    return measurement


@transaction.atomic
def measurement_approve(*, acting_user, measurement: Measurement) -> Measurement:
    measurement = _locked(measurement)
    require_perm(acting_user, "plans.review_measurement", measurement)
    measurement.status = _check_transition(
        MEASUREMENT_TRANSITIONS, "approve", measurement.status, "measurement"
    )
    measurement.reviewed_at, measurement.reviewed_by = timezone.now(), acting_user
    measurement.review_note = ""
    measurement.version += 1
    save_attributed(
        measurement,
        acting_user=acting_user,
        update_fields=["status", "reviewed_at", "reviewed_by", "review_note", "version"],
        reason="approved",
    )
    return measurement


@transaction.atomic
def measurement_return(*, acting_user, measurement: Measurement, note: str) -> Measurement:
    measurement = _locked(measurement)
    require_perm(acting_user, "plans.review_measurement", measurement)
    if not note or not note.strip():
        raise DomainError(
            _("Say why the measurement is returned, so the reporter can correct it."),
            field="note",
        )
    measurement.status = _check_transition(
        MEASUREMENT_TRANSITIONS, "return", measurement.status, "measurement"
    )
    measurement.reviewed_at, measurement.reviewed_by = timezone.now(), acting_user
    measurement.review_note = note.strip()
    measurement.version += 1
    save_attributed(
        measurement,
        acting_user=acting_user,
        update_fields=["status", "reviewed_at", "reviewed_by", "review_note", "version"],
        reason="returned",
    )
    return measurement


@transaction.atomic
def plan_change_status(*, acting_user, plan: Plan, verb: str) -> Plan:
    """Approve, archive or reopen a plan; records who did it and when."""
    if verb not in PLAN_TRANSITIONS:
        raise DomainError(_("Unknown plan action: %(verb)s") % {"verb": verb}, field="action")
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    require_perm(acting_user, "plans.approve_plan", plan)
    plan.status = _check_transition(PLAN_TRANSITIONS, verb, plan.status, "plan")
    plan.status_changed_at, plan.status_changed_by = timezone.now(), acting_user
    plan.version += 1
    save_attributed(
        plan,
        acting_user=acting_user,
        update_fields=["status", "status_changed_at", "status_changed_by", "version"],
        reason=verb,
    )
    return plan


@transaction.atomic
def plan_element_save(*, acting_user, instance, reason: str = "", version: int | None = None):
    """Create or update a plan, node, indicator or target after permission and validation checks.

    Moving a node moves its subtree: the depths of its descendants are recomputed, and a move
    that would take them deeper than MAX_TREE_DEPTH levels is refused. Every element carries
    a version: `version` is the one the writer read, and an element changed
    since is a Conflict.
    """
    from limpia.plans.models import Node

    model = instance._meta.model_name
    creating = instance._state.adding
    perm_obj = instance if model != "plan" or not creating else None
    require_perm(acting_user, f"plans.{'add' if creating else 'change'}_{model}", perm_obj)
    if model == "indicator" and not creating:
        _check_kind_change(instance)
    if not creating and hasattr(instance, "version"):
        claim_version(instance, version)
    validate_model(instance)  # Node.clean() checks the parent and sets the depth
    save_attributed(instance, acting_user=acting_user, reason=reason or model)
    if isinstance(instance, Node) and not creating:
        _refresh_depths(instance, acting_user)
    return instance


def _check_kind_change(indicator) -> None:
    from limpia.plans.models import Indicator

    before = Indicator.objects.only("kind").get(pk=indicator.pk)
    if before.kind != indicator.kind and indicator.measurements.exists():
        raise DomainError(
            _("This indicator has measurements; its kind cannot change."), field="kind"
        )


def _refresh_depths(node, acting_user) -> None:
    from limpia.plans.models import MAX_TREE_DEPTH, Node

    nodes = list(Node.objects.filter(plan_id=node.plan_id))
    children: dict[int | None, list] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n)
    stack, changed = [(node.pk, node.depth)], []
    while stack:
        parent_id, depth = stack.pop()
        for child in children.get(parent_id, []):
            if depth + 1 >= MAX_TREE_DEPTH:  # depths count from 0
                raise DomainError(
                    _("Plans cannot be deeper than %(n)s levels.") % {"n": MAX_TREE_DEPTH},
                    field="parent",
                )
            if child.depth != depth + 1:
                child.depth = depth + 1
                changed.append(child)
            stack.append((child.pk, depth + 1))
    Node.objects.bulk_update(changed, ["depth"])


def _subtree_ids(node) -> list[int]:
    from limpia.plans.models import Node

    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Node.objects.filter(plan_id=node.plan_id).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = [], [node.pk]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


@transaction.atomic
def plan_element_delete(*, acting_user, instance) -> None:
    from limpia.plans.models import Measurement

    model = instance._meta.model_name
    require_perm(acting_user, f"plans.delete_{model}", instance)
    scope = {
        "plan": {"indicator__plan": instance},
        "node": {"indicator__node__in": _subtree_ids(instance)} if model == "node" else {},
        "indicator": {"indicator": instance},
    }.get(model)
    if scope and Measurement.objects.filter(**scope).exists():
        raise DomainError(
            _("Measurements were reported here; they are kept, so this cannot be deleted."),
            field=model,
        )
    instance._history_user = acting_user
    instance.delete()


@transaction.atomic
def node_set_responsibilities(*, acting_user, node, responsibilities) -> None:
    """Replace the node's responsible organizations with `[(organization, role), ...]`."""
    from limpia.plans.models import NodeResponsibility, ResponsibilityRole

    require_perm(acting_user, "plans.change_node", node)
    wanted: dict[int, tuple] = {}
    for organization, role in responsibilities:
        if role not in ResponsibilityRole.values:
            raise DomainError(
                _("A responsible organization's role is lead or support, not %(role)r.")
                % {"role": role},
                field="responsible",
            )
        if organization.pk in wanted:
            raise DomainError(
                _("%(organization)s is listed twice.") % {"organization": organization},
                field="responsible",
            )
        wanted[organization.pk] = (organization, role)
    current = {r.organization_id: r for r in node.responsibilities.all()}
    for organization_id, responsibility in current.items():
        if organization_id not in wanted or wanted[organization_id][1] != responsibility.role:
            responsibility.delete()
    for organization_id, (organization, role) in wanted.items():
        if organization_id not in current or current[organization_id].role != role:
            NodeResponsibility.objects.create(node=node, organization=organization, role=role)
    # Recorded on the node's own history, so its page shows who changed responsibilities.
    save_attributed(node, acting_user=acting_user, reason="responsibilities")
