"""Signatures of certificate data: HMAC-SHA256 over a canonical JSON form.

`canonical(data)` is UTF-8 JSON with sorted keys and no whitespace, in which dates and
datetimes are ISO 8601 strings (aware datetimes converted to UTC first, so one instant has
one form), Decimals are plain normalised strings ("1.50" → "1.5", never "1E+2"), UUIDs are
strings and tuples are lists. Floats are refused: their use in signed data is a bug waiting
to happen. Note that a Decimal and the string with the same text canonicalise alike.

`sign` uses django.utils.crypto.salted_hmac with the fixed salt "limpia.certificate":
the HMAC key is SHA-256(salt + key), so a signature made here is never valid for another
use of the same SECRET_KEY (sessions, password resets, ...). `verify` also accepts
signatures made with one of settings.SECRET_KEY_FALLBACKS, so the key can be rotated.
`sign_bytes` and `verify_bytes` do the same for bytes and a salt of the caller's (backups sign
their manifest with "limpia.backup.manifest").
"""

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "limpia.certificate"


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Cannot sign a non-finite Decimal: {value}")
        if value.is_zero():
            return "0"
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        if value.utcoffset() is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"Signed data keys must be strings, not {type(key).__name__}.")
            plain[key] = _plain(item)
        return plain
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"Cannot sign a value of type {type(value).__name__}: {value!r}")


def canonical(data: Mapping[str, object]) -> bytes:
    """The bytes that are signed: sorted-key, whitespace-free UTF-8 JSON."""
    return json.dumps(
        _plain(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def _key_bytes(key: bytes | str) -> bytes:
    return key if isinstance(key, bytes) else key.encode("utf-8")


def sign_bytes(salt: str, message: bytes, *, key: bytes | str | None = None) -> str:
    """Hex HMAC-SHA256 of `message` under a key derived from `salt` and (by default)
    settings.SECRET_KEY."""
    secret = settings.SECRET_KEY if key is None else key
    return salted_hmac(salt, message, secret=_key_bytes(secret), algorithm="sha256").hexdigest()


def verify_bytes(
    salt: str, message: bytes, signature: str, *, key: bytes | str | None = None
) -> bool:
    """Whether `signature` is sign_bytes(salt, message) with `key`, or with no key with
    settings.SECRET_KEY or one of settings.SECRET_KEY_FALLBACKS (constant-time comparison)."""
    if not isinstance(signature, str) or not signature:
        return False
    if key is not None:
        keys = [key]
    else:
        keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    valid = False
    for candidate in keys:
        valid |= constant_time_compare(sign_bytes(salt, message, key=candidate), signature.lower())
    return valid


def sign(data: Mapping[str, object], *, key: bytes | str | None = None) -> str:
    """Hex HMAC-SHA256 of canonical(data); key defaults to settings.SECRET_KEY."""
    return sign_bytes(SALT, canonical(data), key=key)


def verify(data: Mapping[str, object], signature: str, *, key: bytes | str | None = None) -> bool:
    """Whether `signature` is sign(data) (constant-time comparison).

    With no key, settings.SECRET_KEY and then each of settings.SECRET_KEY_FALLBACKS are tried.
    """
    try:
        message = canonical(data)
    except (TypeError, ValueError):
        return False
    return verify_bytes(SALT, message, signature, key=key)
