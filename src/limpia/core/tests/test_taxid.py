"""Company tax identifiers: check digits where stdnum knows the country, loose format elsewhere."""

import pytest
from django.utils import translation

from limpia.core.errors import DomainError
from limpia.core.taxid import (
    STDNUM_COUNTRIES,
    TAX_ID_NAMES,
    format_tax_id,
    tax_id_name,
    validate_tax_id,
)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the msgids); the site itself defaults to Spanish."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize("value", ["76.086.428-5", "76086428-5", "760864285", " 76.086.428-5 "])
def test_it_accepts_a_chilean_rut_however_it_is_written(value):
    assert validate_tax_id("CL", value) == "760864285"


def test_it_formats_a_chilean_rut_with_dots_and_dash():
    assert format_tax_id("CL", "760864285") == "76.086.428-5"
    assert format_tax_id("cl", "76086428-5") == "76.086.428-5"


def test_it_refuses_a_rut_with_a_wrong_check_digit_naming_the_value():
    with pytest.raises(DomainError) as refused:
        validate_tax_id("CL", "76.086.428-4")
    assert refused.value.field == "tax_id"
    assert "76.086.428-4" in refused.value.message
    assert "RUT" in refused.value.message
    assert "check digit" in refused.value.message
    assert "76.086.428-5" in refused.value.message  # an example of what is expected


def test_it_accepts_a_rut_whose_check_digit_is_k():
    # 12.345.670-K: the modulo-11 check digit of 12345670 is 10, written K.
    assert validate_tax_id("CL", "12.345.670-k") == "12345670K"
    assert format_tax_id("CL", "12345670K") == "12.345.670-K"
    with pytest.raises(DomainError):
        validate_tax_id("CL", "12.345.670-1")


@pytest.mark.parametrize(
    ("country", "value", "compact", "formatted"),
    [
        ("CO", "213.123.432-1", "2131234321", "213.123.432-1"),
        ("AR", "20-26756539-3", "20267565393", "20-26756539-3"),
        ("BR", "16.727.230/0001-97", "16727230000197", "16.727.230/0001-97"),
        ("PE", "20512333797", "20512333797", "20512333797"),
        ("UY", "21-100342-001-7", "211003420017", "21-100342-001-7"),
    ],
)
def test_it_validates_other_countries_with_stdnum(country, value, compact, formatted):
    assert validate_tax_id(country, value) == compact
    assert format_tax_id(country, value) == formatted


@pytest.mark.parametrize(
    ("country", "value"),
    [("CO", "213.123.432-5"), ("AR", "20-26756539-4"), ("BR", "16.727.230/0001-98")],
)
def test_it_refuses_other_countries_with_a_wrong_check_digit(country, value):
    with pytest.raises(DomainError, match="check digit") as refused:
        validate_tax_id(country, value)
    assert value in refused.value.message
    assert TAX_ID_NAMES[country] in refused.value.message


def test_it_accepts_a_panamanian_ruc_by_format_only():
    assert "PA" not in STDNUM_COUNTRIES
    assert validate_tax_id("PA", " 155596713-2-2015  dv 59 ") == "155596713-2-2015 DV 59"
    assert format_tax_id("PA", "8-888-888") == "8-888-888"


def test_it_falls_back_to_the_loose_format_for_an_unknown_country():
    assert validate_tax_id("ZZ", "ab-123/4.5") == "AB-123/4.5"
    assert tax_id_name("ZZ") == "Tax ID"
    assert tax_id_name("pa") == "RUC"


@pytest.mark.parametrize(
    ("country", "value"),
    [
        ("PA", "12"),
        ("PA", "x" * 31),
        ("PA", "155596713<script>"),
        ("PA", "--- ..."),
        ("ZZ", "RUC#1234"),
        ("CL", "not a rut"),
        ("CL", "76.086.428"),
        ("MX", "🙂🙂🙂"),
    ],
)
def test_it_refuses_garbage(country, value):
    with pytest.raises(DomainError) as refused:
        validate_tax_id(country, value)
    assert refused.value.field == "tax_id"
    assert value[:40] in refused.value.message


@pytest.mark.parametrize("value", ["", "   ", None])
def test_it_requires_a_value(value):
    with pytest.raises(DomainError, match="required"):
        validate_tax_id("CL", value)


def test_it_names_every_country_that_has_a_stdnum_module():
    assert set(STDNUM_COUNTRIES) <= set(TAX_ID_NAMES)
