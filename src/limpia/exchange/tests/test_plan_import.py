"""The plan workbook: export → import round trips, refusals file by file, permissions, the CLI."""

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from limpia.access.models import Role, RoleAssignment
from limpia.core.errors import NotAllowed
from limpia.core.models import Organization
from limpia.exchange import tabular
from limpia.exchange.plan_import import (
    ImportRefused,
    apply,
    load_state,
    parse_plan_workbook,
    preview,
)
from limpia.exchange.templates_files import plan_template
from limpia.exchange.workbooks import export_plan, export_plan_command
from limpia.plans.loader import load_plans
from limpia.plans.models import Indicator, Measurement, Node, NodeResponsibility, Plan, Target
from limpia.plans.sample import sample_measurements_load

SOURCE_PLANS = ("cl-politica-pl-2010", "lac-cps-plan-regional", "pa-pml-plan-accion")


# ---------------------------------------------------------------- helpers


def _sheets():
    """A small valid plan, as sheet → rows (header first)."""
    return {
        "plan": [
            ["key", "value"],
            ["slug", "plan-nuevo"],
            ["title", "Plan nuevo"],
            ["jurisdiction", "CL"],
            ["period_start", "2020-01-01"],
            ["period_end", "2030-12-31"],
            ["status", "draft"],
            ["level_names", "objetivo; acción"],
            ["source", "Documento fuente"],
        ],
        "nodes": [
            ["code", "parent_code", "title", "responsible", "due_date", "horizon", "weight"],
            ["1", None, "Objetivo uno", "minamb", None, "medium", 1],
            ["1.1", "1", "Acción uno", "Agencia Nueva de Prueba", "2025-06-30", None, 2],
            ["2", None, "Objetivo dos", None, None, None, None],
        ],
        "indicators": [
            ["code", "node_code", "name", "kind", "unit", "baseline_value", "baseline_date"],
            ["I1", "1.1", "Empresas adheridas", "quantity", "empresas", 10, "2020-01-01"],
            ["I2", "2", "Guía publicada", "milestone", None, None, None],
            ["I3", None, "Percepción", "qualitative", None, None, None],
        ],
        "targets": [
            ["indicator_code", "value", "due_date"],
            ["I1", 100, "2024-12-31"],
            ["I2", 1, "2022-12-31"],
        ],
        "measurements": [
            ["indicator_code", "date", "value", "status", "comment", "dim:sexo"],
            ["I1", "2022-12-31", 40, "submitted", "informe anual", None],
            ["I1", "2022-12-31", 15, "draft", None, "mujeres"],
            ["I2", "2022-11-30", 1, "draft", None, None],
            ["I3", "2023-01-31", "Mejora percibida", "draft", None, None],
        ],
    }


def _xlsx(sheets) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_zip(sheets, delimiter=";", bom=True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in sheets.items():
            lines = [delimiter.join("" if v is None else str(v) for v in row) for row in rows]
            text = ("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n"
            archive.writestr(f"{name}.csv", text.encode("utf-8"))
    return buffer.getvalue()


def _snapshot():
    models = (Plan, Node, Indicator, Target, Measurement, NodeResponsibility, Organization)
    counts = [m.objects.count() for m in models]
    counts += [m.history.count() for m in models if hasattr(m, "history")]
    return counts


def _import(data, user):
    return apply(parse_plan_workbook(data), acting_user=user)


def _check(data, user=None, system=False):
    parsed = parse_plan_workbook(data)
    return preview(parsed, load_state(parsed.slug), acting_user=user, system=system)


def _json(slug):
    return export_plan(Plan.objects.get(slug=slug), "json")


@pytest.fixture
def loaded(db):
    load_plans()
    sample_measurements_load()


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_reimports_each_source_plan_without_changing_anything(loaded, ana, fmt):
    for slug in SOURCE_PLANS:
        data = export_plan(Plan.objects.get(slug=slug), fmt)
        before = _snapshot()
        result = _import(data, ana)
        assert result.changed() == [], slug
        assert sum(c["unchanged"] for c in result.counts().values()) > 1
        assert _snapshot() == before, slug


def test_it_rebuilds_the_source_plans_in_an_empty_database(loaded, ana):
    exported = {slug: export_plan(Plan.objects.get(slug=slug), "xlsx") for slug in SOURCE_PLANS}
    before = {slug: _json(slug) for slug in SOURCE_PLANS}
    assert before["pa-pml-plan-accion"]["measurements"], "sample measurements are exported"
    Measurement.objects.all().delete()
    Plan.objects.filter(parent__isnull=False).delete()
    Plan.objects.all().delete()
    for slug in SOURCE_PLANS:
        result = _import(exported[slug], ana)
        assert {r.action for r in result.rows} == {"create"}
        assert _json(slug) == before[slug]
        assert _import(exported[slug], ana).changed() == []


def _reported_with_text(plan: Plan, user) -> Measurement | None:
    """A measurement with its text (beside the number, or the qualitative text itself), as the
    API and the pages record it; None for a plan whose indicators are all computed."""
    from limpia.plans.services import measurement_create

    reportable = Indicator.objects.filter(plan=plan, metric="").order_by("pk")
    values = {"quantity": Decimal("12.5"), "milestone": Decimal(1)}
    indicator = (
        reportable.filter(kind="quantity").first()
        or reportable.filter(kind="milestone").first()
        or reportable.first()
    )
    if indicator is None:
        return None
    return measurement_create(
        acting_user=user,
        indicator=indicator,
        date=dt.date(2021, 3, 31),
        value=values.get(indicator.kind),
        text="Cifra preliminar, informe del primer trimestre",
        disaggregation={"sexo": "mujeres", "región": "Metropolitana"},
    )


def test_every_source_plan_exports_and_imports_back_with_its_texts(loaded, ana):
    """The export left a quantity's text out, and a duplicate date made it fail to import."""
    plans = list(Plan.objects.order_by("slug"))
    reported = {plan.slug: _reported_with_text(plan, ana) for plan in plans}
    exported = {plan.slug: export_plan(plan, "xlsx") for plan in plans}
    Measurement.objects.filter(pk__in=[m.pk for m in reported.values() if m]).update(text="")

    assert len(plans) == 9  # the three sources, the regional plan's six parts
    # a number with its text, or a qualitative text (the others have no reported indicators:
    # Chile's are computed, some parts of the regional plan have none)
    kinds = {m.indicator.kind for m in reported.values() if m}
    assert kinds == {"quantity", "qualitative"}
    for plan in plans:
        expected = [["text"]] if reported[plan.slug] else []
        assert [row.changes for row in _import(exported[plan.slug], ana).changed()] == expected
        assert _import(exported[plan.slug], ana).changed() == [], plan.slug
    for measurement in filter(None, reported.values()):
        measurement.refresh_from_db()
        assert measurement.text == "Cifra preliminar, informe del primer trimestre"
        assert measurement.disaggregation == {"región": "Metropolitana", "sexo": "mujeres"}


def test_a_file_without_the_text_column_leaves_the_texts_alone(loaded, ana):
    plan = Plan.objects.get(slug="pa-pml-plan-accion")
    measurement = _reported_with_text(plan, ana)
    workbook = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    workbook["measurements"].delete_cols(7)  # ..., comment, evidence_url, text
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert workbook["measurements"]["G1"].value != "text"
    assert _import(buffer.getvalue(), ana).changed() == []
    measurement.refresh_from_db()
    assert measurement.text.startswith("Cifra preliminar")


def test_it_updates_exactly_one_row_when_a_title_is_edited(loaded, ana):
    plan = Plan.objects.get(slug="pa-pml-plan-accion")
    workbook = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    sheet = workbook["nodes"]
    title_column = [c.value for c in sheet[1]].index("title") + 1
    code = sheet.cell(row=2, column=2).value
    sheet.cell(row=2, column=title_column).value = "Título corregido"
    buffer = io.BytesIO()
    workbook.save(buffer)
    nodes = Node.objects.count()
    result = _import(buffer.getvalue(), ana)
    changed = result.changed()
    assert [(r.sheet, r.row, r.action, r.changes) for r in changed] == [
        ("nodes", 2, "update", ["title"])
    ]
    assert Node.objects.count() == nodes
    node = Node.objects.get(plan=plan, normalized_code=code)
    assert node.title == "Título corregido"
    assert node.history.first().history_user == ana


def test_it_neutralises_formula_like_text_and_keeps_numbers(loaded, ana):
    plan = Plan.objects.get(slug="pa-pml-plan-accion")
    node = plan.nodes.order_by("id").first()
    node.title = '=HYPERLINK("http://example.com")'
    node.save()
    indicator = plan.indicators.filter(kind="quantity").first()
    indicator.baseline_value = Decimal("-3.5")
    indicator.save()
    data = export_plan(plan, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    titles = [row[3] for row in workbook["nodes"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://example.com")' in titles
    baselines = [row[7] for row in workbook["indicators"].iter_rows(min_row=2, values_only=True)]
    assert -3.5 in baselines
    assert "'=HYPERLINK" in export_plan(plan, "json")["nodes"][0]["title"]
    with zipfile.ZipFile(io.BytesIO(export_plan(plan, "csv"))) as archive:
        assert "'=HYPERLINK" in archive.read("nodes.csv").decode("utf-8-sig")
    assert _import(data, ana).changed() == []


# ---------------------------------------------------------------- a new plan


def test_it_creates_a_plan_and_reports_organizations_created_or_matched(ministry, ana):
    result = _import(_xlsx(_sheets()), ana)
    assert result.counts() == {
        "plan": {"create": 1, "update": 0, "unchanged": 0},
        "nodes": {"create": 3, "update": 0, "unchanged": 0},
        "indicators": {"create": 3, "update": 0, "unchanged": 0},
        "targets": {"create": 2, "update": 0, "unchanged": 0},
        "measurements": {"create": 4, "update": 0, "unchanged": 0},
    }
    assert result.organizations == [
        ("minamb", "matched", "minamb"),
        ("Agencia Nueva de Prueba", "created", "agencia-nueva-de-prueba"),
    ]
    plan = Plan.objects.get(slug="plan-nuevo")
    assert (plan.country_id, plan.level_names, plan.source_title) == (
        "CL",
        ["objetivo", "acción"],
        "Documento fuente",
    )
    child = Node.objects.get(plan=plan, normalized_code="1.1")
    assert (child.parent.normalized_code, child.depth, child.weight) == ("1", 1, Decimal(2))
    assert child.organizations.get().name == "Agencia Nueva de Prueba"
    assert Indicator.objects.get(plan=plan, code="I3").node is None
    disaggregated = Measurement.objects.get(
        indicator__code="I1", disaggregation={"sexo": "mujeres"}
    )
    assert disaggregated.value == 15
    submitted = Measurement.objects.get(indicator__code="I1", disaggregation={})
    assert (submitted.status, submitted.submitted_by, submitted.created_by) == (
        "submitted",
        ana,
        ana,
    )
    assert Measurement.objects.get(indicator__code="I3").text == "Mejora percibida"
    again = _check(_xlsx(_sheets()), ana)
    assert again.changed() == []
    assert ("Agencia Nueva de Prueba", "matched", "agencia-nueva-de-prueba") in again.organizations


def test_it_records_the_importing_reviewer_on_approved_measurements(ministry, ana):
    sheets = _sheets()
    sheets["measurements"][1][3] = "approved"
    _import(_xlsx(sheets), ana)
    measurement = Measurement.objects.get(indicator__code="I1", disaggregation={})
    assert (measurement.status, measurement.reviewed_by) == ("approved", ana)
    assert measurement.reviewed_at is not None
    assert measurement.history.get().history_user == ana


def test_it_lets_a_plan_editor_who_reviews_import_approved_values(plan, elena, ana):
    RoleAssignment.objects.create(user=elena, role=Role.REVIEWER, plan=plan)
    workbook = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    workbook["measurements"].append(["I1", dt.date(2023, 12, 31), 50, "approved"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    elena = type(elena).objects.get(pk=elena.pk)  # fresh role cache
    result = _import(buffer.getvalue(), elena)
    assert [r.action for r in result.changed()] == ["create"]
    assert Measurement.objects.get(indicator__code="I1").reviewed_by == elena


def test_it_updates_a_measurement_in_place(plan, elena):
    workbook = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    workbook["measurements"].append(["I1", dt.date(2023, 12, 31), 50, "draft"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    _import(buffer.getvalue(), elena)
    workbook["measurements"]["C2"] = "55,5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _import(buffer.getvalue(), elena)
    assert [(r.sheet, r.action, r.changes) for r in result.changed()] == [
        ("measurements", "update", ["value"])
    ]
    assert Measurement.objects.get().value == Decimal("55.5")


def test_it_refuses_users_who_may_not_change_the_plan(plan, carlos, rosa):
    data = export_plan(plan, "xlsx")
    for user in (carlos, rosa):
        with pytest.raises(NotAllowed):
            _import(data, user)
    sheets = _sheets()
    with pytest.raises(NotAllowed):
        _import(_xlsx(sheets), carlos)


# ---------------------------------------------------------------- formats


def test_it_reads_a_zip_of_semicolon_csv_files_with_a_bom(ministry, ana):
    sheets = _sheets()
    sheets["indicators"][1][5] = "1.234,5"
    result = _import(_csv_zip(sheets, ";", bom=True), ana)
    assert result.counts()["nodes"]["create"] == 3
    assert Indicator.objects.get(code="I1").baseline_value == Decimal("1234.5")
    assert _check(_csv_zip(sheets), ana).changed() == []


def test_it_reads_comma_csv_without_a_bom(ministry, ana):
    sheets = _sheets()
    sheets["plan"][7][1] = "objetivo; acción"
    result = _check(_csv_zip(sheets, ",", bom=False), ana)
    assert result.ok, result.errors


def test_it_accepts_spanish_labels(ministry, ana):
    sheets = _sheets()
    sheets["plan"][6][1] = "Borrador"
    sheets["nodes"][1][5] = "mediano plazo"
    sheets["indicators"][0] += ["measure", "direction"]
    sheets["indicators"][1] += ["incremento", "disminuir"]
    sheets["indicators"][2] += [None, None]
    sheets["indicators"][3] += [None, None]
    sheets["indicators"][1][3] = "Cantidad"
    sheets["indicators"][2][3] = "hito"
    sheets["indicators"][3][3] = "CUALITATIVO"
    sheets["measurements"][1][3] = "enviado"
    _import(_xlsx(sheets), ana)
    i1 = Indicator.objects.get(code="I1")
    assert (i1.kind, i1.measure, i1.direction) == ("quantity", "increment", "decrease")
    assert Indicator.objects.get(code="I3").kind == "qualitative"
    assert Node.objects.get(normalized_code="1").horizon == "medium"
    assert Measurement.objects.filter(status="submitted").count() == 1


def test_it_reports_unknown_columns_and_sheets_as_warnings(ministry, ana):
    sheets = _sheets()
    sheets["nodes"][0].append("presupuesto")
    sheets["nodes"][1].append(1000)
    sheets["notas"] = [["lo que sea"]]
    result = _import(_xlsx(sheets), ana)
    assert result.ok
    warnings = [str(w) for w in result.warnings]
    assert "sheet nodes, row 1, column presupuesto: unknown column (position 8)" in warnings[1]
    assert warnings[0].startswith("sheet notas: unknown sheet")


def test_it_reads_excel_serial_dates_and_day_month_year(ministry, ana):
    sheets = _sheets()
    sheets["plan"][4][1] = dt.datetime(2020, 1, 1)
    sheets["plan"][5][1] = "31/12/2030"
    sheets["targets"][1][2] = 45657  # 2024-12-31 as an Excel serial number
    sheets["measurements"][1][1] = "31/12/2022"
    _import(_xlsx(sheets), ana)
    plan = Plan.objects.get(slug="plan-nuevo")
    assert (plan.period_start, plan.period_end) == (dt.date(2020, 1, 1), dt.date(2030, 12, 31))
    assert Target.objects.get(indicator__code="I1").due_date == dt.date(2024, 12, 31)
    assert Measurement.objects.filter(date=dt.date(2022, 12, 31)).count() == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5", Decimal("12.5")),
        ("12,5", Decimal("12.5")),
        ("1.234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1.234.567", Decimal("1234567")),
        ("1 234,5", Decimal("1234.5")),
        ("-3", Decimal("-3")),
        (7, Decimal("7")),
        (0.1, Decimal("0.1")),
    ],
)
def test_it_parses_decimals_with_point_or_comma(text, expected):
    assert tabular.parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["1,2,3.4.5", "doce", "1.2.3,4,5", "--1", "1e5x"])
def test_it_refuses_ambiguous_or_wrong_decimals(text):
    with pytest.raises(tabular.CellValueError, match="expected a number"):
        tabular.parse_decimal(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("sí", True),
        ("Si", True),
        ("yes", True),
        ("TRUE", True),
        (1, True),
        ("no", False),
        ("falso", False),
        ("0", False),
    ],
)
def test_it_parses_yes_and_no_in_both_languages(value, expected):
    assert tabular.parse_bool(value) is expected


# ---------------------------------------------------------------- refusals, file by file


def _edit(change):
    def build():
        sheets = _sheets()
        change(sheets)
        return _xlsx(sheets)

    return build


def _drop_column(sheet, column):
    def change(sheets):
        index = sheets[sheet][0].index(column)
        for row in sheets[sheet]:
            del row[index]

    return change


def _set(sheet, row, column, value):
    def change(sheets):
        index = sheets[sheet][0].index(column)
        sheets[sheet][row - 1][index] = value

    return change


def _zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("measurements.csv", b"0" * 5_000_000)
    return buffer.getvalue()


def _not_utf8():
    sheets = _sheets()
    data = _csv_zip(sheets)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "nodes.csv":
                content = content.decode("utf-8-sig").encode("latin-1")
            target.writestr(name, content)
    return buffer.getvalue()


def _cycle(sheets):
    sheets["nodes"][1][1] = "1.1"  # 1 under 1.1, which is under 1


def _only_text_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("leame.txt", "hola")
    return buffer.getvalue()


BAD_FILES = [
    # (name, file builder, sheet, row, column, message fragment)
    ("not a workbook", lambda: b"slug,title\nx,y\n", None, None, None, "not a workbook"),
    ("a zip without csv", _only_text_zip, None, None, None, "not a workbook"),
    ("zip bomb", _zip_bomb, None, None, None, "compressed suspiciously well"),
    ("not utf-8", _not_utf8, "nodes", None, None, "is not UTF-8 text"),
    (
        "formula in a value cell",
        _edit(_set("nodes", 3, "title", "=A1&B1")),
        "nodes",
        3,
        "title",
        "a formula",
    ),
    (
        "duplicate node code",
        _edit(_set("nodes", 4, "code", "1.")),
        "nodes",
        4,
        "code",
        "the node code '1' is already used in row 2",
    ),
    (
        "dangling parent_code",
        _edit(_set("nodes", 3, "parent_code", "9")),
        "nodes",
        3,
        "parent_code",
        "expected the code of a node of this plan, not '9'",
    ),
    ("cycle", _edit(_cycle), "nodes", 2, "parent_code", "the tree has a cycle"),
    (
        "bad date",
        _edit(_set("measurements", 2, "date", "mañana")),
        "measurements",
        2,
        "date",
        "expected a date (YYYY-MM-DD, dd/mm/yyyy or an Excel date), not 'mañana'",
    ),
    (
        "impossible date",
        _edit(_set("targets", 3, "due_date", "31/02/2024")),
        "targets",
        3,
        "due_date",
        "is not a real date",
    ),
    (
        "bad decimal",
        _edit(_set("indicators", 2, "baseline_value", "diez")),
        "indicators",
        2,
        "baseline_value",
        "expected a number (decimal point or comma",
    ),
    (
        "unknown kind",
        _edit(_set("indicators", 3, "kind", "binario")),
        "indicators",
        3,
        "kind",
        "expected one of quantity, milestone, qualitative (or cantidad, hito, cualitativo)",
    ),
    (
        "missing required column",
        _edit(_drop_column("indicators", "kind")),
        "indicators",
        1,
        "kind",
        "the required column 'kind' is missing",
    ),
    (
        "missing sheet",
        _edit(lambda s: s.pop("targets")),
        "targets",
        None,
        None,
        "the sheet is missing",
    ),
    (
        "duplicate indicator code",
        _edit(_set("indicators", 3, "code", "I1")),
        "indicators",
        3,
        "code",
        "the indicator code 'I1' is already used in row 2",
    ),
    (
        "target for an unknown indicator",
        _edit(_set("targets", 2, "indicator_code", "I9")),
        "targets",
        2,
        "indicator_code",
        "expected the code of an indicator of this plan, not 'I9'",
    ),
    (
        "measurement for an unknown indicator",
        _edit(_set("measurements", 5, "indicator_code", "X")),
        "measurements",
        5,
        "indicator_code",
        "expected the code of an indicator of this plan, not 'X'",
    ),
    (
        "milestone value 2",
        _edit(_set("measurements", 4, "value", 2)),
        "measurements",
        4,
        "value",
        "a milestone's value is 1 (done) or 0 (not done), not 2",
    ),
    (
        "measurement in the future",
        _edit(_set("measurements", 2, "date", "2999-01-01")),
        "measurements",
        2,
        "date",
        "expected a date not in the future",
    ),
    (
        "unknown jurisdiction",
        _edit(_set("plan", 4, "value", "Narnia")),
        "plan",
        4,
        "jurisdiction",
        "expected an ISO country code",
    ),
    (
        "period ends before it starts",
        _edit(_set("plan", 6, "value", "2019-01-01")),
        "plan",
        6,
        "period_end",
        "expected a date on or after period_start (2020-01-01)",
    ),
    (
        "missing slug",
        _edit(lambda s: s["plan"].pop(1)),
        "plan",
        None,
        "slug",
        "the key 'slug' is missing",
    ),
    (
        "unknown horizon",
        _edit(_set("nodes", 2, "horizon", "pronto")),
        "nodes",
        2,
        "horizon",
        "expected one of short, medium, long",
    ),
    (
        "indicator under an unknown node",
        _edit(_set("indicators", 2, "node_code", "7.7")),
        "indicators",
        2,
        "node_code",
        "expected the code of a node of this plan or empty, not '7.7'",
    ),
    (
        "duplicate measurement",
        _edit(_set("measurements", 3, "dim:sexo", None)),
        "measurements",
        3,
        "date",
        "a measurement of I1 on 2022-12-31 is already used in row 2",
    ),
    (
        "negative weight",
        _edit(_set("nodes", 2, "weight", -1)),
        "nodes",
        2,
        "weight",
        "expected a number of at least 0, not -1",
    ),
    (
        "unknown measurement status",
        _edit(_set("measurements", 2, "status", "validado")),
        "measurements",
        2,
        "status",
        "expected one of draft, submitted, approved, returned",
    ),
    (
        "bad slug",
        _edit(_set("plan", 2, "value", "Plan Nuevo!")),
        "plan",
        2,
        "slug",
        "expected a slug",
    ),
    (
        "a target with more digits than the databases keep",
        _edit(_set("targets", 2, "value", "1234567890.123456")),
        "targets",
        2,
        "value",
        "expected a number of at most 15 significant digits, not 1234567890.123456",
    ),
    (
        "a measurement with more digits than the databases keep",
        _edit(_set("measurements", 2, "value", "99999999999.99999")),
        "measurements",
        2,
        "value",
        "expected a number of at most 15 significant digits",
    ),
]


@pytest.mark.parametrize(
    ("build", "sheet", "row", "column", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_it_refuses_a_bad_file_naming_sheet_row_and_column(
    ministry, ana, build, sheet, row, column, message
):
    data = build()
    before = _snapshot()
    with pytest.raises(ImportRefused) as refused:
        _import(data, ana)
    places = [(e.sheet, e.row, e.column) for e in refused.value.errors if message in e.message]
    assert (sheet, row, column) in places, [str(e) for e in refused.value.errors]
    assert _snapshot() == before


def test_it_refuses_a_file_that_is_too_large(ministry, ana, monkeypatch):
    data = _xlsx(_sheets())
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", len(data) - 1)
    before = _snapshot()
    with pytest.raises(ImportRefused, match="the file is too large"):
        _import(data, ana)
    assert _snapshot() == before


def test_it_refuses_approved_measurements_from_an_editor_who_does_not_review(plan, elena):
    workbook = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    workbook["measurements"].append(["I1", dt.date(2023, 12, 31), 50, "approved"])
    workbook["measurements"].append(["I1", dt.date(2022, 12, 31), 30, "submitted"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = _snapshot()
    with pytest.raises(ImportRefused) as refused:
        _import(buffer.getvalue(), elena)
    assert [str(e) for e in refused.value.errors] == [
        "sheet measurements, row 2, column status: only an administrator or a reviewer of this "
        "plan may import approved measurements (the import is then their review); import them "
        "as submitted for a reviewer to approve"
    ]
    assert _snapshot() == before


def test_it_collects_every_error_in_one_pass(ministry, ana):
    sheets = _sheets()
    _set("nodes", 3, "parent_code", "9")(sheets)
    _set("indicators", 4, "kind", "binario")(sheets)  # its measurement (row 5) waits for it
    _set("measurements", 4, "value", 2)(sheets)
    _set("targets", 2, "due_date", "ayer")(sheets)
    result = _check(_xlsx(sheets), ana)
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("nodes", 3, "parent_code"),
        ("indicators", 4, "kind"),
        ("targets", 2, "due_date"),
        ("measurements", 4, "value"),
    ]


# ---------------------------------------------------------------- the terminal


def test_it_previews_with_dry_run_and_writes_nothing(ministry, tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(_xlsx(_sheets()))
    before = _snapshot()
    call_command("import", "plan", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "nodes: 3 to create, 0 to update, 0 unchanged" in out
    assert "organization 'Agencia Nueva de Prueba': created (agencia-nueva-de-prueba)" in out
    assert "Dry run: nothing was written." in out
    assert _snapshot() == before
    call_command("import", "plan", str(path))
    assert Plan.objects.filter(slug="plan-nuevo").exists()
    assert "Imported plan-nuevo: 13 row(s) created or updated." in capsys.readouterr().out


def test_it_prints_every_error_and_fails_on_a_bad_file(ministry, tmp_path, capsys):
    sheets = _sheets()
    _set("nodes", 3, "parent_code", "9")(sheets)
    _set("measurements", 4, "value", 2)(sheets)
    path = tmp_path / "plan.xlsx"
    path.write_bytes(_xlsx(sheets))
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import", "plan", str(path))
    out = capsys.readouterr().out
    assert "error: sheet nodes, row 3, column parent_code: expected the code of a node" in out
    assert "error: sheet measurements, row 4, column value: a milestone's value is 1" in out
    assert not Plan.objects.filter(slug="plan-nuevo").exists()


def test_it_exports_from_the_terminal_in_each_format(plan, tmp_path):
    out = io.StringIO()
    for name in ("plan.xlsx", "plan.zip", "plan.json"):
        export_plan_command(slug=plan.slug, output=str(tmp_path / name), fmt=None, stdout=out)
    assert parse_plan_workbook(tmp_path / "plan.xlsx").errors == []
    assert parse_plan_workbook(tmp_path / "plan.zip").errors == []
    data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert [row["code"] for row in data["nodes"]] == ["1", "1.1", "1.2", "2"]
    assert data["targets"][0] == {
        "indicator_code": "I1",
        "value": 100,
        "due_date": "2024-12-31",
        "text": None,
    }


def test_it_offers_an_empty_template_with_spanish_instructions(db, ana):
    workbook = openpyxl.load_workbook(io.BytesIO(plan_template()))
    assert workbook.sheetnames == [
        "instrucciones",
        "plan",
        "nodes",
        "indicators",
        "targets",
        "measurements",
    ]
    assert "Plantilla de importación" in workbook["instrucciones"]["A1"].value
    parsed = parse_plan_workbook(plan_template())
    assert parsed.warnings == []
    assert {e.column for e in parsed.errors} == {
        "slug",
        "title",
        "jurisdiction",
        "period_start",
        "period_end",
    }


# ---------------------------------------------------------------- throughput


def test_it_imports_five_thousand_measurements(plan, ana):
    workbook = openpyxl.Workbook(write_only=True)
    sheets = {k: v for k, v in _sheets().items() if k != "measurements"}
    sheets["plan"] = [
        ["key", "value"],
        ["slug", plan.slug],
        ["title", plan.title],
        ["jurisdiction", "CL"],
        ["period_start", plan.period_start],
        ["period_end", plan.period_end],
    ]
    sheets["nodes"] = [["code", "title"]]
    sheets["indicators"] = [["code", "name", "kind"]]
    sheets["targets"] = [["indicator_code"]]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    sheet = workbook.create_sheet("measurements")
    sheet.append(["indicator_code", "date", "value", "status", "dim:region"])
    start = dt.date(2010, 1, 1)
    for n in range(5000):
        sheet.append(["I1", start + dt.timedelta(days=n), n, "approved", f"R{n % 3}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _import(buffer.getvalue(), ana)
    assert result.counts()["measurements"]["create"] == 5000
    assert Measurement.objects.filter(indicator__code="I1", status="approved").count() == 5000
    assert Measurement.history.filter(history_user=ana).count() == 5000
    assert _import(buffer.getvalue(), ana).changed() == []
