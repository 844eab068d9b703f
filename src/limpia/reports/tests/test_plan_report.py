"""Plan progress reports: the three source plans render, the text reads in Spanish, and the
report finds what is overdue."""

import datetime as dt
from decimal import Decimal

import pytest

from limpia.plans.loader import load_plans
from limpia.plans.models import Indicator, Measurement, Node, Plan
from limpia.plans.sample import sample_measurements_load
from limpia.reports.plan_report import plan_report_payload, plan_report_pdf
from limpia.reports.report_charts import node_progress_chart
from limpia.reports.tests.pdftext import needs_pdftotext, page_text, pages, xmp_title

SOURCE_PLANS = ("pa-pml-plan-accion", "cl-politica-pl-2010", "lac-cps-plan-regional")
AS_OF = dt.date(2007, 12, 31)


@pytest.fixture
def source_plans(db):
    load_plans()
    sample_measurements_load()
    return {slug: Plan.objects.get(slug=slug) for slug in SOURCE_PLANS}


def test_it_renders_the_report_of_each_source_plan(source_plans):
    for slug, plan in source_plans.items():
        pdf = plan_report_pdf(plan, as_of=AS_OF)
        assert pdf.startswith(b"%PDF-"), slug
        assert pages(pdf) >= 2, slug  # a cover, then the figures
        assert xmp_title(pdf) == f"Informe de avance: {plan.title}"
        assert f"<pdf:Keywords>{slug}, 2007-12-31</pdf:Keywords>".encode() in pdf


@needs_pdftotext
def test_it_prints_the_long_spanish_title_and_the_labels_with_accents(source_plans, tmp_path):
    panama = source_plans["pa-pml-plan-accion"]
    pdf = plan_report_pdf(panama, as_of=AS_OF)
    cover = page_text(pdf, tmp_path, page=1)
    assert "Política Nacional de Producción Más Limpia — Plan de Acción" in cover
    for expected in ("Informe de avance", "Jurisdicción", "Panamá", "Período", "2007-12-31"):
        assert expected in cover
    assert "datos de ejemplo" in cover  # the sample measurements are flagged
    summary = page_text(pdf, tmp_path, page=2)
    for expected in ("Resumen de estados", "Logrado", "Avance por elemento de primer nivel"):
        assert expected in summary
    assert "EN EL ÁMBITO INSTITUCIONAL" in summary  # a top-level node, accents kept
    chile = page_text(plan_report_pdf(source_plans["cl-politica-pl-2010"], as_of=AS_OF), tmp_path)
    assert "Política de Producción Limpia al 2010" in chile
    assert "CHILE PRODUCE LIMPIO" in chile


@needs_pdftotext
def test_it_writes_the_indicator_table_and_the_overdue_items(source_plans, tmp_path):
    pdf = plan_report_pdf(source_plans["pa-pml-plan-accion"], as_of=AS_OF)
    text = " ".join(page_text(pdf, tmp_path, page=n) for n in range(2, pages(pdf) + 1))
    for expected in ("Línea base", "Metas", "Último valor", "Proyección", "Atrasos"):
        assert expected in text
    assert "Convenios con sectores firmados" in text
    assert "Indicadores que no alcanzaron su meta" in text


def test_it_renders_in_english_when_asked(source_plans):
    pdf = plan_report_pdf(source_plans["lac-cps-plan-regional"], as_of=AS_OF, language="en")
    assert xmp_title(pdf).startswith("Progress report: ")


def _overdue_plan(plan_builder):
    plan = plan_builder(
        nodes=[
            {
                "code": "1",
                "indicators": [
                    {
                        "code": "I1",
                        "name": "Empresas con diagnóstico energético",
                        "kind": "quantity",
                        "unit": "empresas",
                        "targets": [("100", dt.date(2024, 12, 31))],
                    }
                ],
            },
            {"code": "2", "title": "Campaña de señalización en ñandúes"},
            {"code": "3", "title": "Guía terminada"},
        ]
    )
    Node.objects.filter(plan=plan, code__in=["2", "3"]).update(due_date=dt.date(2024, 6, 30))
    Node.objects.filter(plan=plan, code="3").update(implementation_status="completed")
    Measurement.objects.create(
        indicator=Indicator.objects.get(plan=plan, code="I1"),
        date=dt.date(2023, 12, 31),
        value=Decimal(40),
        status="approved",
    )
    return plan


def test_it_lists_missed_indicators_and_late_elements(plan_builder):
    plan = _overdue_plan(plan_builder)
    payload = plan_report_payload(plan, as_of=dt.date(2025, 6, 30))
    assert [row["code"] for row in payload["missed"]] == ["I1"]
    assert payload["missed"][0]["target"] == "100 empresas (2024-12-31)"
    assert payload["missed"][0]["latest"] == "40 empresas (2023-12-31)"
    # Node 2 is past due with nothing done; node 3 is past due but completed.
    assert [row["code"] for row in payload["late_nodes"]] == ["2"]
    assert {row["code"] for row in payload["nodes"]} == {"1", "2", "3"}
    assert payload["statuses"] == [{"key": "missed", "label": "No alcanzado", "count": "1"}]


def test_it_finds_nothing_overdue_before_the_due_dates(plan_builder):
    plan = _overdue_plan(plan_builder)
    with_forecast = plan_report_payload(plan, as_of=dt.date(2024, 1, 31))
    assert with_forecast["missed"] == [] and with_forecast["late_nodes"] == []
    (indicator,) = with_forecast["indicators"]
    assert indicator["status"] == "limited_progress"
    assert indicator["forecast"] != "—"  # a forecast at the target date
    assert indicator["baseline"] == "0 empresas (2020-01-01)"


def test_it_draws_the_node_chart_with_text_as_paths():
    svg = node_progress_chart(
        [("1", "Planificación ambiental", Decimal("0.5")), ("2", "Investigación", None)],
        labels={"title": "Avance", "axis": "Avance (%)", "no_data": "sin datos", "empty": "—"},
    )
    assert svg.startswith("<svg")
    assert "<text" not in svg  # no fonts needed wherever the SVG is shown
    assert svg.count('id="patch_') < 10
    empty = node_progress_chart([], labels={"title": "", "axis": "", "no_data": "", "empty": "x"})
    assert empty.startswith("<svg")
