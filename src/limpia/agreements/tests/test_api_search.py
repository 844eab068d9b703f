"""The API's lists are searched with `?search=` (every word must match, case-insensitive) and
paged; a visitor reads the public ones."""

# ruff: noqa: F811  (the conftest's fixtures are imported, then used as arguments)
import datetime as dt

import pytest

from limpia.agreements.models import Adhesion, Agreement
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    apl,
    aurora,
    facilities,
    grande,
    lacteos,
    organizations,
)
from limpia.registry.models import Expert


@pytest.fixture
def adhered(apl, facilities):
    for facility in facilities.values():
        Adhesion.objects.create(agreement=apl, facility=facility, adhered_on=dt.date(2024, 2, 1))
    return apl


def found(api, url, key):
    response = api().get(url)
    assert response.status_code == 200, response.content
    return sorted(row[key] for row in response.json()["results"])


def test_a_visitor_searches_the_agreements_by_code_or_name(api, adhered, organizations):
    Agreement.objects.create(
        slug="apl-vino",
        code="APL-VIN-02",
        name="APL Vitivinícola",
        country_id="CL",
        stage="signed",
        signing_date=dt.date(2024, 1, 10),
    )
    assert found(api, "/api/v1/agreements/?search=lácteo", "slug") == ["apl-lacteo"]
    assert found(api, "/api/v1/agreements/?search=vin-02", "slug") == ["apl-vino"]
    assert found(api, "/api/v1/agreements/?search=APL", "slug") == ["apl-lacteo", "apl-vino"]
    assert found(api, "/api/v1/agreements/?search=nada", "slug") == []


def test_a_visitor_searches_the_facilities_by_code_name_or_company(api, adhered):
    assert found(api, "/api/v1/facilities/?search=lácteos del sur", "code") == ["A1", "A2"]
    assert found(api, "/api/v1/facilities/?search=965432109", "code") == ["B1"]
    assert found(api, "/api/v1/facilities/?search=osorno", "code") == ["A1"]


def test_a_visitor_searches_the_registry(api, aurora):
    Expert.objects.create(
        auditor_id="ESP-9",
        kind="specialist",
        name="Especialista Nueve",
        registered_from=dt.date(2020, 1, 1),
    )
    assert found(api, "/api/v1/registry/?search=aurora", "auditor_id") == ["AUD-001"]
    assert found(api, "/api/v1/registry/?search=esp-9", "auditor_id") == ["ESP-9"]


def test_the_search_pages_like_every_list(api, adhered):
    body = api().get("/api/v1/facilities/?search=planta&page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert "search=planta" in body["next"]
