from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """PDF reports, charts and the semiannual bulletin (no models: the archive is files)."""

    name = "limpia.reports"
    label = "reports"
    verbose_name = _("Reports")
