"""The OpenAPI document is valid, complete and served with its offline documentation page."""

import yaml
from django.core.management import call_command


def test_it_generates_a_valid_schema_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
    )
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for path in (
        "/api/v1/plans/",
        "/api/v1/plans/{slug}/tree/",
        "/api/v1/measurements/{id}/approve/",
        "/api/v1/measurements/{id}/return/",
        "/api/v1/auth/token/",
        "/api/v1/countries/",
        "/api/v1/sectors/",
        "/api/v1/organizations/",
    ):
        assert path in paths, path


def test_it_serves_swagger_ui_from_the_installed_package(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page
