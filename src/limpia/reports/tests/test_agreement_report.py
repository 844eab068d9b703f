"""The consolidated final report of an agreement: compliance tables, observations, impacts."""

# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt
from decimal import Decimal

import pytest

from limpia.agreements import figures
from limpia.agreements.models import Agreement, AuditItem, Impact
from limpia.agreements.sample import sample_agreements_load
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    apl,
    aurora,
    cora,
    facilities,
    grande,
    lacteos,
    organizations,
)
from limpia.agreements.tests.helpers import adhere, run_audit, set_stage
from limpia.reports.agreement_report import agreement_report_payload, agreement_report_pdf
from limpia.reports.tests.pdftext import needs_pdftotext, page_text, pages, xmp_title

TODAY = dt.date(2025, 12, 1)
OBSERVATION = "Falta señalización en la bodega de químicos; corregir antes de la certificación."


@pytest.fixture
def audited(apl, facilities, cora, aurora):
    facilities["B1"].name = "Planta Ñuñoa — Los Ángeles"
    facilities["B1"].save()
    adhere(apl, *facilities.values())
    set_stage(apl, "implementation")
    small = {"1.1": True, "1.2": True, "2.1": True}  # 2.2 is for large companies only
    run_audit(cora, apl, facilities["B1"], aurora, {**small, "1.2": False, "2.2": True})
    run_audit(cora, apl, facilities["A1"], aurora, small)
    audit = run_audit(cora, apl, facilities["A2"], aurora, small)
    AuditItem.objects.filter(audit=audit, action__code="2.1").update(observation=OBSERVATION)
    Impact.objects.create(
        agreement=apl,
        facility=facilities["A1"],
        metric="water",
        year=2025,
        value=Decimal("1250.5"),
        unit="m3",
        entered_value=Decimal("1250.5"),
        entered_unit="m3",
    )
    set_stage(apl, "final_evaluation")
    return apl


def test_it_reports_compliance_per_goal_action_facility_company_and_sector(audited):
    payload, svg = agreement_report_payload(audited, today=TODAY)
    report = figures.consolidated(audited)
    assert len(payload["facilities"]) == 3
    assert payload["audited"] == "3"
    assert [g["code"] for g in payload["goals"]] == [line.code for line in report.goals]
    assert [a["code"] for a in payload["actions"]] == [line.code for line in report.actions]
    action_12 = next(a for a in payload["actions"] if a["code"] == "1.2")
    assert (action_12["applicable"], action_12["complying"]) == ("3", "2")
    assert action_12["compliance"] == "66,7 %"
    big = next(f for f in payload["facilities"] if f["code"] == "B1")
    assert (big["items"], big["compliance"]) == ("3 / 4", "75,0 %")
    assert big["subdivision"] == "Biobío"
    # A valid RUT is written as usual; the fixture's other one is invalid and shown as stored.
    assert {c["tax_id"] for c in payload["companies"]} == {"76.086.428-5", "965432109"}
    assert payload["sector"] == "91,7 %"  # mean of 100 %, 100 % and 75 %
    assert payload["tax_id_label"] == "RUT"
    (group,) = payload["observations"]
    assert group["facility"].startswith("A2 Planta Purranque")
    assert group["items"] == [
        {
            "code": "2.1",
            "action": "Plan de manejo de residuos",
            "result": "cumple",
            "observation": OBSERVATION,
        }
    ]
    (impact,) = payload["impacts"]
    assert impact["total"].replace("\xa0", " ") == "1 250,5 m3"
    assert svg.startswith("<svg") and "<text" not in svg


def test_it_puts_the_agreement_in_the_pdf_metadata(audited):
    pdf = agreement_report_pdf(audited, today=TODAY)
    assert pdf.startswith(b"%PDF-")
    assert xmp_title(pdf) == "Informe final consolidado: APL Sector Lácteo"
    assert b"<pdf:Keywords>APL-LAC-01</pdf:Keywords>" in pdf
    assert "Federación de Productores de Leche".encode() in pdf  # the association is the author


@needs_pdftotext
def test_it_prints_the_report_in_spanish(audited, tmp_path):
    pdf = agreement_report_pdf(audited, today=TODAY)
    cover = page_text(pdf, tmp_path, page=1)
    for expected in ("APL Sector Lácteo", "Informe final consolidado", "Federación de Productores"):
        assert expected in cover
    text = " ".join(page_text(pdf, tmp_path, page=n) for n in range(2, pages(pdf) + 1))
    for expected in (
        "Cumplimiento del sector",
        "Planta Ñuñoa — Los Ángeles",
        "Observaciones de los auditores",
        OBSERVATION,
        "Impactos",
        "76.086.428-5",
    ):
        assert expected in text


def test_it_says_so_when_no_final_audit_was_submitted(apl):
    payload, _svg = agreement_report_payload(apl, today=TODAY)
    assert payload["facilities"] == [] and payload["observations"] == []
    assert payload["sector"] == "no evaluable"
    assert agreement_report_pdf(apl, today=TODAY).startswith(b"%PDF-")


def test_it_renders_the_sample_agreements(db):
    sample_agreements_load()
    for agreement in Agreement.objects.published().filter(
        slug__in=["apl-ej-panade", "apl-ej-fruta"]
    ):
        payload, _svg = agreement_report_payload(agreement, today=TODAY)
        assert payload["sample_note"]
        pdf = agreement_report_pdf(agreement, today=TODAY, language="pt")
        assert xmp_title(pdf) == f"Relatório final consolidado: {agreement.name}"
