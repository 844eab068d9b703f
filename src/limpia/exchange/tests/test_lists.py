"""`limpia export certificates|registry` and the API's list files."""
# ruff: noqa: F811  (the agreements conftest's fixtures are imported, then used as arguments)

import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from limpia.agreements.tests.conftest import aurora  # noqa: F401


def test_the_command_writes_the_registry_in_each_format(aurora, tmp_path):
    out = io.StringIO()
    call_command("export", "registry", stdout=out)  # CSV on the standard output
    assert out.getvalue().splitlines()[0].startswith("auditor_id,kind,name")
    assert "AUD-001" in out.getvalue()
    target = tmp_path / "registro.xlsx"
    call_command("export", "registry", "-o", str(target), stdout=io.StringIO())
    sheet = openpyxl.load_workbook(target)["registry"]
    assert [c.value for c in sheet[2]][:3] == ["AUD-001", "auditor", "Aurora Auditora"]
    with pytest.raises(CommandError, match="binary file"):
        call_command("export", "registry", "--format", "xlsx", stdout=io.StringIO())


def test_the_command_refuses_an_unknown_agreement_and_needs_slugs_elsewhere(db):
    with pytest.raises(CommandError, match="No agreement with slug 'nada'"):
        call_command("export", "certificates", "nada", stdout=io.StringIO())
    out = io.StringIO()
    call_command("export", "certificates", "--format", "json", stdout=out)
    assert json.loads(out.getvalue()) == []
    with pytest.raises(CommandError, match="needs the slug"):
        call_command("export", "plan", stdout=io.StringIO())


def test_the_api_serves_the_registry_file(aurora, api):
    response = api().get("/api/v1/exports/registry.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "AUD-001" in response.content.decode("utf-8-sig")
    assert api().get("/api/v1/exports/registry.pdf").status_code == 404
    assert api().get("/api/v1/exports/certificates.json").json() == []
