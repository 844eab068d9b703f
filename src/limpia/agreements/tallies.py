"""The compliance tallies: each facility's settled counts, kept beside the audits they sum.

Counting the items of an agreement's latest audits takes a GROUP BY over every item (at ten
times Chile's programme, 600,000 items for the largest agreement). The tallies hold the result:
per facility and audit type the applicable and complying items of its latest submitted audit
(`FacilityTally`), the same per goal (`GoalTally`), and per action the facilities where it
applies and complies (`ActionTally`). Reads for today take their figures from them
(`agreements.figures`); reads on an earlier `as_of` count the items.

They are written by the services that change what they sum, in the same transaction, never by
a scheduled job that could drift:

- `refreshing(audit)` wraps a service that submits an audit or validates a re-verification: it
  reads the facility's tally before and after the change and writes the difference;
- `rebuild(agreements)` recounts whole agreements in the database (``INSERT ... SELECT``) for
  the bulk paths (workbook import, sample and synthetic data) and for `limpia retally`.

A test checks after random sequences of services that the tallies equal a recount.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db.models import CharField, Count, F, Q, Value

from limpia.agreements.models import (
    COMPLIES,
    FAILS,
    ActionTally,
    Audit,
    AuditType,
    FacilityTally,
    GoalTally,
)
from limpia.core.sql import insert_from

# The audit types whose compliance is reported; a re-verification moves its final audit's.
TALLIED = (AuditType.FINAL, AuditType.INTERMEDIATE, AuditType.MAINTENANCE)
BATCH = 2000


def tallied_type(audit_type: str) -> str | None:
    if audit_type == AuditType.CORRECTION:
        return AuditType.FINAL
    return audit_type if audit_type in TALLIED else None


@dataclass(frozen=True)
class _State:
    """A facility's latest audit of a type and its items: action id → (goal id, own finding,
    settled finding)."""

    audit_id: int | None = None
    findings: dict[int, tuple[int, int, int]] = field(default_factory=dict)


def _own(applies: bool, complies: bool | None) -> int:
    return COMPLIES if applies and complies else FAILS if applies else 0


def _state(agreement_id: int, facility_id: int, audit_type: str) -> _State:
    from limpia.agreements.figures import settled_items

    latest = Audit.objects.filter(agreement_id=agreement_id, facility_id=facility_id)
    audit_id = latest.latest_submitted(audit_type).values_list("pk", flat=True).first()
    if audit_id is None:
        return _State()
    rows = settled_items(Audit.objects.filter(pk=audit_id), audit_type).values_list(
        "action_id", "action__goal_id", "applies", "complies", "finding"
    )
    return _State(
        audit_id,
        {
            action: (goal, _own(applies, complies), finding)
            for action, goal, applies, complies, finding in rows
        },
    )


@contextmanager
def refreshing(audit: Audit):
    """Refresh the tallies of the audit's facility for what the block changes (a submission,
    a validated re-verification), in the caller's transaction."""
    audit_type = tallied_type(audit.audit_type)
    if audit_type is None:
        yield
        return
    key = (audit.agreement_id, audit.facility_id, audit_type)
    before = _state(*key)
    yield
    after = _state(*key)
    if after != before:
        _write(*key, before, after)


def _write(agreement_id, facility_id, audit_type, before: _State, after: _State) -> None:
    scope = {"agreement_id": agreement_id, "facility_id": facility_id, "audit_type": audit_type}
    FacilityTally.objects.filter(**scope).delete()
    GoalTally.objects.filter(**scope).delete()
    if after.audit_id is not None:
        values = after.findings.values()
        FacilityTally.objects.create(
            **scope,
            audit_id=after.audit_id,
            applicable=sum(1 for _g, _o, settled in values if settled >= FAILS),
            complying=sum(1 for _g, _o, settled in values if settled == COMPLIES),
            applicable_before=sum(1 for _g, own, _s in values if own >= FAILS),
            complying_before=sum(1 for _g, own, _s in values if own == COMPLIES),
        )
        goals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for goal, _own_finding, settled in values:
            goals[goal][0] += settled >= FAILS
            goals[goal][1] += settled == COMPLIES
        GoalTally.objects.bulk_create(
            GoalTally(**scope, goal_id=goal, applicable=a, complying=c)
            for goal, (a, c) in goals.items()
        )
    # Each action's facilities move by the difference between the two audits' findings.
    moves: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for action in before.findings.keys() | after.findings.keys():
        old, new = before.findings.get(action), after.findings.get(action)
        old_finding = old[2] if old else None
        new_finding = new[2] if new else None
        move = (
            (new is not None) - (old is not None),
            _applies(new_finding) - _applies(old_finding),
            (new_finding == COMPLIES) - (old_finding == COMPLIES),
        )
        if move != (0, 0, 0):
            moves[move].append(action)
    if not moves:
        return
    ActionTally.objects.bulk_create(
        [
            ActionTally(agreement_id=agreement_id, audit_type=audit_type, action_id=action)
            for actions in moves.values()
            for action in actions
        ],
        ignore_conflicts=True,
    )
    for (audited, applicable, complying), actions in moves.items():
        ActionTally.objects.filter(
            agreement_id=agreement_id, audit_type=audit_type, action_id__in=actions
        ).update(
            audited=F("audited") + audited,
            applicable=F("applicable") + applicable,
            complying=F("complying") + complying,
        )


def _applies(finding: int | None) -> bool:
    return finding is not None and finding >= FAILS


def rebuild(agreements=None) -> dict[str, int]:
    """Recount the tallies of `agreements` (ids, a queryset; all when None) from the audit
    items, in the database: a few ``INSERT ... SELECT`` per audit type, whatever the number of
    facilities. Returns the rows written per table."""
    scope = Q() if agreements is None else Q(agreement__in=agreements)
    for model in (FacilityTally, GoalTally, ActionTally):
        model.objects.filter(scope).delete()
    written = {"facilities": 0, "goals": 0, "actions": 0}
    for audit_type in TALLIED:
        written_now = _rebuild_type(Audit.objects.filter(scope), audit_type)
        for name, count in written_now.items():
            written[name] += count
    return written


def _rebuild_type(audits, audit_type: str) -> dict[str, int]:
    from limpia.agreements.figures import settled_items

    latest = audits.latest_submitted(audit_type)
    kind = Value(audit_type, output_field=CharField())
    # Every latest audit, with its own counts (an audit where nothing applies has no items).
    own = Count("items", filter=Q(items__applies=True))
    own_complying = Count("items", filter=Q(items__applies=True, items__complies=True))
    facilities = insert_from(
        FacilityTally,
        {
            "agreement": "t_agreement",
            "facility": "t_facility",
            "audit": "t_audit",
            "audit_type": "t_type",
            "applicable": "t_applicable",
            "complying": "t_complying",
            "applicable_before": "t_applicable",
            "complying_before": "t_complying",
        },
        latest.annotate(t_agreement=F("agreement_id"), t_facility=F("facility_id"), t_audit=F("pk"))
        .values("t_agreement", "t_facility", "t_audit")
        .annotate(t_type=kind, t_applicable=own, t_complying=own_complying),
    )
    items = settled_items(latest, audit_type)
    goals = insert_from(
        GoalTally,
        {
            "agreement": "t_agreement",
            "facility": "t_facility",
            "audit_type": "t_type",
            "goal": "t_goal",
            "applicable": "applicable",
            "complying": "complying",
        },
        items.annotate(
            t_agreement=F("audit__agreement_id"),
            t_facility=F("audit__facility_id"),
            t_goal=F("action__goal_id"),
        )
        .values("t_agreement", "t_facility", "t_goal")
        .annotate(t_type=kind)
        .counts(),
    )
    actions = insert_from(
        ActionTally,
        {
            "agreement": "t_agreement",
            "audit_type": "t_type",
            "action": "t_action",
            "audited": "t_audited",
            "applicable": "applicable",
            "complying": "complying",
        },
        items.annotate(t_agreement=F("audit__agreement_id"), t_action=F("action_id"))
        .values("t_agreement", "t_action")
        .annotate(t_type=kind, t_audited=Count("pk"))
        .counts(),
    )
    if audit_type == AuditType.FINAL:
        _settle_corrected(latest, items)
    return {"facilities": facilities, "goals": goals, "actions": actions}


def _settle_corrected(latest, items) -> None:
    """The facility totals of the final audits that validated re-verifications corrected:
    written first from the audits' own items, then set to the settled counts (few rows)."""
    corrected = latest.filter(
        pk__in=Audit.objects.validated_corrections().values("corrects_id")
    ).values_list("pk", flat=True)
    settled = (
        items.filter(audit_id__in=corrected).values("audit_id").order_by().counts()
        if corrected.exists()
        else []
    )
    for row in settled:
        FacilityTally.objects.filter(audit_id=row["audit_id"]).update(
            applicable=row["applicable"], complying=row["complying"]
        )


def recount(agreement_ids) -> dict[str, set]:
    """The tallies as a recount of the items would write them (for tests and `limpia retally
    --check`): table → set of rows."""
    from limpia.agreements.figures import settled_items

    result: dict[str, set] = {"facilities": set(), "goals": set(), "actions": set()}
    for audit_type in TALLIED:
        latest = Audit.objects.filter(agreement_id__in=agreement_ids).latest_submitted(audit_type)
        items = settled_items(latest, audit_type)
        own = {
            row["audit_id"]: row
            for row in items.values("audit_id")
            .annotate(
                applicable_before=Count("pk", filter=Q(applies=True)),
                complying_before=Count("pk", filter=Q(applies=True, complies=True)),
            )
            .counts()
        }
        for audit_id, agreement_id, facility_id in latest.values_list(
            "pk", "agreement_id", "facility_id"
        ):
            row = own.get(audit_id, {})
            result["facilities"].add(
                (
                    agreement_id,
                    facility_id,
                    audit_type,
                    audit_id,
                    row.get("applicable", 0),
                    row.get("complying", 0),
                    row.get("applicable_before", 0),
                    row.get("complying_before", 0),
                )
            )
        by_goal = items.values("audit__agreement_id", "audit__facility_id", "action__goal_id")
        for row in by_goal.counts():
            result["goals"].add(
                (
                    row["audit__agreement_id"],
                    row["audit__facility_id"],
                    audit_type,
                    row["action__goal_id"],
                    row["applicable"],
                    row["complying"],
                )
            )
        for row in (
            items.values("audit__agreement_id", "action_id").annotate(audited=Count("pk")).counts()
        ):
            result["actions"].add(
                (
                    row["audit__agreement_id"],
                    audit_type,
                    row["action_id"],
                    row["audited"],
                    row["applicable"],
                    row["complying"],
                )
            )
    return result


def stored(agreement_ids) -> dict[str, set]:
    """The tallies as stored, in the shape of `recount` (actions audited nowhere left out)."""
    scope = {"agreement_id__in": agreement_ids}
    return {
        "facilities": set(
            FacilityTally.objects.filter(**scope).values_list(
                "agreement_id",
                "facility_id",
                "audit_type",
                "audit_id",
                "applicable",
                "complying",
                "applicable_before",
                "complying_before",
            )
        ),
        "goals": set(
            GoalTally.objects.filter(**scope).values_list(
                "agreement_id", "facility_id", "audit_type", "goal_id", "applicable", "complying"
            )
        ),
        "actions": set(
            ActionTally.objects.filter(**scope, audited__gt=0).values_list(
                "agreement_id", "audit_type", "action_id", "audited", "applicable", "complying"
            )
        ),
    }
