"""Plan goals that track themselves: indicators computed from agreements data."""

import datetime as dt
from decimal import Decimal

import pytest

from limpia.agreements import services
from limpia.agreements.models import Adhesion, Certificate
from limpia.core.errors import DomainError
from limpia.plans import services as plan_services
from limpia.plans.models import Indicator, Plan, Target
from limpia.plans.progress import plan_tree


@pytest.fixture
def goals(db):
    """Chile-like goals: new companies since 2024, SMEs certified, regions with a committee."""
    plan = Plan.objects.create(
        slug="metas",
        title="Metas",
        country_id="CL",
        status="approved",
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    specs = [
        ("NEW", "increment", "companies_adhered", {"since": "2024-01-01", "country": "CL"}, 4),
        ("SME", "level", "companies_certified", {"sizes": ["micro", "pequeña", "mediana"]}, 2),
        ("REG", "level", "regions_with_committee", {"country": "CL"}, 100),
    ]
    for code, measure, metric, params, target in specs:
        indicator = Indicator.objects.create(
            plan=plan,
            code=code,
            name=code,
            kind="quantity",
            measure=measure,
            metric=metric,
            metric_params=params,
            baseline_value=0,
            baseline_date=dt.date(2023, 12, 31),
        )
        Target.objects.create(indicator=indicator, value=target, due_date=dt.date(2026, 12, 31))
    return plan


def _indicators(tree):
    return {item.indicator.code: item.result for item in tree.indicators}


def test_it_counts_new_companies_once_from_their_first_adhesion(goals, apl, facilities):
    for code in ("A1", "A2"):  # one company, two facilities
        Adhesion.objects.create(
            agreement=apl, facility=facilities[code], adhered_on=dt.date(2024, 2, 1)
        )
    Adhesion.objects.create(
        agreement=apl, facility=facilities["B1"], adhered_on=dt.date(2024, 3, 1)
    )
    results = _indicators(plan_tree(goals, as_of=dt.date(2025, 1, 1)))
    assert results["NEW"].current_value == 2
    assert results["NEW"].progress == Decimal("0.5")
    early = _indicators(plan_tree(goals, as_of=dt.date(2024, 2, 15)))
    assert early["NEW"].current_value == 1


def test_it_leaves_out_companies_that_adhered_before_the_date(goals, apl, facilities):
    Adhesion.objects.create(
        agreement=apl, facility=facilities["A1"], adhered_on=dt.date(2023, 6, 1)
    )
    results = _indicators(plan_tree(goals, as_of=dt.date(2025, 1, 1)))
    assert results["NEW"].current_value is None
    assert results["NEW"].status == "no_data"


def test_it_counts_only_sme_certificates_for_the_sme_goal(goals, apl, facilities, aurora):
    for code in ("A1", "B1"):  # Lácteos del Sur is pequeña, Gran Lechera is grande
        audit = apl.audits.create(
            facility=facilities[code],
            auditor=aurora,
            audit_type="final",
            audit_date=dt.date(2025, 5, 1),
            status="submitted",
        )
        Certificate.objects.create(
            code=f"C-{code}",
            agreement=apl,
            facility=facilities[code],
            final_audit=audit,
            issued_on=dt.date(2025, 6, 1),
            valid_until=dt.date(2028, 6, 1),
            signature="x",
        )
    results = _indicators(plan_tree(goals, as_of=dt.date(2025, 12, 31)))
    assert results["SME"].current_value == 1


def _committee(code, start, end=None):
    from limpia.network.models import Body

    return Body.objects.create(
        key=f"comite-{code.lower()}",
        name=code,
        kind="regional_committee",
        scope="subdivision",
        country_id=code[:2],
        subdivision_id=code,
        founded_on=start,
        active_from=start,
        active_until=end,
    )


def test_it_measures_the_share_of_regions_with_an_active_committee(goals):
    for code, start, end in (
        ("CL-RM", dt.date(2024, 1, 1), None),
        ("CL-BI", dt.date(2024, 6, 1), None),
        ("CL-LL", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ):
        _committee(code, start, end)
    mid_year = _indicators(plan_tree(goals, as_of=dt.date(2024, 7, 1)))
    assert mid_year["REG"].current_value == Decimal("18.75")  # 3 of Chile's 16 regions
    next_year = _indicators(plan_tree(goals, as_of=dt.date(2025, 2, 1)))
    assert next_year["REG"].current_value == Decimal("12.50")


def test_it_refuses_hand_reported_measurements_for_a_computed_indicator(goals, ana):
    with pytest.raises(DomainError) as refused:
        plan_services.measurement_create(
            acting_user=ana,
            indicator=Indicator.objects.get(code="NEW"),
            date=dt.date(2024, 5, 1),
            value=3,
        )
    assert refused.value.field == "indicator"


def test_it_follows_the_data_when_a_facility_withdraws(goals, apl, facilities, pedro):
    adhesion = services.facility_adhere(
        acting_user=pedro, agreement=apl, facility=facilities["A1"], adhered_on=dt.date(2024, 2, 1)
    )
    assert _indicators(plan_tree(goals, as_of=dt.date(2025, 1, 1)))["NEW"].current_value == 1
    services.adhesion_withdraw(
        acting_user=pedro, adhesion=adhesion, on=dt.date(2024, 9, 1), reason="Cierre de la planta"
    )
    assert _indicators(plan_tree(goals, as_of=dt.date(2025, 1, 1)))["NEW"].current_value is None


def test_it_wires_chiles_2010_goals_to_the_agreements_data(db):
    from limpia.plans.loader import load_plans

    load_plans()
    goals = {
        i.code: i
        for i in Indicator.objects.filter(plan__slug="cl-politica-pl-2010", node__isnull=True)
    }
    assert goals["META-a"].metric == "companies_adhered"
    assert goals["META-a"].metric_params == {"since": "2006-01-01", "country": "CL"}
    assert goals["META-b"].metric_params["sizes"] == ["micro", "pequeña", "mediana"]
    assert goals["META-c"].metric == "regions_with_committee"


def test_it_reads_the_data_in_a_fixed_number_of_queries(goals, apl, facilities):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            plan_tree(goals, as_of=dt.date(2025, 1, 1))
        return len(queries)

    before = count()
    for n, code in enumerate(("A1", "A2", "B1")):
        Adhesion.objects.create(
            agreement=apl, facility=facilities[code], adhered_on=dt.date(2024, 2, 1 + n)
        )
    _committee("CL-RM", dt.date(2024, 1, 1))
    # the tree's five (nodes, responsibilities, indicators, targets, measurements), then every
    # counted series in one, sample data in one, committees and regions: whatever the rows.
    assert count() == before == 9


def test_it_agrees_with_the_per_facility_eligibility_in_bulk(apl, facilities, cora, aurora):
    from limpia.agreements import figures
    from limpia.agreements.tests.helpers import adhere, run_audit, set_stage

    adhere(apl, *facilities.values())
    set_stage(apl, "final_evaluation")
    run_audit(cora, apl, facilities["A1"], aurora, {"1.1": True, "1.2": True, "2.1": True})
    run_audit(cora, apl, facilities["A2"], aurora, {"1.1": True, "1.2": False, "2.1": False})
    bulk = figures.eligibility_by_facility(apl)
    for code in ("A1", "A2"):
        facility = facilities[code]
        assert bulk[facility.pk] == figures.certification_eligibility(apl, facility)
    assert bulk[facilities["A1"].pk] == "eligible"
