"""Translation catalogues are complete; the site speaks Spanish unless one chose otherwise."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
TRANSLATED_LANGUAGES = ["es", "pt"]


def _po_file(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_catalogue_is_complete(language):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not on PATH; cannot check the catalogue")
    po = _po_file(language)
    assert po.is_file(), f"missing catalogue {po}"
    result = subprocess.run(
        [msgfmt, "--check-format", "--check-header", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "translated message" in report, report
    assert "untranslated" not in report, report
    assert "fuzzy" not in report, report


@pytest.mark.parametrize("language", [*TRANSLATED_LANGUAGES, "en"])
def test_compiled_catalogue_exists(language):
    assert (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").is_file()


@pytest.mark.parametrize(
    ("language", "msgid", "expected"),
    [
        ("es", "Back office", "Administración"),
        ("es", "My work", "Mi trabajo"),
        ("es", "Acceleration needed", "Requiere aceleración"),
        ("pt", "Plans", "Planos"),
        ("pt", "Baseline", "Linha de base"),
        ("en", "Plans", "Plans"),
    ],
)
def test_catalogue_is_used(language, msgid, expected):
    with translation.override(language):
        assert translation.gettext(msgid) == expected


def test_home_page_defaults_to_spanish(client, db):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Planes" in page
    assert "Planes de política de Producción Más Limpia y CPS" in page
    assert response.headers["Content-Language"] == "es"


def test_home_page_ignores_browser_language(client, db):
    response = client.get("/", headers={"accept-language": "en"})
    assert '<html lang="es">' in response.content.decode()


def test_home_page_follows_language_cookie(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt"
    page = client.get("/").content.decode()
    assert '<html lang="pt">' in page
    assert "Planos de política de Produção Mais Limpa e PCS" in page
    assert "Planes" not in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Cleaner production and SCP policy plans" in page
    assert "Planes" not in page


def test_it_has_a_translation_for_every_string_in_the_code(tmp_path, settings):
    """Extract the strings again, in a copy of the package, into a copy of the catalogue:
    nothing may be left untranslated.

    Fails when code or templates gain a string that nobody translated (run `limpia
    makemessages -l es -l pt -l en` in src/limpia, translate, `limpia compilemessages`).
    """
    import os

    from django.core.management import call_command

    if shutil.which("xgettext") is None or shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext (xgettext, msgfmt) is not on PATH")
    package = LOCALE_DIR.parent
    copy = tmp_path / "limpia"
    shutil.copytree(
        package, copy, ignore=shutil.ignore_patterns("__pycache__", "tests", "*.mo", "static")
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    cwd = os.getcwd()
    os.chdir(copy)
    try:
        call_command(
            "makemessages",
            locale=["es"],
            ignore_patterns=["progress/*", "compliance/*", "schedule/*"],
            verbosity=0,
        )
    finally:
        os.chdir(cwd)
    result = subprocess.run(
        [
            "msgfmt",
            "--statistics",
            "-o",
            "/dev/null",
            str(copy / "locale/es/LC_MESSAGES/django.po"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = result.stdout + result.stderr
    assert "untranslated" not in report and "fuzzy" not in report, report
