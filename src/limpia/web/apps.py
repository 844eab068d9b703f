from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "limpia.web"
    label = "web"
    verbose_name = _("Public site and data entry")
