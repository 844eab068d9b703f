"""The project's URLs plus the exchange endpoints under /api/v1/ (for the API tests)."""

from django.urls import include, path

from limpia.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("limpia.exchange.urls")),
    *project_urlpatterns,
]
