"""The semiannual bulletin: what a semester holds, the archive written by `limpia bulletin`,
and its public pages."""

# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from limpia.agreements.models import Agreement, Certificate
from limpia.agreements.sample import sample_agreements_load
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    apl,
    facilities,
    grande,
    lacteos,
    organizations,
)
from limpia.agreements.tests.helpers import adhere
from limpia.core.errors import DomainError
from limpia.knowledge.models import Document
from limpia.plans.models import Indicator, Measurement, Node
from limpia.reports.bulletin import bulletin_content, bulletin_pdf, semester
from limpia.reports.management.commands.bulletin import Command
from limpia.reports.tests.pdftext import needs_pdftotext, page_text, xmp_title

BAD_PERIODS = ["2026-S3", "2026S2", "26-S1", "2026-H2", "", "2026-S2; rm -rf /"]


@pytest.mark.parametrize("period", BAD_PERIODS)
def test_it_refuses_a_bad_period(period):
    with pytest.raises(DomainError) as refused:
        semester(period)
    assert "YYYY-S1" in refused.value.message and "YYYY-S2" in refused.value.message


def test_it_reads_the_semesters():
    second = semester("2026-S2")
    assert (second.start, second.end) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert second.following == semester("2027-S1")
    first = semester("2026-s1")
    assert (first.key, first.start, first.end) == (
        "2026-S1",
        dt.date(2026, 1, 1),
        dt.date(2026, 6, 30),
    )
    assert first.following.key == "2026-S2"


@pytest.fixture
def semester_data(apl, facilities, plan, plan_builder):
    """In 2024-S1: the `apl` agreement signed (15 January), three adhesions, a certificate,
    an approved measurement and a document; due in 2024-S2: a target and a node."""
    facilities["B1"].name = "Planta Ñuñoa — Los Ángeles"
    facilities["B1"].save()
    adhere(apl, *facilities.values())
    Agreement.objects.create(  # under negotiation: not public, not in the bulletin
        slug="apl-secreto",
        code="APL-X",
        name="APL en negociación",
        country_id="CL",
        stage="negotiation",
        signing_date=dt.date(2024, 3, 1),
    )
    indicator = Indicator.objects.get(plan=plan, code="I1")
    Measurement.objects.create(
        indicator=indicator, date=dt.date(2024, 3, 31), value=Decimal("42.5"), status="approved"
    )
    Measurement.objects.create(  # not approved
        indicator=indicator, date=dt.date(2024, 4, 30), value=Decimal(50), status="submitted"
    )
    draft = plan_builder(
        slug="plan-borrador",
        status="draft",
        nodes=[{"code": "9", "indicators": [{"code": "D1", "name": "Oculto", "kind": "quantity"}]}],
    )
    Measurement.objects.create(
        indicator=Indicator.objects.get(plan=draft, code="D1"),
        date=dt.date(2024, 2, 1),
        value=Decimal(1),
        status="approved",
    )
    Node.objects.filter(plan=plan, code="1.2").update(due_date=dt.date(2024, 9, 30))
    Document.objects.create(
        kind="sector_guide",
        title="Guía de producción limpia para panaderías",
        published_on=dt.date(2024, 5, 2),
        link="https://example.org/guia.pdf",
        status="published",
    )
    return apl


def test_it_gathers_what_happened_in_the_semester(semester_data, facilities):
    content = bulletin_content("2024-S1")
    assert (content["start"], content["end"]) == ("2024-01-01", "2024-06-30")
    assert [(a["code"], a["stage"]) for a in content["agreements_signed"]] == [
        ("APL-LAC-01", "signed")
    ]
    assert content["facilities_adhered"]["count"] == 3
    assert {i["facility_code"] for i in content["facilities_adhered"]["items"]} == {
        "A1",
        "A2",
        "B1",
    }
    assert content["facilities_certified"] == {"count": 0, "items": []}
    (change,) = content["indicator_changes"]  # approved, public, in the semester
    assert (change["indicator_code"], change["date"], change["value"]) == (
        "I1",
        "2024-03-31",
        "42.5",
    )
    assert [d["title"] for d in content["documents"]] == [
        "Guía de producción limpia para panaderías"
    ]
    deadlines = [(d["kind"], d["code"], d["date"]) for d in content["deadlines"]]
    assert deadlines == [("node", "1.2", "2024-09-30"), ("target", "I1", "2024-12-31")]
    assert content["next"]["period"] == "2024-S2"
    json.dumps(content)  # plain JSON


def test_it_counts_the_facilities_certified_with_the_sample_agreements(db):
    sample_agreements_load()
    content = bulletin_content("2024-S2")
    issued = Certificate.objects.filter(
        issued_on__range=(dt.date(2024, 7, 1), dt.date(2024, 12, 31))
    )
    assert issued.exists()
    assert content["facilities_certified"]["count"] == issued.values("facility").distinct().count()
    assert {i["certificate_code"] for i in content["facilities_certified"]["items"]} == {
        c.code for c in issued
    }
    assert content["includes_sample_data"] is True
    assert "APL-EJ-MINERIA" not in json.dumps(content)  # under negotiation


def test_it_renders_the_bulletin_pdf(semester_data):
    pdf = bulletin_pdf(bulletin_content("2024-S1"))
    assert pdf.startswith(b"%PDF-")
    assert xmp_title(pdf) == "Boletín semestral 2024-S1"


@needs_pdftotext
def test_it_prints_the_bulletin_in_spanish(semester_data, tmp_path):
    text = page_text(bulletin_pdf(bulletin_content("2024-S1")), tmp_path, page=1)
    for expected in (
        "Boletín semestral 2024-S1",
        "Acuerdos firmados",
        "APL Sector Lácteo",
        "Planta Ñuñoa — Los Ángeles",
        "Guía de producción limpia para panaderías",
        "Próximos plazos",
    ):
        assert expected in text
    assert "APL en negociación" not in text


def test_it_writes_the_archive_and_the_pages_show_it(semester_data, reports_site, client):
    out = io.StringIO()
    call_command(Command(), "2024-S1", stdout=out)
    archive = reports_site / "bulletins"
    assert (archive / "2024-S1.pdf").read_bytes().startswith(b"%PDF-")
    stored = json.loads((archive / "2024-S1.json").read_text("utf-8"))
    assert stored["period"] == "2024-S1"
    assert [p.name for p in archive.iterdir() if p.name.startswith(".")] == []  # no leftovers
    printed = out.getvalue()
    assert str(archive / "2024-S1.pdf") in printed and "Generated in" in printed

    listing = client.get("/bulletins/")
    assert listing.status_code == 200
    assert "/bulletins/2024-S1/" in listing.text and "/bulletins/2024-S1.pdf" in listing.text
    page = client.get("/bulletins/2024-S1/")
    assert page.status_code == 200
    for expected in ("Boletín semestral 2024-S1", "APL Sector Lácteo", "Planta Ñuñoa"):
        assert expected in page.text
    download = client.get("/bulletins/2024-S1.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert client.get("/bulletins/2023-S1/").status_code == 404
    assert client.get("/bulletins/2023-S1.pdf").status_code == 404
    assert client.get("/bulletins/2023-S3/").status_code == 404


def test_it_lists_an_empty_archive(reports_site, client, db):
    response = client.get("/bulletins/")
    assert response.status_code == 200
    assert "Aún no se ha publicado ningún boletín." in response.text


@pytest.mark.parametrize("period", ["2026-S3", "S2-2026"])
def test_it_refuses_a_bad_period_on_the_command_line(period, reports_site, db):
    with pytest.raises(CommandError, match=r"YYYY-S1 .*YYYY-S2"):
        call_command(Command(), period)
    assert not (reports_site / "bulletins").exists()
