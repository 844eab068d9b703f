"""JSON errors that name the field: `{"detail": "...", "field": "...", "code": "..."}`.

Validation errors keep DRF's per-field shape and add `detail`; domain errors raised by the
services become 400 (409 for illegal status transitions, 403 for permission refusals).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from limpia.core.errors import DomainError, IllegalTransition, NotAllowed

# The envelope's own keys. A field of one of these names (an indicator's `code`) keeps its
# messages under `fields`, so that `code` is always the error's code.
ENVELOPE = ("detail", "code", "field")


def _add_field_messages(body: dict, field: str, messages) -> None:
    if field in ENVELOPE:
        body.setdefault("fields", {})[field] = messages
    else:
        body[field] = messages


def _first_message(data) -> str:
    if isinstance(data, dict):
        for key, value in data.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(data, list) and data:
        return _first_message(data[0])
    return str(data)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        code = status.HTTP_400_BAD_REQUEST
        if isinstance(exc, IllegalTransition) or exc.code == "conflict":
            code = status.HTTP_409_CONFLICT
        elif isinstance(exc, NotAllowed):
            code = status.HTTP_403_FORBIDDEN
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
            _add_field_messages(body, exc.field, [exc.message])
        return Response(body, status=code)
    if isinstance(exc, ProtectedError | RestrictedError):
        used_by = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
        return Response(
            {
                "detail": _("It cannot be deleted while other records use it: %(used)s.")
                % {"used": ", ".join(used_by)},
                "code": "protected",
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {
                "detail": _("The request body could not be read: %(error)s")
                % {"error": exc.detail},
                "code": "parse_error",
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        messages = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        fields = [k for k in messages if k != "non_field_errors"]
        data = {"detail": _first_message(messages), "code": "invalid"}
        if fields:
            data["field"] = fields[0]
        for field, field_messages in messages.items():
            _add_field_messages(data, field, field_messages)
        response.data = data
    elif response is not None and isinstance(response.data, dict):
        # 401, 403, 404, 405...: the same shape as every other error, with a code to match on.
        codes = exc.get_codes()
        response.data.setdefault("code", codes if isinstance(codes, str) else exc.default_code)
    return response


def page_not_found(request, exception=None):
    """The site's 404 handler: a path under /api/ that matches no endpoint (`/plans/1.5/`) is
    answered in JSON like the API's other 404s; pages keep the HTML one."""
    if request.path_info.startswith("/api/"):
        detail = str(exceptions.NotFound.default_detail)
        return JsonResponse({"detail": detail, "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)
