"""The plan import pages: upload → preview → confirm, refusals, kept files."""

import datetime as dt
import io
import os
import re
import time
import uuid

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from limpia.exchange.plan_import import SHEETS, load_state, parse_plan_workbook, preview
from limpia.exchange.templates_files import XLSX_TYPE
from limpia.exchange.workbooks import export_plan
from limpia.plans.models import Indicator, Measurement, Plan

pytestmark = pytest.mark.urls("limpia.web.tests.import_test_urls")

UPLOAD = "/imports/plan/"
CONFIRM = "/imports/plan/confirm/"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def logged_in(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def edited(plan, **plan_values) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    for row in book["plan"].iter_rows():
        if row[0].value in plan_values:
            row[1].value = plan_values[row[0].value]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def post_file(client, content: bytes, name="plan.xlsx"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content, XLSX_TYPE)})


def token_of(page: str) -> str:
    return re.search(r'name="upload" value="([0-9a-f-]+)"', page).group(1)


def kept_files(data_dir) -> list[str]:
    directory = data_dir / "imports"
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def count(page: str, sheet: str, action: str) -> int:
    row = re.search(rf'<tr data-sheet="{sheet}">(.*?)</tr>', page, re.S).group(1)
    return int(re.search(rf'class="count-{action}">(\d+)<', row).group(1))


# ---------------------------------------------------------------- the flow


def test_it_shows_the_upload_form_with_a_link_to_the_template(plan, elena):
    client = logged_in(elena)
    page = html(client.get(UPLOAD))
    assert 'type="file"' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'href="/imports/plan/template.xlsx"' in page
    template = client.get("/imports/plan/template.xlsx")
    assert template["Content-Type"] == XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert set(SHEETS) <= set(book.sheetnames)


def test_it_previews_then_confirms_an_import(plan, elena, data_dir):
    client = logged_in(elena)
    response = post_file(client, edited(plan, title="Plan renovado"))
    assert response.status_code == 200
    page = html(response)
    assert count(page, "plan", "update") == 1
    assert all(count(page, s, "create") == 0 for s in SHEETS)
    assert sum(count(page, s, "update") for s in SHEETS) == 1
    assert count(page, "nodes", "unchanged") == 4  # 1, 1.1, 1.2, 2
    assert 'data-sheet="plan" data-action="update"' in page
    assert "Confirm the import" in page
    token = token_of(page)
    assert kept_files(data_dir) == [f"{token}.xlsx"]
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"  # nothing written by the preview

    confirmed = client.post(CONFIRM, {"upload": token})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/plans/plan-prueba/"
    plan.refresh_from_db()
    assert plan.title == "Plan renovado"
    assert plan.history.first().history_user == elena
    assert kept_files(data_dir) == []
    landing = html(client.get(confirmed["Location"]))
    assert "was imported" in landing


def test_it_lists_every_error_and_keeps_no_file(plan, elena, data_dir):
    book = openpyxl.load_workbook(io.BytesIO(edited(plan, title="Plan renovado")))
    book["indicators"]["D2"] = "binario"  # kind
    book["nodes"].cell(row=1, column=book["nodes"].max_column + 1, value="colour")
    del book["targets"]
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    page = html(post_file(logged_in(elena), content))
    parsed = parse_plan_workbook(content)
    errors = preview(parsed, load_state(parsed.slug), acting_user=elena).errors
    assert len(errors) >= 2
    assert page.count('class="import-error"') == len(errors)
    assert "the sheet is missing" in page
    assert "binario" in page
    assert page.count('class="import-warning"') == 1
    assert "colour" in page
    assert "Confirm the import" not in page
    assert kept_files(data_dir) == []
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"


def test_it_explains_a_stale_upload(plan, elena, data_dir):
    client = logged_in(elena)
    token = token_of(html(post_file(client, edited(plan, title="Plan renovado"))))
    assert client.post(CONFIRM, {"upload": token}).status_code == 302
    for stale in (token, str(uuid.uuid4()), "../../secret_key", ""):
        response = client.post(CONFIRM, {"upload": stale}, follow=True)
        assert response.redirect_chain[-1][0] == UPLOAD
        assert "no longer available" in html(response)
    assert Plan.objects.get(slug="plan-prueba").history.filter(history_user=elena).count() == 1


def test_it_confirms_only_the_uploads_of_the_same_session(plan, elena, ana, data_dir):
    token = token_of(html(post_file(logged_in(elena), edited(plan, title="Plan renovado"))))
    response = logged_in(ana).post(CONFIRM, {"upload": token}, follow=True)
    assert "no longer available" in html(response)
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"


def test_it_checks_the_file_again_when_confirming(plan, elena, data_dir):
    book = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    rows = list(book["indicators"].iter_rows())
    header = [c.value for c in rows[0]]
    for row in rows[1:]:
        if row[header.index("code")].value == "I3":
            row[header.index("kind")].value = "quantity"
    buffer = io.BytesIO()
    book.save(buffer)
    client = logged_in(elena)
    page = html(post_file(client, buffer.getvalue()))
    assert count(page, "indicators", "update") == 1
    token = token_of(page)
    # Meanwhile someone reports on I3: its kind can no longer change.
    Measurement.objects.create(
        indicator=Indicator.objects.get(code="I3"), date=dt.date(2023, 1, 31), text="Mejora"
    )
    response = client.post(CONFIRM, {"upload": token})
    assert response.status_code == 200
    page = html(response)
    assert "The plan changed since the preview" in page
    assert "its kind stays qualitative" in page
    assert "Confirm the import" not in page
    assert Indicator.objects.get(code="I3").kind == "qualitative"
    assert kept_files(data_dir) == []


def test_it_removes_kept_files_older_than_a_day(plan, elena, data_dir):
    directory = data_dir / "imports"
    directory.mkdir()
    old, recent = directory / f"{uuid.uuid4()}.xlsx", directory / f"{uuid.uuid4()}.zip"
    old.write_bytes(b"old")
    recent.write_bytes(b"recent")
    two_days_ago = time.time() - 2 * 24 * 60 * 60
    os.utime(old, (two_days_ago, two_days_ago))
    logged_in(elena).get(UPLOAD)
    assert kept_files(data_dir) == [recent.name]


# ---------------------------------------------------------------- who may import


def test_it_sends_anonymous_visitors_to_log_in(plan):
    response = Client().get(UPLOAD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["carlos", "rosa"])
def test_it_refuses_users_who_may_not_import(plan, persona, request, data_dir):
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(UPLOAD).status_code == 403
    assert post_file(client, edited(plan, title="Otro")).status_code == 403
    assert client.post(CONFIRM, {"upload": str(uuid.uuid4())}).status_code == 403
    assert kept_files(data_dir) == []


def test_it_refuses_an_editor_a_plan_they_do_not_edit(plan, elena, data_dir):
    response = post_file(logged_in(elena), edited(plan, slug="otro-plan"))
    assert response.status_code == 403
    assert "plans.add_plan" in html(response)
    assert kept_files(data_dir) == []
    assert not Plan.objects.filter(slug="otro-plan").exists()
