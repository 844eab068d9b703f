"""The site's URLs plus the public agreement pages, for tests until limpia.urls includes them
(then this is just the site's URLs)."""

from django.urls import include, path

from limpia.urls import urlpatterns as site_urlpatterns

included = any(getattr(p, "namespace", None) == "agreements_web" for p in site_urlpatterns)
urlpatterns = (
    list(site_urlpatterns)
    if included
    else [path("", include("limpia.web.agreement_urls")), *site_urlpatterns]
)
