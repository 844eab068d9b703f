"""Open SDG tidy CSV: Year, disaggregations, Units, Value; per indicator and zipped per plan."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from limpia.agreements.sample import sample_agreements_load
from limpia.exchange.opensdg import indicator_to_opensdg_csv, plan_to_opensdg_zip
from limpia.plans.loader import load_plans
from limpia.plans.models import Indicator, Measurement, Plan
from limpia.plans.sample import sample_measurements_load


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def _measure(indicator, day, value, status="approved", **dimensions):
    return Measurement.objects.create(
        indicator=indicator,
        date=day,
        value=Decimal(value),
        status=status,
        disaggregation=dimensions,
    )


@pytest.fixture
def tidy(plan_builder):
    return plan_builder(
        slug="ordenado",
        nodes=[
            {
                "code": "1",
                "indicators": [
                    {
                        "code": "TRAB",
                        "name": "Trabajadores capacitados",
                        "kind": "quantity",
                        "unit": "personas",
                        "targets": [("500", dt.date(2025, 12, 31))],
                    },
                    {
                        "code": "EMP",
                        "name": "Empresas nuevas",
                        "kind": "quantity",
                        "unit": "empresas",
                        "measure": "increment",
                        "baseline_value": Decimal(10),
                        "baseline_date": dt.date(2020, 1, 31),
                    },
                    {"code": "HITO", "name": "Ley aprobada", "kind": "milestone"},
                    {"code": "PERC", "name": "Percepción", "kind": "qualitative"},
                ],
            }
        ],
    )


def test_it_writes_year_disaggregations_units_and_value(tidy):
    workers = Indicator.objects.get(code="TRAB")
    _measure(workers, dt.date(2021, 3, 31), "40")
    _measure(workers, dt.date(2021, 12, 31), "120")  # the latest of 2021 wins
    _measure(workers, dt.date(2021, 12, 31), "70", sexo="mujer", region="CL-RM")
    _measure(workers, dt.date(2021, 12, 31), "50", sexo="hombre")
    _measure(workers, dt.date(2022, 6, 30), "200")
    _measure(workers, dt.date(2022, 9, 30), "999", status="submitted")  # not approved
    rows = _rows(indicator_to_opensdg_csv(workers))
    assert rows == [
        ["Year", "region", "sexo", "Units", "Value"],
        ["2021", "", "", "personas", "120"],
        ["2021", "", "hombre", "personas", "50"],
        ["2021", "CL-RM", "mujer", "personas", "70"],
        ["2022", "", "", "personas", "200"],
    ]


def test_it_writes_only_the_fixed_columns_without_disaggregations(tidy):
    workers = Indicator.objects.get(code="TRAB")
    _measure(workers, dt.date(2021, 3, 31), "40.500")
    assert indicator_to_opensdg_csv(workers) == "Year,Units,Value\n2021,personas,40.5\n"


def test_it_writes_running_totals_for_increments(tidy):
    companies = Indicator.objects.get(code="EMP")
    _measure(companies, dt.date(2020, 1, 15), "99")  # before the baseline date: not counted
    _measure(companies, dt.date(2020, 3, 1), "5")
    _measure(companies, dt.date(2020, 9, 1), "3")
    _measure(companies, dt.date(2021, 5, 1), "4")
    _measure(companies, dt.date(2021, 5, 1), "2", tamano="pyme")
    _measure(companies, dt.date(2022, 2, 1), "1", tamano="pyme")
    rows = _rows(indicator_to_opensdg_csv(companies))
    assert rows == [
        ["Year", "tamano", "Units", "Value"],
        ["2020", "", "empresas", "18"],  # 10 + 5 + 3
        ["2021", "", "empresas", "22"],  # + 4
        ["2021", "pyme", "empresas", "2"],  # groups start from 0
        ["2022", "pyme", "empresas", "3"],
    ]


def test_it_cuts_off_measurements_after_as_of(tidy):
    workers = Indicator.objects.get(code="TRAB")
    _measure(workers, dt.date(2021, 3, 31), "40")
    _measure(workers, dt.date(2022, 3, 31), "80")
    rows = _rows(indicator_to_opensdg_csv(workers, as_of=dt.date(2021, 12, 31)))
    assert rows[1:] == [["2021", "personas", "40"]]


def test_it_refuses_indicators_that_are_not_quantities(tidy):
    from limpia.core.errors import DomainError

    with pytest.raises(DomainError, match="quantity indicators only"):
        indicator_to_opensdg_csv(Indicator.objects.get(code="PERC"))


def test_it_zips_one_file_per_quantity_indicator(tidy):
    _measure(Indicator.objects.get(code="TRAB"), dt.date(2021, 3, 31), "40")
    archive = zipfile.ZipFile(io.BytesIO(plan_to_opensdg_zip(tidy)))
    assert archive.namelist() == ["ordenado__TRAB.csv", "ordenado__EMP.csv"]
    assert archive.read("ordenado__TRAB.csv").decode("utf-8").splitlines()[1] == (
        "2021,personas,40"
    )
    assert plan_to_opensdg_zip(tidy) == plan_to_opensdg_zip(tidy)  # reproducible bytes


def test_it_zips_the_sample_data_of_a_source_plan(db):
    load_plans()
    sample_measurements_load()
    plan = Plan.objects.get(slug="pa-pml-plan-accion")
    archive = zipfile.ZipFile(io.BytesIO(plan_to_opensdg_zip(plan)))
    names = archive.namelist()
    assert "pa-pml-plan-accion__OE2-I2.csv" in names
    assert "pa-pml-plan-accion__OE1-I3.csv" not in names  # a milestone
    assert all(name.startswith("pa-pml-plan-accion__") for name in names)
    text = archive.read("pa-pml-plan-accion__OE2-I2.csv").decode("utf-8")
    assert _rows(text) == [["Year", "Units", "Value"], ["2007", "profesionales", "51"]]


def test_it_writes_computed_goals_from_the_sample_agreements(db):
    load_plans()
    sample_agreements_load()
    plan = Plan.objects.get(slug="cl-politica-pl-2010")
    archive = zipfile.ZipFile(io.BytesIO(plan_to_opensdg_zip(plan)))
    # the goals, and the measures computed from the network (3.1.ii-R, 3.7.ii-R)
    assert sorted(archive.namelist()) == [
        "cl-politica-pl-2010__3.1.ii-R.csv",
        "cl-politica-pl-2010__3.7.ii-R.csv",
        "cl-politica-pl-2010__META-a.csv",
        "cl-politica-pl-2010__META-b.csv",
        "cl-politica-pl-2010__META-c.csv",
    ]
    rows = _rows(archive.read("cl-politica-pl-2010__META-a.csv").decode("utf-8"))
    assert rows[0] == ["Year", "Units", "Value"]
    totals = [Decimal(row[2]) for row in rows[1:]]
    assert totals and all(row[1] == "empresas" for row in rows[1:])
    assert totals == sorted(totals)  # new companies: a running total


# ---------------------------------------------------------------- command line


def test_it_exports_the_zip_from_the_command_line(tidy, tmp_path):
    path = tmp_path / "ordenado.zip"
    call_command("export", "opensdg", "ordenado", "-o", str(path))
    assert zipfile.ZipFile(path).namelist() == ["ordenado__TRAB.csv", "ordenado__EMP.csv"]


def test_it_exports_one_indicator_as_csv_from_the_command_line(tidy, tmp_path):
    _measure(Indicator.objects.get(code="TRAB"), dt.date(2021, 3, 31), "40")
    out = io.StringIO()
    call_command("export", "opensdg", "ordenado:TRAB", "--format", "csv", stdout=out)
    assert out.getvalue() == "Year,Units,Value\n2021,personas,40\n"
    path = tmp_path / "trab.csv"
    call_command("export", "opensdg", "ordenado:TRAB", "--format", "csv", "-o", str(path))
    assert path.read_bytes() == b"Year,Units,Value\n2021,personas,40\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-existe", "-o", "x.zip"], "There is no plan with the slug 'no-existe'"),
        (["ordenado"], "give the file to write with -o"),
        (["ordenado", "--format", "csv"], "PLAN_SLUG:INDICATOR_CODE"),
        (["ordenado:NADA", "--format", "csv"], "has no indicator with the code 'NADA'"),
        (["ordenado:PERC", "--format", "csv"], "quantity indicators only"),
        (["ordenado", "--format", "xlsx", "-o", "x.xlsx"], "not 'xlsx'"),
    ],
)
def test_it_refuses_bad_requests_with_a_clear_message(tidy, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export", "opensdg", *args)


# ---------------------------------------------------------------- API


@pytest.mark.urls("limpia.exchange.tests.urls")
def test_it_serves_the_zip_and_the_csv(tidy, api):
    _measure(Indicator.objects.get(code="TRAB"), dt.date(2021, 3, 31), "40")
    response = api().get("/api/v1/plans/ordenado/opensdg.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist()[0] == "ordenado__TRAB.csv"
    single = api().get("/api/v1/plans/ordenado/indicators/TRAB/opensdg.csv")
    assert single.status_code == 200
    assert single["Content-Type"].startswith("text/csv")
    assert single.content.decode("utf-8") == "Year,Units,Value\n2021,personas,40\n"


@pytest.mark.urls("limpia.exchange.tests.urls")
def test_it_answers_404_for_drafts_and_indicators_without_a_tidy_csv(plan_builder, tidy, api):
    plan_builder(slug="borrador", status="draft")
    assert api().get("/api/v1/plans/borrador/opensdg.zip").status_code == 404
    base = "/api/v1/plans/ordenado/indicators"
    assert api().get(f"{base}/PERC/opensdg.csv").status_code == 404
    assert api().get(f"{base}/NADA/opensdg.csv").status_code == 404
