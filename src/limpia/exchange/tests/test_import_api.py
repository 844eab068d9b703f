"""POST /api/v1/imports/plan/ (preview, write, refusals, permissions) and the template download."""

import datetime as dt
import io

import openpyxl
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from limpia.exchange.plan_import import SHEETS, load_state, parse_plan_workbook, preview
from limpia.exchange.tabular import NOT_A_WORKBOOK
from limpia.exchange.templates_files import XLSX_TYPE
from limpia.exchange.workbooks import export_plan
from limpia.plans.models import Indicator, Measurement, Node, Plan

URL = "/api/v1/imports/plan/"
TEMPLATE_URL = "/api/v1/imports/plan/template.xlsx"


# ---------------------------------------------------------------- helpers


def edited(plan, *edits) -> bytes:
    """The plan exported as .xlsx, with `edits(book)` applied."""
    book = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    for edit in edits:
        edit(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def plan_value(key, value):
    def edit(book):
        for row in book["plan"].iter_rows(min_row=1):
            if row[0].value == key:
                row[1].value = value
                return
        book["plan"].append([key, value])

    return edit


def cell(sheet, key_column, key, column, value):
    """Set `column` in the row of `sheet` whose `key_column` is `key`."""

    def edit(book):
        rows = list(book[sheet].iter_rows())
        header = [c.value for c in rows[0]]
        for row in rows[1:]:
            if row[header.index(key_column)].value == key:
                row[header.index(column)].value = value
                return
        raise AssertionError(f"no {key} in {sheet}")

    return edit


def append_row(sheet, values: dict):
    def edit(book):
        header = [c.value for c in book[sheet][1]]
        book[sheet].append([values.get(h) for h in header])

    return edit


def upload(client, content: bytes, name="plan.xlsx", **fields):
    file = SimpleUploadedFile(name, content, content_type=XLSX_TYPE)
    return client.post(URL, {"file": file, **fields}, format="multipart")


# ---------------------------------------------------------------- preview and write


def test_it_previews_an_edited_title_and_writes_nothing(api, plan, elena):
    history = plan.history.count()
    response = upload(api(elena), edited(plan, plan_value("title", "Plan renovado")))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ok"] is True
    assert body["counts"]["plan"] == {"create": 0, "update": 1, "unchanged": 0}
    assert sum(c["update"] + c["create"] for c in body["counts"].values()) == 1
    assert body["counts"]["nodes"]["unchanged"] == Node.objects.filter(plan=plan).count()
    assert [(r["sheet"], r["action"], r["changes"]) for r in body["rows"]] == [
        ("plan", "update", ["title"])
    ]
    assert body["errors"] == []
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"
    assert plan.history.count() == history


def test_it_writes_the_file_when_not_a_dry_run_and_names_the_user(api, plan, elena):
    content = edited(plan, plan_value("title", "Plan renovado"))
    response = upload(api(elena), content, dry_run="false")
    assert response.status_code == 201, response.json()
    assert response.json()["counts"]["plan"]["update"] == 1
    plan.refresh_from_db()
    assert plan.title == "Plan renovado"
    latest = plan.history.first()
    assert latest.history_user == elena
    assert latest.history_change_reason == "workbook import"
    again = upload(api(elena), content, dry_run="false")
    assert again.status_code == 201
    assert again.json()["rows"] == []  # re-importing the same file changes nothing


def test_it_refuses_a_broken_file_with_every_error_and_writes_nothing(api, plan, elena):
    content = edited(
        plan,
        plan_value("title", "Plan renovado"),
        cell("indicators", "code", "I1", "kind", "binario"),
        cell("nodes", "code", "1.1", "parent_code", "9"),
        append_row("targets", {"indicator_code": "NOPE", "value": 5, "due_date": "2025-12-31"}),
        append_row("measurements", {"indicator_code": "I2", "date": "2023-01-31", "value": 2}),
    )
    response = upload(api(elena), content, dry_run="false")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_workbook"
    assert body["detail"]
    parsed = parse_plan_workbook(content)
    expected = preview(parsed, load_state(parsed.slug), acting_user=elena).errors
    assert body["errors"] == [e.as_dict() for e in expected]
    places = {(e["sheet"], e["column"]) for e in body["errors"]}
    assert {
        ("indicators", "kind"),
        ("nodes", "parent_code"),
        ("targets", "indicator_code"),
        ("measurements", "value"),
    } <= places
    assert all(set(e) == {"sheet", "row", "column", "message"} for e in body["errors"])
    assert all(e["row"] for e in body["errors"])
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"
    assert Indicator.objects.get(plan=plan, code="I1").kind == "quantity"
    assert not Measurement.objects.exists()


def test_it_refuses_a_file_that_is_not_a_workbook(api, plan, elena):
    response = upload(api(elena), b"just some text", name="plan.txt")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"sheet": None, "row": None, "column": None, "message": NOT_A_WORKBOOK}
    ]


def test_it_asks_for_the_file(api, plan, elena):
    response = api(elena).post(URL, {"dry_run": "true"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["field"] == "file"


def test_it_reports_unknown_columns_as_warnings(api, plan, elena):
    def extra_column(book):
        book["nodes"].cell(row=1, column=book["nodes"].max_column + 1, value="colour")

    response = upload(api(elena), edited(plan, extra_column))
    assert response.status_code == 200
    [warning] = response.json()["warnings"]
    assert (warning["sheet"], warning["row"], warning["column"]) == ("nodes", 1, "colour")


# ---------------------------------------------------------------- permissions


def test_it_answers_401_to_anonymous_visitors(api, plan):
    response = upload(api(), edited(plan))
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_it_answers_403_to_users_without_a_role(api, plan, carlos):
    response = upload(api(carlos), edited(plan, plan_value("title", "Plan de carlos")))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["detail"]
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"


def test_it_answers_403_to_a_reviewer_who_does_not_edit_the_plan(api, plan, rosa):
    response = upload(api(rosa), edited(plan, plan_value("title", "Plan de rosa")), dry_run="0")
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"


def test_it_answers_403_with_the_message_when_an_editor_creates_a_plan(api, plan, elena):
    response = upload(api(elena), edited(plan, plan_value("slug", "otro-plan")))
    assert response.status_code == 403
    assert "plans.add_plan" in response.json()["detail"]
    assert not Plan.objects.filter(slug="otro-plan").exists()


def test_it_accepts_approved_measurements_only_from_administrators_and_reviewers(
    api, plan, elena, ana
):
    row = {"indicator_code": "I1", "date": dt.date(2023, 6, 30), "value": 40, "status": "approved"}
    content = edited(plan, append_row("measurements", row))
    refused = upload(api(elena), content)
    assert refused.status_code == 400
    assert [(e["sheet"], e["column"]) for e in refused.json()["errors"]] == [
        ("measurements", "status")
    ]
    written = upload(api(ana), content, dry_run="false")
    assert written.status_code == 201
    measurement = Measurement.objects.get(indicator__code="I1")
    assert (measurement.status, measurement.reviewed_by) == ("approved", ana)


# ---------------------------------------------------------------- template and schema


def test_it_serves_the_template_as_a_valid_workbook(api, db):
    response = api().get(TEMPLATE_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert set(SHEETS) <= set(book.sheetnames)
    parsed = parse_plan_workbook(response.content)
    assert not [e for e in parsed.errors if "sheet is missing" in e.message or e.sheet is None]
    assert not parsed.warnings


def test_it_describes_the_import_in_a_schema_free_of_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    post = paths["/api/v1/imports/plan/"]["post"]
    assert set(post["requestBody"]["content"]) == {"multipart/form-data"}
    assert {"200", "201", "400", "401", "403"} <= set(post["responses"])
    get = paths["/api/v1/imports/plan/template.xlsx"]["get"]
    assert get["responses"]["200"]["content"][XLSX_TYPE]["schema"]["format"] == "binary"
    for path in (
        "/api/v1/imports/agreement/",
        "/api/v1/imports/jobs/",
        "/api/v1/imports/jobs/{id}/",
        "/api/v1/imports/jobs/{id}/confirm/",
    ):
        assert path in paths
    assert "202" in paths["/api/v1/imports/agreement/"]["post"]["responses"]


# ---------------------------------------------------------------- background jobs


def test_it_queues_a_background_import_and_lets_its_owner_follow_and_confirm_it(
    api, plan, elena, rita, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    content = edited(plan, plan_value("title", "Plan renovado"))
    response = upload(api(elena), content, background="true")
    assert response.status_code == 202, response.json()
    job = response.json()
    assert response["Location"] == job["url"]
    assert job["created_by"] == "elena"
    followed = api(elena).get(job["url"]).json()
    assert followed["status"] == "ready"  # the test settings run jobs at once
    assert followed["progress"]["percent"] == 100
    assert followed["result"]["counts"]["plan"]["update"] == 1
    assert api(rita).get(job["url"]).status_code == 404
    assert api(rita).post(f"{job['url']}confirm/").status_code == 404
    assert [j["id"] for j in api(elena).get("/api/v1/imports/jobs/").json()] == [job["id"]]
    assert api(rita).get("/api/v1/imports/jobs/").json() == []
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"
    confirmed = api(elena).post(f"{job['url']}confirm/")
    assert confirmed.status_code == 202
    assert confirmed.json()["status"] == "done"
    plan.refresh_from_db()
    assert plan.title == "Plan renovado"
    again = api(elena).post(f"{job['url']}confirm/")
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


def test_it_imports_an_agreement_through_the_api(api, db, ana, tmp_path):
    from limpia.agreements.models import Agreement
    from limpia.exchange.tests.test_agreement_import import _sheets, _xlsx

    content = _xlsx(_sheets())
    file = SimpleUploadedFile("apl.xlsx", content, content_type=XLSX_TYPE)
    response = api(ana).post(
        "/api/v1/imports/agreement/", {"file": file, "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["counts"]["agreement"]["create"] == 1
    assert {n["kind"] for n in body["named"]} >= {"organization"}
    agreement = Agreement.objects.get(slug="apl-historico")
    assert agreement.history.first().history_user == ana
    template = api(ana).get("/api/v1/imports/agreement/template.xlsx")
    assert template.status_code == 200
    assert "audit_items" in openpyxl.load_workbook(io.BytesIO(template.content)).sheetnames


def test_it_refuses_agreement_imports_to_users_without_a_role(api, db, carlos):
    file = SimpleUploadedFile("apl.xlsx", b"PK\x03\x04", content_type=XLSX_TYPE)
    response = api(carlos).post("/api/v1/imports/agreement/", {"file": file}, format="multipart")
    assert response.status_code == 403
