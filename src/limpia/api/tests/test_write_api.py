"""Writing plans, nodes and organizations through the API, as an administrator or an editor."""

import pytest

from limpia.core.models import Organization
from limpia.plans.models import Node, Plan


def test_it_creates_a_plan_for_a_subregion(api, ana):
    response = api(ana).post(
        "/api/v1/plans/",
        {
            "slug": "plan-andino-2030",
            "title": "Plan andino de CPS 2030",
            "jurisdiction": "andean",
            "period_start": "2025-01-01",
            "period_end": "2030-12-31",
            "level_names": ["eje", "acción"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    plan = Plan.objects.get(slug="plan-andino-2030")
    assert (plan.subregion.key, plan.country, plan.status) == ("andean", None, "draft")
    assert response.json()["jurisdiction"] == "andean"
    assert plan.history.get().history_user == ana


def test_it_names_the_field_of_an_unknown_jurisdiction(api, ana):
    response = api(ana).post(
        "/api/v1/plans/",
        {
            "slug": "x",
            "title": "X",
            "jurisdiction": "Atlantis",
            "period_start": "2025-01-01",
            "period_end": "2030-12-31",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "jurisdiction"
    assert "Atlantis" in response.json()["detail"]


def test_it_refuses_a_period_that_ends_before_it_starts(api, ana):
    response = api(ana).post(
        "/api/v1/plans/",
        {
            "slug": "y",
            "title": "Y",
            "jurisdiction": "CL",
            "period_start": "2030-01-01",
            "period_end": "2025-12-31",
        },
        format="json",
    )
    assert response.status_code == 400
    assert not Plan.objects.filter(slug="y").exists()


def test_it_lets_the_editor_add_a_node_with_its_responsible_organizations(api, elena, plan):
    Organization.objects.create(key="sofofa", name="SOFOFA", kind="business_association")
    parent = Node.objects.get(plan=plan, normalized_code="1")
    response = api(elena).post(
        "/api/v1/nodes/",
        {
            "plan": plan.slug,
            "parent": parent.pk,
            "code": "1.3",
            "normalized_code": "1.3",
            "title": "Difundir guías sectoriales",
            "responsible": [
                {"organization": "minamb", "role": "lead"},
                {"organization": "sofofa", "role": "support"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    node = Node.objects.get(plan=plan, normalized_code="1.3")
    assert node.depth == 1
    assert set(node.responsibilities.values_list("organization__key", "role")) == {
        ("minamb", "lead"),
        ("sofofa", "support"),
    }
    assert {r["organization"] for r in response.json()["responsible"]} == {"minamb", "sofofa"}


def test_it_refuses_a_node_to_someone_who_does_not_edit_the_plan(api, carlos, rita, plan):
    for user in (carlos, rita):
        response = api(user).post(
            "/api/v1/nodes/",
            {"plan": plan.slug, "code": "9", "normalized_code": "9", "title": "Intruso"},
            format="json",
        )
        assert response.status_code == 403
    assert not Node.objects.filter(normalized_code="9").exists()


def test_it_lets_only_administrators_create_organizations(api, ana, carlos):
    body = {
        "key": "conama",
        "name": "Comisión Nacional del Medio Ambiente",
        "acronym": "CONAMA",
        "kind": "public_agency",
        "country": "CL",
    }
    assert api(carlos).post("/api/v1/organizations/", body, format="json").status_code == 403
    response = api(ana).post("/api/v1/organizations/", body, format="json")
    assert response.status_code == 201, response.json()
    organization = Organization.objects.get(key="conama")
    assert organization.history.get().history_user == ana


def test_it_names_the_field_of_an_unknown_organization_kind(api, ana):
    response = api(ana).post(
        "/api/v1/organizations/", {"key": "z", "name": "Z", "kind": "club"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "kind"


def test_it_refuses_to_delete_an_organization_that_is_responsible_for_a_node(api, ana, plan):
    response = api(ana).delete("/api/v1/organizations/minamb/")
    assert response.status_code == 409
    assert "responsible" in response.json()["detail"] or response.json()["code"] == "protected"
    assert Organization.objects.filter(key="minamb").exists()


@pytest.mark.parametrize("as_of", ["2024-02-30", "2024-1-1x", "1800-01-01"])
def test_it_answers_400_for_an_impossible_as_of(api, plan, as_of):
    response = api().get(f"/api/v1/plans/{plan.slug}/tree/?as_of={as_of}")
    assert response.status_code == 400
    assert response.json()["field"] == "as_of"
