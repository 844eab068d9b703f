"""Certification: regulators' consultation, issuing, public verification of signed
certificates, revocation, suspension by maintenance audits and expiry."""

import datetime as dt

import pytest

from limpia.agreements import services
from limpia.agreements.figures import certificate_state
from limpia.agreements.models import Certificate, Consultation
from limpia.agreements.tests.helpers import adhere, freeze_today, run_audit, set_stage
from limpia.core.errors import DomainError, IllegalTransition, NotAllowed

ALL_COMPLY = {"1.1": True, "1.2": True, "2.1": True}
CONSULTED = dt.date(2025, 12, 1)  # the objection window runs to 2026-03-01
ISSUED = dt.date(2026, 3, 2)
TODAY = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def in_english(settings):
    """Messages are asserted in English, whatever the site's default language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def eligible(apl, facilities, cora, aurora):
    """A1 (Lácteos del Sur) passed its final audit at 100 %."""
    adhere(apl, *facilities.values())
    set_stage(apl, "certification")
    run_audit(cora, apl, facilities["A1"], aurora, ALL_COMPLY)
    return facilities["A1"]


@pytest.fixture
def regulator(apl):
    return apl.signatories.get(role="regulator")


def consult(cora, apl, facility, on=CONSULTED):
    return services.consultation_open(
        acting_user=cora, agreement=apl, facility=facility, consulted_on=on
    )


def answer(user, consultation, signatory, objects_to=False, reason="", on=dt.date(2025, 12, 10)):
    return services.consultation_answer(
        acting_user=user,
        consultation=consultation,
        signatory=signatory,
        objects_to=objects_to,
        reason=reason,
        answered_on=on,
    )


def issue(cora, apl, facility, on=ISSUED):
    return services.certificate_issue(
        acting_user=cora, agreement=apl, facility=facility, issued_on=on
    )


def test_it_certifies_a_facility_through_the_api(
    api, apl, eligible, cora, rene, regulator, monkeypatch
):
    freeze_today(monkeypatch, TODAY)
    response = api(cora).post(
        "/api/v1/consultations/",
        {"agreement": apl.slug, "facility": "A1", "consulted_on": "2026-05-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    consultation = response.json()
    assert (consultation["state"], consultation["objections"]) == ("open", [])

    response = api(cora).post(
        "/api/v1/certificates/",
        {"agreement": apl.slug, "facility": "A1", "issued_on": "2026-05-20"},
        format="json",
    )
    assert response.status_code == 409  # the regulator has not answered yet
    assert "open" in response.json()["detail"]

    response = api(rene).post(
        f"/api/v1/consultations/{consultation['id']}/answer/",
        {"signatory": regulator.pk, "objects_to": False, "answered_on": "2026-05-15"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "cleared"

    response = api(cora).post(
        "/api/v1/certificates/",
        {"agreement": apl.slug, "facility": "A1", "issued_on": "2026-05-20"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    certificate = response.json()
    assert certificate["code"] == "APL-LAC-01-A1-2026"
    assert (certificate["issued_on"], certificate["valid_until"]) == ("2026-05-20", "2029-05-20")
    assert (certificate["status"], certificate["tax_id"]) == ("valid", "760864285")

    response = api().get(f"/api/v1/certificates/{certificate['code']}/verify/")
    assert response.status_code == 200
    verified = response.json()
    assert verified["genuine"] is True
    assert verified["status"] == "valid"
    assert verified["facility"] == "Planta Osorno"
    assert verified["company"] == "Lácteos del Sur"
    assert verified["agreement"] == "APL-LAC-01 APL Sector Lácteo"
    assert verified["valid_until"] == "2029-05-20"


def test_it_refuses_to_consult_on_a_facility_that_is_not_eligible(
    api, apl, facilities, cora, aurora
):
    adhere(apl, facilities["A2"])
    set_stage(apl, "certification")
    run_audit(cora, apl, facilities["A2"], aurora, {"1.1": True, "1.2": False, "2.1": True})
    with pytest.raises(IllegalTransition, match="A2"):
        consult(cora, apl, facilities["A2"])
    response = api(cora).post(
        "/api/v1/consultations/",
        {"agreement": apl.slug, "facility": "A2", "consulted_on": "2025-12-01"},
        format="json",
    )
    assert response.status_code == 409
    assert not Consultation.objects.exists()


def test_it_refuses_to_issue_before_consulting(apl, eligible, cora):
    with pytest.raises(IllegalTransition, match="Consult"):
        issue(cora, apl, eligible)


def test_it_blocks_the_certificate_on_a_regulators_objection(
    api, apl, eligible, cora, rene, regulator
):
    consultation = consult(cora, apl, eligible)
    with pytest.raises(DomainError) as refused:
        answer(rene, consultation, regulator, objects_to=True, reason="  ")
    assert refused.value.field == "reason"
    response = api(rene).post(
        f"/api/v1/consultations/{consultation.pk}/answer/",
        {
            "signatory": regulator.pk,
            "objects_to": True,
            "reason": "Sumario sanitario pendiente por descarga de RILes",
            "answered_on": "2025-12-20",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "objected"
    assert response.json()["objections"] == [
        "Servicio Agrícola y Ganadero (SAG): Sumario sanitario pendiente por descarga de RILes"
    ]
    with pytest.raises(IllegalTransition, match="Sumario sanitario pendiente"):
        issue(cora, apl, eligible)
    response = api(cora).post(
        "/api/v1/certificates/",
        {"agreement": apl.slug, "facility": "A1", "issued_on": "2026-03-02"},
        format="json",
    )
    assert response.status_code == 409
    assert "Sumario sanitario pendiente" in response.json()["detail"]
    assert not Certificate.objects.exists()


def test_it_lets_only_the_agreements_regulators_answer(api, apl, eligible, cora, pedro, regulator):
    consultation = consult(cora, apl, eligible)
    with pytest.raises(NotAllowed):
        answer(pedro, consultation, regulator)
    response = api(pedro).post(
        f"/api/v1/consultations/{consultation.pk}/answer/",
        {"signatory": regulator.pk, "objects_to": False, "answered_on": "2025-12-10"},
        format="json",
    )
    assert response.status_code == 404  # the consultation is not visible to him at all
    assert not consultation.answers.exists()


def test_it_refuses_an_answer_after_the_window(apl, eligible, cora, rene, regulator):
    consultation = consult(cora, apl, eligible)
    with pytest.raises(DomainError, match="2026-03-01") as refused:
        answer(rene, consultation, regulator, objects_to=True, reason="Tarde", on=ISSUED)
    assert refused.value.field == "answered_on"


def test_it_counts_silence_after_90_days_as_no_objection(api, apl, eligible, cora):
    consult(cora, apl, eligible)
    with pytest.raises(IllegalTransition, match="open"):
        issue(cora, apl, eligible, on=dt.date(2026, 3, 1))  # last day of the window
    certificate = issue(cora, apl, eligible, on=ISSUED)
    assert certificate.issued_on == ISSUED
    assert certificate.valid_until == dt.date(2029, 3, 2)
    assert certificate.issued_by == cora


def test_it_refuses_the_certificate_after_silence_when_silence_is_not_consent(apl, eligible, cora):
    apl.silence_is_consent = False
    apl.save()
    consult(cora, apl, eligible)
    with pytest.raises(IllegalTransition, match="expired_without_answer"):
        issue(cora, apl, eligible, on=ISSUED)
    assert not Certificate.objects.exists()


def test_it_issues_one_certificate_per_facility_and_agreement(apl, eligible, cora):
    consult(cora, apl, eligible)
    issue(cora, apl, eligible)
    with pytest.raises(DomainError, match="already"):
        issue(cora, apl, eligible, on=dt.date(2026, 4, 1))
    assert Certificate.objects.count() == 1


def test_it_lets_only_coordinators_issue(api, apl, eligible, cora, pedro, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    consult(cora, apl, eligible)
    with pytest.raises(NotAllowed):
        issue(pedro, apl, eligible)
    response = api(pedro).post(
        "/api/v1/certificates/",
        {"agreement": apl.slug, "facility": "A1", "issued_on": "2026-03-02"},
        format="json",
    )
    assert response.status_code == 403
    assert not Certificate.objects.exists()


def test_it_refuses_an_issue_date_in_the_future(api, apl, eligible, cora, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    consult(cora, apl, eligible)
    response = api(cora).post(
        "/api/v1/certificates/",
        {"agreement": apl.slug, "facility": "A1", "issued_on": "2026-07-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "issued_on"
    assert not Certificate.objects.exists()


@pytest.fixture
def certificate(apl, eligible, cora):
    consult(cora, apl, eligible)
    return issue(cora, apl, eligible)


def test_it_verifies_a_genuine_certificate_for_anyone(api, certificate, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    url = f"/api/v1/certificates/{certificate.code}/verify/"
    verified = api().get(url).json()
    assert (verified["genuine"], verified["status"]) == (True, "valid")
    assert (verified["issued_on"], verified["valid_until"]) == ("2026-03-02", "2029-03-02")
    assert api().get(url, {"signature": certificate.signature}).json()["genuine"] is True
    assert api().get(f"/api/v1/certificates/{certificate.code}/").json()["status"] == "valid"


def test_it_reports_a_tampered_certificate_as_not_genuine(api, certificate, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=dt.date(2035, 3, 2))
    verified = api().get(f"/api/v1/certificates/{certificate.code}/verify/").json()
    assert verified["genuine"] is False
    assert verified["valid_until"] == "2035-03-02"


def test_it_reports_a_tampered_company_as_not_genuine(api, certificate, lacteos, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    type(lacteos).objects.filter(pk=lacteos.pk).update(tax_id="770000000")
    assert api().get(f"/api/v1/certificates/{certificate.code}/verify/").json()["genuine"] is False


def test_a_renamed_holder_shows_the_name_at_issue_and_the_current_one(
    api, client, certificate, lacteos, monkeypatch
):
    """Issue 10, item 5: renamed after certification, a company verified as genuine under its
    new name, which the signature did not cover."""
    freeze_today(monkeypatch, TODAY)
    at_issue = lacteos.name
    type(lacteos).objects.filter(pk=lacteos.pk).update(name="Lácteos Renombrados SpA")

    verified = api().get(f"/api/v1/certificates/{certificate.code}/verify/").json()
    page = client.get(f"/verify/{certificate.code}/").content.decode()

    assert verified["genuine"] is True
    assert (verified["company"], verified["company_now"]) == (at_issue, "Lácteos Renombrados SpA")
    assert verified["facility_now"] is None
    assert at_issue in page and "Lácteos Renombrados SpA" in page
    assert "verification-genuine" in page


def test_it_reports_a_name_changed_on_the_certificate_as_not_genuine(api, client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(company_name="Otra Empresa SpA")

    verified = api().get(f"/api/v1/certificates/{certificate.code}/verify/").json()
    page = client.get(f"/verify/{certificate.code}/").content.decode()
    pdf = client.get(f"/certificates/{certificate.code}.pdf")

    assert verified["genuine"] is False
    assert "verification-forged" in page
    assert pdf.status_code == 302  # altered data are not printed


def test_it_reports_a_forged_signature_as_not_genuine(api, certificate, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    url = f"/api/v1/certificates/{certificate.code}/verify/"
    forged = "0" * 64
    assert api().get(url, {"signature": forged}).json()["genuine"] is False
    assert api().get(url, {"signature": certificate.signature[:-1]}).json()["genuine"] is False


def test_it_answers_404_for_an_unknown_code(api, certificate):
    assert api().get("/api/v1/certificates/APL-FALSO-1/verify/").status_code == 404


def test_it_revokes_a_certificate(api, certificate, cora, pedro, monkeypatch):
    freeze_today(monkeypatch, TODAY)
    url = f"/api/v1/certificates/{certificate.code}/revoke/"
    assert api(pedro).post(url, {"on": "2026-05-01", "reason": "x"}, format="json").status_code == (
        403
    )
    response = api(cora).post(url, {"on": "2026-05-01"}, format="json")
    assert response.status_code == 400
    response = api(cora).post(
        url, {"on": "2026-05-01", "reason": "Información falsa en la auditoría"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["status_since"]) == (
        "revoked",
        "2026-05-01",
    )
    verified = api().get(f"/api/v1/certificates/{certificate.code}/verify/").json()
    assert (verified["genuine"], verified["status"]) == (True, "revoked")
    response = api(cora).post(url, {"on": "2026-05-02", "reason": "Otra"}, format="json")
    assert response.status_code == 409
    certificate.refresh_from_db()
    assert certificate.revoked_on == dt.date(2026, 5, 1)
    with pytest.raises(IllegalTransition):
        services.certificate_revoke(
            acting_user=cora, certificate=certificate, on=dt.date(2026, 5, 2), reason="Otra"
        )


def test_it_keeps_the_first_revocation_when_revoked_again_from_an_outdated_copy(certificate, cora):
    outdated = Certificate.objects.get(pk=certificate.pk)
    services.certificate_revoke(
        acting_user=cora, certificate=certificate, on=dt.date(2026, 5, 1), reason="Fraude"
    )
    with pytest.raises(IllegalTransition):
        services.certificate_revoke(
            acting_user=cora, certificate=outdated, on=dt.date(2026, 6, 1), reason="Otra"
        )
    certificate.refresh_from_db()
    assert (certificate.revoked_on, certificate.revocation_reason) == (
        dt.date(2026, 5, 1),
        "Fraude",
    )


def maintenance(cora, apl, facility, aurora, day, passed):
    findings = {**ALL_COMPLY, "2.1": passed}
    if facility.company.size == "grande":
        findings["2.2"] = True
    return run_audit(
        cora, apl, facility, aurora, findings, audit_type="maintenance", audit_date=day
    )


def test_it_suspends_a_certificate_after_a_failed_maintenance_audit(
    api, apl, certificate, eligible, cora, aurora, monkeypatch
):
    maintenance(cora, apl, eligible, aurora, dt.date(2027, 2, 15), passed=False)
    state = certificate_state(certificate, today=dt.date(2027, 2, 20))
    assert (state.status, state.since) == ("suspended", dt.date(2027, 2, 15))
    assert state.reason
    assert certificate_state(certificate, today=dt.date(2027, 2, 14)).status == "valid"
    freeze_today(monkeypatch, dt.date(2027, 2, 20))
    verified = api().get(f"/api/v1/certificates/{certificate.code}/verify/").json()
    assert (verified["genuine"], verified["status"]) == (True, "suspended")
    # A passed maintenance audit afterwards lifts the suspension.
    maintenance(cora, apl, eligible, aurora, dt.date(2027, 3, 10), passed=True)
    assert certificate_state(certificate, today=dt.date(2027, 3, 11)).status == "valid"


def test_it_keeps_a_certificate_valid_with_its_yearly_maintenance_audit(
    apl, certificate, eligible, cora, aurora
):
    maintenance(cora, apl, eligible, aurora, dt.date(2027, 3, 1), passed=True)
    assert certificate_state(certificate, today=dt.date(2027, 12, 31)).status == "valid"


def test_it_suspends_a_certificate_without_maintenance_within_a_year_and_the_grace(certificate):
    # Issued 2026-03-02: first maintenance due 2027-03-02 (365 days), grace 30 days.
    assert certificate_state(certificate, today=dt.date(2027, 4, 1)).status == "valid"
    state = certificate_state(certificate, today=dt.date(2027, 4, 2))
    assert (state.status, state.since) == ("suspended", dt.date(2027, 4, 2))


def test_it_expires_a_certificate_after_its_validity(certificate, api, monkeypatch):
    state = certificate_state(certificate, today=dt.date(2029, 3, 3))
    assert (state.status, state.since) == ("expired", dt.date(2029, 3, 3))
    freeze_today(monkeypatch, dt.date(2029, 3, 3))
    verified = api().get(f"/api/v1/certificates/{certificate.code}/verify/").json()
    assert (verified["genuine"], verified["status"]) == (True, "expired")


def certify_all(apl, facilities, cora, aurora, codes):
    for code in codes:
        findings = dict(ALL_COMPLY)
        if facilities[code].company.size == "grande":
            findings["2.2"] = True
        run_audit(cora, apl, facilities[code], aurora, findings)
        consult(cora, apl, facilities[code])
        issue(cora, apl, facilities[code])
        maintenance(cora, apl, facilities[code], aurora, dt.date(2026, 5, 1), passed=True)


@pytest.mark.parametrize("codes", [["A1"], ["A1", "A2", "B1"]])
def test_it_lists_certificates_in_a_fixed_number_of_queries(
    api, apl, facilities, cora, aurora, codes, django_assert_num_queries, monkeypatch
):
    adhere(apl, *facilities.values())
    set_stage(apl, "certification")
    certify_all(apl, facilities, cora, aurora, codes)
    freeze_today(monkeypatch, TODAY)
    client = api()
    with django_assert_num_queries(4):  # the data revision (limpia.api.cache), then three
        response = client.get("/api/v1/certificates/")
    listed = response.json()["results"]
    assert sorted(c["facility"] for c in listed) == codes
    assert {c["status"] for c in listed} == {"valid"}
