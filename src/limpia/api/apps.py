from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "limpia.api"
    label = "api"
    verbose_name = "API v1"
