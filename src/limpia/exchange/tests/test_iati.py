"""IATI 2.03 export: valid against the official schema, with results, periods and actuals."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from lxml import etree

import limpia
from limpia.agreements.sample import sample_agreements_load
from limpia.exchange.iati import plan_to_iati
from limpia.plans.loader import load_plans, plan_files
from limpia.plans.models import Indicator, Measurement, Plan
from limpia.plans.sample import sample_measurements_load

# The official schema lives in ../shared/standards beside the repository (as in CI).
SCHEMA_DIR = Path(limpia.__file__).resolve().parents[3] / "shared" / "standards" / "iati-2.03"
SOURCE_SLUGS = sorted(path.stem for path in plan_files())
AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(file=str(SCHEMA_DIR / "iati-activities-schema.xsd"))


@pytest.fixture(scope="module")
def sources(django_db_setup, django_db_blocker):
    """The source plans with the sample measurements and agreements, loaded once per module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_plans()
            sample_measurements_load()
            sample_agreements_load()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _activity(plan, **kwargs):
    root = etree.fromstring(plan_to_iati(plan, **kwargs))
    (activity,) = root.findall("iati-activity")
    return activity


def _indicator(activity, code):
    reference = activity.find(f"result/indicator/reference[@code='{code}']")
    assert reference is not None, code
    return reference.getparent()


def _approved(indicator, day, value, **extra):
    return Measurement.objects.create(
        indicator=indicator, date=day, value=Decimal(value), status="approved", **extra
    )


# ---------------------------------------------------------------- the source plans


def test_it_finds_the_three_source_documents_in_the_plan_files():
    prefixes = {slug.split("-")[0] for slug in SOURCE_SLUGS}
    assert prefixes == {"cl", "lac", "pa"}


@pytest.mark.parametrize("slug", SOURCE_SLUGS)
def test_it_validates_every_source_plan_against_the_official_schema(sources, db, schema, slug):
    document = plan_to_iati(Plan.objects.get(slug=slug), as_of=AS_OF)
    root = etree.fromstring(document)
    assert schema.validate(root), schema.error_log.filter_from_errors()
    assert root.get("version") == "2.03"
    assert root.get("generated-datetime")
    (activity,) = root.findall("iati-activity")
    assert activity.findtext("iati-identifier") == f"XM-LIMPIA-{slug}"
    for narrative in root.iter("narrative"):
        assert narrative.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
        assert narrative.text


def test_it_gives_measure_codes_for_units_percentages_and_qualitative_indicators(sources, db):
    panama = _activity(Plan.objects.get(slug="pa-pml-plan-accion"), as_of=AS_OF)
    assert _indicator(panama, "OE1-I2").get("measure") == "1"
    percentage = _indicator(panama, "OE4-I4")
    assert percentage.get("measure") == "2"
    assert percentage.get("ascending") == "1"
    qualitative = _indicator(panama, "OE2-I1")
    assert qualitative.get("measure") == "5"
    assert qualitative.get("ascending") is None
    andina = _activity(Plan.objects.get(slug="lac-cps-andina"), as_of=AS_OF)
    assert _indicator(andina, "AND-1.1-I1").get("measure") == "5"
    chile = _activity(Plan.objects.get(slug="cl-politica-pl-2010"), as_of=AS_OF)
    assert _indicator(chile, "META-c").get("measure") == "2"


def test_it_writes_the_baseline_the_target_and_its_period(sources, db):
    chile = _activity(Plan.objects.get(slug="cl-politica-pl-2010"), as_of=AS_OF)
    goal = _indicator(chile, "META-a")
    assert goal.getparent().get("type") == "3"  # the plan's own goals: impact
    baseline = goal.find("baseline")
    assert (baseline.get("year"), baseline.get("iso-date"), baseline.get("value")) == (
        "2005",
        "2005-12-31",
        "0",
    )
    (period,) = goal.findall("period")
    assert period.find("period-start").get("iso-date") == "2005-12-31"
    assert period.find("period-end").get("iso-date") == "2010-12-31"
    assert period.find("target").get("value") == "2000"
    # No baseline stated, no baseline written; the period starts with the plan.
    certified = _indicator(chile, "META-b")
    assert certified.find("baseline") is None
    assert certified.find("period/period-start").get("iso-date") == "2006-11-24"


def test_it_reports_the_actual_value_at_the_period_end_from_sample_data(sources, db):
    panama = _activity(Plan.objects.get(slug="pa-pml-plan-accion"), as_of=AS_OF)
    agreements = _indicator(panama, "OE1-I2")
    actual = agreements.find("period/actual")
    assert actual.get("value") == "2"  # the level on 2006-12-15, the last before 2006-12-31
    comment = actual.findtext("comment/narrative")
    assert "2006-12-15" in comment
    assert "datos de ejemplo" in comment
    trained = _indicator(panama, "OE2-I2")
    assert trained.find("period/actual").get("value") == "51"
    # No data for the catalogue of funds: no actual.
    assert _indicator(panama, "OE1-I1").find("period/actual") is None


def test_it_computes_the_actual_of_a_computed_goal_from_the_sample_agreements(sources, db):
    chile = _activity(Plan.objects.get(slug="cl-politica-pl-2010"), as_of=AS_OF)
    actual = _indicator(chile, "META-a").find("period/actual")
    assert actual is not None
    assert Decimal(actual.get("value")) > 0


def test_it_maps_jurisdictions_to_recipient_countries_and_regions(sources, db):
    regions = {}
    for slug in ("lac-cps-andina", "lac-cps-cono-sur", "lac-cps-caribe", "lac-cps-mesoamerica"):
        region = _activity(Plan.objects.get(slug=slug), as_of=AS_OF).find("recipient-region")
        assert region.get("vocabulary") == "1"
        regions[slug] = region.get("code")
    assert regions == {
        "lac-cps-andina": "489",
        "lac-cps-cono-sur": "489",
        "lac-cps-caribe": "380",
        "lac-cps-mesoamerica": "389",
    }
    regional = _activity(Plan.objects.get(slug="lac-cps-plan-regional"), as_of=AS_OF)
    assert regional.find("recipient-region").get("code") == "498"
    assert regional.find("recipient-country") is None
    chile = _activity(Plan.objects.get(slug="cl-politica-pl-2010"), as_of=AS_OF)
    assert chile.find("recipient-country").get("code") == "CL"
    assert chile.find("recipient-region") is None


def test_it_names_the_adopting_organization_as_reporter_and_accountable(sources, db):
    chile = _activity(Plan.objects.get(slug="cl-politica-pl-2010"), as_of=AS_OF)
    reporter = chile.find("reporting-org")
    assert (reporter.get("ref"), reporter.get("type")) == ("XM-LIMPIA", "10")
    assert reporter.findtext("narrative") == "Consejo Nacional de Producción Limpia"
    roles = {
        (org.get("role"), org.findtext("narrative")) for org in chile.findall("participating-org")
    }
    assert ("2", "Consejo Nacional de Producción Limpia") in roles


def test_it_links_parent_and_published_subplans_only(sources, db):
    regional = _activity(Plan.objects.get(slug="lac-cps-plan-regional"), as_of=AS_OF)
    children = {r.get("ref") for r in regional.findall("related-activity[@type='2']")}
    assert "XM-LIMPIA-lac-cps-andina" in children
    assert "XM-LIMPIA-lac-cps-propuestas-ong" not in children  # a draft
    andina = _activity(Plan.objects.get(slug="lac-cps-andina"), as_of=AS_OF)
    assert (
        andina.find("related-activity[@type='1']").get("ref") == "XM-LIMPIA-lac-cps-plan-regional"
    )
    assert andina.get("hierarchy") == "2"


# ---------------------------------------------------------------- built plans


@pytest.fixture
def staged(plan_builder):
    return plan_builder(
        slug="escalonado",
        nodes=[
            {
                "code": "1",
                "children": [
                    {
                        "code": "1.1",
                        "indicators": [
                            {
                                "code": "EMP",
                                "name": "Empresas adheridas",
                                "kind": "quantity",
                                "unit": "empresas",
                                "measure": "increment",
                                "baseline_value": Decimal(10),
                                "baseline_date": dt.date(2020, 6, 30),
                                "targets": [
                                    ("50", dt.date(2022, 12, 31)),
                                    ("100", dt.date(2024, 12, 31)),
                                ],
                            },
                            {
                                "code": "AGUA",
                                "name": "Consumo de agua",
                                "kind": "quantity",
                                "unit": "m3/t",
                                "direction": "decrease",
                                "targets": [("5", dt.date(2025, 12, 31))],
                            },
                            {
                                "code": "GUIA",
                                "name": "Guía publicada",
                                "kind": "milestone",
                                "targets": [("1", dt.date(2021, 12, 31))],
                            },
                        ],
                    }
                ],
                "indicators": [
                    {
                        "code": "PERC",
                        "name": "Percepción de los gremios",
                        "kind": "qualitative",
                        "targets": [("1", dt.date(2023, 12, 31))],
                    }
                ],
            }
        ],
    )


def test_it_validates_a_built_plan_with_every_kind_of_indicator(staged, schema):
    _approved(Indicator.objects.get(code="EMP"), dt.date(2021, 5, 1), "7")
    Measurement.objects.create(
        indicator=Indicator.objects.get(code="PERC"),
        date=dt.date(2022, 3, 1),
        text="Buena acogida",
        status="approved",
    )
    root = etree.fromstring(plan_to_iati(staged, as_of=dt.date(2026, 1, 1)))
    assert schema.validate(root), schema.error_log.filter_from_errors()


def test_it_chains_periods_and_adds_increments_to_the_baseline(staged):
    companies = Indicator.objects.get(code="EMP")
    _approved(companies, dt.date(2020, 3, 1), "99")  # before the baseline: not counted
    _approved(companies, dt.date(2021, 5, 1), "7")
    _approved(companies, dt.date(2022, 8, 1), "13")
    _approved(companies, dt.date(2023, 2, 1), "20")
    Measurement.objects.create(
        indicator=companies, date=dt.date(2023, 3, 1), value=Decimal(500), status="submitted"
    )
    activity = _activity(staged, as_of=dt.date(2023, 6, 30))
    indicator = _indicator(activity, "EMP")
    assert indicator.getparent().get("type") == "1"  # an action: output
    assert indicator.find("baseline").get("value") == "10"
    first, second = indicator.findall("period")
    assert first.find("period-start").get("iso-date") == "2020-06-30"
    assert first.find("period-end").get("iso-date") == "2022-12-31"
    assert first.find("target").get("value") == "50"
    assert first.find("actual").get("value") == "30"  # 10 + 7 + 13
    assert second.find("period-start").get("iso-date") == "2023-01-01"
    assert second.find("period-end").get("iso-date") == "2024-12-31"
    assert second.find("target").get("value") == "100"
    assert second.find("actual").get("value") == "50"  # as of 2023-06-30; the draft is left out


def test_it_writes_descending_milestone_and_qualitative_indicators(staged):
    Measurement.objects.create(
        indicator=Indicator.objects.get(code="PERC"),
        date=dt.date(2022, 3, 1),
        text="Buena acogida",
        status="approved",
    )
    _approved(Indicator.objects.get(code="GUIA"), dt.date(2021, 10, 1), "1")
    activity = _activity(staged, as_of=dt.date(2026, 1, 1))
    water = _indicator(activity, "AGUA")
    assert (water.get("measure"), water.get("ascending")) == ("1", "0")
    assert water.find("period/actual") is None  # no data
    guide = _indicator(activity, "GUIA")
    assert guide.get("measure") == "1"
    assert guide.find("period/target").get("value") == "1"
    assert guide.find("period/actual").get("value") == "1"
    perception = _indicator(activity, "PERC")
    assert perception.getparent().get("type") == "2"  # an objective: outcome
    assert perception.get("measure") == "5"
    target = perception.find("period/target")
    assert target.get("value") is None
    actual = perception.find("period/actual")
    assert actual.get("value") is None
    assert "Buena acogida" in actual.findtext("comment/narrative")


def test_it_leaves_out_actuals_of_periods_not_started(staged):
    _approved(Indicator.objects.get(code="EMP"), dt.date(2021, 5, 1), "7")
    activity = _activity(staged, as_of=dt.date(2022, 1, 1))
    first, second = _indicator(activity, "EMP").findall("period")
    assert first.find("actual").get("value") == "17"
    assert second.find("actual") is None


@pytest.mark.parametrize(
    ("as_of", "status", "code"),
    [
        (dt.date(2019, 12, 31), "approved", "1"),
        (dt.date(2025, 1, 1), "approved", "2"),
        (dt.date(2031, 1, 1), "approved", "3"),
        (dt.date(2031, 1, 1), "archived", "4"),
    ],
)
def test_it_derives_the_activity_status_from_the_period(plan_builder, as_of, status, code):
    plan = plan_builder(status=status)
    assert _activity(plan, as_of=as_of).find("activity-status").get("code") == code


def test_it_needs_a_participating_org_even_without_organizations(plan_builder, schema):
    plan = plan_builder(slug="sin-organizaciones")
    root = etree.fromstring(plan_to_iati(plan))
    assert schema.validate(root), schema.error_log.filter_from_errors()
    (activity,) = root
    (org,) = activity.findall("participating-org")
    assert (org.get("role"), org.findtext("narrative")) == ("2", "Limpia")


# ---------------------------------------------------------------- command line


def test_it_exports_a_plan_to_a_file_from_the_command_line(staged, schema, tmp_path):
    path = tmp_path / "plan.xml"
    call_command("export", "iati", "escalonado", "-o", str(path))
    root = etree.parse(str(path)).getroot()
    assert schema.validate(root), schema.error_log.filter_from_errors()
    assert root.find("iati-activity/iati-identifier").text == "XM-LIMPIA-escalonado"


def test_it_exports_to_standard_output(staged):
    from io import StringIO

    out = StringIO()
    call_command("export", "iati", "escalonado", stdout=out)
    assert out.getvalue().startswith("<?xml")
    assert "<iati-activities" in out.getvalue()


def test_it_refuses_an_unknown_plan_with_a_clear_message(db):
    with pytest.raises(CommandError, match="There is no plan with the slug 'no-existe'"):
        call_command("export", "iati", "no-existe", "-o", "/dev/null")


def test_it_refuses_a_format_other_than_xml(staged):
    with pytest.raises(CommandError, match="The IATI export is XML"):
        call_command("export", "iati", "escalonado", "--format", "csv")


# ---------------------------------------------------------------- API


@pytest.mark.urls("limpia.exchange.tests.urls")
def test_it_serves_the_iati_document_as_xml(staged, api, schema):
    response = api().get("/api/v1/plans/escalonado/iati.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert schema.validate(etree.fromstring(response.content))


@pytest.mark.urls("limpia.exchange.tests.urls")
def test_it_serves_the_document_to_clients_that_accept_only_xml(staged, api):
    response = api().get("/api/v1/plans/escalonado/iati.xml", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200
    missing = api().get("/api/v1/plans/nada/iati.xml", HTTP_ACCEPT="application/xml")
    assert missing.status_code == 404
    assert missing.json()["detail"]


@pytest.mark.urls("limpia.exchange.tests.urls")
def test_it_hides_a_draft_plan_from_anonymous_users(plan_builder, api, ana):
    plan_builder(slug="borrador", status="draft")
    assert api().get("/api/v1/plans/borrador/iati.xml").status_code == 404
    assert api(ana).get("/api/v1/plans/borrador/iati.xml").status_code == 200


@pytest.mark.urls("limpia.exchange.tests.urls")
def test_it_applies_as_of_and_refuses_a_bad_date(staged, api):
    _approved(Indicator.objects.get(code="EMP"), dt.date(2021, 5, 1), "7")
    response = api().get("/api/v1/plans/escalonado/iati.xml?as_of=2021-01-01")
    root = etree.fromstring(response.content)
    assert root.find(".//activity-status").get("code") == "2"
    assert root.find(".//reference[@code='EMP']/../period/actual") is None
    bad = api().get("/api/v1/plans/escalonado/iati.xml?as_of=ayer")
    assert bad.status_code == 400
    assert bad.json()["field"] == "as_of"


@pytest.mark.urls("limpia.exchange.tests.urls")
def test_it_keeps_the_api_schema_free_of_warnings(db, tmp_path):
    import yaml

    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--urlconf",
        "limpia.exchange.tests.urls",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
    )
    paths = yaml.safe_load(target.read_text())["paths"]
    iati = paths["/api/v1/plans/{slug}/iati.xml"]["get"]
    assert "application/xml" in iati["responses"]["200"]["content"]
    assert "/api/v1/plans/{slug}/opensdg.zip" in paths
    assert "/api/v1/plans/{slug}/indicators/{code}/opensdg.csv" in paths
