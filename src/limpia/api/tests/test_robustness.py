"""Bad input through the API gets a clear answer that names the field; nothing is lost."""

import datetime as dt

from limpia.plans import services
from limpia.plans.models import Indicator, Measurement, Node


def _measurement(rita, **kwargs):
    return services.measurement_create(
        acting_user=rita,
        indicator=Indicator.objects.get(code="I1"),
        date=dt.date(2022, 7, 2),
        value=40,
        **kwargs,
    )


def test_it_changes_one_field_of_a_draft(api, plan, rita):
    measurement = _measurement(rita)
    response = api(rita).patch(
        f"/api/v1/measurements/{measurement.pk}/",
        {"value": 45, "version": measurement.version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    measurement.refresh_from_db()
    assert (measurement.value, measurement.date) == (45, dt.date(2022, 7, 2))


def test_it_refuses_to_edit_a_submitted_measurement_with_a_conflict(api, plan, rita):
    measurement = _measurement(rita, submit=True)
    response = api(rita).patch(
        f"/api/v1/measurements/{measurement.pk}/",
        {"value": 45, "version": measurement.version},
        format="json",
    )
    assert response.status_code == 409


def test_it_refuses_to_attach_an_indicator_to_another_plans_node(api, ana, plan, plan_builder):
    other = plan_builder(slug="otro", nodes=[{"code": "9"}])
    node = Node.objects.get(plan=other)
    indicator = Indicator.objects.get(code="I1")
    response = api(ana).patch(
        f"/api/v1/indicators/{indicator.pk}/", {"node": node.pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "node"


def test_it_keeps_reported_measurements_when_asked_to_delete_their_plan(api, ana, plan, rita):
    _measurement(rita)
    response = api(ana).delete(f"/api/v1/plans/{plan.slug}/")
    assert response.status_code == 400
    assert response.json()["field"] == "plan"
    assert Measurement.objects.count() == 1


def test_it_keeps_reported_measurements_when_asked_to_delete_a_node(api, ana, plan, rita):
    _measurement(rita)
    response = api(ana).delete(f"/api/v1/nodes/{Node.objects.get(normalized_code='1').pk}/")
    assert response.status_code == 400
    assert Measurement.objects.count() == 1


def test_it_names_the_field_when_a_period_ends_before_it_starts(api, ana, plan):
    response = api(ana).patch(
        f"/api/v1/plans/{plan.slug}/", {"period_end": "2010-01-01", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "period_end"


def test_it_refuses_level_names_that_are_not_a_list(api, ana, plan):
    response = api(ana).patch(f"/api/v1/plans/{plan.slug}/", {"level_names": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "level_names"


def test_it_says_when_the_body_is_not_json(api, ana, plan):
    response = api(ana).generic(
        "PATCH", f"/api/v1/plans/{plan.slug}/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_it_refuses_to_change_the_kind_of_an_indicator_with_measurements(api, ana, plan, rita):
    _measurement(rita)
    indicator = Indicator.objects.get(code="I1")
    response = api(ana).patch(
        f"/api/v1/indicators/{indicator.pk}/", {"kind": "qualitative", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "kind"


def test_it_refuses_a_compact_as_of(api, plan):
    response = api().get(f"/api/v1/plans/{plan.slug}/tree/?as_of=20220101")
    assert response.status_code == 400


def test_it_does_not_publish_who_reported_to_anonymous_visitors(api, plan, rita, ana):
    measurement = _measurement(rita, submit=True)
    services.measurement_approve(acting_user=ana, measurement=measurement)
    public = api().get(f"/api/v1/measurements/{measurement.pk}/").json()
    assert public["created_by"] is None and public["reviewed_by"] is None
    signed_in = api(rita).get(f"/api/v1/measurements/{measurement.pk}/").json()
    assert signed_in["created_by"] == "rita"


def test_it_answers_401_to_an_anonymous_write(api, plan):
    response = api().post("/api/v1/measurements/", {"indicator": 1}, format="json")
    assert response.status_code == 401


def test_it_lets_an_objectives_responsible_organizations_report_on_it(
    api, plan_builder, rita, ministry
):
    """An objective that names no responsible organization is reported by those of its actions."""
    from limpia.plans.models import NodeResponsibility

    built = plan_builder(
        slug="objetivos",
        nodes=[
            {
                "code": "1",
                "indicators": [{"code": "O1", "name": "Objetivo", "kind": "quantity"}],
                "children": [{"code": "1.1"}],
            },
        ],
    )
    NodeResponsibility.objects.filter(node__plan=built, node__normalized_code="1").delete()
    indicator = Indicator.objects.get(plan=built, code="O1")
    response = api(rita).post(
        "/api/v1/measurements/",
        {"indicator": indicator.pk, "date": "2022-01-01", "value": 3},
        format="json",
    )
    assert response.status_code == 201, response.json()
