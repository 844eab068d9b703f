import pytest


@pytest.fixture
def reports_site(settings, tmp_path):
    """The reports app installed and its URLs included (whether or not the project's settings
    already do), and a data directory of the test's own for the bulletin archive."""
    apps = list(settings.INSTALLED_APPS)
    if not any(app.startswith("limpia.reports") for app in apps):
        settings.INSTALLED_APPS = [*apps, "limpia.reports.apps.ReportsConfig"]
    settings.ROOT_URLCONF = "limpia.reports.tests.urls"
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR
