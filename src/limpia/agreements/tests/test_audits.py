"""Audits: who may audit (registration, conflicts of interest), recording items as they go,
submitting, and the final audit's outcome (eligible, correction, not eligible)."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model

from limpia.agreements import services
from limpia.agreements.figures import certification_eligibility
from limpia.agreements.models import Action, Audit, AuditItem
from limpia.agreements.tests.helpers import action, adhere, run_audit, set_stage
from limpia.core.errors import DomainError, IllegalTransition, NotAllowed
from limpia.registry.models import Expert
from limpia.registry.services import relation_declare

AUDIT_DAY = dt.date(2025, 11, 3)


@pytest.fixture(autouse=True)
def in_english(settings):
    """Messages are asserted in English, whatever the site's default language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def adhered(apl, facilities):
    adhere(apl, *facilities.values())
    set_stage(apl, "implementation")
    return facilities


@pytest.fixture
def bruno(db):
    user = get_user_model().objects.create_user("bruno", password="contraseña-segura-1")
    return Expert.objects.create(
        auditor_id="AUD-002",
        kind="auditor",
        name="Bruno Auditor",
        country_id="CL",
        user=user,
        registered_from=dt.date(2020, 1, 1),
    )


def open_final(cora, apl, facility, auditor, day=AUDIT_DAY):
    return services.audit_open(
        acting_user=cora,
        agreement=apl,
        facility=facility,
        auditor=auditor,
        audit_type="final",
        audit_date=day,
    )


def record(user, audit, code, applies=True, complies=True, **extra):
    return services.audit_item_record(
        acting_user=user,
        audit=audit,
        action=action(audit.agreement, code),
        applies=applies,
        complies=complies,
        **extra,
    )


def test_it_assigns_an_audit_to_a_registered_auditor(api, apl, adhered, cora, aurora):
    response = api(cora).post(
        "/api/v1/audits/",
        {
            "agreement": apl.slug,
            "facility": "A1",
            "auditor": "AUD-001",
            "audit_type": "final",
            "audit_date": "2025-11-03",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["auditor"], response.json()["status"]) == ("AUD-001", "open")


def test_it_refuses_an_auditor_not_registered_on_the_audit_date(api, apl, adhered, cora, aurora):
    with pytest.raises(DomainError, match="2028-01-10") as refused:
        open_final(cora, apl, adhered["A1"], aurora, day=dt.date(2028, 1, 10))
    assert refused.value.field == "auditor"
    response = api(cora).post(
        "/api/v1/audits/",
        {
            "agreement": apl.slug,
            "facility": "A1",
            "auditor": "AUD-001",
            "audit_type": "final",
            "audit_date": "2019-12-31",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "auditor"
    assert not Audit.objects.exists()


def test_it_refuses_a_specialist_as_auditor(apl, adhered, cora, aurora):
    Expert.objects.filter(pk=aurora.pk).update(kind="specialist")
    aurora.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        open_final(cora, apl, adhered["A1"], aurora)
    assert refused.value.field == "auditor"


def test_it_refuses_an_auditor_with_a_declared_relation_with_the_company(
    api, apl, adhered, cora, aurora, lacteos
):
    relation_declare(
        acting_user=aurora.user,
        expert=aurora,
        company=lacteos,
        kind="consulting",
        started_on=dt.date(2023, 3, 1),
    )
    with pytest.raises(DomainError, match="Conflict of interest") as refused:
        open_final(cora, apl, adhered["A2"], aurora)
    assert refused.value.field == "auditor"
    assert "Lácteos del Sur" in refused.value.message
    response = api(cora).post(
        "/api/v1/audits/",
        {
            "agreement": apl.slug,
            "facility": "A1",
            "auditor": "AUD-001",
            "audit_type": "final",
            "audit_date": "2025-11-03",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "auditor"
    assert "Conflict of interest" in response.json()["detail"]
    # The relation with Lácteos del Sur does not bar her from another company's facility.
    assert open_final(cora, apl, adhered["B1"], aurora).auditor == aurora


def test_it_allows_an_auditor_whose_relation_ended_more_than_730_days_before(
    apl, adhered, cora, aurora, lacteos
):
    relation_declare(
        acting_user=aurora.user,
        expert=aurora,
        company=lacteos,
        kind="employment",
        started_on=dt.date(2015, 1, 1),
        ended_on=AUDIT_DAY - dt.timedelta(days=731),
    )
    assert open_final(cora, apl, adhered["A1"], aurora).auditor == aurora


def test_it_still_refuses_an_auditor_whose_relation_ended_730_days_before(
    apl, adhered, cora, aurora, lacteos
):
    relation_declare(
        acting_user=aurora.user,
        expert=aurora,
        company=lacteos,
        kind="ownership",
        started_on=dt.date(2015, 1, 1),
        ended_on=AUDIT_DAY - dt.timedelta(days=730),
    )
    with pytest.raises(DomainError, match="Conflict of interest"):
        open_final(cora, apl, adhered["A1"], aurora)


def test_it_refuses_an_audit_of_a_facility_that_has_not_adhered(apl, facilities, cora, aurora):
    with pytest.raises(DomainError) as refused:
        open_final(cora, apl, facilities["A1"], aurora)
    assert refused.value.field == "facility"


def test_it_lets_only_the_assigned_auditor_record_items(api, apl, adhered, cora, aurora, bruno):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    with pytest.raises(NotAllowed):
        record(bruno.user, audit, "1.1")
    response = api(bruno.user).post(
        f"/api/v1/audits/{audit.pk}/items/",
        {"action": "1.1", "applies": True, "complies": True, "version": 0},
        format="json",
    )
    # The audit is not even visible to another auditor: refused either way, nothing recorded.
    assert response.status_code in (403, 404)
    assert not AuditItem.objects.exists()
    assert api(bruno.user).get("/api/v1/audits/").json()["results"] == []

    response = api(aurora.user).post(
        f"/api/v1/audits/{audit.pk}/items/",
        {
            "action": "1.1",
            "applies": True,
            "complies": True,
            "evidence": "Registro de caudal",
            "version": 0,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "action": "1.1",
        "applies": True,
        "reason": "",
        "complies": True,
        "evidence": "Registro de caudal",
        "observation": "",
        "version": 1,
    }


def test_it_refuses_the_coordinator_recording_items(apl, adhered, cora, aurora):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    with pytest.raises(NotAllowed):
        record(cora, audit, "1.1")


def test_it_refuses_an_applicable_item_without_saying_whether_it_complies(
    api, apl, adhered, cora, aurora
):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    with pytest.raises(DomainError, match=re.escape("1.1")) as refused:
        record(aurora.user, audit, "1.1", complies=None)
    assert refused.value.field == "complies"
    response = api(aurora.user).post(
        f"/api/v1/audits/{audit.pk}/items/",
        {"action": "1.2", "applies": True, "version": 0},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "complies"
    assert not AuditItem.objects.exists()


def test_it_refuses_an_item_that_does_not_apply_without_the_reason(api, apl, adhered, cora, aurora):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    with pytest.raises(DomainError) as refused:
        record(aurora.user, audit, "1.2", applies=False, complies=None, reason=" ")
    assert refused.value.field == "reason"
    response = api(aurora.user).post(
        f"/api/v1/audits/{audit.pk}/items/",
        {"action": "1.2", "applies": False, "version": 0},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    item = record(
        aurora.user, audit, "1.2", applies=False, complies=True, reason="Sin consumo de agua"
    )
    assert (item.applies, item.complies, item.reason) == (False, None, "Sin consumo de agua")


def test_it_refuses_a_stale_version_naming_the_other_value(apl, adhered, cora, aurora):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    first = record(aurora.user, audit, "1.1", complies=True)
    assert first.version == 1
    second = record(aurora.user, audit, "1.1", complies=False, version=1)
    assert second.version == 2
    with pytest.raises(DomainError, match="does not comply") as refused:
        record(aurora.user, audit, "1.1", complies=True, version=1)
    assert refused.value.code == "conflict"
    assert AuditItem.objects.get().complies is False


def test_it_answers_a_stale_version_with_a_conflict_through_the_api(
    api, apl, adhered, cora, aurora
):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    client = api(aurora.user)
    url = f"/api/v1/audits/{audit.pk}/items/"
    first = {"action": "1.1", "applies": True, "complies": True, "version": 0}
    assert client.post(url, first, format="json").status_code == 200
    saved = client.post(
        url, {"action": "1.1", "applies": True, "complies": False, "version": 1}, format="json"
    )
    assert saved.json()["version"] == 2
    stale = client.post(
        url, {"action": "1.1", "applies": True, "complies": True, "version": 1}, format="json"
    )
    assert stale.status_code in (400, 409)
    assert stale.json()["code"] == "conflict"
    assert "does not comply" in stale.json()["detail"]
    assert AuditItem.objects.get().complies is False


def test_it_answers_a_stale_version_with_http_409(api, apl, adhered, cora, aurora):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    client = api(aurora.user)
    url = f"/api/v1/audits/{audit.pk}/items/"
    client.post(
        url, {"action": "1.1", "applies": True, "complies": True, "version": 0}, format="json"
    )
    client.post(
        url, {"action": "1.1", "applies": True, "complies": False, "version": 1}, format="json"
    )
    stale = client.post(
        url, {"action": "1.1", "applies": True, "complies": True, "version": 1}, format="json"
    )
    assert stale.status_code == 409


def test_the_api_protects_the_first_write_of_an_item_with_version_0(
    api, apl, adhered, cora, aurora
):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    client = api(aurora.user)
    url = f"/api/v1/audits/{audit.pk}/items/"
    item = {"action": "1.1", "applies": True, "complies": True}

    missing = client.post(url, item, format="json")
    first = client.post(url, {**item, "version": 0}, format="json")
    another_first = client.post(url, {**item, "complies": False, "version": 0}, format="json")

    assert (missing.status_code, missing.json()["field"]) == (400, "version")
    assert (first.status_code, first.json()["version"]) == (200, 1)
    assert another_first.status_code == 409
    assert AuditItem.objects.get().complies is True


@pytest.mark.parametrize("code", ["2.2", "2.3"])
def test_it_refuses_an_item_for_an_action_not_audited_at_the_facility(
    api, apl, adhered, cora, aurora, code
):
    # 2.2 is for large companies only; 2.3 is the business association's own action.
    audit = open_final(cora, apl, adhered["A1"], aurora)
    with pytest.raises(DomainError, match=re.escape(code)):
        record(aurora.user, audit, code)
    response = api(aurora.user).post(
        f"/api/v1/audits/{audit.pk}/items/",
        {"action": code, "applies": True, "complies": True, "version": 0},
        format="json",
    )
    assert response.status_code == 400
    assert not AuditItem.objects.exists()


def test_it_refuses_to_submit_while_items_are_missing(api, apl, adhered, cora, aurora):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    record(aurora.user, audit, "1.2")
    with pytest.raises(DomainError, match=re.escape("1.1, 2.1")) as refused:
        services.audit_submit(acting_user=aurora.user, audit=audit)
    assert refused.value.field == "items"
    response = api(aurora.user).post(f"/api/v1/audits/{audit.pk}/submit/", {}, format="json")
    assert response.status_code == 400
    assert "1.1, 2.1" in response.json()["detail"]
    assert "2.2" not in response.json()["detail"]  # not for a small company
    audit.refresh_from_db()
    assert audit.status == "open"


def test_it_freezes_the_items_of_a_submitted_audit(apl, adhered, cora, aurora):
    audit = run_audit(cora, apl, adhered["A1"], aurora, {"1.1": True, "1.2": True, "2.1": True})
    assert audit.status == "submitted"
    with pytest.raises(IllegalTransition):
        record(aurora.user, audit, "1.1", complies=False)
    with pytest.raises(IllegalTransition):
        services.audit_submit(acting_user=aurora.user, audit=audit)


def test_it_makes_a_facility_at_100_percent_eligible(api, apl, adhered, cora, aurora):
    audit = open_final(cora, apl, adhered["A1"], aurora)
    client = api(aurora.user)
    for code in ("1.1", "1.2", "2.1"):
        response = client.post(
            f"/api/v1/audits/{audit.pk}/items/",
            {"action": code, "applies": True, "complies": True, "version": 0},
            format="json",
        )
        assert response.status_code == 200
    response = client.post(f"/api/v1/audits/{audit.pk}/submit/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["compliance"]) == ("submitted", 1.0)
    assert response.json()["correction_deadline"] is None
    assert certification_eligibility(apl, adhered["A1"]) == "eligible"


@pytest.fixture
def five_actions(apl):
    """Gran Lechera (grande) has 1.1, 1.2, 1.3, 2.1 and 2.2 applicable: five items."""
    Action.objects.create(
        goal=apl.goals.get(code="1"), code="1.3", text="Reutilizar aguas de lavado", position=3
    )
    return apl


def test_it_sets_a_correction_deadline_above_75_percent(api, five_actions, adhered, cora, aurora):
    findings = {"1.1": True, "1.2": True, "1.3": True, "2.1": True, "2.2": False}  # 4/5
    audit = run_audit(cora, five_actions, adhered["B1"], aurora, findings, submit=False)
    response = api(aurora.user).post(f"/api/v1/audits/{audit.pk}/submit/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["compliance"] == 0.8
    assert response.json()["correction_deadline"] == "2026-02-01"  # audit date + 90 days
    assert certification_eligibility(five_actions, adhered["B1"]) == "correction_pending"


def test_it_takes_the_auditors_own_correction_deadline(five_actions, adhered, cora, aurora):
    findings = {"1.1": True, "1.2": True, "1.3": True, "2.1": True, "2.2": False}
    audit = run_audit(
        cora,
        five_actions,
        adhered["B1"],
        aurora,
        findings,
        correction_deadline=dt.date(2026, 1, 15),
    )
    assert audit.correction_deadline == dt.date(2026, 1, 15)


def test_it_makes_a_corrected_facility_eligible_once_the_coordinator_validates(
    api, five_actions, adhered, cora, aurora
):
    findings = {"1.1": True, "1.2": True, "1.3": True, "2.1": True, "2.2": False}
    final = run_audit(cora, five_actions, adhered["B1"], aurora, findings)
    correction = run_audit(
        cora,
        five_actions,
        adhered["B1"],
        aurora,
        {"2.2": True},
        audit_type="correction",
        audit_date=dt.date(2026, 1, 20),
        corrects=final,
    )
    # Submitted but not validated yet: still pending.
    assert certification_eligibility(five_actions, adhered["B1"]) == "correction_pending"
    response = api(cora).post(f"/api/v1/audits/{correction.pk}/validate/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["validated_at"] is not None
    assert certification_eligibility(five_actions, adhered["B1"]) == "eligible"
    # The consolidated final report shows the facility after its corrections.
    report = api(cora).get(f"/api/v1/agreements/{five_actions.slug}/compliance/").json()
    assert report["facilities"][0]["compliance"] == 1.0


def test_it_keeps_a_facility_pending_when_the_reverification_still_fails(
    five_actions, adhered, cora, aurora
):
    findings = {"1.1": True, "1.2": True, "1.3": True, "2.1": True, "2.2": False}
    final = run_audit(cora, five_actions, adhered["B1"], aurora, findings)
    correction = run_audit(
        cora,
        five_actions,
        adhered["B1"],
        aurora,
        {"2.2": False},
        audit_type="correction",
        audit_date=dt.date(2026, 1, 20),
        corrects=final,
    )
    services.correction_validate(acting_user=cora, audit=correction)
    assert certification_eligibility(five_actions, adhered["B1"]) == "correction_pending"


def test_it_refuses_to_validate_a_correction_after_the_deadline(
    api, five_actions, adhered, cora, aurora
):
    findings = {"1.1": True, "1.2": True, "1.3": True, "2.1": True, "2.2": False}
    final = run_audit(cora, five_actions, adhered["B1"], aurora, findings)
    late = run_audit(
        cora,
        five_actions,
        adhered["B1"],
        aurora,
        {"2.2": True},
        audit_type="correction",
        audit_date=dt.date(2026, 2, 2),  # the deadline was 2026-02-01
        corrects=final,
    )
    with pytest.raises(DomainError, match="2026-02-01") as refused:
        services.correction_validate(acting_user=cora, audit=late)
    assert refused.value.field == "audit_date"
    response = api(cora).post(f"/api/v1/audits/{late.pk}/validate/", {}, format="json")
    assert response.status_code == 400
    late.refresh_from_db()
    assert late.validated_at is None
    assert certification_eligibility(five_actions, adhered["B1"]) == "correction_pending"


def test_it_lets_only_coordinators_validate_corrections(five_actions, adhered, cora, aurora):
    findings = {"1.1": True, "1.2": True, "1.3": True, "2.1": True, "2.2": False}
    final = run_audit(cora, five_actions, adhered["B1"], aurora, findings)
    correction = run_audit(
        cora,
        five_actions,
        adhered["B1"],
        aurora,
        {"2.2": True},
        audit_type="correction",
        audit_date=dt.date(2026, 1, 20),
        corrects=final,
    )
    with pytest.raises(NotAllowed):
        services.correction_validate(acting_user=aurora.user, audit=correction)


def test_it_refuses_a_correction_that_names_no_final_audit(apl, adhered, cora, aurora):
    with pytest.raises(DomainError) as refused:
        services.audit_open(
            acting_user=cora,
            agreement=apl,
            facility=adhered["A1"],
            auditor=aurora,
            audit_type="correction",
            audit_date=AUDIT_DAY,
        )
    assert refused.value.field == "corrects"


def test_it_makes_a_facility_at_exactly_75_percent_not_eligible(apl, adhered, cora, aurora):
    # Gran Lechera has 1.1, 1.2, 2.1 and 2.2 applicable: 3 of 4 is exactly 75 %.
    findings = {"1.1": True, "1.2": True, "2.1": True, "2.2": False}
    audit = run_audit(cora, apl, adhered["B1"], aurora, findings)
    assert audit.correction_deadline is None
    assert certification_eligibility(apl, adhered["B1"]) == "not_eligible"


def test_it_refuses_a_correction_deadline_when_no_correction_is_allowed(
    api, apl, adhered, cora, aurora
):
    findings = {"1.1": True, "1.2": False, "2.1": True}  # 2/3
    audit = run_audit(cora, apl, adhered["A1"], aurora, findings, submit=False)
    response = api(aurora.user).post(
        f"/api/v1/audits/{audit.pk}/submit/", {"correction_deadline": "2026-01-31"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "correction_deadline"
    services.audit_submit(acting_user=aurora.user, audit=audit)
    assert certification_eligibility(apl, adhered["A1"]) == "not_eligible"


def test_it_reports_no_final_audit_and_not_assessable(apl, adhered, cora, aurora):
    assert certification_eligibility(apl, adhered["A1"]) == "no_final_audit"
    audit = open_final(cora, apl, adhered["A1"], aurora)
    for code in ("1.1", "1.2", "2.1"):
        record(aurora.user, audit, code, applies=False, complies=None, reason="Planta detenida")
    services.audit_submit(acting_user=aurora.user, audit=audit)
    assert certification_eligibility(apl, adhered["A1"]) == "not_assessable"


def test_it_shows_an_auditor_only_the_audits_assigned_to_them(
    api, apl, adhered, cora, aurora, bruno
):
    mine = open_final(cora, apl, adhered["A1"], aurora)
    open_final(cora, apl, adhered["B1"], bruno)
    listed = api(aurora.user).get("/api/v1/audits/").json()["results"]
    assert [a["id"] for a in listed] == [mine.pk]
    assert api().get("/api/v1/audits/").json()["results"] == []
    assert len(api(cora).get("/api/v1/audits/").json()["results"]) == 2
