"""Quantified results of case studies: canonical units with pint, money with a currency."""

from decimal import Decimal

import pytest

from limpia.core.errors import DomainError, NotAllowed
from limpia.knowledge import services
from limpia.knowledge.tests.conftest import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(ana):
    return make_document(ana, kind="case_study", title="Caso: lavado de botellas")


def _add(user, document, metric, value, unit, **extra):
    return services.case_study_result_add(
        acting_user=user, document=document, metric=metric, value=value, unit=unit, **extra
    )


@pytest.mark.parametrize(
    ("metric", "value", "unit", "canonical", "canonical_unit"),
    [
        ("water", "1500", "L", "1.5", "m**3"),
        ("water", "2", "m³", "2", "m**3"),
        ("energy", "3", "MWh", "3000", "kWh"),
        ("materials", "500", "kg", "0.5", "t"),
        ("money", "1200.50", "usd", "1200.50", "USD"),
        ("investment", "15000", "PAB", "15000", "PAB"),
        ("payback", "2", "años", "24", "months"),
        ("payback", "18", "meses", "18", "months"),
    ],
)
def test_it_stores_results_in_canonical_units(
    ana, case, metric, value, unit, canonical, canonical_unit
):
    result = _add(ana, case, metric, value, unit)
    result.refresh_from_db()
    assert result.value == Decimal(canonical)
    assert result.unit == canonical_unit
    assert result.entered_value == Decimal(value)
    assert result.entered_unit == unit


@pytest.mark.parametrize(
    ("metric", "value", "unit", "field"),
    [
        ("water", "10", "kWh", "unit"),
        ("energy", "10", "m3", "unit"),
        ("materials", "10", "L", "unit"),
        ("money", "10", "XYZ", "currency"),
        ("payback", "3", "kg", "unit"),
        ("water", "-5", "m3", "value"),
        ("water", "muchos", "m3", "value"),
        ("emissions", "1", "t", "metric"),
    ],
)
def test_it_refuses_units_that_do_not_fit(ana, case, metric, value, unit, field):
    with pytest.raises(DomainError) as refused:
        _add(ana, case, metric, value, unit)
    assert refused.value.field == field
    assert not case.results.exists()


def test_it_names_the_metric_and_the_units_to_use(ana, case):
    with pytest.raises(DomainError) as refused:
        _add(ana, case, "water", "10", "kWh")
    assert "Water saved" in refused.value.message
    assert "m³" in refused.value.message


def test_it_links_results_to_agreements_and_plan_nodes(ana, case, plan):
    node = plan.nodes.get(code="1.1")
    result = _add(ana, case, "water", "3", "m3", node=node, period="por año")
    assert list(node.case_study_results.all()) == [result]
    assert result.period == "por año"


def test_it_keeps_results_to_case_studies_and_administrators(ana, carlos, case):
    guide = make_document(ana, kind="sector_guide", title="Guía")
    with pytest.raises(DomainError) as refused:
        _add(ana, guide, "water", "1", "m3")
    assert refused.value.field == "document"
    with pytest.raises(NotAllowed):
        _add(carlos, case, "water", "1", "m3")


def test_it_totals_results_per_metric_and_currency(ana, case):
    other = make_document(ana, kind="case_study", title="Otro caso")
    _add(ana, case, "water", "1500", "L")
    _add(ana, other, "water", "2", "m3")
    _add(ana, case, "money", "100", "USD")
    _add(ana, other, "money", "50", "CLP")
    totals = services.result_totals(case.results.all() | other.results.all())
    assert {(row["metric"], row["unit"]): (row["total"], row["documents"]) for row in totals} == {
        ("water", "m**3"): (Decimal("3.5"), 2),
        ("money", "USD"): (Decimal(100), 1),
        ("money", "CLP"): (Decimal(50), 1),
    }
