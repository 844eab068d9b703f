"""The project's URLs plus the knowledge centre's pages and API (for the tests, until
limpia.urls and limpia.api.urls include them)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from limpia.knowledge.api import DocumentViewSet
from limpia.urls import urlpatterns as project_urlpatterns

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="document")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("", include("limpia.knowledge.urls")),
    *project_urlpatterns,
]
