"""Impact metrics: exact Decimal conversions with pint, money kept per currency."""

from decimal import Decimal

import pytest
from django.utils import translation

from limpia.core.errors import DomainError
from limpia.core.units import (
    IMPACT_METRICS,
    Money,
    intensity,
    normalize_unit,
    sum_money,
    to_canonical,
)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the msgids); the site itself defaults to Spanish."""
    with translation.override("en"):
        yield


D = Decimal


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("1500", "L", "1.5"),
        ("1500", "l", "1.5"),
        ("1500", "litre", "1.5"),
        ("1500", "litros", "1.5"),
        ("2", "m3", "2"),
        ("2", "m³", "2"),
        ("2", "m^3", "2"),
        ("2", "m**3", "2"),
        ("1", "mL", "0.000001"),
    ],
)
def test_it_converts_water_to_cubic_metres(value, unit, expected):
    assert to_canonical("water", D(value), unit) == D(expected)


def test_it_converts_exactly_without_float_noise():
    result = to_canonical("water", D("0.1"), "L")
    assert result == D("0.0001")
    assert str(result) == "0.0001"
    assert str(to_canonical("water", D("1500"), "L")) == "1.5"
    assert str(to_canonical("energy", D("1"), "MWh")) == "1000"
    assert isinstance(to_canonical("energy", D("1"), "MWh"), Decimal)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [("1", "MWh", "1000"), ("2.5", "MWh", "2500"), ("750", "kWh", "750"), ("3.6", "GJ", "1000")],
)
def test_it_converts_energy_to_kwh(value, unit, expected):
    assert to_canonical("energy", D(value), unit) == D(expected)


@pytest.mark.parametrize(
    ("metric", "value", "unit", "expected"),
    [
        ("waste", "2500", "kg", "2.5"),
        ("waste", "3", "t", "3"),
        ("waste", "3", "ton", "3"),  # a metric tonne, not pint's US short ton
        ("waste", "3", "toneladas", "3"),
        ("emissions_co2e", "1200", "kgCO2e", "1.2"),
        ("emissions_co2e", "4", "tCO2e", "4"),
        ("emissions_co2e", "4", "t CO2eq", "4"),
        ("emissions_co2e", "4", "tCO₂e", "4"),
        ("emissions_pm10", "0.5", "t", "500"),
        ("emissions_pm10", "250", "g", "0.25"),
    ],
)
def test_it_converts_masses(metric, value, unit, expected):
    assert to_canonical(metric, D(value), unit) == D(expected)


def test_it_converts_production_to_the_facility_unit():
    assert to_canonical("production", D("800"), "kg", canonical_unit="t") == D("0.8")
    assert to_canonical("production", D("12"), "cajas", canonical_unit="cajas") == D("12")
    with pytest.raises(DomainError) as refused:
        to_canonical("production", D("1"), "t")
    assert refused.value.field == "production_unit"


@pytest.mark.parametrize(
    ("metric", "unit"),
    [
        ("water", "kg"),
        ("water", "furlong"),
        ("water", ""),
        ("water", "   "),
        ("energy", "t"),
        ("waste", "kWh"),
        ("emissions_pm10", "kgCO2e"),  # the CO2e suffix only means something for CO2e
        ("water", "__import__('os')"),
        ("water", "2*m**3"),
    ],
)
def test_it_refuses_unknown_or_incompatible_units_naming_unit_and_metric(metric, unit):
    with pytest.raises(DomainError) as refused:
        to_canonical(metric, D("1"), unit)
    assert refused.value.field == "unit"
    message = refused.value.message
    assert f"“{unit}”" in message
    assert str(IMPACT_METRICS[metric][1]) in message
    assert "such as" in message


def test_it_lists_accepted_units_when_refusing():
    with pytest.raises(DomainError, match="m³, m3, L"):
        to_canonical("water", D("1"), "kg")


def test_it_refuses_money_metrics_and_unknown_metrics():
    with pytest.raises(DomainError, match="currency"):
        to_canonical("investment", D("1"), "USD")
    with pytest.raises(DomainError) as refused:
        to_canonical("noise", D("1"), "dB")
    assert refused.value.field == "metric"


def test_it_refuses_non_finite_values():
    with pytest.raises(DomainError):
        to_canonical("water", D("NaN"), "L")


def test_it_normalizes_spellings_for_pint():
    assert normalize_unit("m³") == "m**3"
    assert normalize_unit("m3/h") == "m**3/h"
    assert normalize_unit("kWh") == "kWh"
    assert normalize_unit("tCO2e", "emissions_co2e") == "t"
    assert normalize_unit("tCO2e", "waste") == "tCO**2e"


def test_it_computes_intensity_or_none():
    assert intensity(D("30"), D("12")) == D("2.5")
    assert intensity(D("30"), D("0")) is None
    assert intensity(D("30"), None) is None
    assert intensity(None, D("3")) is None


def test_it_adds_money_in_the_same_currency():
    total = sum([Money(D("100.50"), "clp"), Money(D("0.50"), "CLP")])
    assert total == Money(D("101.00"), "CLP")
    assert total.currency == "CLP"
    assert sum_money([], "PAB") == Money(D("0"), "PAB")
    assert Money(D("5"), "USD") - Money(D("2"), "USD") == Money(D("3"), "USD")


def test_it_refuses_to_mix_currencies():
    with pytest.raises(DomainError) as refused:
        Money(D("1"), "CLP") + Money(D("1"), "USD")
    assert refused.value.field == "currency"
    assert "CLP" in refused.value.message and "USD" in refused.value.message
    with pytest.raises(DomainError):
        sum_money([Money(D("1"), "PAB"), Money(D("1"), "USD")], "PAB")


def test_it_refuses_bad_currencies_and_float_amounts():
    with pytest.raises(DomainError, match="ISO 4217"):
        Money(D("1"), "XYZ")
    with pytest.raises(DomainError, match="ISO 4217"):
        Money(D("1"), "dollars")
    with pytest.raises(TypeError):
        Money(1.5, "USD")
