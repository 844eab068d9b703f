"""The back office: administrators see everything; a plan editor works on her plan only."""

import pytest
from django.test import Client

from limpia.plans.models import Node, Plan


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_plan(plan_builder):
    return plan_builder(slug="plan-ajeno", nodes=[{"code": "1", "title": "Elemento ajeno"}])


def test_it_shows_an_editor_only_her_plans(elena, other_plan):
    page = logged_in(elena).get("/admin/plans/plan/").content.decode()
    assert "Plan plan-prueba" in page
    assert "Plan plan-ajeno" not in page


def test_it_lets_an_editor_rename_a_node_of_her_plan_and_records_it(elena, plan):
    node = Node.objects.get(plan=plan, normalized_code="2")
    url = f"/admin/plans/node/{node.pk}/change/"
    client = logged_in(elena)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "plan": plan.pk,
            "code": "2",
            "normalized_code": "2",
            "position": 1,
            "title": "Elemento renombrado",
            "implementation_status": "in_progress",
            "weight": "1",
            "responsibilities-TOTAL_FORMS": 0,
            "responsibilities-INITIAL_FORMS": 0,
            "indicators-TOTAL_FORMS": 0,
            "indicators-INITIAL_FORMS": 0,
            "children-TOTAL_FORMS": 0,
            "children-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    node.refresh_from_db()
    assert node.title == "Elemento renombrado"
    assert node.history.latest().history_user == elena


def test_it_refuses_an_editor_the_nodes_of_other_plans(elena, other_plan):
    node = Node.objects.get(plan=other_plan)
    response = logged_in(elena).get(f"/admin/plans/node/{node.pk}/change/")
    assert response.status_code in (302, 403, 404)
    assert "Elemento ajeno" not in response.content.decode()


def test_it_lets_an_administrator_approve_a_draft_plan_with_an_action(ana, plan_builder):
    draft = plan_builder(slug="borrador", status="draft")
    response = logged_in(ana).post(
        "/admin/plans/plan/",
        {"action": "approve_plans", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.status_changed_by) == ("approved", ana)


def test_it_does_not_offer_an_editor_the_approval_action(elena):
    page = logged_in(elena).get("/admin/plans/plan/").content.decode()
    assert "approve_plans" not in page


def test_it_opens_every_changelist_for_an_administrator(ana, plan):
    client = logged_in(ana)
    for path in (
        "plans/plan",
        "plans/node",
        "plans/indicator",
        "plans/measurement",
        "core/organization",
        "core/country",
        "core/subdivision",
        "core/subregion",
        "core/sector",
        "access/roleassignment",
    ):
        assert client.get(f"/admin/{path}/").status_code == 200, path
    plan_obj = Plan.objects.get(slug="plan-prueba")
    assert client.get(f"/admin/plans/plan/{plan_obj.pk}/change/").status_code == 200


def test_it_explains_a_cycle_in_the_form_instead_of_failing(ana, plan):
    node = Node.objects.get(plan=plan, normalized_code="1")
    child = Node.objects.get(plan=plan, normalized_code="1.1")
    response = logged_in(ana).post(
        f"/admin/plans/node/{node.pk}/change/",
        {
            "plan": plan.pk,
            "parent": child.pk,
            "code": "1",
            "normalized_code": "1",
            "position": 0,
            "title": "Elemento 1",
            "implementation_status": "unknown",
            "weight": "1",
            "responsibilities-TOTAL_FORMS": 0,
            "responsibilities-INITIAL_FORMS": 0,
            "indicators-TOTAL_FORMS": 0,
            "indicators-INITIAL_FORMS": 0,
            "children-TOTAL_FORMS": 0,
            "children-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "no puede ubicarse bajo sí mismo" in response.content.decode()
    node.refresh_from_db()
    assert node.parent is None


def test_it_keeps_measurements_when_an_administrator_deletes_an_indicator(ana, plan, rita):
    import datetime as dt

    from limpia.plans import services
    from limpia.plans.models import Indicator, Measurement

    indicator = Indicator.objects.get(code="I1")
    services.measurement_create(
        acting_user=rita, indicator=indicator, date=dt.date(2022, 1, 1), value=3
    )
    response = logged_in(ana).post(
        f"/admin/plans/indicator/{indicator.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code in (200, 403)
    assert Measurement.objects.count() == 1
