"""Answers to public API reads, kept while the data revision stands.

Many readers ask the same public lists (`/api/v1/agreements/`, a plan's tree); each answer
is computed in tens of milliseconds, and under fifty concurrent clients a server spends its
time recomputing the same JSON. An anonymous GET of the API whose answer was computed at the
current data revision (`plans.snapshots.data_revision`: every recorded write moves it), for
the same path and query, language, day and `Accept` header, is answered from the cache
(Django's: memory per process, Redis when configured). Any write Limpia records moves the
revision, so a kept answer is never older than the data it shows; reference data loaded by
`limpia loadreference` are not tracked, so nothing is kept longer than `TIMEOUT` seconds.
Authenticated requests (a session or an `Authorization` header) are never served from it.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone, translation

PREFIX = "/api/v1/"
# The schema and its viewer read no data; sign-in and tokens are never kept.
EXCLUDED = ("/api/v1/docs", "/api/v1/schema", "/api/v1/auth/")
TIMEOUT = 60  # seconds
HEADER = "X-Limpia-Revision"


def _key(request, revision: int) -> str:
    parts = "\n".join(
        [
            str(revision),
            timezone.localdate().isoformat(),
            translation.get_language() or "",
            request.get_full_path(),
            request.headers.get("Accept", ""),
        ]
    )
    return "limpia:public-api:" + hashlib.sha256(parts.encode()).hexdigest()


class PublicReadCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._applies(request):
            return self.get_response(request)
        from limpia.plans.snapshots import data_revision

        revision = data_revision()
        key = _key(request, revision)
        kept = cache.get(key)
        if kept is not None:
            status, headers, content = kept
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response[HEADER] = str(revision)
            response["X-Limpia-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            headers = [(k, v) for k, v in response.items() if k.lower() != "set-cookie"]
            cache.set(key, (response.status_code, headers, response.content), TIMEOUT)
            response[HEADER] = str(revision)
            response["X-Limpia-Cache"] = "miss"
        return response

    @staticmethod
    def _applies(request) -> bool:
        user = getattr(request, "user", None)
        return (
            request.method == "GET"
            and request.path.startswith(PREFIX)
            and not request.path.startswith(EXCLUDED)
            and "Authorization" not in request.headers
            # DRF's test client authenticates in the view, after this middleware
            and getattr(request, "_force_auth_user", None) is None
            and user is not None
            and user.is_anonymous
        )
