"""Every change to API tokens and authenticator devices goes through these functions:
permission-checked (limpia.access.rules), atomic where they write, attributed in history."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from limpia.accounts import keys
from limpia.accounts.models import ApiToken
from limpia.core.errors import DomainError, IllegalTransition
from limpia.core.services import require_perm, save_attributed

log = logging.getLogger(__name__)
# Tokens are looked up on every API request; writing the time of each use would turn every read
# into a write, so it is refreshed at most this often.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


@transaction.atomic
def api_token_create(
    *, acting_user, user, name: str = "", expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its key, which is stored nowhere."""
    require_perm(acting_user, "accounts.add_apitoken", user)
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise DomainError(_("The expiry date must be in the future."), field="expires_at")
    key = keys.new_key()
    token = ApiToken(
        user=user,
        name=" ".join(name.split())[:100],
        prefix=keys.key_prefix(key),
        digest=keys.key_digest(key),
        created_at=now,
        expires_at=expires_at,
    )
    save_attributed(token, acting_user=acting_user, reason="API token created")
    return token, key


@transaction.atomic
def api_token_revoke(*, acting_user, token: ApiToken) -> ApiToken:
    require_perm(acting_user, "accounts.revoke_apitoken", token)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise IllegalTransition(_("This token was already revoked."))
    token.revoked_at = timezone.now()
    save_attributed(
        token, acting_user=acting_user, update_fields=["revoked_at"], reason="API token revoked"
    )
    return token


def api_token_find(key: str) -> ApiToken | None:
    """The token whose key is `key` (whatever its state), comparing digests in constant time."""
    presented = keys.key_digest(key)
    candidates = ApiToken.objects.select_related("user").filter(prefix=keys.key_prefix(key))
    for token in candidates:
        if keys.digests_match(token.digest, presented):
            return token
    return None


def api_token_mark_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# ---------------------------------------------------------------- authenticator devices


def totp_code_check(device: TOTPDevice, code: str) -> None:
    """Raise a DomainError unless `code` is the device's current code.

    Not atomic on purpose: a wrong code must leave its mark (django-otp makes each further try
    wait twice as long as the last), even when the caller's change is refused.
    """
    allowed, details = device.verify_is_allowed()
    if not allowed and details and details.get("locked_until"):
        seconds = max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1)
        raise DomainError(
            _("Too many wrong codes: wait %(seconds)s seconds before trying again.")
            % {"seconds": seconds},
            field="code",
            code="throttled",
        )
    if not device.verify_token("".join((code or "").split())):
        raise DomainError(
            _("That code is not right. Enter the 6-digit code your authenticator app shows now."),
            field="code",
            code="invalid_code",
        )


@transaction.atomic
def totp_device_start(*, acting_user, user) -> TOTPDevice:
    """The authenticator waiting to be confirmed for `user` (a new secret if there is none)."""
    require_perm(acting_user, "accounts.use_two_factor", user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Limpia", confirmed=False)
    return device


def totp_device_confirm(*, acting_user, device: TOTPDevice, code: str) -> TOTPDevice:
    """Turn two-factor sign-in on, once the person shows a code from their app."""
    require_perm(acting_user, "accounts.use_two_factor", device.user)
    if device.confirmed:
        raise IllegalTransition(_("This authenticator is already confirmed."))
    totp_code_check(device, code)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One authenticator per person: a new phone replaces the old one.
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    log.info("two-factor sign-in turned on for %s by %s", device.user, acting_user)
    return device


def totp_device_remove(*, acting_user, device: TOTPDevice, code: str) -> None:
    """Turn two-factor sign-in off; it takes a current code, so a stolen session cannot."""
    require_perm(acting_user, "accounts.use_two_factor", device.user)
    totp_code_check(device, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).delete()
    log.info("two-factor sign-in turned off for %s by %s", device.user, acting_user)
