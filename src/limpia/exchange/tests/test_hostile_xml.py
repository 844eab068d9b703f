"""A workbook whose XML declares entities (an external entity, a billion laughs) is refused with
a clear message through the API, the import page and the terminal, and nothing is written.

openpyxl parses a sheet through defusedxml when it is installed, and lazily in read-only mode:
the refusal comes when the workbook opens or while its rows are read. Both readers are tried:
defusedxml's, and the standard library's that openpyxl falls back on without it.
"""

import io
import xml.etree.ElementTree
import zipfile

import openpyxl.worksheet._reader
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from limpia.exchange.models import ImportJob
from limpia.exchange.tabular import XML_DECLARES_ENTITIES, read_workbook
from limpia.exchange.templates_files import XLSX_TYPE
from limpia.exchange.workbooks import export_plan
from limpia.plans.models import Plan

MARK = "Plan renovado"
EXTERNAL = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"
LAUGHS = (
    '<!DOCTYPE x [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>",
    "&lol9;",
)
PAYLOADS = pytest.mark.parametrize("payload", [EXTERNAL, LAUGHS], ids=["external", "laughs"])


@pytest.fixture(params=["defusedxml", "standard library"])
def reader(request, monkeypatch):
    if request.param == "standard library":
        monkeypatch.setattr(
            openpyxl.worksheet._reader, "iterparse", xml.etree.ElementTree.iterparse
        )
    return request.param


def hostile(plan, payload) -> bytes:
    """The plan's export with its new title replaced by an entity its sheet's XML declares."""
    declaration, reference = payload
    book = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    for row in book["plan"].iter_rows():
        if row[0].value == "title":
            row[1].value = MARK
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    poisoned = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if MARK.encode() in data:
                text = data.decode()
                head, _, rest = text.rpartition("?>") if "?>" in text[:100] else ("", "", text)
                prolog = head + "?>" if head else ""
                data = (prolog + declaration + rest.replace(MARK, reference)).encode()
                poisoned.append(name)
            target.writestr(name, data)
    assert poisoned, "the title is in no member of the workbook"
    return out.getvalue()


@PAYLOADS
def test_the_reader_refuses_it_by_name(plan, payload, reader):
    book = read_workbook(hostile(plan, payload))
    assert [error.message for error in book.errors] == [XML_DECLARES_ENTITIES]
    assert book.sheets == {}


@PAYLOADS
def test_the_api_answers_400_and_writes_nothing(api, plan, elena, payload, reader):
    file = SimpleUploadedFile("plan.xlsx", hostile(plan, payload), content_type=XLSX_TYPE)
    response = api(elena).post(
        "/api/v1/imports/plan/", {"file": file, "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"] == [
        {"sheet": None, "row": None, "column": None, "message": XML_DECLARES_ENTITIES}
    ]
    assert Plan.objects.get(pk=plan.pk).title == "Plan plan-prueba"


@pytest.mark.urls("limpia.web.tests.import_test_urls")
@PAYLOADS
def test_the_import_page_shows_the_refusal_and_keeps_no_file(
    plan, elena, payload, reader, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(elena)
    upload = SimpleUploadedFile("plan.xlsx", hostile(plan, payload), XLSX_TYPE)
    response = client.post("/imports/plan/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert XML_DECLARES_ENTITIES in response.content.decode()
    assert ImportJob.objects.get().status == "invalid"
    assert not (tmp_path / "imports").exists() or not any((tmp_path / "imports").iterdir())
    assert Plan.objects.get(pk=plan.pk).title == "Plan plan-prueba"


@PAYLOADS
def test_the_terminal_prints_the_refusal_and_fails(plan, payload, reader, tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(hostile(plan, payload))
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import", "plan", str(path))
    assert XML_DECLARES_ENTITIES in capsys.readouterr().out
    assert Plan.objects.get(pk=plan.pk).title == "Plan plan-prueba"
