"""The project's URLs plus the agreements back office under "work/" (as limpia.urls will have)."""

from django.urls import include, path

from limpia.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("work/", include("limpia.web.workbench_urls")),
    *project_urlpatterns,
]
