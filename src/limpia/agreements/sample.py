"""Sample agreements for demonstrations, generated deterministically and flagged as sample.

Five historical agreements (2007–2010) give Chile's 2010 goals something to track; two recent
ones show certificates that are valid, suspended or under way; one is still under negotiation
(not public). Companies are invented ("Empresa de ejemplo …") with valid-looking RUTs; nobody
real is named. Loading twice adds nothing.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from stdnum.cl import rut

from limpia.agreements import services, tallies
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    Certificate,
    Company,
    Facility,
    Goal,
    Impact,
    Signatory,
    StageChange,
)
from limpia.compliance.method import add_years
from limpia.core.models import Organization, Sector, Subdivision
from limpia.registry.models import Expert

SAMPLE_MARK = "APL-EJ-"

GOALS = [
    (
        "1",
        "Uso eficiente del agua",
        [
            (
                "1.1",
                "Medir el consumo de agua por unidad de producto",
                "Registro mensual de consumo",
            ),
            ("1.2", "Reducir el consumo específico de agua en 10 %", "Informe de consumo anual"),
        ],
    ),
    (
        "2",
        "Eficiencia energética",
        [
            ("2.1", "Realizar un diagnóstico energético", "Informe de diagnóstico"),
            (
                "2.2",
                "Implementar las medidas de bajo costo del diagnóstico",
                "Facturas y registros",
            ),
        ],
    ),
    (
        "3",
        "Gestión de residuos sólidos",
        [
            ("3.1", "Segregar los residuos en origen", "Inspección visual y registro"),
            ("3.2", "Valorizar al menos el 30 % de los residuos", "Certificados de valorización"),
            ("3.3", "Instalar un sistema de tratamiento de RILes", "Resolución sanitaria"),
        ],
    ),
]
# Agreements: code, name, ISIC class, signing date, stage, companies, audited, certified.
AGREEMENTS = [
    (
        "APL-EJ-LACTEO",
        "APL Industria Láctea (ejemplo)",
        "1050",
        dt.date(2007, 3, 15),
        "closed",
        260,
        40,
        30,
    ),
    (
        "APL-EJ-SALMON",
        "APL Salmonicultura (ejemplo)",
        "0321",
        dt.date(2007, 9, 3),
        "closed",
        240,
        30,
        22,
    ),
    (
        "APL-EJ-VINO07",
        "APL Vitivinícola (ejemplo)",
        "1102",
        dt.date(2008, 4, 21),
        "closed",
        320,
        36,
        28,
    ),
    (
        "APL-EJ-CONSTR",
        "APL Construcción sustentable (ejemplo)",
        "4100",
        dt.date(2009, 5, 12),
        "closed",
        380,
        30,
        20,
    ),
    ("APL-EJ-TURISMO", "APL Turismo (ejemplo)", "5510", dt.date(2010, 3, 8), "closed", 300, 20, 14),
    (
        "APL-EJ-PANADE",
        "APL Panaderías (ejemplo)",
        "1071",
        dt.date(2022, 6, 6),
        "certification",
        40,
        12,
        8,
    ),
    (
        "APL-EJ-FRUTA",
        "APL Fruta fresca (ejemplo)",
        "0122",
        dt.date(2025, 4, 1),
        "implementation",
        30,
        0,
        0,
    ),
    ("APL-EJ-MINERIA", "APL Pequeña minería (ejemplo)", "0729", None, "negotiation", 0, 0, 0),
]
SIZES = ["micro"] * 3 + ["pequeña"] * 4 + ["mediana"] * 2 + ["grande"]


def _rut(number: int) -> str:
    body = str(number)
    return body + rut.calc_check_digit(body)


def _organizations() -> dict[str, Organization]:
    specs = {
        "ejemplo-gremio": ("Asociación gremial de ejemplo", "business_association"),
        "cpl": ("Consejo Nacional de Producción Limpia", "public_agency"),
        "ejemplo-fiscalizador": ("Servicio fiscalizador de ejemplo", "regulator"),
    }
    result = {}
    for key, (name, kind) in specs.items():
        result[key], _created = Organization.objects.get_or_create(
            key=key, defaults={"name": name, "kind": kind, "country_id": "CL"}
        )
    return result


def _experts(rng) -> list[Expert]:
    experts = []
    for n in range(1, 4):
        expert, _created = Expert.objects.get_or_create(
            auditor_id=f"EJ-AUD-{n:03d}",
            defaults={
                "kind": "auditor",
                "name": f"Auditor/a de ejemplo {n}",
                "country_id": "CL",
                "registered_from": dt.date(2006, 1, 1),
                "registered_until": dt.date(2028, 12, 31),
                "is_sample": True,
            },
        )
        experts.append(expert)
    Expert.objects.get_or_create(
        auditor_id="EJ-ESP-001",
        defaults={
            "kind": "specialist",
            "name": "Especialista de ejemplo",
            "country_id": "CL",
            "registered_from": dt.date(2020, 1, 1),
            "registered_until": dt.date(2027, 6, 30),
            "is_sample": True,
        },
    )
    return experts


def _agreement(spec, organizations) -> Agreement:
    code, name, isic, signed, stage, *_counts = spec
    agreement = Agreement.objects.create(
        slug=code.lower(),
        code=code,
        name=name,
        country_id="CL",
        stage=stage,
        signing_date=signed,
        is_sample=True,
        description="Acuerdo de ejemplo para la demostración; no es un acuerdo real.",
    )
    agreement.sectors.add(Sector.objects.get(code=isic))
    Signatory.objects.create(
        agreement=agreement,
        organization=organizations["ejemplo-gremio"],
        role="business_association",
    )
    Signatory.objects.create(
        agreement=agreement, organization=organizations["cpl"], role="public_body"
    )
    regulator = Signatory.objects.create(
        agreement=agreement, organization=organizations["ejemplo-fiscalizador"], role="regulator"
    )
    for position, (goal_code, title, actions) in enumerate(GOALS):
        goal = Goal.objects.create(
            agreement=agreement, code=goal_code, title=title, position=position
        )
        if goal_code == "3":
            regulator.competence.add(goal)
        for a_position, (action_code, text, verification) in enumerate(actions):
            Action.objects.create(
                goal=goal,
                code=action_code,
                text=text,
                verification=verification,
                position=a_position,
                deadline_months=6 + 3 * a_position,
                deadline_from="adhesion_end",
                applies_to_sizes=["mediana", "grande"] if action_code == "3.3" else [],
            )
    StageChange.objects.create(
        agreement=agreement,
        from_stage="",
        to_stage=stage,
        changed_at=dt.datetime.now(dt.UTC),
        imported=True,
        comment="Datos de ejemplo",
    )
    return agreement


def _audit(agreement, facility, auditor, audit_type, day, outcome, rng, actions):
    audit = Audit.objects.create(
        agreement=agreement,
        facility=facility,
        auditor=auditor,
        audit_type=audit_type,
        audit_date=day,
        status="submitted",
        submitted_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
    )
    items = []
    for action in actions:
        if not action.applies_to(facility.company.size):
            continue
        complies = outcome == "full" or rng.random() > 0.2
        items.append(
            AuditItem(
                audit=audit,
                action=action,
                applies=True,
                complies=complies,
                evidence="Registro revisado en terreno (ejemplo)",
            )
        )
    AuditItem.objects.bulk_create(items)
    return audit


def _work_in_progress(agreement, facilities, auditor, actions, rng) -> None:
    """An agreement under way: follow-up reports (some late) and an open intermediate audit."""
    from limpia.agreements.models import FollowUpItem, FollowUpReport

    period_end = agreement.adhesion_end + dt.timedelta(days=180)
    for facility in facilities[:10]:
        adhesion = Adhesion.objects.get(agreement=agreement, facility=facility)
        report = FollowUpReport.objects.create(
            adhesion=adhesion,
            kind="follow_up",
            period_end=period_end,
            submitted_at=dt.datetime.combine(period_end, dt.time(9), tzinfo=dt.UTC),
        )
        FollowUpItem.objects.bulk_create(
            FollowUpItem(
                report=report,
                action=action,
                status=rng.choice(["done", "done", "in_progress", "not_started"]),
                comment="Reporte de ejemplo",
            )
            for action in actions
            if action.applies_to(facility.company.size)
        )
    Audit.objects.create(
        agreement=agreement,
        facility=facilities[0],
        auditor=auditor,
        audit_type="intermediate",
        audit_date=period_end + dt.timedelta(days=20),
    )


@transaction.atomic
def sample_agreements_load() -> int:
    """Create the sample agreements once; returns how many were created."""
    if Agreement.objects.filter(code__startswith=SAMPLE_MARK).exists():
        return 0
    rng = random.Random(2006)
    organizations = _organizations()
    experts = _experts(rng)
    regions = list(
        Subdivision.objects.filter(country_id="CL", parent__isnull=True).order_by("code")
    )
    number = 76_100_000
    created = 0
    for spec in AGREEMENTS:
        _code, _name, isic, signed, _stage, n_companies, n_audited, n_certified = spec
        agreement = _agreement(spec, organizations)
        created += 1
        actions = list(Action.objects.filter(goal__agreement=agreement).select_related("goal"))
        sector = Sector.objects.get(code=isic)
        companies, facilities, adhesions = [], [], []
        for _ in range(n_companies):
            number += rng.randint(3, 40)
            companies.append(
                Company(
                    country_id="CL",
                    tax_id=_rut(number),
                    name=f"Empresa de ejemplo {number}",
                    size=rng.choice(SIZES),
                    sector=sector,
                    is_sample=True,
                )
            )
        Company.objects.bulk_create(companies)
        for company in companies:
            facilities.append(
                Facility(
                    company=company,
                    code=f"EJ-{company.tax_id}",
                    name=f"Planta {company.name[-8:]}",
                    subdivision=rng.choice(regions),
                    address="Dirección de ejemplo",
                )
            )
        Facility.objects.bulk_create(facilities)
        for facility in facilities:
            adhesions.append(
                Adhesion(
                    agreement=agreement,
                    facility=facility,
                    adhered_on=signed + dt.timedelta(days=rng.randint(1, agreement.adhesion_days)),
                )
            )
        Adhesion.objects.bulk_create(adhesions)
        if agreement.code == "APL-EJ-FRUTA":
            _work_in_progress(agreement, facilities, experts[0], actions, rng)
        if not n_audited:
            continue
        final_day = agreement.implementation_end + dt.timedelta(days=30)
        for index, facility in enumerate(facilities[:n_audited]):
            auditor = experts[index % len(experts)]
            full = index < n_certified
            audit = _audit(
                agreement,
                facility,
                auditor,
                "final",
                final_day,
                "full" if full else "partial",
                rng,
                actions,
            )
            if not full:
                continue
            certificate = Certificate(
                code=f"{agreement.code}-{facility.code}-{final_day.year}",
                agreement=agreement,
                facility=facility,
                final_audit=audit,
                issued_on=final_day + dt.timedelta(days=100),
                valid_until=add_years(final_day + dt.timedelta(days=100), agreement.validity_years),
                is_sample=True,
            )
            services.certificate_seal(certificate)
            certificate.save()
            # Yearly maintenance: most pass; one in four recent ones misses it (suspension).
            for year in range(1, agreement.validity_years):
                day = add_years(certificate.issued_on, year) - dt.timedelta(days=10)
                if day > dt.date.today() or (index % 4 == 3 and year == 1):
                    break
                _audit(agreement, facility, auditor, "maintenance", day, "full", rng, actions)
        for facility in facilities[:5]:
            for year, factor in ((signed.year, Decimal(1)), (signed.year + 3, Decimal("0.85"))):
                base = Decimal(rng.randint(2_000, 20_000))
                for metric, value, unit in (
                    ("water", base * factor, "m3"),
                    ("energy", base * 3 * factor, "kWh"),
                    ("production", base / 4, "t"),
                ):
                    Impact.objects.create(
                        agreement=agreement,
                        facility=facility,
                        metric=metric,
                        year=year,
                        is_baseline=year == signed.year,
                        value=value.quantize(Decimal("0.01")),
                        unit=unit,
                        entered_value=value.quantize(Decimal("0.01")),
                        entered_unit=unit,
                    )
    # Regional committees (network bodies): five in 2005, more each year until thirteen of
    # sixteen regions; each meets twice a year, except the last three, which stopped in 2008.
    from limpia.network.sample import create_regional_committees

    create_regional_committees(regions[:13])
    tallies.rebuild(Agreement.objects.filter(code__startswith=SAMPLE_MARK))
    return created
