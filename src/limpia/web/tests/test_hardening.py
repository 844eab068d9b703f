"""Hardened defaults: security headers and the Content-Security-Policy on pages, the API and
files; production settings that pass `limpia check --deploy`; input limits with clear errors."""

import datetime as dt
import html
import io
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

import limpia
from limpia.exchange.workbooks import export_plan
from limpia.knowledge.models import Document
from limpia.plans.loader import SourceFileError, load_plans
from limpia.plans.models import MAX_TREE_DEPTH, Node

LIMPIA = [sys.executable, "-m", "limpia.cli"]
PACKAGE = Path(limpia.__file__).parent
TEMPLATES = sorted(PACKAGE.glob("*/templates/**/*.html"))
ONE_YEAR = 365 * 24 * 60 * 60


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive → sources."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def production_env(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMPIA_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        LIMPIA_DATA_DIR=str(tmp_path / "var"),
        LIMPIA_DEBUG="false",
        LIMPIA_SECRET_KEY=secrets.token_urlsafe(60),
        LIMPIA_SECURE_COOKIES="true",
        LIMPIA_ALLOWED_HOSTS="limpia.example.gob",
        **extra,
    )
    return env


def settings_under(monkeypatch, env: dict[str, str]) -> dict:
    """The settings module as it reads `env` (a fresh copy; Django's settings stay as they are)."""
    for name in [n for n in os.environ if n.startswith("LIMPIA_")] + ["DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(PACKAGE / "settings.py"))


# ---------------------------------------------------------------- headers


def test_it_sends_the_security_headers_on_an_html_page(client, plan):
    response = client.get("/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert policy(response) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def test_it_allows_no_inline_script_style_or_eval_in_the_policy(client, plan):
    response = client.get("/")
    assert "unsafe-" not in response["Content-Security-Policy"]
    assert policy(response)["script-src"] == ["'self'"]


def test_it_sends_the_security_headers_on_an_api_response(api, plan):
    response = api().get("/api/v1/plans/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_it_keeps_the_strict_policy_of_svg_charts(client, plan):
    response = client.get("/plans/plan-prueba/indicators/I1/chart.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    # matplotlib's SVG styles itself inline; it may do nothing else (Firefox applies the
    # image's own policy when it draws it).
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"


# ---------------------------------------------------------------- no inline code


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_it_has_no_inline_script_handler_or_style_in_a_template(template):
    text = template.read_text("utf-8")
    assert not re.search(r"<script\b(?![^>]*\bsrc=)", text), "inline <script>: use a static file"
    assert not re.search(r"(?i)\son[a-z]+\s*=", text), "on* handler attribute"
    assert not re.search(r"(?i)\bhx-on", text), "hx-on runs code through eval"
    assert "javascript:" not in text.lower()
    assert not re.search(r"(?i)\sstyle\s*=|<style\b", text), "inline style: use a class"


def test_it_configures_htmx_without_injected_styles_or_eval(client, plan):
    page = client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert yaml.safe_load(config.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
    }


def test_it_serves_the_api_docs_with_their_start_up_script_from_a_url(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<style" not in page
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.DOTALL)
    assert len(scripts) == 3
    assert all(body.strip() == "" for _attributes, body in scripts)
    sources = [html.unescape(re.search(r'src="([^"]+)"', a).group(1)) for a, _body in scripts]
    static = [s for s in sources if s.startswith("/static/")]
    assert len(static) == 2 and all(finders.find(s.removeprefix("/static/")) for s in static)
    (start_up,) = [s for s in sources if not s.startswith("/static/")]
    script = client.get(start_up)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge from swagger.io


# ---------------------------------------------------------------- files


def test_it_serves_an_uploaded_html_payload_as_an_attachment_never_inline(
    client, ana, settings, tmp_path
):
    """A file that is markup whatever its recorded type (say, replaced on disk) is still
    downloaded, typed as recorded, never rendered in the site's origin."""
    settings.MEDIA_ROOT = tmp_path
    payload = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>1</script></svg>'
    document = Document.objects.create(
        kind="study",
        title="Imagen <script>",
        file=ContentFile(payload, name="imagen.png"),
        file_type="png",
        status="published",
        published_on=dt.date(2025, 1, 1),
    )
    response = client.get(f"/knowledge/{document.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="imagen-script.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == payload


def test_it_serves_a_bulletin_pdf_with_its_exact_type(client, db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "bulletins").mkdir()
    (tmp_path / "bulletins" / "2026-S1.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    response = client.get("/bulletins/2026-S1.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="2026-S1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------- production settings


def test_it_passes_the_deploy_check_with_production_settings(tmp_path):
    checked = subprocess.run(
        [*LIMPIA, "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    assert "WARNING" not in checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_it_turns_on_https_only_defaults_with_secure_cookies(monkeypatch, tmp_path):
    env = production_env(tmp_path)
    loaded = settings_under(monkeypatch, {k: v for k, v in env.items() if k.startswith("LIMPIA")})
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded["SECURE_HSTS_SECONDS"] == ONE_YEAR
    assert loaded["SESSION_COOKIE_SECURE"] is loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SESSION_COOKIE_AGE"] == 8 * 60 * 60
    assert loaded["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True


def test_it_keeps_plain_http_working_when_secure_cookies_are_unset(monkeypatch, tmp_path):
    loaded = settings_under(monkeypatch, {"LIMPIA_DATA_DIR": str(tmp_path / "var")})
    assert loaded["SECURE_SSL_REDIRECT"] is False
    assert loaded["SECURE_PROXY_SSL_HEADER"] is None
    assert loaded["SECURE_HSTS_SECONDS"] == 0
    assert loaded["SESSION_COOKIE_SECURE"] is False
    assert "upgrade-insecure-requests" not in loaded["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]


def test_it_names_a_proxy_header_it_cannot_use(monkeypatch, tmp_path):
    from limpia.conf import ConfigurationError

    env = {"LIMPIA_DATA_DIR": str(tmp_path / "var"), "LIMPIA_PROXY_SSL_HEADER": "X-Proto: https"}
    with pytest.raises(ConfigurationError, match="LIMPIA_PROXY_SSL_HEADER"):
        settings_under(monkeypatch, env)


def test_it_redirects_plain_http_and_trusts_the_proxy_header(client, plan, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = ONE_YEAR
    plain = client.get("/plans/plan-prueba/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/plans/plan-prueba/"
    proxied = client.get("/plans/plan-prueba/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == f"max-age={ONE_YEAR}; includeSubDomains"


# ---------------------------------------------------------------- input limits


def test_it_caps_the_api_page_size(api, db):
    default = api().get("/api/v1/subdivisions/").json()
    assert set(default) == {"count", "next", "previous", "results"}
    assert len(default["results"]) == 50
    assert default["count"] > 500
    assert len(api().get("/api/v1/subdivisions/", {"page_size": 7}).json()["results"]) == 7
    capped = api().get("/api/v1/subdivisions/", {"page_size": 100000}).json()
    assert len(capped["results"]) == 500
    assert "page_size=100000" in capped["next"]


def test_it_refuses_a_json_body_over_the_limit_with_a_clear_error(api, elena, plan, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client = api(elena)
    client.cookies["django_language"] = "en"
    response = client.post(
        "/api/v1/nodes/",
        {"plan": plan.slug, "code": "9", "title": "x" * 4000},
        format="json",
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The data sent is too large; the limit is 2.0\xa0KB.",
        "code": "too_large",
    }
    assert not Node.objects.filter(code="9").exists()


def test_it_refuses_a_form_with_too_many_fields_with_a_clear_error(client, db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/login/", {f"field{n}": "x" for n in range(10)})
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Too many fields were sent; the limit is 5."


def test_it_refuses_too_many_files_with_a_clear_error(api, ana, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    client = api(ana)
    client.cookies["django_language"] = "en"
    files = {f"file{n}": SimpleUploadedFile(f"{n}.xlsx", b"PK") for n in range(3)}
    response = client.post("/api/v1/imports/plan/", files, format="multipart")
    assert response.status_code == 413
    assert response.json()["detail"] == "Too many files were sent; the limit is 2."


# ---------------------------------------------------------------- plan tree depth


def _chain(plan, below: str, levels: int) -> Node:
    """`levels` nodes, each the child of the one before, under the node `below`."""
    node = Node.objects.get(plan=plan, normalized_code=below)
    for n in range(levels):
        code = f"{node.code}.{n}"
        node = Node.objects.create(
            plan=plan,
            parent=node,
            depth=node.depth + 1,
            code=code,
            normalized_code=code,
            title=code,
        )
    return node


def test_it_refuses_a_node_below_the_deepest_level_naming_the_field(api, elena, plan):
    deepest = _chain(plan, "1.1", MAX_TREE_DEPTH - 2)
    assert deepest.depth == MAX_TREE_DEPTH - 1
    client = api(elena)
    client.cookies["django_language"] = "en"
    response = client.post(
        "/api/v1/nodes/",
        {
            "plan": plan.slug,
            "parent": deepest.pk,
            "code": "X",
            "normalized_code": "X",
            "title": "Hondo",
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "parent"
    assert body["detail"] == f"Plans cannot be deeper than {MAX_TREE_DEPTH} levels."
    assert not Node.objects.filter(code="X").exists()


def test_it_refuses_to_move_a_subtree_below_the_deepest_level(api, elena, plan):
    deep = _chain(plan, "1.1", MAX_TREE_DEPTH - 3)  # one level above the deepest
    top = Node.objects.get(plan=plan, normalized_code="2")
    _chain(plan, "2", 1)  # "2" has a child, which the move would take one level too deep
    client = api(elena)
    client.cookies["django_language"] = "en"
    response = client.patch(
        f"/api/v1/nodes/{top.pk}/", {"parent": deep.pk, "version": top.version}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "parent"
    top.refresh_from_db()
    assert (top.parent_id, top.depth) == (None, 0)
    assert Node.objects.get(normalized_code="2.0").depth == 1


def test_it_refuses_an_imported_plan_deeper_than_the_limit(api, ana, plan):
    book = openpyxl.load_workbook(io.BytesIO(export_plan(plan, "xlsx")))
    nodes = book["nodes"]
    header = [c.value for c in next(nodes.iter_rows(max_row=1))]
    parent = "1.1"
    for n in range(MAX_TREE_DEPTH - 1):  # "1.1" is on level 2: the last one is on level 13
        row = [None] * len(header)
        row[header.index("code")], row[header.index("title")] = f"{parent}.{n}", "Nivel"
        row[header.index("parent_code")] = parent
        nodes.append(row)
        parent = f"{parent}.{n}"
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("plan.xlsx", buffer.getvalue())
    response = api(ana).post("/api/v1/imports/plan/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["sheet"] == "nodes" and error["column"] == "parent_code"
    assert f"at most {MAX_TREE_DEPTH} levels" in error["message"]


def test_it_refuses_a_source_plan_file_deeper_than_the_limit(db, tmp_path):
    node = {"code": "N", "title": "Nivel"}
    for _level in range(MAX_TREE_DEPTH):
        node = {"code": "N", "title": "Nivel", "children": [node]}
    for depth, level in enumerate(_levels(node)):  # codes tell the level: 1, 1.1, 1.1.1, ...
        level["code"] = ".".join(["1"] * (depth + 1))
    path = tmp_path / "hondo.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "slug": "plan-hondo",
                "title": "Plan hondo",
                "jurisdiction": "CL",
                "period_start": "2020-01-01",
                "period_end": "2030-12-31",
                "nodes": [node],
            }
        ),
        "utf-8",
    )
    with pytest.raises(SourceFileError) as refused:
        load_plans([path])
    deepest = ".".join(["1"] * (MAX_TREE_DEPTH + 1))
    assert refused.value.errors == [
        f"hondo.yaml: node {deepest}: plans cannot be deeper than {MAX_TREE_DEPTH} levels"
    ]


def _levels(node):
    while node:
        yield node
        node = (node.get("children") or [None])[0]
