"""Limpia's URLs plus the floor: a bare view on the same server, middleware included."""

from django.http import JsonResponse
from django.urls import path

from limpia.agreements.models import Agreement
from limpia.urls import handler400, handler404  # noqa: F401  the product's error pages
from limpia.urls import urlpatterns as limpia_urlpatterns

FIELDS = ("id", "slug", "code", "name", "stage", "signing_date")


def minimal_agreements(request):
    """50 agreements as JSON in one query: what any list costs at the least on this server."""
    rows = list(Agreement.objects.order_by("code").values(*FIELDS)[:50])
    return JsonResponse({"count": len(rows), "results": rows})


urlpatterns = [
    path("bench/agreements.json", minimal_agreements, name="bench_minimal"),
    *limpia_urlpatterns,
]
