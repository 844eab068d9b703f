"""Synthetic data at N × Chile's APL programme of 2023, for benchmarks: `limpia generate`.

At N = 1: 208 agreements of about 30 actions, 9,263 companies with 15,758 facilities (each
adhered to one agreement; GEN-00001, the largest at N ≥ 0.1, has 2,000 of them), final audits
item by item for 80 % of the facilities and intermediate audits for 20 % (about 470,000 audit
items), certificates for the facilities whose final audit complies in full; and 50 plans with
5,000 indicators (gen-plan-001 has 2,000) and 100,000 approved measurements. Every count scales
with N.

The same scale and seed give the same rows. Everything is marked: agreements' codes start with
`GEN-`, plans' slugs with `gen-`, and companies, experts, certificates and measurements carry
`is_sample`; `synthetic_remove()` deletes exactly that. Rows are written with the product's bulk
path (`core.tracking.bulk_create_tracked`, as the workbook imports write), so each
has its history row, attributed to no user with the reason `REASON`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from stdnum.cl import rut

from limpia.agreements import services as agreement_services
from limpia.agreements import tallies
from limpia.agreements.models import (
    Action,
    ActionTally,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    Certificate,
    Company,
    DashboardFigures,
    Facility,
    FacilityTally,
    Goal,
    GoalTally,
    Signatory,
)
from limpia.compliance.method import add_years
from limpia.core.models import Organization, Sector, Subdivision
from limpia.core.tracking import bulk_create_tracked
from limpia.exchange.meter import current as current_meter
from limpia.plans.models import Indicator, Measurement, Node, Plan, PlanRollup, Target
from limpia.registry.models import Expert

REASON = "generated sample data"
AGREEMENT_MARK = "GEN-"
PLAN_MARK = "gen-"
BATCH = 5000
SIZES = ["micro", "pequeña", "mediana", "grande"]
# Chile 2023 (N = 1)
AGREEMENTS, COMPANIES, FACILITIES, LARGEST = 208, 9263, 15758, 2000
PLANS, INDICATORS, LARGEST_PLAN, MEASUREMENTS_PER_INDICATOR = 50, 5000, 2000, 20
AUDITORS = 300


@dataclass
class Generated:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, number: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + number


def scaled(number: int, scale: Decimal, minimum: int = 1) -> int:
    return max(minimum, int((Decimal(number) * scale).to_integral_value()))


def already_generated() -> bool:
    return (
        Agreement.objects.filter(code__startswith=AGREEMENT_MARK).exists()
        or Plan.objects.filter(slug__startswith=PLAN_MARK).exists()
    )


def _bulk(model, objects: list, generated: Generated) -> list:
    meter = current_meter()
    for start in range(0, len(objects), BATCH):
        batch = objects[start : start + BATCH]
        bulk_create_tracked(batch, model, reason=REASON)
        meter.advance(len(batch))
    generated.add(model._meta.label_lower, len(objects))
    return objects


@transaction.atomic
def synthetic_generate(scale: Decimal, seed: int = 2023) -> Generated:
    """Write the synthetic data in one transaction; refuse if some is there already."""
    from limpia.core.errors import DomainError

    if scale <= 0:
        raise DomainError("The scale must be more than 0.", field="scale")
    if already_generated():
        raise DomainError(
            "Synthetic data are already there: remove them first (limpia generate --remove).",
            field="scale",
        )
    rng = random.Random(seed)
    generated = Generated()
    meter = current_meter()
    facilities = scaled(FACILITIES, scale, 2)
    meter.phase("writing", int(facilities * 40 + scaled(INDICATORS, scale) * 23))
    _agreements(rng, scale, generated)
    _plans(rng, scale, generated)
    meter.finish()
    return generated


# ---------------------------------------------------------------- agreements


def _agreements(rng: random.Random, scale: Decimal, generated: Generated) -> None:
    regions = list(Subdivision.objects.filter(country_id="CL", parent__isnull=True))
    sectors = list(Sector.objects.filter(level="class").order_by("code")[:400])
    if not regions or not sectors:
        from limpia.core.errors import DomainError

        raise DomainError("Load the reference data first (limpia setup, or loadreference).")
    public = Organization.objects.get_or_create(
        key="gen-agencia",
        defaults={"name": "Agencia sintética", "kind": "public_agency", "country_id": "CL"},
    )[0]
    associations = [
        Organization.objects.get_or_create(
            key=f"gen-gremio-{n:03d}",
            defaults={
                "name": f"Asociación gremial sintética {n}",
                "kind": "business_association",
                "country_id": "CL",
            },
        )[0]
        for n in range(1, scaled(40, scale) + 1)
    ]
    auditors = _bulk(
        Expert,
        [
            Expert(
                auditor_id=f"GEN-AUD-{n:05d}",
                kind="auditor",
                name=f"Auditor/a sintético/a {n}",
                country_id="CL",
                registered_from=dt.date(2000, 1, 1),
                is_sample=True,
            )
            for n in range(1, scaled(AUDITORS, scale) + 1)
        ],
        generated,
    )
    n_agreements = scaled(AGREEMENTS, scale, 2)
    n_facilities = scaled(FACILITIES, scale, 2)
    n_companies = min(scaled(COMPANIES, scale), n_facilities)
    largest = min(scaled(LARGEST, scale), n_facilities - (n_agreements - 1))
    # Facilities per agreement: the largest first, the others share the rest unevenly.
    weights = [rng.uniform(0.2, 1.8) for _ in range(n_agreements - 1)]
    rest = n_facilities - largest
    sizes = [max(1, int(rest * w / sum(weights))) for w in weights]
    sizes[-1] += rest - sum(sizes)
    sizes = [largest, *sizes]

    agreements = []
    for index in range(n_agreements):
        signed = dt.date(2002 + rng.randrange(20), 1 + rng.randrange(12), 1 + rng.randrange(28))
        agreements.append(
            Agreement(
                slug=f"gen-apl-{index + 1:05d}",
                code=f"{AGREEMENT_MARK}{index + 1:05d}",
                name=f"Acuerdo de Producción Limpia sintético {index + 1}",
                description="Datos sintéticos para mediciones de rendimiento.",
                country_id="CL",
                stage="certification",
                signing_date=signed,
                is_sample=True,
            )
        )
    _bulk(Agreement, agreements, generated)
    through = Agreement.sectors.through
    agreement_sectors = [rng.choice(sectors) for _ in agreements]
    through.objects.bulk_create(
        [through(agreement=a, sector=s) for a, s in zip(agreements, agreement_sectors, strict=True)]
    )
    signatories = []
    for agreement in agreements:
        signatories.append(
            Signatory(
                agreement=agreement,
                organization=rng.choice(associations),
                role="business_association",
            )
        )
        signatories.append(Signatory(agreement=agreement, organization=public, role="public_body"))
    Signatory.objects.bulk_create(signatories, batch_size=BATCH)
    generated.add("agreements.signatory", len(signatories))

    goals, actions_of = [], {}
    for agreement in agreements:
        for g in range(1, 7):
            goals.append(
                Goal(agreement=agreement, code=str(g), title=f"Meta sintética {g}", position=g)
            )
    Goal.objects.bulk_create(goals, batch_size=BATCH)
    generated.add("agreements.goal", len(goals))
    actions = []
    for goal in goals:
        for a in range(1, rng.randint(4, 6) + 1):
            action = Action(
                goal=goal,
                code=f"{goal.code}.{a}",
                text=f"Acción sintética {goal.code}.{a}",
                position=a,
                verification="Registro verificable",
                deadline_months=6 * a,
                deadline_from="adhesion_end",
            )
            actions.append(action)
            actions_of.setdefault(goal.agreement_id, []).append(action)
    Action.objects.bulk_create(actions, batch_size=BATCH)
    generated.add("agreements.action", len(actions))

    companies = []
    number = 76_000_000
    for n in range(n_companies):
        number += rng.randint(1, 9)
        body = str(number)
        companies.append(
            Company(
                country_id="CL",
                tax_id=f"{body}-{rut.calc_check_digit(body)}",
                name=f"Empresa sintética {n + 1}",
                size=rng.choice(SIZES),
                sector=rng.choice(sectors),
                is_sample=True,
            )
        )
    _bulk(Company, companies, generated)
    owners = companies + [rng.choice(companies) for _ in range(n_facilities - n_companies)]
    facilities = [
        Facility(
            company=company,
            code=f"GEN-F{n + 1:07d}",
            name=f"Planta sintética {n + 1}",
            subdivision=rng.choice(regions),
        )
        for n, company in enumerate(owners)
    ]
    _bulk(Facility, facilities, generated)

    adhesions, audits, planned = [], [], []
    rng.shuffle(facilities)
    start = 0
    for agreement, size in zip(agreements, sizes, strict=True):
        members = facilities[start : start + size]
        start += size
        final_day = agreement.implementation_end + dt.timedelta(days=30)
        for facility in members:
            adhesions.append(
                Adhesion(
                    agreement=agreement,
                    facility=facility,
                    adhered_on=agreement.signing_date + dt.timedelta(days=rng.randint(1, 80)),
                )
            )
            draw = rng.random()
            auditor = rng.choice(auditors)
            if draw < 0.2:
                day = final_day - dt.timedelta(days=180)
                audits.append(_audit(agreement, facility, auditor, "intermediate", day))
                planned.append((audits[-1], agreement, facility, rng.random() < 0.5))
            if draw < 0.8:
                audits.append(_audit(agreement, facility, auditor, "final", final_day))
                planned.append((audits[-1], agreement, facility, rng.random() < 0.7))
    _bulk(Adhesion, adhesions, generated)
    _bulk(Audit, audits, generated)
    items, certificates = [], []
    for audit, agreement, facility, complies_in_full in planned:
        for action in actions_of[agreement.pk]:
            applies = rng.random() > 0.05
            items.append(
                AuditItem(
                    audit=audit,
                    action=action,
                    applies=applies,
                    reason="" if applies else "No aplica al proceso de la instalación",
                    complies=(complies_in_full or rng.random() > 0.25) if applies else None,
                    evidence="Registro revisado en terreno (sintético)" if applies else "",
                )
            )
        if len(items) >= BATCH * 4:
            _bulk(AuditItem, items, generated)
            items = []
        if audit.audit_type == "final" and complies_in_full:
            issued = audit.audit_date + dt.timedelta(days=60)
            certificate = Certificate(
                code=f"GEN-C-{facility.code}",
                agreement=agreement,
                facility=facility,
                final_audit=audit,
                issued_on=issued,
                valid_until=add_years(issued, agreement.validity_years),
                is_sample=True,
            )
            agreement_services.certificate_seal(certificate)
            certificates.append(certificate)
    _bulk(AuditItem, items, generated)
    _bulk(Certificate, certificates, generated)
    tallies.rebuild([a.pk for a in agreements])


def _audit(agreement, facility, auditor, audit_type, day) -> Audit:
    return Audit(
        agreement=agreement,
        facility=facility,
        auditor=auditor,
        audit_type=audit_type,
        audit_date=day,
        status="submitted",
        submitted_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
    )


# ---------------------------------------------------------------- plans


def _plans(rng: random.Random, scale: Decimal, generated: Generated) -> None:
    n_plans = scaled(PLANS, scale)
    n_indicators = scaled(INDICATORS, scale)
    largest = min(scaled(LARGEST_PLAN, scale), n_indicators) if n_plans > 1 else n_indicators
    rest = n_indicators - largest
    others = n_plans - 1
    sizes = [largest] + [rest // others + (i < rest % others) for i in range(others) if others]
    sizes = [size for size in sizes if size]
    plans = [
        Plan(
            slug=f"{PLAN_MARK}plan-{n + 1:03d}",
            title=f"Plan sintético {n + 1}",
            country_id="CL",
            period_start=dt.date(2020, 1, 1),
            period_end=dt.date(2030, 12, 31),
            status="approved",
            level_names=["objetivo", "línea", "acción"],
            description="Datos sintéticos para mediciones de rendimiento.",
        )
        for n in range(len(sizes))
    ]
    _bulk(Plan, plans, generated)
    nodes_by_level: list[list] = [[], [], []]
    leaves_of: dict[int, list[Node]] = {}
    for plan, size in zip(plans, sizes, strict=True):
        objectives = max(1, round(size ** (1 / 3)))
        per_objective = -(-size // objectives)
        lines = max(1, round(per_objective**0.5))
        per_line = -(-per_objective // lines)
        leaves = leaves_of.setdefault(plan.pk, [])
        for o in range(1, objectives + 1):
            objective = Node(plan=plan, code=str(o), normalized_code=str(o), title=f"Objetivo {o}")
            objective.depth, objective.position = 0, o
            nodes_by_level[0].append(objective)
            for li in range(1, lines + 1):
                code = f"{o}.{li}"
                line = Node(plan=plan, parent=objective, code=code, normalized_code=code)
                line.title, line.depth, line.position = f"Línea {code}", 1, li
                nodes_by_level[1].append(line)
                for a in range(1, per_line + 1):
                    if len(leaves) == size:
                        break
                    code = f"{o}.{li}.{a}"
                    action = Node(plan=plan, parent=line, code=code, normalized_code=code)
                    action.title, action.depth, action.position = f"Acción {code}", 2, a
                    nodes_by_level[2].append(action)
                    leaves.append(action)
    for level in nodes_by_level:
        _bulk(Node, level, generated)
    indicators, targets, measurements = [], [], []
    for plan in plans:
        for position, node in enumerate(leaves_of[plan.pk], start=1):
            baseline = Decimal(rng.randint(10, 1000))
            indicators.append(
                Indicator(
                    plan=plan,
                    node=node,
                    code=f"I{node.code}",
                    position=position,
                    name=f"Indicador {node.code}",
                    kind="quantity",
                    unit="t",
                    direction="increase",
                    baseline_value=baseline,
                    baseline_date=dt.date(2020, 1, 1),
                )
            )
    _bulk(Indicator, indicators, generated)
    days = [dt.date(2021 + q // 4, 3 * (q % 4) + 1, 1) for q in range(MEASUREMENTS_PER_INDICATOR)]
    for indicator in indicators:
        baseline = indicator.baseline_value
        targets.append(
            Target(indicator=indicator, value=baseline * 2, due_date=dt.date(2030, 12, 31))
        )
        value = baseline
        for day in days:
            value += Decimal(rng.randint(0, 20))
            measurements.append(
                Measurement(
                    indicator=indicator, date=day, value=value, status="approved", is_sample=True
                )
            )
        if len(measurements) >= BATCH * 4:
            _bulk(Measurement, measurements, generated)
            measurements = []
    _bulk(Target, targets, generated)
    _bulk(Measurement, measurements, generated)


# ---------------------------------------------------------------- removal


@transaction.atomic
def synthetic_remove() -> dict[str, int]:
    """Delete the synthetic data and their history, nothing else; rows per table deleted."""
    agreements = Agreement.objects.filter(code__startswith=AGREEMENT_MARK)
    plans = Plan.objects.filter(slug__startswith=PLAN_MARK)
    facilities = Facility.objects.filter(code__startswith="GEN-F")
    steps = [
        (Certificate, {"agreement__in": agreements}),
        (FacilityTally, {"agreement__in": agreements}),
        (GoalTally, {"agreement__in": agreements}),
        (ActionTally, {"agreement__in": agreements}),
        (AuditItem, {"audit__agreement__in": agreements}),
        (Audit, {"agreement__in": agreements}),
        (Adhesion, {"agreement__in": agreements}),
        (Signatory, {"agreement__in": agreements}),
        (Action, {"goal__agreement__in": agreements}),
        (Goal, {"agreement__in": agreements}),
        (Agreement.sectors.through, {"agreement__in": agreements}),
        (Agreement, {"code__startswith": AGREEMENT_MARK}),
        (Facility, {"code__startswith": "GEN-F"}),
        (Company, {"is_sample": True, "name__startswith": "Empresa sintética "}),
        (Expert, {"auditor_id__startswith": "GEN-AUD-"}),
        (Measurement, {"indicator__plan__in": plans}),
        (Target, {"indicator__plan__in": plans}),
        (Indicator, {"plan__in": plans}),
        (Node, {"plan__in": plans, "depth": 2}),
        (Node, {"plan__in": plans, "depth": 1}),
        (Node, {"plan__in": plans}),
        (PlanRollup, {"plan__in": plans}),
        (Plan, {"slug__startswith": PLAN_MARK}),
    ]
    del facilities
    deleted: dict[str, int] = {}
    for model, lookup in steps:
        queryset = model._base_manager.filter(**lookup)
        history = getattr(model, "history", None)
        if history is not None:
            ids = queryset.values("pk")
            model.history.model.objects.filter(id__in=ids)._raw_delete(connection.alias)
        count = queryset._raw_delete(connection.alias)
        label = model._meta.label_lower
        deleted[label] = deleted.get(label, 0) + count
    Organization.objects.filter(key__startswith="gen-").delete()
    # History rows went with the data, so the data revision may go back to a value some stored
    # rollups and dashboard figures were computed at: none is kept (plans.snapshots).
    deleted["plans.planrollup"] = PlanRollup.objects.all().delete()[0]
    deleted["agreements.dashboardfigures"] = DashboardFigures.objects.all().delete()[0]
    return deleted
