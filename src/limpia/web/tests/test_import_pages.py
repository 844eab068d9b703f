"""The import pages: upload → background check → preview → confirm → written, for plans and
agreements; refusals, progress, retries, and who may see and confirm a job."""
# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import datetime as dt
import io
import json
import os
import re
import time
import uuid

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from limpia.agreements.models import Agreement
from limpia.agreements.tests.conftest import apl, cora, organizations  # noqa: F401
from limpia.exchange import jobs
from limpia.exchange.agreement_workbooks import export_agreement
from limpia.exchange.models import ImportJob
from limpia.exchange.plan_import import SHEETS, load_state, parse_plan_workbook, preview
from limpia.exchange.templates_files import XLSX_TYPE
from limpia.exchange.workbooks import export_plan
from limpia.plans.models import Indicator, Measurement, Plan

pytestmark = pytest.mark.urls("limpia.web.tests.import_test_urls")

UPLOAD = "/imports/plan/"


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


def post_file(client, content: bytes, name="plan.xlsx", url=UPLOAD):
    return client.post(url, {"file": SimpleUploadedFile(name, content, XLSX_TYPE)})


def job_url(response) -> str:
    assert response.status_code == 302, response.content[:500]
    assert re.fullmatch(r"/imports/jobs/[0-9a-f-]{36}/", response["Location"])
    return response["Location"]


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
    url = job_url(post_file(client, edited(plan, title="Plan renovado")))
    job = ImportJob.objects.get()
    assert (job.status, job.created_by, job.write) == ("ready", elena, False)
    page = html(client.get(url))
    assert count(page, "plan", "update") == 1
    assert all(count(page, s, "create") == 0 for s in SHEETS)
    assert sum(count(page, s, "update") for s in SHEETS) == 1
    assert count(page, "nodes", "unchanged") == 4  # 1, 1.1, 1.2, 2
    assert 'data-sheet="plan" data-action="update"' in page
    assert "Confirm the import" in page
    assert kept_files(data_dir) == [f"{job.pk}.xlsx"]
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"  # nothing written by the check

    confirmed = client.post(f"{url}confirm/")
    assert confirmed["Location"] == url
    job.refresh_from_db()
    assert job.status == "done"
    plan.refresh_from_db()
    assert plan.title == "Plan renovado"
    assert plan.history.first().history_user == elena
    assert kept_files(data_dir) == []
    page = html(client.get(url))
    assert "Imported: 1 row created or updated." in page
    assert 'href="/plans/plan-prueba/"' in page
    assert "Confirm the import" not in page
    listing = html(client.get("/imports/"))
    assert url in listing and "imported" in listing


def test_it_lists_every_error_and_keeps_no_file(plan, elena, data_dir):
    book = openpyxl.load_workbook(io.BytesIO(edited(plan, title="Plan renovado")))
    book["indicators"]["D2"] = "binario"  # kind
    book["nodes"].cell(row=1, column=book["nodes"].max_column + 1, value="colour")
    del book["targets"]
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    client = logged_in(elena)
    page = html(client.get(job_url(post_file(client, content))))
    parsed = parse_plan_workbook(content)
    errors = preview(parsed, load_state(parsed.slug), acting_user=elena).errors
    assert len(errors) >= 2
    assert page.count('class="import-error"') == len(errors)
    assert "the sheet is missing" in page
    assert "binario" in page
    assert page.count('class="import-warning"') == 1
    assert "colour" in page
    assert "Confirm the import" not in page
    assert "Upload a corrected file" in page
    assert ImportJob.objects.get().status == "invalid"
    assert kept_files(data_dir) == []
    plan.refresh_from_db()
    assert plan.title == "Plan plan-prueba"


def test_it_confirms_a_job_only_once(plan, elena, data_dir):
    client = logged_in(elena)
    url = job_url(post_file(client, edited(plan, title="Plan renovado")))
    assert client.post(f"{url}confirm/").status_code == 302
    again = client.post(f"{url}confirm/", follow=True)
    assert "Only a checked import waiting for confirmation can be confirmed" in html(again)
    assert Plan.objects.get(slug="plan-prueba").history.filter(history_user=elena).count() == 1


def test_it_hides_the_jobs_of_others(plan, elena, rita, ana, data_dir):
    url = job_url(post_file(logged_in(elena), edited(plan, title="Plan renovado")))
    other = logged_in(rita)
    for suffix in ("", "progress/"):
        assert other.get(url + suffix).status_code == 404
    for suffix in ("confirm/", "retry/", "discard/"):
        assert other.post(url + suffix).status_code == 404
    assert url not in html(other.get("/imports/"))
    assert other.get(f"/imports/jobs/{uuid.uuid4()}/").status_code == 404
    # An administrator sees it, may discard it, but does not write in elena's name.
    admin = logged_in(ana)
    assert "Confirm the import" not in html(admin.get(url))
    assert admin.post(f"{url}confirm/").status_code == 403
    assert admin.post(f"{url}discard/").status_code == 302
    assert ImportJob.objects.get().status == "discarded"
    assert kept_files(data_dir) == []
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
    url = job_url(post_file(client, buffer.getvalue()))
    assert count(html(client.get(url)), "indicators", "update") == 1
    # Meanwhile someone reports on I3: its kind can no longer change.
    Measurement.objects.create(
        indicator=Indicator.objects.get(code="I3"), date=dt.date(2023, 1, 31), text="Mejora"
    )
    page = html(client.post(f"{url}confirm/", follow=True))
    assert "its kind stays qualitative" in page
    assert "Confirm the import" not in page
    assert ImportJob.objects.get().status == "invalid"
    assert Indicator.objects.get(code="I3").kind == "qualitative"
    assert kept_files(data_dir) == []


def test_it_shows_progress_while_a_job_runs_and_offers_a_retry_when_it_stalls(
    plan, elena, data_dir, settings
):
    job = ImportJob.objects.create(
        kind="plan", filename="grande.xlsx", extension="xlsx", created_by=elena, write=True
    )
    (data_dir / "imports").mkdir()
    jobs.upload_path(job).write_bytes(edited(plan, title="Plan renovado"))
    job.status, job.started_at = "writing", timezone.now()
    job.save()
    progress_file = jobs.progress_path(job)
    progress_file.parent.mkdir()
    snapshot = {"phase": "writing", "unit": "rows", "done": 12500, "total": 50000}
    progress_file.write_text(json.dumps({**snapshot, "at": time.time()}))
    client = logged_in(elena)
    url = f"/imports/jobs/{job.pk}/"
    fragment = html(client.get(f"{url}progress/", headers={"HX-Request": "true"}))
    assert 'hx-trigger="every 1s"' in fragment
    assert "12500 / 50000 rows" in fragment
    assert 'aria-valuenow="25"' in fragment
    assert "Retry" not in html(client.get(url))
    # The worker dies: no heartbeat for more than JOB_STALL_SECONDS.
    old = time.time() - settings.JOB_STALL_SECONDS - 5
    progress_file.write_text(f'{{"phase": "writing", "done": 100, "total": 50000, "at": {old}}}')
    page = html(client.get(url))
    assert "stalled" in page and "Retry" in page
    assert "hx-trigger" not in page
    client.post(f"{url}retry/")
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 1)
    assert Plan.objects.get(slug="plan-prueba").title == "Plan renovado"
    # Finished: the poll tells htmx to show the whole page.
    done = client.get(f"{url}progress/", headers={"HX-Request": "true"})
    assert (done.status_code, done["HX-Refresh"]) == (204, "true")


def test_it_removes_kept_files_older_than_a_week(plan, elena, data_dir):
    directory = data_dir / "imports"
    directory.mkdir()
    old, recent = directory / f"{uuid.uuid4()}.xlsx", directory / f"{uuid.uuid4()}.zip"
    old.write_bytes(b"old")
    recent.write_bytes(b"recent")
    eight_days_ago = time.time() - 8 * 24 * 60 * 60
    os.utime(old, (eight_days_ago, eight_days_ago))
    job_url(post_file(logged_in(elena), edited(plan, title="Plan renovado")))
    job = ImportJob.objects.get()
    assert kept_files(data_dir) == sorted([recent.name, f"{job.pk}.xlsx"])


def test_it_imports_an_agreement_workbook(apl, cora, data_dir):
    book = openpyxl.load_workbook(io.BytesIO(export_agreement(apl, "xlsx")))
    for row in book["agreement"].iter_rows():
        if row[0].value == "name":
            row[1].value = "APL Lácteo renovado"
    buffer = io.BytesIO()
    book.save(buffer)
    client = logged_in(cora)
    form = html(client.get("/imports/agreement/"))
    assert 'href="/imports/agreement/template.xlsx"' in form
    template = client.get("/imports/agreement/template.xlsx")
    sheets = openpyxl.load_workbook(io.BytesIO(template.content)).sheetnames
    assert sheets[0] == "instrucciones" and "audit_items" in sheets
    url = job_url(post_file(client, buffer.getvalue(), "apl.xlsx", "/imports/agreement/"))
    page = html(client.get(url))
    assert count(page, "agreement", "update") == 1
    assert 'data-sheet="agreement" data-action="update"' in page
    client.post(f"{url}confirm/")
    apl.refresh_from_db()
    assert apl.name == "APL Lácteo renovado"
    assert apl.history.first().history_user == cora
    assert f'href="/agreements/{apl.slug}/"' in html(client.get(url))


# ---------------------------------------------------------------- who may import


def test_it_sends_anonymous_visitors_to_log_in(plan):
    for url in (UPLOAD, "/imports/", f"/imports/jobs/{uuid.uuid4()}/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["carlos", "rosa"])
def test_it_refuses_users_who_may_not_import(plan, persona, request, data_dir):
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(UPLOAD).status_code == 403
    assert client.get("/imports/agreement/").status_code == 403
    assert post_file(client, edited(plan, title="Otro")).status_code == 403
    assert "may not import" in html(client.get("/imports/"))
    assert kept_files(data_dir) == []
    assert not ImportJob.objects.exists()


def test_it_refuses_an_editor_a_plan_they_do_not_edit(plan, elena, data_dir):
    client = logged_in(elena)
    page = html(client.get(job_url(post_file(client, edited(plan, slug="otro-plan")))))
    assert "plans.add_plan" in page
    assert ImportJob.objects.get().status == "invalid"
    assert kept_files(data_dir) == []
    assert not Plan.objects.filter(slug="otro-plan").exists()


def test_it_refuses_an_unknown_kind_and_a_file_too_large(plan, elena, settings):
    client = logged_in(elena)
    assert client.get("/imports/budget/").status_code == 404
    assert client.get("/imports/budget/template.xlsx").status_code == 404
    from limpia.exchange import tabular

    limit = tabular.MAX_FILE_BYTES
    try:
        tabular.MAX_FILE_BYTES = 10
        import limpia.web.import_views as views

        views.MAX_FILE_BYTES = 10
        response = post_file(client, edited(plan, title="Otro"))
    finally:
        tabular.MAX_FILE_BYTES = limit
        views.MAX_FILE_BYTES = limit
    assert response.status_code == 400
    assert "The file is too large" in html(response)
    assert not ImportJob.objects.exists()
    assert Agreement.objects.count() == 0
