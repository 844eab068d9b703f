"""The registry through the API: applications decided by registry staff, declarations."""

import datetime as dt

import pytest

from limpia.registry.models import Expert


@pytest.fixture
def candidate(db):
    return Expert.objects.create(
        auditor_id="AUD-NEW", kind="auditor", name="Nueva Auditora", country_id="CL"
    )


def test_it_takes_an_application_to_approval(api, ana, candidate):
    staff = api(ana)
    created = staff.post(
        "/api/v1/registry-applications/",
        {"expert": "AUD-NEW", "submitted_on": "2026-01-05"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = f"/api/v1/registry-applications/{created.json()['id']}/decide/"
    assert (
        staff.post(
            url, {"status": "recommended", "decided_on": "2026-01-20"}, format="json"
        ).status_code
        == 200
    )
    approved = staff.post(
        url,
        {
            "status": "approved",
            "decided_on": "2026-02-01",
            "valid_from": "2026-02-01",
            "valid_until": "2029-01-31",
        },
        format="json",
    )
    assert approved.json()["status"] == "approved"
    candidate.refresh_from_db()
    assert candidate.is_registered_on(dt.date(2026, 6, 1))
    listed = api().get("/api/v1/registry/").json()["results"]
    assert "AUD-NEW" in {e["auditor_id"] for e in listed} or not candidate.is_registered_on(
        dt.date.today()
    )


def test_it_refuses_an_approval_straight_from_submitted(api, ana, candidate):
    staff = api(ana)
    created = staff.post(
        "/api/v1/registry-applications/",
        {"expert": "AUD-NEW", "submitted_on": "2026-01-05"},
        format="json",
    )
    response = staff.post(
        f"/api/v1/registry-applications/{created.json()['id']}/decide/",
        {
            "status": "approved",
            "decided_on": "2026-01-06",
            "valid_from": "2026-01-06",
            "valid_until": "2027-01-06",
        },
        format="json",
    )
    assert response.status_code == 409


def test_it_keeps_applications_away_from_other_people(api, ana, carlos, candidate):
    api(ana).post(
        "/api/v1/registry-applications/",
        {"expert": "AUD-NEW", "submitted_on": "2026-01-05"},
        format="json",
    )
    assert api(carlos).get("/api/v1/registry-applications/").json()["count"] == 0
    refused = api(carlos).post(
        "/api/v1/registry-applications/",
        {"expert": "AUD-NEW", "submitted_on": "2026-01-05"},
        format="json",
    )
    assert refused.status_code == 403


def test_it_lets_an_auditor_declare_a_relation_that_bars_them(api, aurora, lacteos):
    response = api(aurora.user).post(
        f"/api/v1/experts/{aurora.auditor_id}/relations/",
        {
            "company": lacteos.tax_id,
            "country": "CL",
            "kind": "consulting",
            "started_on": "2023-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert aurora.relations.get().company == lacteos


def test_it_records_continuing_training(api, aurora):
    response = api(aurora.user).post(
        f"/api/v1/experts/{aurora.auditor_id}/trainings/",
        {"title": "Actualización NCh2807", "completed_on": "2025-05-10", "hours": "16"},
        format="json",
    )
    assert response.status_code == 201
    assert aurora.trainings.get().hours == 16
