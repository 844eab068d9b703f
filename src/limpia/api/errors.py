"""JSON errors that name the field: `{"detail": "...", "field": "...", "code": "..."}`.

Validation errors keep DRF's per-field shape and add `detail`; domain errors raised by the
services become 400 (409 for illegal status transitions, 403 for permission refusals).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from limpia.core.errors import DomainError, IllegalTransition, NotAllowed


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
            body[exc.field] = [exc.message]
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
        data = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        fields = [k for k in data if k not in ("non_field_errors", "detail", "code")]
        data.setdefault("detail", _first_message(data))
        data.setdefault("code", "invalid")
        if fields:
            data.setdefault("field", fields[0])
        response.data = data
    return response
