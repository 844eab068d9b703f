"""The project's URLs plus the plan import pages under "imports/" (as limpia.urls will have)."""

from django.urls import include, path

from limpia.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("imports/", include("limpia.web.import_urls")),
    *project_urlpatterns,
]
