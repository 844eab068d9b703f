"""Two-factor sign-in: a code from an authenticator app (TOTP, django-otp) after the password.

Optional for administrators: one who has confirmed an authenticator must give its code after
every password login, on the web and in the back office, before anything else; with
ADMIN_REQUIRE_2FA (LIMPIA_ADMIN_REQUIRE_2FA) an administrator without one is first sent to set
one up. What is still owed is kept in the session (`SESSION_KEY`) at login, so that requests of
everyone else cost no query.
"""

from urllib.parse import quote

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from limpia.access.rules import is_admin

SESSION_KEY = "limpia_second_factor"
VERIFY = "verify"  # has an authenticator: enter its code
ENROL = "enrol"  # an administrator who must set one up first


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_required(user) -> bool:
    return settings.ADMIN_REQUIRE_2FA and bool(is_admin(user))


def remember_second_factor(sender, request, user, **kwargs) -> None:
    """On login: note in the session whether a code (or an enrolment) is still owed."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session.pop(DEVICE_ID_SESSION_KEY, None)  # a code given in an earlier login counts no more
    if confirmed_device(user) is not None:
        session[SESSION_KEY] = VERIFY
    elif enrolment_required(user):
        session[SESSION_KEY] = ENROL
    else:
        session.pop(SESSION_KEY, None)


def second_factor_done(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()  # a new session key once fully signed in, as after a password


class SecondFactorMiddleware:
    """Holds a signed-in person who still owes a code (or an enrolment) at the page that asks
    for it; the API answers 403 with code `second_factor_required` meanwhile."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed = None

    def __call__(self, request):
        session = getattr(request, "session", None)
        owed = session.get(SESSION_KEY) if session is not None else None
        if owed in (VERIFY, ENROL) and not self._is_allowed(request.path_info, owed):
            return self._hold(request, owed)
        return self.get_response(request)

    def _is_allowed(self, path: str, owed: str) -> bool:
        if self._allowed is None:
            always = (reverse("logout"), reverse("admin:logout"), "/i18n/", settings.STATIC_URL)
            self._allowed = {
                VERIFY: (reverse("accounts:two_factor_verify"), *always),
                ENROL: (reverse("accounts:two_factor"), *always),
            }
        return path.startswith(self._allowed[owed])

    def _hold(self, request, owed: str):
        if request.path_info.startswith("/api/"):
            detail = (
                _("Enter the code of your authenticator app first.")
                if owed == VERIFY
                else _("Set up two-factor sign-in first.")
            )
            return JsonResponse({"detail": detail, "code": "second_factor_required"}, status=403)
        page = "accounts:two_factor_verify" if owed == VERIFY else "accounts:two_factor"
        return redirect(f"{reverse(page)}?next={quote(request.get_full_path())}")
