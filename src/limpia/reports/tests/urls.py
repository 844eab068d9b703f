"""The site's URLs with the reports included at the root, for tests run before the project
includes them itself (then the site's own patterns are used unchanged)."""

from django.urls import include, path

from limpia.urls import urlpatterns as site

if any(getattr(p, "app_name", None) == "reports" for p in site):
    urlpatterns = list(site)
else:
    urlpatterns = [*site, path("", include("limpia.reports.urls"))]
