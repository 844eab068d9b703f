"""The auditor registry (applications, expiry, public list), impacts with units, and the
RUT check of companies."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from limpia.agreements import services
from limpia.agreements.models import Company, Impact
from limpia.agreements.tests.helpers import adhere, freeze_today
from limpia.core.errors import DomainError, IllegalTransition, NotAllowed
from limpia.core.models import Country, Sector
from limpia.registry.models import Application, Expert
from limpia.registry.services import (
    application_decide,
    application_submit,
    applications_expire,
)


@pytest.fixture(autouse=True)
def in_english(settings):
    """Messages are asserted in English, whatever the site's default language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def rocio(db):
    """An auditor who applies to the registry for the first time."""
    user = get_user_model().objects.create_user("rocio", password="contraseña-segura-1")
    return Expert.objects.create(
        auditor_id="AUD-010", kind="auditor", name="Rocío Revisora", country_id="CL", user=user
    )


def decide(user, application, status, **extra):
    return application_decide(
        acting_user=user,
        application=application,
        status=status,
        decided_on=extra.pop("decided_on", dt.date(2025, 3, 1)),
        **extra,
    )


def test_it_registers_an_expert_through_the_application_workflow(rocio, ana):
    application = application_submit(
        acting_user=rocio.user, expert=rocio, submitted_on=dt.date(2025, 2, 1)
    )
    assert application.status == "submitted"
    decide(ana, application, "recommended")
    approved = decide(
        ana,
        application,
        "approved",
        valid_from=dt.date(2025, 4, 1),
        valid_until=dt.date(2028, 3, 31),
    )
    assert (approved.status, approved.valid_from, approved.valid_until) == (
        "approved",
        dt.date(2025, 4, 1),
        dt.date(2028, 3, 31),
    )
    rocio.refresh_from_db()
    assert (rocio.registered_from, rocio.registered_until) == (
        dt.date(2025, 4, 1),
        dt.date(2028, 3, 31),
    )
    assert rocio.is_registered_on(dt.date(2025, 4, 1))
    assert not rocio.is_registered_on(dt.date(2025, 3, 31))
    assert rocio.history.first().history_user == ana


def test_it_needs_observations_to_observe_and_lets_the_expert_answer(rocio, ana):
    application = application_submit(
        acting_user=rocio.user, expert=rocio, submitted_on=dt.date(2025, 2, 1)
    )
    with pytest.raises(DomainError) as refused:
        decide(ana, application, "observed", observations="  ")
    assert refused.value.field == "observations"
    observed = decide(ana, application, "observed", observations="Falta certificado de título")
    assert (observed.status, observed.observations) == ("observed", "Falta certificado de título")
    resubmitted = decide(rocio.user, application, "submitted")
    assert resubmitted.status == "submitted"
    assert resubmitted.observations == "Falta certificado de título"  # kept


def test_it_needs_a_validity_period_to_approve(rocio, ana):
    application = application_submit(
        acting_user=rocio.user, expert=rocio, submitted_on=dt.date(2025, 2, 1)
    )
    decide(ana, application, "recommended")
    with pytest.raises(DomainError) as refused:
        decide(
            ana,
            application,
            "approved",
            valid_from=dt.date(2025, 4, 1),
            valid_until=dt.date(2025, 4, 1),
        )
    assert refused.value.field == "valid_until"
    rocio.refresh_from_db()
    assert rocio.registered_from is None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "approved"),  # submitted → approved skips the recommendation
        ([], "expired"),
        (["recommended"], "observed"),
        (["rejected"], "submitted"),
        (["rejected"], "recommended"),
    ],
)
def test_it_refuses_illegal_application_transitions(rocio, ana, path, target):
    application = application_submit(
        acting_user=rocio.user, expert=rocio, submitted_on=dt.date(2025, 2, 1)
    )
    for status in path:
        decide(ana, application, status, observations="Motivo")
    application.refresh_from_db()
    before = application.status
    with pytest.raises(IllegalTransition):
        decide(
            ana,
            application,
            target,
            observations="Motivo",
            valid_from=dt.date(2025, 4, 1),
            valid_until=dt.date(2028, 3, 31),
        )
    application.refresh_from_db()
    assert application.status == before
    rocio.refresh_from_db()
    assert rocio.registered_from is None


def test_it_lets_only_registry_staff_decide(rocio, cora):
    application = application_submit(
        acting_user=rocio.user, expert=rocio, submitted_on=dt.date(2025, 2, 1)
    )
    for user in (cora, rocio.user):
        with pytest.raises(NotAllowed):
            decide(user, application, "recommended")


def test_it_refuses_a_second_application_under_review_and_a_first_renewal(rocio, ana):
    with pytest.raises(DomainError) as refused:
        application_submit(
            acting_user=rocio.user,
            expert=rocio,
            submitted_on=dt.date(2025, 2, 1),
            is_renewal=True,
        )
    assert refused.value.field == "is_renewal"
    application_submit(acting_user=rocio.user, expert=rocio, submitted_on=dt.date(2025, 2, 1))
    with pytest.raises(DomainError) as refused:
        application_submit(acting_user=rocio.user, expert=rocio, submitted_on=dt.date(2025, 2, 2))
    assert refused.value.field == "expert"


def approve(ana, expert, valid_from, valid_until, renewal=False):
    application = application_submit(
        acting_user=ana, expert=expert, submitted_on=valid_from, is_renewal=renewal
    )
    decide(ana, application, "recommended", decided_on=valid_from)
    return decide(
        ana,
        application,
        "approved",
        decided_on=valid_from,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def test_it_expires_lapsed_approvals_and_renews_them(rocio, ana):
    lapsed = approve(ana, rocio, dt.date(2022, 1, 1), dt.date(2025, 12, 31))
    assert applications_expire(acting_user=ana, today=dt.date(2025, 12, 31)) == 0
    assert applications_expire(acting_user=ana, today=dt.date(2026, 1, 1)) == 1
    lapsed.refresh_from_db()
    assert lapsed.status == "expired"
    assert applications_expire(acting_user=ana, today=dt.date(2026, 1, 2)) == 0
    renewed = approve(ana, rocio, dt.date(2026, 2, 1), dt.date(2029, 1, 31), renewal=True)
    assert renewed.is_renewal
    rocio.refresh_from_db()
    assert (rocio.registered_from, rocio.registered_until) == (
        dt.date(2022, 1, 1),
        dt.date(2029, 1, 31),
    )
    assert Application.objects.filter(expert=rocio).count() == 2


def test_it_lets_only_registry_staff_expire_applications(cora):
    with pytest.raises(NotAllowed):
        applications_expire(acting_user=cora, today=dt.date(2026, 1, 1))


def test_it_lists_publicly_only_experts_registered_today(api, aurora, rocio, monkeypatch):
    freeze_today(monkeypatch, dt.date(2026, 6, 1))
    aurora.specialities.add(Sector.objects.order_by("code").first())
    Expert.objects.create(
        auditor_id="AUD-020",
        kind="auditor",
        name="Vencida Vera",
        registered_from=dt.date(2020, 1, 1),
        registered_until=dt.date(2026, 5, 31),
    )
    Expert.objects.create(
        auditor_id="ESP-001",
        kind="specialist",
        name="Especialista Elsa",
        registered_from=dt.date(2026, 6, 1),
    )
    Expert.objects.create(
        auditor_id="AUD-030",
        kind="auditor",
        name="Futura Flor",
        registered_from=dt.date(2026, 6, 2),
    )
    response = api().get("/api/v1/registry/")
    assert response.status_code == 200
    listed = response.json()["results"]
    assert [e["auditor_id"] for e in listed] == ["AUD-001", "ESP-001"]  # by name
    assert listed[0] == {
        "auditor_id": "AUD-001",
        "kind": "auditor",
        "name": "Aurora Auditora",
        "country": "CL",
        "specialities": [Sector.objects.order_by("code").first().code],
        "registered_from": "2020-01-01",
        "registered_until": "2027-12-31",
    }
    assert api().get("/api/v1/registry/AUD-020/").status_code == 404
    kinds = api().get("/api/v1/registry/", {"kind": "specialist"}).json()["results"]
    assert [e["auditor_id"] for e in kinds] == ["ESP-001"]


# ---------------------------------------------------------------- impacts


@pytest.fixture
def adhered(apl, facilities):
    adhere(apl, *facilities.values())
    return facilities


def record(user, apl, facility, metric, value, unit, year=2025, **extra):
    return services.impact_record(
        acting_user=user,
        agreement=apl,
        facility=facility,
        metric=metric,
        year=year,
        value=Decimal(value),
        unit=unit,
        **extra,
    )


def test_it_converts_litres_of_water_to_cubic_metres(api, apl, adhered, pedro):
    impact = record(pedro, apl, adhered["A1"], "water", "1500", "L", is_baseline=True)
    assert (impact.value, impact.unit) == (Decimal("1.5"), "m**3")
    assert (impact.entered_value, impact.entered_unit) == (Decimal("1500"), "L")
    assert impact.is_baseline
    response = api(pedro).post(
        "/api/v1/impacts/",
        {
            "agreement": apl.slug,
            "facility": "A2",
            "metric": "water",
            "year": 2025,
            "entered_value": "2500",
            "entered_unit": "litros",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Decimal(response.json()["value"]) == Decimal("2.5")
    assert response.json()["unit"] == "m**3"


def test_it_converts_megawatt_hours_to_kilowatt_hours(apl, adhered, cora):
    impact = record(cora, apl, adhered["B1"], "energy", "2.5", "MWh")
    assert (impact.value, impact.unit) == (Decimal("2500"), "kWh")


def test_it_refuses_an_incompatible_unit_naming_the_unit(api, apl, adhered, pedro):
    with pytest.raises(DomainError, match="kWh") as refused:
        record(pedro, apl, adhered["A1"], "water", "10", "kWh")
    assert refused.value.field == "unit"
    response = api(pedro).post(
        "/api/v1/impacts/",
        {
            "agreement": apl.slug,
            "facility": "A1",
            "metric": "energy",
            "year": 2025,
            "entered_value": "10",
            "entered_unit": "kg",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "entered_unit"  # the request's field
    assert not Impact.objects.exists()


def test_it_keeps_money_with_its_currency(apl, adhered, pedro):
    impact = record(pedro, apl, adhered["A1"], "investment", "15000000", "CLP")
    assert (impact.value, impact.unit) == (Decimal("15000000"), "CLP")
    savings = record(pedro, apl, adhered["A1"], "savings", "1200.50", "usd")
    assert (savings.value, savings.unit) == (Decimal("1200.50"), "USD")
    with pytest.raises(DomainError) as refused:
        record(pedro, apl, adhered["A2"], "investment", "100", "PESOS")
    assert refused.value.field == "currency"


def test_it_records_impacts_only_for_ones_own_adhered_facilities(apl, facilities, pedro):
    adhere(apl, facilities["A1"], facilities["B1"])
    with pytest.raises(NotAllowed):
        record(pedro, apl, facilities["B1"], "water", "1", "m3")
    with pytest.raises(DomainError) as refused:
        record(pedro, apl, facilities["A2"], "water", "1", "m3")
    assert refused.value.field == "facility"


def test_it_aggregates_impacts_with_intensity_per_unit_of_production(api, apl, adhered, cora):
    record(cora, apl, adhered["A1"], "water", "1500", "L")  # 1.5 m³
    record(cora, apl, adhered["A2"], "water", "2.5", "m³")
    record(cora, apl, adhered["B1"], "water", "6", "m3")  # B1 reports no production
    record(cora, apl, adhered["A1"], "production", "100", "t")
    record(cora, apl, adhered["A2"], "production", "150", "toneladas")
    record(cora, apl, adhered["A1"], "energy", "1", "MWh", year=2024)
    response = api().get(f"/api/v1/agreements/{apl.slug}/impacts/")
    assert response.status_code == 200
    rows = {(r["year"], r["metric"]): r for r in response.json()}
    water = rows[(2025, "water")]
    assert Decimal(str(water["total"])) == Decimal("10")
    assert water["facilities"] == 3
    assert water["unit"] == "m**3"
    # Only A1 and A2 reported production: (1.5 + 2.5) m³ / (100 + 150) t.
    assert Decimal(str(water["per_unit_of_production"])) == Decimal("0.016")
    assert water["production_unit"] == "t"
    production = rows[(2025, "production")]
    assert Decimal(str(production["total"])) == Decimal("250")
    assert production["per_unit_of_production"] is None
    energy = rows[(2024, "energy")]
    assert (Decimal(str(energy["total"])), energy["per_unit_of_production"]) == (
        Decimal("1000"),
        None,
    )


def test_it_aggregates_production_reported_in_convertible_units(api, apl, adhered, cora):
    record(cora, apl, adhered["A1"], "water", "1.5", "m3")
    record(cora, apl, adhered["A2"], "water", "2.5", "m3")
    record(cora, apl, adhered["A1"], "production", "100", "t")
    record(cora, apl, adhered["A2"], "production", "150000", "kg")  # 150 t
    rows = api().get(f"/api/v1/agreements/{apl.slug}/impacts/").json()
    production = [r for r in rows if r["metric"] == "production"]
    assert len(production) == 1
    water = next(r for r in rows if r["metric"] == "water")
    assert water["per_unit_of_production"] is not None
    # 4 m³ over 250 t, in whichever unit the total production is expressed.
    expected = {"t": Decimal("0.016"), "kg": Decimal("0.000016")}[water["production_unit"]]
    assert Decimal(str(water["per_unit_of_production"])) == expected


# ---------------------------------------------------------------- RUT check


def test_it_refuses_a_rut_with_a_wrong_check_digit(api, cora):
    chile = Country.objects.get(code="CL")
    with pytest.raises(DomainError, match=re.escape("76.086.428-4")) as refused:
        services.company_register(
            acting_user=cora,
            country=chile,
            tax_id="76.086.428-4",
            name="Quesos Falsos",
            size="micro",
        )
    assert refused.value.field == "tax_id"
    response = api(cora).post(
        "/api/v1/companies/",
        {"country": "CL", "tax_id": "76.086.428-4", "name": "Quesos Falsos", "size": "micro"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "tax_id"
    assert not Company.objects.filter(name="Quesos Falsos").exists()


def test_it_stores_a_valid_rut_in_compact_form(api, cora):
    chile = Country.objects.get(code="CL")
    company = services.company_register(
        acting_user=cora,
        country=chile,
        tax_id="76.086.428-5",
        name="Lácteos del Norte",
        size="mediana",
    )
    assert company.tax_id == "760864285"
    response = api(cora).post(
        "/api/v1/companies/",
        {"country": "CL", "tax_id": "77.123.456-9", "name": "Quesería Austral", "size": "micro"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["tax_id"] == "771234569"
    assert Company.objects.get(name="Quesería Austral").tax_id == "771234569"


def test_it_lets_only_coordinators_and_admins_register_companies(pedro):
    with pytest.raises(NotAllowed):
        services.company_register(
            acting_user=pedro,
            country=Country.objects.get(code="CL"),
            tax_id="77.123.456-9",
            name="Quesería Austral",
            size="micro",
        )
