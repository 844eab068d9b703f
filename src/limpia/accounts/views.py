"""One's own account: API tokens, and two-factor sign-in for administrators."""

import datetime as dt
from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from limpia.accounts import services
from limpia.accounts.forms import CodeForm, NewTokenForm
from limpia.accounts.models import ApiToken
from limpia.accounts.second_factor import (
    ENROL,
    SESSION_KEY,
    VERIFY,
    confirmed_device,
    enrolment_required,
    second_factor_done,
)
from limpia.core.errors import DomainError


def _next(request) -> str:
    """Where to go once done: the page asked for before, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# ---------------------------------------------------------------- API tokens


@never_cache  # the page that shows a new key must not be kept by any cache
@login_required
def tokens(request):
    form = NewTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        new_token, key = services.api_token_create(
            acting_user=request.user,
            user=request.user,
            name=form.cleaned_data["name"],
            expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
        )
        new_token.key = key  # shown in this answer only: not redirected, not stored
        form = NewTokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": ApiToken.objects.of(request.user), "form": form, "new_token": new_token},
    )


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.of(request.user), pk=pk)
    try:
        services.api_token_revoke(acting_user=request.user, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The token %(prefix)s… is revoked: programs that use it can no longer sign in.")
            % {"prefix": token.prefix},
        )
    return redirect("accounts:tokens")


# ---------------------------------------------------------------- two-factor sign-in


def _may_use_two_factor(request) -> None:
    if not request.user.has_perm("accounts.use_two_factor"):
        raise PermissionDenied


def _qr_svg(uri: str) -> str:
    # segno's SVG has presentation attributes only (no inline style), so the CSP lets it be.
    return mark_safe(segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff"))


@never_cache  # it shows the secret while the authenticator is set up
@login_required
def two_factor(request):
    _may_use_two_factor(request)
    device = confirmed_device(request.user)
    if device is not None:
        return render(request, "accounts/two_factor.html", {"device": device, "form": CodeForm()})
    pending = services.totp_device_start(acting_user=request.user, user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_device_confirm(
                acting_user=request.user, device=pending, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, pending)
            second_factor_done(request)
            messages.success(
                request,
                _("Two-factor sign-in is on: after your password you will be asked for a code."),
            )
            return redirect(_next(request))
    secret = b32encode(pending.bin_key).decode()
    return render(
        request,
        "accounts/two_factor.html",
        {
            "pending": pending,
            "uri": pending.config_url,
            "qr": _qr_svg(pending.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "form": form,
            "required": request.session.get(SESSION_KEY) == ENROL,
            "next": request.GET.get("next", ""),
        },
    )


@require_POST
@login_required
def two_factor_remove(request):
    _may_use_two_factor(request)
    device = confirmed_device(request.user)
    form = CodeForm(request.POST)
    if device is not None and form.is_valid():
        try:
            services.totp_device_remove(
                acting_user=request.user, device=device, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            if enrolment_required(request.user):
                request.session[SESSION_KEY] = ENROL
            messages.success(request, _("Two-factor sign-in is off."))
    return redirect("accounts:two_factor")


@never_cache
@login_required
def two_factor_verify(request):
    device = confirmed_device(request.user)
    if request.session.get(SESSION_KEY) != VERIFY or device is None:
        if request.session.get(SESSION_KEY) == VERIFY:
            second_factor_done(request)  # an administrator removed the authenticator meanwhile
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_code_check(device, form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            second_factor_done(request)
            return redirect(_next(request))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
    )
