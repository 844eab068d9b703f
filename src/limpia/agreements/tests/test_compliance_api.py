"""The consolidated compliance report and the agreements list through the API."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from limpia.agreements import figures, services
from limpia.agreements.models import Agreement, Company, Facility
from limpia.agreements.tests.helpers import adhere, freeze_today, run_audit, set_stage
from limpia.api.agreement_serializers import fraction
from limpia.core.models import Sector

# A1 and A2 belong to Lácteos del Sur (pequeña), B1 to Gran Lechera (grande).
FINDINGS = {
    "A1": {"1.1": True, "1.2": False, "2.1": True},  # 2/3
    "A2": {"1.1": True, "1.2": None, "2.1": True},  # 2/2
    "B1": {"1.1": True, "1.2": True, "2.1": False, "2.2": None},  # 2/3
}


@pytest.fixture(autouse=True)
def in_english(settings):
    """Messages are asserted in English, whatever the site's default language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def audited(apl, facilities, cora, aurora):
    adhere(apl, *facilities.values())
    set_stage(apl, "final_evaluation")
    for code, findings in FINDINGS.items():
        run_audit(cora, apl, facilities[code], aurora, findings)
    return apl


def test_it_reports_the_consolidated_final_figures(api, audited):
    response = api().get(f"/api/v1/agreements/{audited.slug}/compliance/", {"audit": "final"})
    assert response.status_code == 200
    report = response.json()
    assert report["audit"] == "final"
    assert report["compliance"] == round(7 / 9, 6)  # mean of 2/3, 1 and 2/3
    assert report["facilities"] == [
        {
            "facility_code": "A1",
            "tax_id": "760864285",
            "compliance": round(2 / 3, 6),
            "applicable": 3,
            "complying": 2,
        },
        {
            "facility_code": "A2",
            "tax_id": "760864285",
            "compliance": 1.0,
            "applicable": 2,
            "complying": 2,
        },
        {
            "facility_code": "B1",
            "tax_id": "965432109",
            "compliance": round(2 / 3, 6),
            "applicable": 3,
            "complying": 2,
        },
    ]
    assert report["companies"] == [
        {"tax_id": "760864285", "compliance": round(5 / 6, 6), "facilities": 2},
        {"tax_id": "965432109", "compliance": round(2 / 3, 6), "facilities": 1},
    ]
    # Goal 1: A1 1/2, A2 1, B1 1. Goal 2: A1 1, A2 1, B1 0 (2.1 fails, 2.2 does not apply).
    assert report["goals"] == [
        {"code": "1", "compliance": round(5 / 6, 6)},
        {"code": "2", "compliance": round(2 / 3, 6)},
    ]
    assert report["actions"] == [
        {
            "code": "1.1",
            "goal": "1",
            "compliance": 1.0,
            "applicable_facilities": 3,
            "complying_facilities": 3,
        },
        {
            "code": "1.2",
            "goal": "1",
            "compliance": 0.5,
            "applicable_facilities": 2,
            "complying_facilities": 1,
        },
        {
            "code": "2.1",
            "goal": "2",
            "compliance": round(2 / 3, 6),
            "applicable_facilities": 3,
            "complying_facilities": 2,
        },
        {  # audited only at B1, where it does not apply: not assessable
            "code": "2.2",
            "goal": "2",
            "compliance": None,
            "applicable_facilities": 0,
            "complying_facilities": 0,
        },
    ]


def test_it_reports_the_final_audit_by_default(api, audited):
    default = api().get(f"/api/v1/agreements/{audited.slug}/compliance/").json()
    assert default["audit"] == "final"
    assert default["compliance"] == round(7 / 9, 6)


def test_it_reports_null_when_nothing_is_assessable(api, apl, facilities, cora, aurora):
    adhere(apl, facilities["A1"])
    set_stage(apl, "implementation")
    run_audit(
        cora,
        apl,
        facilities["A1"],
        aurora,
        {"1.1": None, "1.2": None, "2.1": None},
        audit_type="intermediate",
        audit_date=dt.date(2025, 3, 1),
    )
    report = api().get(f"/api/v1/agreements/{apl.slug}/compliance/?audit=intermediate").json()
    assert report["compliance"] is None
    assert report["facilities"][0]["compliance"] is None
    assert report["companies"] == [{"tax_id": "760864285", "compliance": None, "facilities": 1}]
    assert {g["compliance"] for g in report["goals"]} == {None}
    assert {a["compliance"] for a in report["actions"]} == {None}
    # There is no final audit yet: nothing to report, not 100 %.
    final = api().get(f"/api/v1/agreements/{apl.slug}/compliance/?audit=final").json()
    assert (final["compliance"], final["facilities"]) == (None, [])


def test_it_leaves_out_audits_still_in_progress(api, apl, facilities, cora, aurora):
    adhere(apl, facilities["A1"], facilities["A2"])
    set_stage(apl, "final_evaluation")
    run_audit(cora, apl, facilities["A1"], aurora, FINDINGS["A1"])
    run_audit(cora, apl, facilities["A2"], aurora, FINDINGS["A2"], submit=False)
    report = api().get(f"/api/v1/agreements/{apl.slug}/compliance/").json()
    assert [f["facility_code"] for f in report["facilities"]] == ["A1"]
    assert report["compliance"] == round(2 / 3, 6)


@pytest.mark.parametrize("audit", ["correction", "anual", ""])
def test_it_names_audit_when_the_audit_type_is_unknown(api, audited, audit):
    response = api().get(f"/api/v1/agreements/{audited.slug}/compliance/", {"audit": audit})
    assert response.status_code == 400
    assert response.json()["field"] == "audit"
    assert "audit" in response.json()["detail"]


def test_it_reports_the_compliance_in_a_fixed_number_of_queries(api, apl, facilities, cora, aurora):
    adhere(apl, *facilities.values())
    set_stage(apl, "final_evaluation")
    run_audit(cora, apl, facilities["A1"], aurora, FINDINGS["A1"])
    url = f"/api/v1/agreements/{apl.slug}/compliance/"
    client = api()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for code in ("A2", "B1"):
        run_audit(cora, apl, facilities[code], aurora, FINDINGS[code])
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(url).json()["facilities"]) == 3
    # The data revision (limpia.api.cache), the agreement, then from its tallies the
    # facilities grouped by their counts, how many companies, the goals' counts grouped by
    # value, the actions' counts, and the page: its facility lines, its companies, their
    # facilities' totals. The same nine queries however many facilities were audited (no
    # audit item is read, and no line outside the page).
    assert len(one) == len(three) == 9


def test_it_hides_the_compliance_of_an_agreement_in_negotiation(api, audited, cora):
    Agreement.objects.filter(pk=audited.pk).update(stage="negotiation")
    url = f"/api/v1/agreements/{audited.slug}/compliance/"
    assert api().get(url).status_code == 404
    assert api(cora).get(url).status_code == 200


# ---------------------------------------------------------------- the agreements list


def test_it_lists_agreements_with_their_figures(api, audited, facilities, cora, monkeypatch):
    sector = Sector.objects.order_by("code").first()
    audited.sectors.add(sector)
    audited.is_national = False
    audited.save()
    audited.subdivisions.add("CL-LL", "CL-BI")
    withdrawn = audited.adhesions.get(facility__code="B1")
    services.adhesion_withdraw(
        acting_user=cora, adhesion=withdrawn, on=dt.date(2025, 12, 1), reason="Cierre"
    )
    services.consultation_open(
        acting_user=cora,
        agreement=audited,
        facility=facilities["A2"],
        consulted_on=dt.date(2025, 12, 1),
    )
    services.certificate_issue(
        acting_user=cora,
        agreement=audited,
        facility=facilities["A2"],
        issued_on=dt.date(2026, 3, 2),
    )
    freeze_today(monkeypatch, dt.date(2026, 6, 1))

    response = api().get("/api/v1/agreements/")
    assert response.status_code == 200
    (listed,) = response.json()["results"]
    assert listed["slug"] == "apl-lacteo"
    assert listed["stage"] == "final_evaluation"
    assert listed["sectors"] == [sector.code]
    assert sorted(listed["territory"]) == ["CL-BI", "CL-LL"]
    assert listed["adhered_facilities"] == 2  # B1 withdrew
    assert listed["certified_facilities"] == 1
    assert listed["compliance"] == round(7 / 9, 6)


def test_it_shows_a_national_territory_and_null_compliance_without_audits(api, apl):
    (listed,) = api().get("/api/v1/agreements/").json()["results"]
    assert listed["territory"] == ["CL"]
    assert listed["compliance"] is None
    assert (listed["adhered_facilities"], listed["certified_facilities"]) == (0, 0)


def test_it_does_not_count_a_revoked_certificate_as_certified(
    api, audited, facilities, cora, monkeypatch
):
    services.consultation_open(
        acting_user=cora,
        agreement=audited,
        facility=facilities["A2"],
        consulted_on=dt.date(2025, 12, 1),
    )
    certificate = services.certificate_issue(
        acting_user=cora,
        agreement=audited,
        facility=facilities["A2"],
        issued_on=dt.date(2026, 3, 2),
    )
    services.certificate_revoke(
        acting_user=cora, certificate=certificate, on=dt.date(2026, 4, 1), reason="Fraude"
    )
    freeze_today(monkeypatch, dt.date(2026, 6, 1))
    (listed,) = api().get("/api/v1/agreements/").json()["results"]
    assert listed["certified_facilities"] == 0


def make_agreements(organizations, facilities, cora, aurora, count):
    sector = Sector.objects.order_by("code").first()
    made = []
    for n in range(count):
        agreement = Agreement.objects.create(
            slug=f"apl-extra-{n}",
            code=f"APL-EXTRA-{n}",
            name=f"APL Extra {n}",
            country_id="CL",
            stage="implementation",
            signing_date=dt.date(2024, 1, 15),
            is_national=False,
        )
        agreement.sectors.add(sector)
        agreement.subdivisions.add("CL-LL")
        goal = agreement.goals.create(code="1", title="Agua", position=1)
        goal.actions.create(code="1.1", text="Medir", position=1)
        cora.role_assignments.create(role="coordinator", agreement=agreement)
        cora = type(cora).objects.get(pk=cora.pk)  # roles are cached on the user object
        adhere(agreement, facilities["A1"])
        run_audit(cora, agreement, facilities["A1"], aurora, {"1.1": True})
        made.append(agreement)
    return made


@pytest.mark.parametrize("extra", [0, 2])
def test_it_lists_agreements_in_a_fixed_number_of_queries(
    api, audited, organizations, facilities, cora, aurora, extra, django_assert_num_queries
):
    make_agreements(organizations, facilities, cora, aurora, extra)
    client = api()
    with django_assert_num_queries(8):  # the data revision; the compliance from the tallies: 3
        response = client.get("/api/v1/agreements/")
    results = response.json()["results"]
    assert len(results) == 1 + extra
    assert {r["compliance"] for r in results} == (
        {round(7 / 9, 6)} if extra == 0 else {round(7 / 9, 6), 1.0}
    )


def test_it_hides_agreements_in_negotiation_from_the_public(api, apl, cora, carlos):
    draft = Agreement.objects.create(
        slug="apl-borrador",
        code="APL-BOR-03",
        name="APL en negociación",
        country_id="CL",
        stage="negotiation",
    )
    cora.role_assignments.create(role="coordinator", agreement=draft)
    for client in (api(), api(carlos)):
        slugs = [a["slug"] for a in client.get("/api/v1/agreements/").json()["results"]]
        assert slugs == ["apl-lacteo"]
        assert client.get("/api/v1/agreements/apl-borrador/").status_code == 404
    slugs = {a["slug"] for a in api(cora).get("/api/v1/agreements/").json()["results"]}
    assert slugs == {"apl-lacteo", "apl-borrador"}
    detail = api(cora).get("/api/v1/agreements/apl-borrador/")
    assert detail.status_code == 200
    assert detail.json()["stage"] == "negotiation"


def test_it_shows_the_agreement_detail(api, apl):
    detail = api().get(f"/api/v1/agreements/{apl.slug}/").json()
    assert detail["adhesion_end"] == "2024-04-14"
    assert [s["role"] for s in detail["signatories"]] == [
        "business_association",
        "public_body",
        "regulator",
    ]
    assert [a["code"] for g in detail["goals"] for a in g["actions"]] == [
        "1.1",
        "1.2",
        "2.1",
        "2.2",
        "2.3",
    ]


def test_it_pages_the_facility_and_company_lines(api, apl, facilities, cora, aurora):
    adhere(apl, *facilities.values())
    set_stage(apl, "final_evaluation")
    for code, findings in FINDINGS.items():
        run_audit(cora, apl, facilities[code], aurora, findings)
    url = f"/api/v1/agreements/{apl.slug}/compliance/"
    client = api()
    first = client.get(url, {"page_size": 2}).json()
    assert (first["facilities_count"], first["companies_count"]) == (3, 2)
    assert (first["page"], first["pages"], first["previous"]) == (1, 2, None)
    assert [f["facility_code"] for f in first["facilities"]] == ["A1", "A2"]
    assert len(first["companies"]) == 2
    second = client.get(first["next"]).json()
    assert [f["facility_code"] for f in second["facilities"]] == ["B1"]
    assert second["companies"] == [] and second["next"] is None
    # the agreement's figure and the goals do not depend on the page
    assert second["compliance"] == first["compliance"] == round((2 / 3 + 1 + 2 / 3) / 3, 6)
    assert second["goals"] == first["goals"]
    missing = client.get(url, {"page": 3, "page_size": 2})
    assert missing.status_code == 404
    assert "pages 1 to 2" in missing.json()["detail"]


def test_its_pages_are_the_reports_lines_in_natural_order(api, apl, lacteos, cora, aurora):
    """The database orders and cuts the lines (`sort_key`); read page by page, they are the
    report's lines as the pure module orders them (natural order: F-2 before F-10, case and
    leading zeros as natural_key), and the figures are the report's."""
    others = Company.objects.bulk_create(
        Company(country_id="CL", tax_id=tax_id, name=f"Empresa {tax_id}", size="micro")
        for tax_id in ("10", "9", "K-2", "k-10")
    )
    companies = [lacteos, *others]
    codes = ["F-10", "f-9", "F-2", "F-02b", "É-1", "F-2a", "e-1", "F10"]
    facilities = Facility.objects.bulk_create(
        Facility(company=companies[n % len(companies)], code=code, name=code)
        for n, code in enumerate(codes)
    )
    adhere(apl, *facilities)
    set_stage(apl, "final_evaluation")
    findings = [True, False, None]
    for n, facility in enumerate(facilities):
        run_audit(
            cora,
            apl,
            facility,
            aurora,
            {"1.1": findings[n % 3], "1.2": findings[(n + 1) % 3], "2.1": True},
        )
    report = figures.consolidated(apl)
    url = f"/api/v1/agreements/{apl.slug}/compliance/"
    client = api()
    pages, next_url = [], f"{url}?page_size=3"
    while next_url:
        pages.append(client.get(next_url).json())
        next_url = pages[-1]["next"]
    assert len(pages) == 3
    assert [f["facility_code"] for p in pages for f in p["facilities"]] == [
        line.facility_code for line in report.facilities
    ]
    assert [f["facility_code"] for p in pages for f in p["facilities"]] == [
        "e-1",
        "F10",
        "F-2",
        "F-2a",
        "F-02b",
        "f-9",
        "F-10",
        "É-1",
    ]
    lines = [(c["tax_id"], c["compliance"], c["facilities"]) for p in pages for c in p["companies"]]
    assert lines == [
        (line.tax_id, fraction(line.compliance), line.facilities) for line in report.companies
    ]
    assert [tax_id for tax_id, _c, _n in lines] == ["9", "10", "760864285", "K-2", "k-10"]
    assert pages[0]["compliance"] == fraction(report.compliance)
    assert pages[0]["goals"] == [
        {"code": g.code, "compliance": fraction(g.compliance)} for g in report.goals
    ]
