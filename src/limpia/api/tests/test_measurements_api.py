"""The measurement workflow through the API: draft → submitted → approved (or returned)."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from limpia.access.models import Role, RoleAssignment
from limpia.plans.models import Indicator, Measurement

PASSWORD = "contraseña-segura-1"
MEASUREMENTS = "/api/v1/measurements/"


def token_client(username):
    anonymous = APIClient()
    response = anonymous.post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def indicator(code):
    return Indicator.objects.get(code=code)


def create(client, code="I1", date="2022-07-02", value="50", **extra):
    body = {"indicator": indicator(code).pk, "date": date, "value": value, **extra}
    if value is None:
        del body["value"]
    return client.post(MEASUREMENTS, body, format="json")


def action(client, pk, verb, **body):
    return client.post(f"{MEASUREMENTS}{pk}/{verb}/", body, format="json")


def i1_and_plan(as_of="2022-12-31"):
    tree = APIClient().get(f"/api/v1/plans/plan-prueba/tree/?as_of={as_of}").json()
    [i1] = tree["children"][0]["children"][0]["indicators"]
    return i1, tree


@pytest.fixture
def submitted(plan, rita):
    """A measurement of I1 (50 on 2022-07-02) that rita created and submitted through the API."""
    client = token_client("rita")
    created = create(client)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    response = action(client, pk, "submit")
    assert response.status_code == 200, response.content
    return Measurement.objects.get(pk=pk)


# --- the story ------------------------------------------------------------------------------


def test_it_gives_a_token_only_for_the_right_password(rita):
    anonymous = APIClient()

    ok = anonymous.post("/api/v1/auth/token/", {"username": "rita", "password": PASSWORD})
    wrong = anonymous.post("/api/v1/auth/token/", {"username": "rita", "password": "otra"})

    assert ok.status_code == 200 and ok.json()["token"]
    assert wrong.status_code == 400
    assert wrong.json()["field"] == "password"
    assert "token" not in wrong.json()


def test_it_records_a_reporters_measurement_as_a_draft(plan, rita):
    client = token_client("rita")

    response = create(client)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["created_by"] == "rita"
    assert body["value"] == 50
    assert body["date"] == "2022-07-02"
    assert Measurement.objects.get(pk=body["id"]).status == "draft"


def test_it_submits_a_draft_for_review(plan, rita):
    client = token_client("rita")
    pk = create(client).json()["id"]

    response = action(client, pk, "submit")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_by"] == "rita"
    assert Measurement.objects.get(pk=pk).status == "submitted"


def test_it_does_not_count_measurements_that_are_not_approved(submitted):
    i1, tree = i1_and_plan()

    assert i1["status"] == "no_data"
    assert i1["current_value"] is None
    assert i1["progress"] is None
    assert tree["progress"] == 0.0
    assert tree["coverage"] == 0.0


def test_it_counts_a_measurement_once_a_reviewer_approves_it(submitted, rosa):
    response = action(token_client("rosa"), submitted.pk, "approve")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["reviewed_by"] == "rosa"
    i1, tree = i1_and_plan()
    # Target 100 due 2024-12-31 from 0 on 2020-01-01; 50 on 2022-07-02, i.e. after 913 of the
    # 1826 days: P = 0.5, R = 0.5 × 1826 / 913 = 1 → on track, forecast 100.
    assert i1["current_value"] == 50.0
    assert i1["observed_on"] == "2022-07-02"
    assert i1["progress"] == 0.5
    assert i1["status"] == "on_track"
    assert i1["forecast_value"] == 100.0
    assert i1["projected_date"] == "2024-12-31"
    # Node 1 = mean(1.1 → 0.5, 1.2 → milestone pending, 0); node 2 has only a qualitative
    # indicator and is left out; the plan is node 1's 0.25. Coverage: 1 of I1 and I2.
    assert tree["children"][0]["progress"] == 0.25
    assert tree["progress"] == 0.25
    assert tree["coverage"] == 0.5
    assert tree["status_counts"] == {"on_track": 1, "pending": 1, "no_data": 1}


def test_it_returns_a_submission_with_a_note(submitted, rosa):
    response = action(token_client("rosa"), submitted.pk, "return", note="Falta la evidencia")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "returned"
    assert response.json()["review_note"] == "Falta la evidencia"
    assert i1_and_plan()[0]["status"] == "no_data"


def test_it_refuses_to_return_a_submission_without_a_note(submitted, rosa):
    response = action(token_client("rosa"), submitted.pk, "return")

    assert response.status_code == 400
    assert "note" in response.json()
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_it_answers_409_to_a_second_approval(submitted, rosa):
    client = token_client("rosa")
    assert action(client, submitted.pk, "approve").status_code == 200

    response = action(client, submitted.pk, "approve")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_it_answers_409_to_a_second_approval_by_an_administrator(submitted, ana):
    client = token_client("ana")
    assert action(client, submitted.pk, "approve").status_code == 200

    response = action(client, submitted.pk, "approve")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["field"] == "status"


def test_it_lets_an_administrator_approve_and_counts_the_value(submitted, ana):
    response = action(token_client("ana"), submitted.pk, "approve")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    i1, tree = i1_and_plan()
    assert i1["progress"] == 0.5
    assert i1["status"] == "on_track"
    assert tree["progress"] == 0.25


def test_it_forbids_a_reviewer_to_approve_her_own_submission(plan, rosa, ministry):
    RoleAssignment.objects.create(user=rosa, role=Role.REPORTER, organization=ministry)
    client = token_client("rosa")
    pk = create(client).json()["id"]
    assert action(client, pk, "submit").status_code == 200

    response = action(client, pk, "approve")

    assert response.status_code == 403
    assert Measurement.objects.get(pk=pk).status == "submitted"


def test_it_forbids_a_reporter_to_approve(submitted):
    response = action(token_client("rita"), submitted.pk, "approve")

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_it_forbids_users_without_a_role_to_record_measurements(plan, carlos):
    response = create(token_client("carlos"))

    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_it_forbids_anonymous_visitors_to_record_measurements(plan):
    response = create(APIClient())

    assert response.status_code in (401, 403)
    assert not Measurement.objects.exists()


# --- validation -----------------------------------------------------------------------------


def test_it_refuses_a_milestone_value_other_than_0_or_1(plan, rita):
    response = create(token_client("rita"), code="I2", value="2")

    assert response.status_code == 400
    assert response.json()["field"] == "value"
    assert "value" in response.json()
    assert not Measurement.objects.exists()


def test_it_accepts_a_milestone_done(plan, rita):
    response = create(token_client("rita"), code="I2", value="1")

    assert response.status_code == 201, response.content


def test_it_refuses_a_date_in_the_future(plan, rita):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = create(token_client("rita"), date=tomorrow.isoformat())

    assert response.status_code == 400
    assert response.json()["field"] == "date"
    assert not Measurement.objects.exists()


def test_it_refuses_a_qualitative_measurement_without_text(plan, rita):
    response = create(token_client("rita"), code="I3", value=None, text="  ")

    assert response.status_code == 400
    assert response.json()["field"] == "text"
    assert not Measurement.objects.exists()


def test_it_accepts_a_qualitative_measurement_with_text(plan, rita):
    response = create(token_client("rita"), code="I3", value=None, text="Mejoró la percepción")

    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Mejoró la percepción"


# --- who sees what --------------------------------------------------------------------------


def test_it_lists_only_approved_measurements_to_anonymous_visitors(plan):
    i1 = indicator("I1")
    for day, status in enumerate(("draft", "submitted", "returned", "approved"), start=1):
        Measurement.objects.create(indicator=i1, date=dt.date(2022, 1, day), value=1, status=status)

    response = APIClient().get(MEASUREMENTS)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [m["status"] for m in response.json()["results"]] == ["approved"]


def test_it_hides_approved_measurements_of_draft_plans_from_anonymous_visitors(plan):
    Measurement.objects.create(
        indicator=indicator("I1"), date=dt.date(2022, 1, 1), value=1, status="approved"
    )
    assert APIClient().get(MEASUREMENTS).json()["count"] == 1

    plan.status = "draft"  # saved, so recorded (an unrecorded UPDATE is not seen for a minute)
    plan.save()

    assert APIClient().get(MEASUREMENTS).json()["count"] == 0


def test_it_lists_a_reporters_own_drafts_to_her(submitted, rita):
    response = token_client("rita").get(MEASUREMENTS)

    assert [m["id"] for m in response.json()["results"]] == [submitted.pk]


# --- history --------------------------------------------------------------------------------


def test_it_records_who_did_each_step_in_the_history(submitted, rita, rosa):
    assert action(token_client("rosa"), submitted.pk, "approve").status_code == 200

    rows = list(submitted.history.order_by("history_date", "history_id"))
    assert [r.status for r in rows] == ["draft", "submitted", "approved"]
    assert [r.history_user for r in rows] == [rita, rita, rosa]
    assert [r.history_change_reason for r in rows] == ["created", "submitted", "approved"]


def test_it_records_the_reporter_in_the_history_of_her_steps(submitted, rita):
    rows = list(submitted.history.order_by("history_date", "history_id"))

    assert [r.status for r in rows] == ["draft", "submitted"]
    assert {r.history_user for r in rows} == {rita}


def test_it_answers_submitted_when_creating_with_submit(plan, rita):
    response = create(token_client("rita"), submit=True)

    assert response.status_code == 201, response.content
    assert Measurement.objects.get(pk=response.json()["id"]).status == "submitted"
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_by"] == "rita"


# --- one measurement per indicator, date and group (issue 10, item 4) -----------------------


def test_it_refuses_a_second_measurement_of_the_same_indicator_and_date(plan, rita, api):
    client = api(rita)
    first = create(client, disaggregation={"sexo": "mujeres", "región": "CL-RM"})
    same_group = create(client, value="60", disaggregation={"región": "CL-RM", "sexo": "mujeres"})
    total = create(client, value="70")
    second_total = create(client, value="80")
    other_day = create(client, date="2022-07-03", value="90")

    assert (first.status_code, total.status_code, other_day.status_code) == (201, 201, 201)
    for refused in (same_group, second_total):
        assert refused.status_code == 400, refused.json()
        assert refused.json()["field"] == "date"
        assert "2022-07-02" in refused.json()["detail"]
    assert Measurement.objects.count() == 3


def test_it_refuses_moving_a_measurement_onto_a_date_already_reported(plan, rita, api):
    client = api(rita)
    create(client)
    later = create(client, date="2022-08-01").json()

    moved = client.patch(
        f"{MEASUREMENTS}{later['id']}/",
        {"date": "2022-07-02", "version": later["version"]},
        format="json",
    )

    assert (moved.status_code, moved.json()["field"]) == (400, "date")
    assert Measurement.objects.get(pk=later["id"]).date == dt.date(2022, 8, 1)


def test_the_database_keeps_the_rule_whatever_the_path(plan, rita):
    from django.db import IntegrityError, transaction

    Measurement.objects.create(indicator=indicator("I1"), date=dt.date(2022, 7, 2), value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.create(indicator=indicator("I1"), date=dt.date(2022, 7, 2), value=2)
