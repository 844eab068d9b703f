"""`/api/v1/cooperation/`: needs and offers read as docs/cooperation.md says and written
through the services, refusals naming the field; a need's suggestions best first, with why,
in a fixed number of queries."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from limpia.cooperation.models import Need, Offer
from limpia.core.models import Organization

NEEDS, OFFERS = "/api/v1/cooperation/needs/", "/api/v1/cooperation/offers/"

pytestmark = pytest.mark.django_db


def _offer(api, user, **fields):
    body = {"provider": "cnpml-x", "kind": "technical_assistance", "title": "Oferta", **fields}
    return api(user).post(OFFERS, body, format="json")


def test_paula_publishes_a_need_and_bad_input_names_its_field(api, orgs, paula, carlos):
    need = {
        "title": "Asesoría en gestión de residuos sólidos",
        "kind": "technical_assistance",
        "requester": "minamb-pa",
        "country": "PA",
        "sector": "38",
    }
    assert api().post(NEEDS, need, format="json").status_code == 401
    assert api(carlos).post(NEEDS, need, format="json").status_code == 403
    for field, value in (("kind", "dinero"), ("country", "XX"), ("sector", "9999")):
        refused = api(paula).post(NEEDS, {**need, field: value}, format="json")
        assert refused.status_code == 400 and field in refused.json(), refused.content
    created = api(paula).post(NEEDS, need, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["sector"] == "38" and created.json()["status"] == "open"
    saved = Need.objects.get(pk=created.json()["id"])
    assert saved.created_by == paula and saved.history.first().history_user == paula
    closed = api(paula).patch(
        f"{NEEDS}{saved.pk}/", {"status": "closed_unmet", "version": 1}, format="json"
    )
    assert closed.status_code == 200, closed.content
    # a closed need is no longer public; its owner still sees it
    assert saved.pk not in [n["id"] for n in api().get(NEEDS).json()["results"]]
    assert saved.pk in [n["id"] for n in api(paula).get(NEEDS).json()["results"]]


def test_offers_are_public_while_valid_and_refused_when_they_end_before_they_start(
    api, orgs, pedro_cp
):
    refused = _offer(api, pedro_cp, valid_from="2026-01-01", valid_until="2025-01-01")
    assert refused.status_code == 400 and "valid_until" in refused.json(), refused.content
    old = _offer(api, pedro_cp, title="Vieja", valid_until="2020-12-31")
    current = _offer(api, pedro_cp, title="Vigente", countries=["PA", "CR"], sectors=["10"])
    assert old.status_code == current.status_code == 201, (old.content, current.content)
    assert sorted(current.json()["countries"]) == ["CR", "PA"]
    public = [o["title"] for o in api().get(OFFERS).json()["results"]]
    assert public == ["Vigente"]
    assert {o["title"] for o in api(pedro_cp).get(OFFERS).json()["results"]} == {
        "Vieja",
        "Vigente",
    }
    assert [o["title"] for o in api().get(OFFERS, {"country": "pa"}).json()["results"]] == [
        "Vigente"
    ]


def test_a_need_gets_its_suggestions_best_first_with_why(api, orgs, paula, pedro_cp):
    need = Need.objects.create(
        title="Asesoría para la gestión de residuos sólidos y el reciclaje municipal",
        kind="technical_assistance",
        requester=orgs["panama"],
        country_id="PA",
    )
    for title, kind in (
        (
            "Asesoría técnica en gestión integral de residuos sólidos municipales",
            "technical_assistance",
        ),
        ("Cursos de capacitación en producción más limpia", "training"),
        ("Crédito para eficiencia energética", "financing"),
    ):
        assert _offer(api, pedro_cp, title=title, kind=kind).status_code == 201
    answer = api().get(f"{NEEDS}{need.pk}/suggestions/")
    assert answer.status_code == 200, answer.content
    best = answer.json()
    assert best[0]["title"].startswith("Asesoría técnica en gestión integral")
    assert best[0]["same_kind"] and "residuos" in best[0]["shared_terms"]
    assert float(best[0]["score"]) > float(best[1]["score"])
    assert set(best[0]["components"]) == {"text", "kind", "themes", "sector", "geography"}

    def count():
        cache.clear()  # the public-read cache would answer from memory
        with CaptureQueriesContext(connection) as queries:
            assert api().get(f"{NEEDS}{need.pk}/suggestions/").status_code == 200
        return len(queries)

    before = count()
    center = Organization.objects.get(key="cnpml-x")
    for i in range(12):
        Offer.objects.create(provider=center, kind="information", title=f"Boletín {i}")
    assert count() == before == 7  # revision, need, its themes, offers and 3 prefetches


def test_the_lists_run_a_fixed_number_of_queries(api, orgs, paula, pedro_cp):
    def count(url):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert api().get(url).status_code == 200
        return len(queries)

    _offer(api, pedro_cp, countries=["PA"], sectors=["10"])
    Need.objects.create(title="N", requester=orgs["panama"])
    small = [count(NEEDS), count(OFFERS)]
    for i in range(10):
        _offer(api, pedro_cp, title=f"O{i}", countries=["PA", "CR"], sectors=["10", "38"])
        Need.objects.create(title=f"N{i}", requester=orgs["panama"])
    assert [count(NEEDS), count(OFFERS)] == small
    assert api().get("/api/v1/cooperation/programmes/").status_code == 200
