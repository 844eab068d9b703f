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


def test_tables_longer_than_the_limit_are_left_to_the_annex_workbook(audited, monkeypatch):
    from django.utils import translation

    from limpia.reports import agreement_report

    monkeypatch.setattr(agreement_report, "LINES_IN_PDF", 2)  # 3 facilities, 2 companies, 1 obs.
    with translation.override("es"):
        payload, _svg = agreement_report_payload(audited, today=TODAY)
        shown = agreement_report.paged(payload, audited)
    assert shown["facilities"] == [] and len(payload["facilities"]) == 3
    assert shown["annex"]["facilities"] == (
        "3 líneas: demasiadas para estas páginas, están en el libro anexo del informe "
        f"(/agreements/{audited.slug}/report-annex.xlsx)."
    )
    assert shown["annex"]["companies"] == shown["annex"]["observations"] == ""
    assert shown["companies"] == payload["companies"]


@needs_pdftotext
def test_the_pdf_says_where_the_lines_left_out_are(audited, tmp_path, monkeypatch):
    from limpia.reports import agreement_report

    monkeypatch.setattr(agreement_report, "LINES_IN_PDF", 2)
    pdf = agreement_report_pdf(audited, today=TODAY)
    text = " ".join(page_text(pdf, tmp_path, page=n) for n in range(2, pages(pdf) + 1))
    annex = f"/agreements/{audited.slug}/report-annex.xlsx"
    assert (
        f"3 líneas: demasiadas para estas páginas, están en el libro anexo del informe ({annex})"
        in (" ".join(text.split()))
    )
    assert "Planta Ñuñoa — Los Ángeles" not in text  # the facility table is left to the annex
    assert "76.086.428-5" in text and OBSERVATION in text  # 2 companies, 1 observation: shown


def test_the_annex_workbook_holds_every_line_with_numbers(audited, client):
    import io

    from openpyxl import load_workbook

    response = client.get(f"/agreements/{audited.slug}/report-annex.xlsx")
    assert response.status_code == 200
    assert "annex.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    facilities, companies, observations = (list(sheet.values) for sheet in book.worksheets)
    report = figures.consolidated(audited)
    assert facilities[0] == (
        "Código",
        "Instalación",
        "Empresa",
        "Región",
        "Acciones aplicables",
        "Acciones cumplidas",
        "Cumplimiento",
    )
    assert [row[0] for row in facilities[1:]] == [line.facility_code for line in report.facilities]
    b1 = next(row for row in facilities[1:] if row[1] == "Planta Ñuñoa — Los Ángeles")
    assert b1[4:] == (4, 3, 0.75)  # numbers, not text: 3 of 4 actions
    assert len(companies) == 1 + len(report.companies)
    assert observations[1][-1] == OBSERVATION


def test_the_public_cannot_read_the_annex_of_an_agreement_in_negotiation(audited, client):
    Agreement.objects.filter(pk=audited.pk).update(stage="negotiation")
    assert client.get(f"/agreements/{audited.slug}/report-annex.xlsx").status_code == 404
