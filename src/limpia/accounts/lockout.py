"""What a person locked out by django-axes sees: a page, or JSON under /api/.

django-axes counts failed logins per username and address (settings: AXES_*) and flags the
request that reaches the limit, and every later one during the cool-off; its middleware then
asks `lockout_response` for the answer.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

LOCKED_OUT_STATUS = 429


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    minutes = cooloff_minutes()
    return ngettext(
        "Too many failed logins with this username from your address. For your protection, "
        "logging in is blocked for %(minutes)s minute; try again later.",
        "Too many failed logins with this username from your address. For your protection, "
        "logging in is blocked for %(minutes)s minutes; try again later.",
        minutes,
    ) % {"minutes": minutes}


def lockout_body() -> dict:
    return {"detail": lockout_message(), "code": "locked_out"}


def retry_after() -> str:
    return str(int(settings.AXES_COOLOFF_TIME.total_seconds()))


def lockout_response(request, original_response=None, credentials=None):
    if request.path_info.startswith("/api/"):
        if original_response is not None and original_response.status_code == LOCKED_OUT_STATUS:
            return original_response  # the token endpoint answered it already
        response = JsonResponse(lockout_body(), status=LOCKED_OUT_STATUS)
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": lockout_message()},
            status=LOCKED_OUT_STATUS,
        )
    response["Retry-After"] = retry_after()
    return response
