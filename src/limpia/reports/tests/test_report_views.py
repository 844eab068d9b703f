"""The report PDFs on the web: visible plans and published agreements only."""

# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    apl,
    organizations,
)
from limpia.agreements.tests.helpers import set_stage
from limpia.reports.tests.pdftext import xmp_title


def test_it_serves_the_plan_report_with_its_date(plan, reports_site, client):
    response = client.get("/plans/plan-prueba/report.pdf?as_of=2023-06-30")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "plan-prueba-2023-06-30.pdf" in response["Content-Disposition"]
    assert b"<pdf:Keywords>plan-prueba, 2023-06-30</pdf:Keywords>" in response.content


def test_it_refuses_a_bad_date(plan, reports_site, client):
    response = client.get("/plans/plan-prueba/report.pdf?as_of=31/12/2023")
    assert response.status_code == 400
    assert "31/12/2023" in response.text  # the message names what was sent


def test_it_hides_the_report_of_a_draft_plan(plan_builder, reports_site, client, ana):
    plan_builder(slug="borrador", status="draft")
    assert client.get("/plans/borrador/report.pdf").status_code == 404
    client.force_login(ana)
    assert client.get("/plans/borrador/report.pdf").status_code == 200


def test_it_serves_the_report_of_a_published_agreement(apl, reports_site, client):
    response = client.get("/agreements/apl-lacteo/report.pdf")
    assert response.status_code == 200
    assert xmp_title(response.content) == "Informe final consolidado: APL Sector Lácteo"


def test_it_follows_the_language_of_the_request(apl, reports_site, client):
    client.cookies["django_language"] = "en"
    response = client.get("/agreements/apl-lacteo/report.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert xmp_title(response.content) == "Consolidated final report: APL Sector Lácteo"


def test_it_hides_the_report_of_an_agreement_under_negotiation(apl, reports_site, client):
    set_stage(apl, "negotiation")
    assert client.get("/agreements/apl-lacteo/report.pdf").status_code == 404
