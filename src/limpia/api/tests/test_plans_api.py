"""GET /api/v1/plans/ and GET /api/v1/plans/{slug}/tree/: listing, visibility, tree shape, cost."""

import datetime as dt

import pytest

from limpia.plans import services
from limpia.plans.models import Plan

PLANS = "/api/v1/plans/"

# Queries of the tree endpoint for an anonymous visitor, whatever the size of the plan:
# the plan, then nodes, their responsibilities, indicators, their targets, their approved
# measurements.
TREE_QUERIES = (
    8  # the data revision, the plan, its subplans, nodes, responsibilities, indicators,
    # targets, measurements
)
# Queries of the plan list for an anonymous visitor, whatever the number of plans: the data
# revision (limpia.api.cache), the count and the page.
LIST_QUERIES = 3


def tree_url(slug, as_of="2022-12-31"):
    return f"/api/v1/plans/{slug}/tree/?as_of={as_of}"


def big_plan(plan_builder, slug="plan-grande", status="approved"):
    """5 top nodes × 4 children × 3 grandchildren, each grandchild with a measured indicator."""
    from limpia.plans.models import Indicator, Measurement

    nodes = [
        {
            "code": f"{a}",
            "children": [
                {
                    "code": f"{a}.{b}",
                    "children": [
                        {
                            "code": f"{a}.{b}.{c}",
                            "indicators": [
                                {
                                    "code": f"I{a}.{b}.{c}",
                                    "name": f"Indicador {a}.{b}.{c}",
                                    "kind": "quantity",
                                    "unit": "t",
                                    "targets": [
                                        ("50", dt.date(2022, 12, 31)),
                                        ("100", dt.date(2024, 12, 31)),
                                    ],
                                }
                            ],
                        }
                        for c in range(1, 4)
                    ],
                }
                for b in range(1, 5)
            ],
        }
        for a in range(1, 6)
    ]
    plan = plan_builder(slug=slug, nodes=nodes, status=status)
    for indicator in Indicator.objects.filter(plan=plan):
        for month, value in ((3, 10), (6, 20)):
            Measurement.objects.create(
                indicator=indicator, date=dt.date(2021, month, 1), value=value, status="approved"
            )
    return plan


# --- the list -------------------------------------------------------------------------------


def test_it_lists_plans_paginated_with_their_main_fields(plan, api):
    response = api().get(PLANS)

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert body["next"] is None and body["previous"] is None
    [item] = body["results"]
    assert item["slug"] == "plan-prueba"
    assert item["title"] == "Plan plan-prueba"
    assert item["jurisdiction"] == "CL"
    assert item["period_start"] == "2020-01-01"
    assert item["period_end"] == "2030-12-31"
    assert item["status"] == "approved"


def test_it_pages_through_plans(plan_builder, api):
    for i in range(3):
        plan_builder(slug=f"plan-{i}")

    first = api().get(PLANS, {"page_size": 2}).json()
    second = api().get(first["next"]).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert len(second["results"]) == 1
    assert second["next"] is None
    slugs = {p["slug"] for p in first["results"] + second["results"]}
    assert slugs == {"plan-0", "plan-1", "plan-2"}


def _listed_slugs(client):
    response = client.get(PLANS)
    assert response.status_code == 200
    return {p["slug"] for p in response.json()["results"]}


def test_it_hides_draft_plans_from_anonymous_visitors(plan_builder, api):
    plan_builder(slug="publicado")
    plan_builder(slug="borrador", status="draft")

    assert _listed_slugs(api()) == {"publicado"}
    assert api().get("/api/v1/plans/borrador/").status_code == 404
    assert api().get(tree_url("borrador")).status_code == 404


def test_it_hides_draft_plans_from_users_without_a_role(plan_builder, api, carlos):
    plan_builder(slug="publicado")
    plan_builder(slug="borrador", status="draft")

    assert _listed_slugs(api(carlos)) == {"publicado"}
    assert api(carlos).get(tree_url("borrador")).status_code == 404


def test_it_shows_draft_plans_to_administrators(plan_builder, api, ana):
    plan_builder(slug="publicado")
    plan_builder(slug="borrador", status="draft")

    assert _listed_slugs(api(ana)) == {"publicado", "borrador"}
    assert api(ana).get(tree_url("borrador")).status_code == 200


def test_it_shows_a_draft_plan_to_its_editor_only(plan, plan_builder, api, elena):
    Plan.objects.filter(pk=plan.pk).update(status="draft")
    plan_builder(slug="otro-borrador", status="draft")

    assert _listed_slugs(api(elena)) == {"plan-prueba"}
    assert api(elena).get(tree_url("plan-prueba")).status_code == 200
    assert api(elena).get(tree_url("otro-borrador")).status_code == 404


def test_it_shows_a_draft_plan_to_its_editor_logged_in_with_a_token(plan, api, elena):
    Plan.objects.filter(pk=plan.pk).update(status="draft")
    token = api().post(
        "/api/v1/auth/token/", {"username": "elena", "password": "contraseña-segura-1"}
    )
    assert token.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    assert _listed_slugs(client) == {"plan-prueba"}


def test_it_keeps_the_list_query_count_fixed_whatever_the_number_of_plans(
    plan_builder, api, django_assert_num_queries
):
    plan_builder(slug="plan-0")
    with django_assert_num_queries(LIST_QUERIES):
        assert api().get(PLANS).json()["count"] == 1

    for i in range(1, 5):
        plan_builder(slug=f"plan-{i}")
    with django_assert_num_queries(LIST_QUERIES):
        assert api().get(PLANS).json()["count"] == 5


def test_it_keeps_the_list_query_count_fixed_for_plans_approved_by_an_administrator(
    plan_builder, api, ana, django_assert_num_queries
):
    def approved(slug):
        plan = plan_builder(slug=slug, status="draft")
        services.plan_change_status(acting_user=ana, plan=plan, verb="approve")

    approved("plan-0")
    with django_assert_num_queries(LIST_QUERIES):
        assert api().get(PLANS).json()["results"][0]["status_changed_by"] == "ana"

    for i in range(1, 5):
        approved(f"plan-{i}")
    with django_assert_num_queries(LIST_QUERIES):
        assert api().get(PLANS).json()["count"] == 5


# --- the tree -------------------------------------------------------------------------------


def test_it_returns_the_plan_as_a_nested_tree(plan, api):
    response = api().get(tree_url("plan-prueba", as_of="2022-06-30"))

    assert response.status_code == 200
    tree = response.json()
    assert tree["slug"] == "plan-prueba"
    assert tree["jurisdiction"] == "CL"
    assert tree["as_of"] == "2022-06-30"
    assert {"progress", "coverage", "status_counts", "indicators", "children"} <= set(tree)
    assert tree["indicators"] == []
    assert [n["code"] for n in tree["children"]] == ["1", "2"]

    one, two = tree["children"]
    assert one["title"] == "Elemento 1"
    assert one["level"] == "objetivo"
    assert [c["code"] for c in one["children"]] == ["1.1", "1.2"]
    assert [c["level"] for c in one["children"]] == ["línea", "línea"]
    assert one["indicators"] == []
    for node in (one, two, *one["children"]):
        assert {
            "code",
            "title",
            "level",
            "progress",
            "coverage",
            "status_counts",
            "indicators",
            "children",
        } <= set(node)

    [i1] = one["children"][0]["indicators"]
    assert i1["code"] == "I1"
    assert i1["name"] == "Empresas adheridas"
    assert i1["kind"] == "quantity"
    assert i1["unit"] == "empresas"
    assert i1["direction"] == "increase"
    assert i1["baseline"] == {"value": 0.0, "date": "2020-01-01"}
    assert i1["targets"] == [{"value": 100.0, "due_date": "2024-12-31", "text": ""}]
    assert i1["current_value"] is None
    assert i1["progress"] is None
    assert i1["status"] == "no_data"
    assert i1["forecast_value"] is None

    [i2] = one["children"][1]["indicators"]
    assert (i2["code"], i2["kind"], i2["status"]) == ("I2", "milestone", "pending")
    [i3] = two["indicators"]
    assert (i3["code"], i3["kind"], i3["status"]) == ("I3", "qualitative", "no_data")

    # Nothing measured yet: no progress, no coverage, and every indicator counted once.
    assert tree["progress"] == 0.0
    assert tree["coverage"] == 0.0
    assert tree["status_counts"] == {"no_data": 2, "pending": 1}
    assert two["progress"] is None and two["coverage"] is None
    assert two["status_counts"] == {"no_data": 1}


def test_it_evaluates_the_tree_on_the_requested_date(plan, api):
    before_due = api().get(tree_url("plan-prueba", as_of="2022-12-31")).json()
    after_due = api().get(tree_url("plan-prueba", as_of="2023-01-01")).json()

    def i2(tree):
        return tree["children"][0]["children"][1]["indicators"][0]

    assert i2(before_due)["status"] == "pending"
    assert i2(after_due)["status"] == "missed"
    assert after_due["status_counts"] == {"no_data": 2, "missed": 1}


def test_it_reports_forecasts_of_measured_indicators(plan_builder, api):
    big_plan(plan_builder)

    tree = api().get(tree_url("plan-grande", as_of="2021-06-30")).json()

    indicator = tree["children"][0]["children"][0]["children"][0]["indicators"][0]
    assert indicator["code"] == "I1.1.1"
    assert indicator["current_value"] == 20.0
    assert indicator["targets"] == [
        {"value": 50.0, "due_date": "2022-12-31", "text": ""},
        {"value": 100.0, "due_date": "2024-12-31", "text": ""},
    ]
    # Target 50 due 2022-12-31 from 0 on 2020-01-01; 20 on 2021-06-01 (517 of 1095 days):
    # P = 0.4, R = 0.4 × 1095 / 517, forecast = R × 50.
    assert indicator["progress"] == pytest.approx(0.4)
    assert indicator["forecast_value"] == pytest.approx(0.4 * 1095 / 517 * 50, abs=1e-5)
    assert indicator["status"] == "acceleration_needed"
    assert tree["coverage"] == 1.0
    assert tree["progress"] == pytest.approx(0.4)
    assert tree["status_counts"] == {"acceleration_needed": 60}


@pytest.mark.parametrize("as_of", ["2024-13-01", "yesterday"])
def test_it_refuses_a_bad_as_of_naming_the_field(plan, api, as_of):
    response = api().get(tree_url("plan-prueba", as_of=as_of))

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "as_of"
    assert "as_of" in body["detail"]


def test_it_answers_404_for_an_unknown_plan(plan, api):
    assert api().get(tree_url("no-existe")).status_code == 404
    assert api().get("/api/v1/plans/no-existe/").status_code == 404


def test_it_reads_the_tree_in_a_fixed_number_of_queries_whatever_the_size(
    plan, plan_builder, api, django_assert_num_queries
):
    big_plan(plan_builder)

    with django_assert_num_queries(TREE_QUERIES):
        small = api().get(tree_url("plan-prueba"))
    with django_assert_num_queries(TREE_QUERIES):
        big = api().get(tree_url("plan-grande"))

    assert small.status_code == big.status_code == 200
    assert len(small.json()["children"]) == 2
    assert len(big.json()["children"]) == 5
    assert big.json()["status_counts"]  # 60 indicators evaluated
    assert sum(big.json()["status_counts"].values()) == 60
