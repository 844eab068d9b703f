"""The agreements back office, page by page, as the personas use it.

cora coordinates the APL, pedro represents Lácteos del Sur (facilities A1, A2), aurora audits,
rene answers for the regulator (SAG), carlos has no role.
"""
# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from limpia.agreements import services
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    Certificate,
    Consultation,
    FollowUpReport,
    Impact,
    Signatory,
)
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    apl,
    aurora,
    cora,
    facilities,
    grande,
    lacteos,
    organizations,
    pedro,
    rene,
)

pytestmark = pytest.mark.urls("limpia.web.tests.workbench_test_urls")

AUDIT_DAY = dt.date(2025, 6, 2)


def logged_in(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"  # the services' messages are in English
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def field_errors(page: str, field_id: str) -> str:
    """The error text shown under one field."""
    return " ".join(re.findall(rf'id="{field_id}_error">([^<]*)<', page))


def actions(*codes) -> dict[str, Action]:
    return {a.code: a for a in Action.objects.filter(code__in=codes)}


def item_data(action, *, applies="yes", complies="yes", version=0, **extra) -> dict:
    prefix = f"item-{action.pk}"
    data = {
        f"{prefix}-applies": applies,
        f"{prefix}-complies": complies,
        f"{prefix}-version": str(version),
    }
    data.update({f"{prefix}-{key}": value for key, value in extra.items()})
    return data


@pytest.fixture
def adhered(apl, cora, facilities):
    services.facility_adhere(
        acting_user=cora, agreement=apl, facility=facilities["A1"], adhered_on=dt.date(2024, 2, 1)
    )
    services.facility_adhere(
        acting_user=cora, agreement=apl, facility=facilities["B1"], adhered_on=dt.date(2024, 2, 5)
    )
    return apl


@pytest.fixture
def final_audit(adhered, cora, aurora, facilities):
    type(adhered).objects.filter(pk=adhered.pk).update(stage="final_evaluation")
    adhered.stage = "final_evaluation"
    return services.audit_open(
        acting_user=cora,
        agreement=adhered,
        facility=facilities["A1"],
        auditor=aurora,
        audit_type="final",
        audit_date=AUDIT_DAY,
    )


@pytest.fixture
def certificate(final_audit, cora, aurora, rene):
    auditor = aurora.user
    for action in actions("1.1", "1.2", "2.1").values():
        services.audit_item_record(
            acting_user=auditor, audit=final_audit, action=action, applies=True, complies=True
        )
    services.audit_submit(acting_user=auditor, audit=final_audit)
    today = timezone.localdate()
    consultation = services.consultation_open(
        acting_user=cora,
        agreement=final_audit.agreement,
        facility=final_audit.facility,
        consulted_on=today,
    )
    services.consultation_answer(
        acting_user=rene,
        consultation=consultation,
        signatory=Signatory.objects.get(role="regulator"),
        objects_to=False,
        answered_on=today,
    )
    return services.certificate_issue(
        acting_user=cora,
        agreement=final_audit.agreement,
        facility=final_audit.facility,
        issued_on=today,
    )


def test_it_walks_an_agreement_from_signature_to_certificate(
    apl, cora, pedro, aurora, rene, facilities
):
    coordinator, company, auditor, regulator = (
        logged_in(cora),
        logged_in(pedro),
        logged_in(aurora.user),
        logged_in(rene),
    )
    today = timezone.localdate()

    # cora opens the adhesion window from her work page.
    page = html(coordinator.get("/work/"))
    assert "APL-LAC-01" in page
    assert "Move to “Adhesion window”" in page
    response = coordinator.post(
        "/work/agreements/apl-lacteo/stage/", {"to_stage": "adhesion", "comment": "Abre"}
    )
    assert response.status_code == 302
    assert Agreement.objects.get().stage == "adhesion"

    # pedro adheres facility A1 inside the window and reports its diagnosis.
    response = company.post(
        "/work/agreements/apl-lacteo/adhesions/new/",
        {"facility": "A1", "adhered_on": "2024-02-01"},
    )
    assert response.status_code == 302
    adhesion = Adhesion.objects.get(facility__code="A1")
    assert adhesion.recorded_by == pedro
    assert "Planta Osorno (A1)" in html(company.get("/work/"))
    report_url = "/work/facilities/A1/report/apl-lacteo/"
    form = html(company.get(report_url))
    by_code = actions("1.1", "1.2", "2.1", "2.2", "2.3")
    for code in ("1.1", "1.2", "2.1"):
        assert f"status_{by_code[code].pk}" in form
    assert f"status_{by_code['2.2'].pk}" not in form  # large companies only
    assert f"status_{by_code['2.3'].pk}" not in form  # the association's own action
    response = company.post(
        report_url,
        {
            "kind": "diagnosis",
            "period_end": "2024-03-31",
            f"status_{by_code['1.1'].pk}": "done",
            f"evidence_{by_code['1.1'].pk}": "https://example.org/medidores.pdf",
            f"comment_{by_code['1.1'].pk}": "Medidores instalados",
            f"status_{by_code['1.2'].pk}": "in_progress",
            f"status_{by_code['2.1'].pk}": "not_started",
        },
    )
    assert response.status_code == 302
    report = FollowUpReport.objects.get(adhesion=adhesion)
    assert {i.action.code: i.status for i in report.items.all()} == {
        "1.1": "done",
        "1.2": "in_progress",
        "2.1": "not_started",
    }
    assert "https://example.org/medidores.pdf" in html(company.get(report_url))

    # pedro records a water value in litres; it is stored in m³.
    response = company.post(
        "/work/facilities/A1/report/apl-lacteo/impacts/",
        {"metric": "water", "year": "2024", "value": "1500", "unit": "L"},
    )
    assert response.status_code == 302
    impact = Impact.objects.get()
    assert (impact.value, impact.unit) == (1.5, "m**3")

    # cora moves on to implementation, then to the final evaluation; A1 is late on two actions.
    for stage in ("implementation", "final_evaluation"):
        response = coordinator.post("/work/agreements/apl-lacteo/stage/", {"to_stage": stage})
        assert response.status_code == 302, field_errors(html(response), "id_to_stage")
    page = html(coordinator.get("/work/"))
    assert '<a href="/work/agreements/apl-lacteo/?queue=late">1</a>' in page
    page = html(coordinator.get("/work/agreements/apl-lacteo/?queue=late"))
    assert "1.2, 2.1" in page
    stage_page = html(coordinator.get("/work/agreements/apl-lacteo/stage/"))
    assert stage_page.count("cora") >= 3

    # cora opens the final audit of A1 for aurora.
    response = coordinator.post(
        "/work/agreements/apl-lacteo/audits/new/",
        {
            "facility": facilities["A1"].pk,
            "auditor": aurora.pk,
            "audit_type": "final",
            "audit_date": AUDIT_DAY.isoformat(),
        },
    )
    assert response.status_code == 302
    audit = Audit.objects.get()

    # aurora sees it first on her page and fills the sheet item by item.
    assert f"/work/audits/{audit.pk}/" in html(auditor.get("/work/"))
    sheet_url = f"/work/audits/{audit.pk}/"
    sheet = html(auditor.get(sheet_url))
    assert "django_htmx/htmx-2.min.js" in sheet
    for code in ("1.1", "1.2", "2.1"):
        assert f'hx-post="/work/audits/{audit.pk}/items/{code}/"' in sheet
    assert "/items/2.2/" not in sheet
    response = auditor.post(
        f"/work/audits/{audit.pk}/items/1.1/",
        item_data(by_code["1.1"], evidence="Registro de caudalímetros"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    partial = html(response)
    assert "<html" not in partial
    assert partial.startswith('<form method="post" action="/work/audits/')
    assert "Saved." in partial
    assert f'name="item-{by_code["1.1"].pk}-version" value="1"' in partial
    assert 'id="audit-summary"' in partial and 'hx-swap-oob="true"' in partial
    assert "100.0 %" in partial
    for code in ("1.2", "2.1"):
        response = auditor.post(f"/work/audits/{audit.pk}/items/{code}/", item_data(by_code[code]))
        assert response.status_code == 302
        assert response["Location"] == f"{sheet_url}#item-{by_code[code].pk}"
    assert AuditItem.objects.filter(audit=audit, complies=True).count() == 3
    assert "3 of 3 items recorded" in html(auditor.get(sheet_url))
    response = auditor.post(f"/work/audits/{audit.pk}/submit/", {})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.status == "submitted"
    assert "hx-post" not in html(auditor.get(sheet_url))

    # cora consults the regulators; rene answers he does not object.
    page = html(coordinator.get("/work/agreements/apl-lacteo/?queue=to_consult"))
    assert f"/work/agreements/apl-lacteo/consultations/new/?facility={facilities['A1'].pk}" in page
    response = coordinator.post(
        "/work/agreements/apl-lacteo/consultations/new/",
        {"facility": facilities["A1"].pk, "on": today.isoformat()},
    )
    consultation = Consultation.objects.get()
    assert response["Location"] == f"/work/consultations/{consultation.pk}/"
    assert f"/work/consultations/{consultation.pk}/" in html(regulator.get("/work/"))
    assert "Gestión de residuos" in html(regulator.get(f"/work/consultations/{consultation.pk}/"))
    response = regulator.post(
        f"/work/consultations/{consultation.pk}/",
        {
            "signatory": Signatory.objects.get(role="regulator").pk,
            "objects_to": "no",
            "answered_on": today.isoformat(),
        },
    )
    assert response.status_code == 302
    assert consultation.answers.get().answered_by == rene

    # The consultation is cleared: cora issues the certificate.
    home = html(coordinator.get("/work/"))
    assert '<a href="/work/agreements/apl-lacteo/?queue=to_certify">1</a>' in home
    page = html(coordinator.get("/work/agreements/apl-lacteo/?queue=to_certify"))
    assert f"/work/agreements/apl-lacteo/certificates/new/?facility={facilities['A1'].pk}" in page
    response = coordinator.post(
        "/work/agreements/apl-lacteo/certificates/new/",
        {"facility": facilities["A1"].pk, "on": today.isoformat()},
    )
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.code == f"APL-LAC-01-A1-{today.year}"
    assert certificate.final_audit == audit
    assert certificate.code in html(
        coordinator.get("/work/agreements/apl-lacteo/?queue=certificates")
    )


def test_it_reports_a_stale_version_and_does_not_overwrite(final_audit, aurora):
    auditor = logged_in(aurora.user)
    action = actions("1.1")["1.1"]
    url = f"/work/audits/{final_audit.pk}/items/1.1/"
    # Two tabs show version 0 (not recorded); the first saves, then saves again (version 2).
    assert auditor.post(url, item_data(action, observation="primera")).status_code == 302
    assert auditor.post(url, item_data(action, version=1, observation="final")).status_code == 302
    # The second tab still holds version 0, then version 1: both are refused.
    for stale in (0, 1):
        response = auditor.post(
            url,
            item_data(action, complies="no", version=stale, observation="vieja"),
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        row = html(response)
        assert "Someone else recorded item 1.1 meanwhile" in row
        assert "observation “final”" in row
        assert "vieja" in row  # what the auditor typed is kept for a deliberate second save
        assert f'name="item-{action.pk}-version" value="2"' in row
        item = AuditItem.objects.get(audit=final_audit)
        assert (item.version, item.complies, item.observation) == (2, True, "final")
    # Without JavaScript the whole sheet comes back with the conflict.
    response = auditor.post(url, item_data(action, complies="no", version=1))
    assert response.status_code == 409
    assert "Someone else recorded item 1.1 meanwhile" in html(response)
    assert AuditItem.objects.get(audit=final_audit).complies is True


def test_it_shows_an_audit_row_error_next_to_its_field(final_audit, aurora):
    auditor = logged_in(aurora.user)
    action = actions("1.2")["1.2"]
    response = auditor.post(
        f"/work/audits/{final_audit.pk}/items/1.2/",
        item_data(action, complies="", version=0),
        HTTP_HX_REQUEST="true",
    )
    row = html(response)
    assert "Say whether the facility complies with 1.2." in field_errors(
        row, f"id_item-{action.pk}-complies"
    )
    response = auditor.post(
        f"/work/audits/{final_audit.pk}/items/1.2/",
        item_data(action, applies="no", complies="", version=0),
        HTTP_HX_REQUEST="true",
    )
    assert "Say why 1.2 does not apply." in field_errors(
        html(response), f"id_item-{action.pk}-reason"
    )
    assert not AuditItem.objects.exists()
    response = auditor.post(f"/work/audits/{final_audit.pk}/submit/", {})
    assert response.status_code == 200
    assert "Items not yet recorded: 1.1, 1.2, 2.1." in html(response)


def test_it_asks_for_a_correction_deadline_when_corrections_are_allowed(final_audit, aurora):
    auditor = logged_in(aurora.user)
    by_code = actions("1.1", "1.2", "2.1", "2.2")
    for code, complies in (("1.1", "yes"), ("1.2", "yes"), ("2.1", "yes")):
        auditor.post(
            f"/work/audits/{final_audit.pk}/items/{code}/",
            item_data(by_code[code], complies=complies),
        )
    assert "correction_deadline" not in html(auditor.get(f"/work/audits/{final_audit.pk}/"))
    # The auditor may not record an action that does not apply to a small company.
    assert (
        auditor.post(
            f"/work/audits/{final_audit.pk}/items/2.2/", item_data(by_code["2.2"])
        ).status_code
        == 404
    )
    # 1.2 does not comply: 2 of 3 is not above 75 %, so no correction and no deadline.
    auditor.post(
        f"/work/audits/{final_audit.pk}/items/1.2/",
        item_data(by_code["1.2"], complies="no", version=1),
    )
    page = html(auditor.get(f"/work/audits/{final_audit.pk}/"))
    assert "66.7 %" in page and "not eligible" in page
    assert "correction_deadline" not in page
    Agreement.objects.update(correction_above="0.6")
    page = html(auditor.get(f"/work/audits/{final_audit.pk}/"))
    assert 'name="correction_deadline"' in page
    response = auditor.post(
        f"/work/audits/{final_audit.pk}/submit/", {"correction_deadline": "2025-09-30"}
    )
    assert response.status_code == 302
    final_audit.refresh_from_db()
    assert final_audit.correction_deadline == dt.date(2025, 9, 30)


def test_it_shows_the_services_refusals_next_to_the_field(apl, cora, pedro, facilities):
    company = logged_in(pedro)
    response = company.post(
        "/work/agreements/apl-lacteo/adhesions/new/",
        {"facility": "A1", "adhered_on": "2024-06-01"},
    )
    assert response.status_code == 200
    assert "is outside the adhesion window" in field_errors(html(response), "id_adhered_on")
    # Only the coordinator records an exception; she sees the field and it works.
    assert "exception_reason" not in html(response)
    coordinator = logged_in(cora)
    response = coordinator.post(
        "/work/agreements/apl-lacteo/adhesions/new/",
        {"facility": "A2", "adhered_on": "2024-06-01", "exception_reason": "Plazo ampliado"},
    )
    assert response.status_code == 302
    assert Adhesion.objects.get().exception_reason == "Plazo ampliado"
    # Signing needs its date, not in the future.
    Agreement.objects.update(stage="negotiation", signing_date=None)
    url = "/work/agreements/apl-lacteo/stage/"
    page = html(coordinator.get(url))
    assert 'name="signing_date"' in page
    response = coordinator.post(url, {"to_stage": "signed"})
    assert "The signing date is required." in field_errors(html(response), "id_signing_date")
    response = coordinator.post(url, {"to_stage": "cancelled"})
    assert "Say why the agreement is cancelled." in field_errors(html(response), "id_comment")
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = coordinator.post(url, {"to_stage": "signed", "signing_date": future})
    assert "cannot be in the future" in field_errors(html(response), "id_signing_date")
    response = coordinator.post(url, {"to_stage": "signed", "signing_date": "2024-01-15"})
    assert response.status_code == 302
    # Extending is for agreements in implementation: the refusal is on the form.
    response = coordinator.post(
        "/work/agreements/apl-lacteo/extend/", {"new_end": "2027-01-01", "reason": "Sequía"}
    )
    assert "Only an agreement in implementation can be extended." in html(response)
    # Units that do not fit the metric are refused on the unit field.
    response = coordinator.post(
        "/work/facilities/A2/report/apl-lacteo/impacts/",
        {"metric": "energy", "year": "2024", "value": "10", "unit": "kg"},
    )
    assert "is not a unit for" in field_errors(html(response), "id_unit")


def test_it_keeps_pedro_to_his_own_facilities(adhered, pedro):
    company = logged_in(pedro)
    for url in (
        "/work/facilities/B1/report/apl-lacteo/",
        "/work/facilities/B1/report/apl-lacteo/impacts/",
        "/work/facilities/B1/report/apl-lacteo/withdraw/",
    ):
        assert company.get(url).status_code == 404
    assert company.post("/work/facilities/B1/report/apl-lacteo/", {}).status_code == 404
    response = company.post(
        "/work/agreements/apl-lacteo/adhesions/new/",
        {"facility": "B1", "adhered_on": "2024-02-01"},
    )
    assert "There is no facility with this code that you may adhere." in field_errors(
        html(response), "id_facility"
    )
    page = html(company.get("/work/"))
    assert "Planta Osorno" in page and "Planta Los Ángeles" not in page
    # A1 is his: he reports, and he may withdraw it.
    assert company.get("/work/facilities/A1/report/apl-lacteo/").status_code == 200
    response = company.post(
        "/work/facilities/A1/report/apl-lacteo/withdraw/",
        {"on": "2024-03-01", "reason": "Cierre de la planta"},
    )
    assert response.status_code == 302
    assert Adhesion.objects.get(facility__code="A1").withdrawn_on == dt.date(2024, 3, 1)


def test_it_refuses_carlos_every_page(certificate, carlos):
    stranger = logged_in(carlos)
    audit = certificate.final_audit
    consultation = Consultation.objects.get()
    gets = {
        "/work/": 403,
        "/work/agreements/apl-lacteo/stage/": 403,
        "/work/agreements/apl-lacteo/extend/": 403,
        "/work/agreements/apl-lacteo/adhesions/new/": 403,
        "/work/agreements/apl-lacteo/audits/new/": 403,
        "/work/agreements/apl-lacteo/consultations/new/": 403,
        "/work/agreements/apl-lacteo/certificates/new/": 403,
        f"/work/certificates/{certificate.code}/revoke/": 403,
        "/work/facilities/A1/report/apl-lacteo/": 404,
        "/work/facilities/A1/report/apl-lacteo/impacts/": 404,
        "/work/facilities/A1/report/apl-lacteo/withdraw/": 404,
        f"/work/audits/{audit.pk}/": 404,
        f"/work/consultations/{consultation.pk}/": 404,
    }
    for url, status in gets.items():
        assert stranger.get(url).status_code == status, url
        assert stranger.post(url, {}).status_code == status, url
    posts = {
        f"/work/agreements/apl-lacteo/audits/{audit.pk}/validate/": 403,
        f"/work/audits/{audit.pk}/items/1.1/": 404,
        f"/work/audits/{audit.pk}/submit/": 404,
    }
    for url, status in posts.items():
        assert stranger.post(url, {}).status_code == status, url
    assert Client().get("/work/").status_code == 302  # anonymous: to the login page


def test_it_hides_agreements_before_signature_from_other_users(apl, cora, pedro):
    Agreement.objects.update(stage="negotiation", signing_date=None)
    assert logged_in(pedro).get("/work/agreements/apl-lacteo/adhesions/new/").status_code == 404
    assert logged_in(pedro).get("/work/agreements/apl-lacteo/stage/").status_code == 404
    assert logged_in(cora).get("/work/agreements/apl-lacteo/stage/").status_code == 200


def test_it_keeps_each_role_to_its_own_acts(final_audit, cora, pedro, aurora, rene):
    # The coordinator and the company see the sheet but do not fill it.
    for user in (cora, pedro):
        client = logged_in(user)
        page = html(client.get(f"/work/audits/{final_audit.pk}/"))
        assert "hx-post" not in page and "Submit the audit" not in page
        action = actions("1.1")["1.1"]
        response = client.post(f"/work/audits/{final_audit.pk}/items/1.1/", item_data(action))
        assert response.status_code == 403
    # The auditor and the regulator have no coordinator page; the company does not report
    # for the coordinator's stage.
    for user in (aurora.user, rene, pedro):
        assert logged_in(user).get("/work/agreements/apl-lacteo/stage/").status_code == 403
    # The coordinator reads the facility's reports but does not write them.
    coordinator = logged_in(cora)
    page = html(coordinator.get("/work/facilities/A1/report/apl-lacteo/"))
    assert "Submit the report" not in page
    assert coordinator.post("/work/facilities/A1/report/apl-lacteo/", {}).status_code == 403


def test_it_lets_the_regulator_object_with_a_reason(final_audit, cora, aurora, rene):
    auditor = aurora.user
    for action in actions("1.1", "1.2", "2.1").values():
        services.audit_item_record(
            acting_user=auditor, audit=final_audit, action=action, applies=True, complies=True
        )
    services.audit_submit(acting_user=auditor, audit=final_audit)
    today = timezone.localdate().isoformat()
    coordinator = logged_in(cora)
    coordinator.post(
        "/work/agreements/apl-lacteo/consultations/new/",
        {"facility": final_audit.facility_id, "on": today},
    )
    consultation = Consultation.objects.get()
    url = f"/work/consultations/{consultation.pk}/"
    # The coordinator follows the consultation but does not answer it.
    assert "Your answer" not in html(coordinator.get(url))
    assert coordinator.post(url, {"objects_to": "yes"}).status_code == 403
    regulator = logged_in(rene)
    signatory = Signatory.objects.get(role="regulator").pk
    response = regulator.post(
        url, {"signatory": signatory, "objects_to": "yes", "answered_on": today}
    )
    assert "An objection needs its reason." in field_errors(html(response), "id_reason")
    response = regulator.post(
        url,
        {
            "signatory": signatory,
            "objects_to": "yes",
            "reason": "RILes fuera de norma",
            "answered_on": today,
        },
    )
    assert response.status_code == 302
    assert "RILes fuera de norma" in html(regulator.get(url))
    response = coordinator.post(
        "/work/agreements/apl-lacteo/certificates/new/",
        {"facility": final_audit.facility_id, "on": today},
    )
    assert "A regulator objected" in field_errors(html(response), "id_facility")
    assert not Certificate.objects.exists()


def test_it_lets_the_coordinator_revoke_and_refuses_a_needless_reverification(
    certificate, cora, aurora
):
    coordinator = logged_in(cora)
    url = f"/work/certificates/{certificate.code}/revoke/"
    on = certificate.issued_on.isoformat()
    response = coordinator.post(url, {"on": on})
    assert "This field is required." in field_errors(html(response), "id_reason")
    response = coordinator.post(url, {"on": on, "reason": "Fraude en la evidencia"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revocation_reason == "Fraude en la evidencia"
    response = coordinator.post(url, {"on": on, "reason": "Otra vez"})
    assert "This certificate is already revoked." in html(response)
    # A correction re-verification (opened through the page) is validated from the work page.
    response = coordinator.post(
        "/work/agreements/apl-lacteo/audits/new/",
        {
            "facility": certificate.facility_id,
            "auditor": aurora.pk,
            "audit_type": "correction",
            "audit_date": "2025-07-01",
        },
    )
    assert "A correction re-verification names the facility" in field_errors(
        html(response), "id_corrects"
    )
    # A final audit at 100 % gave no correction period: a re-verification is refused.
    response = coordinator.post(
        "/work/agreements/apl-lacteo/audits/new/",
        {
            "facility": certificate.facility_id,
            "auditor": aurora.pk,
            "audit_type": "correction",
            "audit_date": "2025-07-01",
            "corrects": certificate.final_audit_id,
        },
    )
    assert "did not give the facility a correction period" in html(response)
    assert not Audit.objects.filter(audit_type="correction").exists()
