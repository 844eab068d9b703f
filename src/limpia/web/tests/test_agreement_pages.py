"""Public pages of Clean Production Agreements, through the real templates and URLs."""

# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt
import re
from fractions import Fraction

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from limpia.agreements import figures, services
from limpia.agreements.models import (
    Action,
    Adhesion,
    Agreement,
    Audit,
    AuditItem,
    Certificate,
    Company,
    Facility,
    Goal,
)
from limpia.agreements.tests.conftest import (  # noqa: F401  fixtures and personas
    SIGNED,
    apl,
    aurora,
    cora,
    facilities,
    grande,
    lacteos,
    organizations,
    rene,
)
from limpia.core.models import Sector
from limpia.registry.models import Expert
from limpia.web.templatetags.limpia_agreements import share

pytestmark = pytest.mark.urls("limpia.web.tests.agreement_test_urls")

ADHERED = dt.date(2024, 2, 1)
AUDITED = dt.date(2025, 6, 2)
OUTCOMES = {  # facility → action → complies (actions not listed do not apply to its size)
    "A1": {"1.1": True, "1.2": True, "2.1": True},
    "A2": {"1.1": True, "1.2": False, "2.1": True},
    "B1": {"1.1": True, "1.2": True, "2.1": False, "2.2": False},
}


@pytest.fixture
def visitor():
    """An anonymous visitor who reads the site in English (the msgids), so that the tests do
    not depend on the state of the translations."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def shown(value) -> str:
    """A compliance figure as the English page writes it."""
    with translation.override("en"):
        return share(value)


def us_date(day: dt.date) -> str:
    return day.strftime("%m/%d/%Y")  # English SHORT_DATE_FORMAT


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def text(html: str) -> str:
    """The page's text with tags removed and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def final_audit(agreement, facility, *, coordinator, auditor, outcomes):
    if agreement.stage in ("signed", "adhesion", "implementation"):
        # final audits and certificates come in the final evaluation
        type(agreement).objects.filter(pk=agreement.pk).update(stage="final_evaluation")
        agreement.stage = "final_evaluation"
    audit = services.audit_open(
        acting_user=coordinator,
        agreement=agreement,
        facility=facility,
        auditor=auditor,
        audit_type="final",
        audit_date=AUDITED,
    )
    for action in Action.objects.filter(goal__agreement=agreement, code__in=outcomes):
        services.audit_item_record(
            acting_user=auditor.user,
            audit=audit,
            action=action,
            applies=True,
            complies=outcomes[action.code],
        )
    return services.audit_submit(acting_user=auditor.user, audit=audit)


@pytest.fixture
def audited(apl, cora, aurora, facilities):
    """Three adhered facilities with their final audits: A1 100 %, A2 2/3, B1 1/2."""
    for facility in facilities.values():
        services.facility_adhere(
            acting_user=cora, agreement=apl, facility=facility, adhered_on=ADHERED
        )
    for code, outcomes in OUTCOMES.items():
        final_audit(apl, facilities[code], coordinator=cora, auditor=aurora, outcomes=outcomes)
    return apl


@pytest.fixture
def certificate(audited, cora, rene, facilities):
    """A1's certificate, issued yesterday after the regulator (SAG) did not object."""
    today = timezone.localdate()
    consultation = services.consultation_open(
        acting_user=cora,
        agreement=audited,
        facility=facilities["A1"],
        consulted_on=today - dt.timedelta(days=10),
    )
    services.consultation_answer(
        acting_user=rene,
        consultation=consultation,
        signatory=audited.signatories.get(role="regulator"),
        objects_to=False,
        answered_on=today - dt.timedelta(days=5),
    )
    return services.certificate_issue(
        acting_user=cora,
        agreement=audited,
        facility=facilities["A1"],
        issued_on=today - dt.timedelta(days=1),
    )


# --- agreements list ------------------------------------------------------------------------


def test_it_lists_published_agreements_with_their_figures(certificate, visitor):
    Agreement.objects.create(
        slug="apl-borrador",
        code="APL-DRAFT",
        name="APL en negociación",
        country_id="CL",
        stage="negotiation",
    )
    html = page(visitor, "/agreements/")
    body = text(html)
    assert "APL-LAC-01" in body and "APL Sector Lácteo" in body
    assert 'href="/agreements/apl-lacteo/"' in html
    row = re.search(r'<tr data-agreement="apl-lacteo">(.*?)</tr>', html, re.S).group(1)
    cells = [text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[2].startswith("Final evaluation")  # moved there for its final audits
    assert cells[4] == "Chile"  # national territory
    assert cells[5:7] == ["3", "1"]  # adhered and certified facilities
    compliance = figures.consolidated(certificate.agreement).compliance
    assert compliance == Fraction(13, 18)  # the mean of 1, 2/3 and 1/2
    assert cells[7].startswith(shown(compliance)) and shown(compliance) == "72.2 %"
    assert "3 audited facilities" in cells[7]
    assert "APL-DRAFT" not in body  # not published yet


def test_it_says_not_assessable_and_flags_sample_data_in_the_list(apl, visitor):
    Agreement.objects.filter(pk=apl.pk).update(is_sample=True, is_national=False)
    apl.subdivisions.add("CL-LL")
    apl.sectors.add(Sector.objects.get(code="1050"))
    html = page(visitor, "/agreements/")
    row = text(re.search(r'<tr data-agreement="apl-lacteo">(.*?)</tr>', html, re.S).group(1))
    assert "not assessable" in row and "%" not in row  # no final audit: never 0 %
    assert "sample data" in row
    assert "1050" in row
    assert "Los Lagos" in row


def make_listed_agreement(n, auditor):
    """An agreement with a sector, a regional territory, an adhered facility, a submitted final
    audit, a maintenance audit, a certificate and a registered specialist: everything the list
    pages show, to count their queries."""
    agreement = Agreement.objects.create(
        slug=f"apl-{n}",
        code=f"APL-{n}",
        name=f"APL {n}",
        country_id="CL",
        stage="signed",
        signing_date=SIGNED,
        is_national=False,
    )
    agreement.sectors.add(Sector.objects.get(code="1050"))
    agreement.subdivisions.add("CL-LL", "CL-BI")
    goal = Goal.objects.create(agreement=agreement, code="1", title="Agua")
    action = Action.objects.create(goal=goal, code="1.1", text="Medir")
    company = Company.objects.create(
        country_id="CL", tax_id=f"7608642{n}", name=f"Empresa {n}", size="mediana"
    )
    facility = Facility.objects.create(
        company=company, code=f"F{n}", name=f"Planta {n}", subdivision_id="CL-LL"
    )
    Adhesion.objects.create(agreement=agreement, facility=facility, adhered_on=ADHERED)
    audits = {}
    for kind in ("final", "maintenance"):
        audits[kind] = Audit.objects.create(
            agreement=agreement,
            facility=facility,
            auditor=auditor,
            audit_type=kind,
            audit_date=AUDITED,
            status="submitted",
        )
        AuditItem.objects.create(audit=audits[kind], action=action, applies=True, complies=True)
    today = timezone.localdate()
    certificate = Certificate(
        code=f"APL-{n}-F{n}",
        agreement=agreement,
        facility=facility,
        final_audit=audits["final"],
        issued_on=today - dt.timedelta(days=30),
        valid_until=today + dt.timedelta(days=1000),
    )
    services.certificate_seal(certificate)
    certificate.save()
    expert = Expert.objects.create(
        auditor_id=f"ESP-{n}",
        kind="specialist",
        name=f"Especialista {n}",
        country_id="CL",
        registered_from=dt.date(2020, 1, 1),
    )
    expert.specialities.add(*Sector.objects.filter(code__in=["1050", "1010"]))
    return agreement


@pytest.mark.parametrize(
    ("url", "expected", "shown_text"),
    [
        # count, a page of agreements, sectors, subdivisions; consolidated_many from the
        # tallies: the facilities' totals, the goals' counts grouped by value, the actions'
        ("/agreements/", 7, "APL-3"),
        # count, certificates, the counts of their maintenance audits (certificate_states)
        ("/certificates/", 3, "APL-3-F3"),
        # count, a page of experts, their specialities
        ("/registry/", 3, "ESP-3"),
    ],
)
def test_it_lists_in_a_fixed_number_of_queries(url, expected, shown_text, aurora, visitor):
    make_listed_agreement(1, aurora)
    one = count_queries(visitor, url)
    make_listed_agreement(2, aurora)
    make_listed_agreement(3, aurora)
    three = count_queries(visitor, url)
    assert (one, three) == (expected, expected)
    assert shown_text in text(page(visitor, url))


# --- agreement detail -----------------------------------------------------------------------


def test_it_shows_the_stage_timeline_with_the_current_stage(apl, cora, visitor):
    for stage in ("adhesion", "implementation"):
        services.agreement_change_stage(
            acting_user=cora, agreement=apl, to_stage=stage, comment=f"Paso a {stage}"
        )
    html = page(visitor, "/agreements/apl-lacteo/")
    steps = re.findall(r'data-stage="(\w+)" data-state="(\w+)"', html)
    assert [key for key, _state in steps] == [
        "interest",
        "admissibility",
        "diagnosis",
        "negotiation",
        "signed",
        "adhesion",
        "implementation",
        "final_evaluation",
        "certification",
        "impact_evaluation",
        "closed",
    ]
    states = dict(steps)
    assert states["implementation"] == "current"
    assert states["interest"] == states["signed"] == states["adhesion"] == "done"
    assert states["final_evaluation"] == states["closed"] == "upcoming"
    (current,) = re.findall(r'<li [^>]*aria-current="step"[^>]*>(.*?)</li>', html, re.S)
    assert "Implementation" in text(current) and "current stage" in text(current)
    assert us_date(timezone.localdate()) in text(current)  # dated by its stage change
    assert "Paso a adhesion" in text(html)  # the stage changes with their comments


def test_it_shows_a_cancelled_agreement_as_cancelled(apl, cora, visitor):
    services.agreement_change_stage(
        acting_user=cora, agreement=apl, to_stage="cancelled", comment="Sin quórum"
    )
    html = page(visitor, "/agreements/apl-lacteo/")
    states = dict(re.findall(r'data-stage="(\w+)" data-state="(\w+)"', html))
    assert states["cancelled"] == "current"
    assert states["signed"] == "done" and states["adhesion"] == "upcoming"
    assert "Sin quórum" in text(html)


def test_it_shows_dates_signatories_goals_and_actions(apl, visitor):
    Action.objects.filter(code="1.1").update(
        performance_indicator="m³ medidos por mes", verification="Registro de caudalímetro"
    )
    body = text(page(visitor, "/agreements/apl-lacteo/"))
    assert "01/15/2024" in body  # signing date
    assert "01/15/2024 – 04/14/2024 (90 days)" in body  # the adhesion window
    assert "10/14/2025" in body  # implementation end: 18 months after the window
    assert "Federación de Productores de Leche Business association" in body
    assert "Servicio Agrícola y Ganadero (SAG) Regulator / enforcement service" in body
    assert "Goal 1 Uso eficiente del agua" in body
    # Action.deadline: 6 months after the end of the adhesion window
    assert "1.1 Medir el consumo de agua 10/14/2024 m³ medidos por mes" in body
    assert "Registro de caudalímetro all sizes" in body
    assert "2.2 Planta de tratamiento de RILes — — — Large" in body
    assert "No final audit has been submitted yet." in body


def test_it_shows_the_compliance_figures_of_the_final_audits(audited, visitor):
    report = figures.consolidated(audited)
    html = page(visitor, "/agreements/apl-lacteo/")
    sector = re.search(r'class="agreement-compliance">([^<]+)<', html).group(1)
    assert sector == shown(report.compliance) == "72.2 %"  # (1 + 2/3 + 1/2) / 3
    goals = dict(re.findall(r'<tr data-goal="([^"]+)">.*?text-nowrap">([^<]+)</td></tr>', html))
    assert goals == {line.code: shown(line.compliance) for line in report.goals}
    assert goals == {"1": "83.3 %", "2": "66.7 %"}  # (1 + 1/2 + 1) / 3 and (1 + 1 + 0) / 3
    actions = re.findall(
        r'<tr data-action="([^"]+)"><td>[^<]*</td><td>[^<]*</td>'
        r'<td class="text-end">(\d+)</td><td class="text-end">(\d+)</td>'
        r'<td class="text-end text-nowrap">([^<]+)</td>',
        html,
    )
    assert actions == [
        (a.code, str(a.applicable_facilities), str(a.complying_facilities), shown(a.compliance))
        for a in report.actions
    ]
    assert actions == [
        ("1.1", "3", "3", "100.0 %"),
        ("1.2", "3", "2", "66.7 %"),
        ("2.1", "3", "2", "66.7 %"),
        ("2.2", "1", "0", "0.0 %"),  # only B1 is large
    ]
    assert 'src="/agreements/apl-lacteo/compliance.svg"' in html
    by_facility = dict(
        re.findall(r'<tr data-facility="(\w+)".*?text-nowrap">([^<]+)</td>\s*</tr>', html, re.S)
    )
    assert by_facility == {"A1": "100.0 %", "A2": "66.7 %", "B1": "50.0 %"}
    assert "Lácteos del Sur RUT 76.086.428-5" in text(html)  # the RUT as usually written


def test_it_serves_the_compliance_chart_as_svg(audited, visitor):
    response = visitor.get("/agreements/apl-lacteo/compliance.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "<text" not in svg  # text drawn as paths: no fonts
    assert len(re.findall(r'<g id="patch_\d+"', svg)) > 6  # backgrounds and the bars


def test_it_charts_nothing_without_audits(apl, visitor):
    svg = page(visitor, "/agreements/apl-lacteo/compliance.svg")
    assert svg.startswith("<svg") and "<text" not in svg


def test_it_shows_adhered_facilities_and_impacts(audited, cora, facilities, visitor):
    adhesion = Adhesion.objects.get(agreement=audited, facility=facilities["A2"])
    services.adhesion_withdraw(
        acting_user=cora, adhesion=adhesion, on=dt.date(2024, 9, 1), reason="Cierre de planta"
    )
    for code, water, unit, milk in (("A1", "1500", "m³", "10"), ("B1", "2", "ML", "20")):
        services.impact_record(
            acting_user=cora,
            agreement=audited,
            facility=facilities[code],
            metric="water",
            year=2024,
            value=water,
            unit=unit,
        )
        services.impact_record(
            acting_user=cora,
            agreement=audited,
            facility=facilities[code],
            metric="production",
            year=2024,
            value=milk,
            unit="t",
        )
    body = text(page(visitor, "/agreements/apl-lacteo/"))
    assert "A1 Planta Osorno Lácteos del Sur RUT 76.086.428-5 Los Lagos 02/01/2024 —" in body
    assert "02/01/2024 09/01/2024: Cierre de planta" in body  # A2 withdrew
    assert "Adhered facilities 2" in body  # the withdrawn one does not count
    assert "2024 Water 3,500" in body  # 1 500 m³ + 2 ML
    assert "2024 Production 30" in body


def test_it_hides_unpublished_agreements(apl, visitor):
    Agreement.objects.filter(pk=apl.pk).update(stage="negotiation")
    page(visitor, "/agreements/apl-lacteo/", status=404)
    page(visitor, "/agreements/apl-lacteo/compliance.svg", status=404)


# --- certificates, registry -----------------------------------------------------------------


def test_it_lists_certified_facilities_with_their_status(certificate, visitor):
    html = page(visitor, "/certificates/")
    row = re.search(rf'<tr data-certificate="{certificate.code}">(.*?)</tr>', html, re.S).group(1)
    cells = [text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[0] == certificate.code
    assert cells[1] == "Planta Osorno A1 Los Lagos"
    assert cells[2] == "Lácteos del Sur RUT 76.086.428-5"
    assert cells[3] == "APL-LAC-01 APL Sector Lácteo"
    assert cells[4:6] == [us_date(certificate.issued_on), us_date(certificate.valid_until)]
    assert cells[6] == "Valid"
    assert 'class="badge text-bg-success" data-status="valid"' in row
    assert f'href="/verify/{certificate.code}/"' in row


def test_it_shows_a_suspended_certificate_with_its_reason(certificate, visitor):
    Certificate.objects.filter(pk=certificate.pk).update(
        issued_on=dt.date(2020, 1, 1), valid_until=timezone.localdate() + dt.timedelta(days=30)
    )
    html = page(visitor, "/certificates/")
    assert 'class="badge text-bg-warning" data-status="suspended">Suspended<' in html
    assert "the yearly maintenance audit is missing (since" in text(html)


def test_it_lists_the_registry_of_today(aurora, visitor):
    dairy = Sector.objects.get(code="1050")
    aurora.specialities.add(dairy)
    Expert.objects.create(
        auditor_id="AUD-OLD",
        kind="auditor",
        name="Vencida",
        registered_from=dt.date(2015, 1, 1),
        registered_until=dt.date(2018, 1, 1),
    )
    html = page(visitor, "/registry/")
    row = text(re.search(r'<tr data-expert="AUD-001">(.*?)</tr>', html, re.S).group(1))
    # in the page's language (English here): the reference data's English name
    assert row == f"Aurora Auditora Chile AUD-001 APL auditor 1050 {dairy.name_en} 12/31/2027"
    assert "Vencida" not in html


# --- verification and the PDF ---------------------------------------------------------------


def test_it_redirects_the_verification_form_to_the_code(db, visitor):
    assert "Certificate code" in text(page(visitor, "/verify/"))
    response = visitor.get("/verify/", {"code": " apl-lac-01-a1-2025 "})
    assert response.status_code == 302
    assert response["Location"] == "/verify/APL-LAC-01-A1-2025/"


def test_it_verifies_a_genuine_certificate(certificate, visitor):
    html = page(visitor, f"/verify/{certificate.code}/?s={certificate.signature}")
    body = text(html)
    assert "verification-genuine" in html and "Genuine." in body
    assert "The signature in the QR code and the data recorded" in body
    assert 'class="badge text-bg-success fs-6" data-status="valid">Valid<' in html
    assert "Facility Planta Osorno (A1)" in body
    assert "Company Lácteos del Sur · RUT 76.086.428-5" in body
    assert "Agreement APL-LAC-01 APL Sector Lácteo" in body
    assert "Not genuine" not in body
    assert f'href="/certificates/{certificate.code}.pdf"' in html


def test_it_reports_an_altered_certificate_as_not_genuine(certificate, visitor):
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=dt.date(2099, 12, 31))
    for url in (
        f"/verify/{certificate.code}/?s={certificate.signature}",
        f"/verify/{certificate.code}/",
    ):
        html = page(visitor, url)
        assert "verification-forged" in html and "Not genuine." in text(html)
        assert "verification-genuine" not in html
        assert ".pdf" not in html


def test_it_reports_a_forged_signature_as_not_genuine(certificate, visitor):
    html = page(visitor, f"/verify/{certificate.code}/?s={'0' * 64}")
    assert "verification-forged" in html and "may have been altered or forged" in text(html)


def test_it_says_revoked_in_words_and_colour(certificate, cora, visitor):
    services.certificate_revoke(
        acting_user=cora, certificate=certificate, on=timezone.localdate(), reason="Fraude"
    )
    html = page(visitor, f"/verify/{certificate.code}/")
    assert 'class="badge text-bg-danger fs-6" data-status="revoked">Revoked<' in html
    assert "revoked by the agreement's coordination" in text(html).replace("&#x27;", "'")
    assert "verification-genuine" in html  # revoked, but the record itself is genuine


def test_it_answers_404_for_an_unknown_code(db, visitor):
    body = text(page(visitor, "/verify/NO-EXISTE/", status=404))
    assert "Certificate not found" in body and "NO-EXISTE" in body


def test_it_serves_the_certificate_pdf_with_its_verification_address(
    certificate, visitor, monkeypatch
):
    from limpia.web import agreement_views

    rendered = []
    original = agreement_views.certificate_pdf
    monkeypatch.setattr(
        agreement_views, "certificate_pdf", lambda doc: rendered.append(doc) or original(doc)
    )
    response = visitor.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{certificate.code}.pdf"'
    assert response.content.startswith(b"%PDF")
    (document,) = rendered
    assert document.verification_url == (
        f"http://testserver/verify/{certificate.code}/?s={certificate.signature}"
    )
    assert document.company_tax_id == "76.086.428-5"
    assert document.status_label == "Valid"
    assert document.labels["company_tax_id"] == "RUT"
    assert document.labels["verify"] == "Verify the authenticity of this certificate at"
    assert document.issuer == "Agencia de Sustentabilidad y Cambio Climático"
    assert document.language == "en"


def test_it_prints_no_pdf_of_an_altered_certificate(certificate, visitor):
    Certificate.objects.filter(pk=certificate.pk).update(issued_on=dt.date(2020, 1, 1))
    response = visitor.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{certificate.code}/"
    assert visitor.get("/certificates/NO-EXISTE.pdf").status_code == 404


def test_it_renders_every_page_in_spanish_by_default(certificate, client):
    for url in (
        "/agreements/",
        "/agreements/apl-lacteo/",
        "/certificates/",
        "/registry/",
        "/verify/",
        f"/verify/{certificate.code}/",
    ):
        html = page(client, url)
        assert '<html lang="es">' in html, url
    assert "72,2 %" in page(client, "/agreements/apl-lacteo/")  # decimal comma


def test_it_shows_the_detail_page_in_a_fixed_number_of_queries(audited, cora, aurora, visitor):
    # the agreement, sectors, subdivisions, signatories, goals, actions, stage changes,
    # documents, extensions, the report's figures from the tallies (facilities grouped by
    # their counts, companies, goals' counts grouped by value, actions'), the count and a page
    # of adhesions with their facilities' lines, impacts
    assert count_queries(visitor, "/agreements/apl-lacteo/") == 17
    facility = Facility.objects.create(
        company=Company.objects.get(tax_id="965432109"), code="B2", name="Planta Chillán"
    )
    # adhered during the window (recorded directly: the agreement has moved on since)
    Adhesion.objects.create(agreement=audited, facility=facility, adhered_on=ADHERED)
    final_audit(audited, facility, coordinator=cora, auditor=aurora, outcomes=OUTCOMES["B1"])
    assert count_queries(visitor, "/agreements/apl-lacteo/") == 17


# ---------------------------------------------------------------- lists as files


def test_it_downloads_the_registry_as_csv_xlsx_and_json(aurora, visitor):
    import io
    import json

    import openpyxl

    Expert.objects.create(
        auditor_id="AUD-OLD",
        kind="auditor",
        name='=HYPERLINK("http://x")',  # a name that would be a formula in a spreadsheet
        registered_from=dt.date(2015, 1, 1),
    )
    assert 'href="/registry/export.csv"' in page(visitor, "/registry/")
    csv = visitor.get("/registry/export.csv")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv["Content-Disposition"]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "auditor_id,kind,name,country,specialities,registered_from,registered_until"
    assert "AUD-001,auditor,Aurora Auditora,CL,,2020-01-01,2027-12-31" in lines[1:]
    assert any(line.startswith("AUD-OLD,auditor,\"'=HYPERLINK") for line in lines)
    book = openpyxl.load_workbook(io.BytesIO(visitor.get("/registry/export.xlsx").content))
    assert book["registry"]["A1"].value == "auditor_id"
    assert book["registry"].max_row == 3
    data = json.loads(visitor.get("/registry/export.json").content)
    assert {e["auditor_id"] for e in data} == {"AUD-001", "AUD-OLD"}
    assert visitor.get("/registry/export.pdf").status_code == 404


def test_it_downloads_the_certificates_it_lists_with_their_status(
    certificate, audited, visitor, cora
):
    import json

    html = page(visitor, f"/certificates/?agreement={audited.slug}")
    assert f'href="/certificates/export.csv?agreement={audited.slug}"' in html
    data = json.loads(visitor.get(f"/certificates/export.json?agreement={audited.slug}").content)
    assert [(c["code"], c["facility_code"], c["status"]) for c in data] == [
        (certificate.code, "A1", "valid")
    ]
    assert data[0]["verification_url"] == f"http://testserver/verify/{certificate.code}/"
    assert json.loads(visitor.get("/certificates/export.json?agreement=otro").content) == []
    # An agreement still in negotiation is not public: nor are its certificates in the export.
    Agreement.objects.filter(pk=audited.pk).update(stage="negotiation")
    assert json.loads(visitor.get("/certificates/export.json").content) == []
    coordinator = Client()
    coordinator.force_login(cora)
    assert len(json.loads(coordinator.get("/certificates/export.json").content)) == 1


def test_it_pages_and_searches_the_agreements(aurora, visitor, settings, monkeypatch):
    monkeypatch.setattr("limpia.web.agreement_views.AGREEMENTS_PER_PAGE", 2)
    for n in (1, 2, 3):
        make_listed_agreement(n, aurora)
    first = text(page(visitor, "/agreements/"))
    second = text(page(visitor, "/agreements/?page=2"))
    shown = [code for code in ("APL-1", "APL-2", "APL-3") if code in first]
    assert len(shown) == 2
    assert [code for code in ("APL-1", "APL-2", "APL-3") if code in second] == [
        code for code in ("APL-1", "APL-2", "APL-3") if code not in shown
    ]
    found = text(page(visitor, "/agreements/?q=apl-2"))
    assert "APL-2" in found
    assert "APL-1" not in found
    assert "APL-3" not in found
    assert "No agreement matches" in text(page(visitor, "/agreements/?q=nada"))


def test_it_pages_and_searches_the_adhered_facilities(audited, facilities, visitor, monkeypatch):
    monkeypatch.setattr("limpia.web.agreement_views.FACILITIES_PER_PAGE", 2)
    first = page(visitor, "/agreements/apl-lacteo/")
    second = page(visitor, "/agreements/apl-lacteo/?fpage=2")
    listed = re.findall(r'<tr data-facility="([^"]+)"', first + second)
    assert sorted(listed) == ["A1", "A2", "B1"]  # every facility once, in facility-code order
    assert 'href="?fpage=2"' in first
    # Searched by the company's name: both of its facilities, and the compliance of each.
    found = page(visitor, "/agreements/apl-lacteo/?fq=Lácteos del Sur")
    assert re.findall(r'<tr data-facility="([^"]+)"', found) == ["A1", "A2"]
    assert "2 found" in text(found)
    # The compliance figures above the list stay those of every audited facility.
    assert "3 audited facilities" in text(found)
    nothing = text(page(visitor, "/agreements/apl-lacteo/?fq=zzz"))
    assert "No facility matches the search." in nothing


def test_it_searches_the_certificates_and_keeps_the_agreement(certificate, audited, visitor):
    by_company = page(visitor, f"/certificates/?agreement={audited.slug}&q=lácteos")
    assert f'data-certificate="{certificate.code}"' in by_company
    assert 'name="agreement" value="apl-lacteo"' in by_company  # the search keeps the filter
    assert f'data-certificate="{certificate.code}"' in page(visitor, "/certificates/?q=76086428")
    missing = text(page(visitor, "/certificates/?q=zzz"))
    assert "No certificate matches the search." in missing


def test_it_pages_and_searches_the_registry(aurora, visitor, monkeypatch):
    monkeypatch.setattr("limpia.web.agreement_views.EXPERTS_PER_PAGE", 2)
    aurora.specialities.add(Sector.objects.get(code="1050"))
    for n in (1, 2):
        Expert.objects.create(
            auditor_id=f"ESP-{n}",
            kind="specialist",
            name=f"Especialista {n}",
            registered_from=dt.date(2020, 1, 1),
        )
    first, second = page(visitor, "/registry/"), page(visitor, "/registry/?page=2")
    listed = re.findall(r'<tr data-expert="([^"]+)"', first + second)
    assert sorted(listed) == ["AUD-001", "ESP-1", "ESP-2"]
    assert re.findall(r'<tr data-expert="([^"]+)"', page(visitor, "/registry/?q=105")) == [
        "AUD-001"
    ]  # by the ISIC code of a speciality
    assert re.findall(r'<tr data-expert="([^"]+)"', page(visitor, "/registry/?q=esp-2")) == [
        "ESP-2"
    ]
