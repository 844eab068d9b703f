"""Requests over the input limits of the settings are refused with a message naming the limit.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when a form or `request.body` is read; the
API's JSON parser reads the stream itself, so the middleware checks the declared length first.
Multipart bodies are left to Django, which does not count uploaded files against that limit
(they have their own, checked by the upload's service). Every refusal ends in `bad_request`,
Django's handler for 400s, which answers JSON under /api/ and plain text elsewhere.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views import defaults


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul_character(request):
            return _nul_refusal(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if (
            limit is not None
            and request.content_type != "multipart/form-data"
            and _declared_length(request) > limit
        ):
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        return self.get_response(request)


def _has_nul_character(request) -> bool:
    """PostgreSQL cannot compare text with NUL: a slug or filter holding one would reach the
    database as an error (a 500). Bodies are checked by their forms and serializers."""
    query = request.META.get("QUERY_STRING", "")
    return "\x00" in request.path_info or "\x00" in query or "%00" in query


def _nul_refusal(request):
    message = _("The address contains a NUL character, which is not allowed.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "nul_character"}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _limit_message(exception) -> str | None:
    if isinstance(exception, RequestDataTooBig):
        return _("The data sent is too large; the limit is %(limit)s.") % {
            "limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        }
    if isinstance(exception, TooManyFieldsSent):
        return _("Too many fields were sent; the limit is %(limit)s.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    if isinstance(exception, TooManyFilesSent):
        return _("Too many files were sent; the limit is %(limit)s.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    return None


def bad_request(request, exception):
    message = _limit_message(exception)
    if message is None:
        return defaults.bad_request(request, exception)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "too_large"}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
