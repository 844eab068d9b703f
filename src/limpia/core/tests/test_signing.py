"""Certificate signatures: canonical JSON, HMAC-SHA256, constant-time verification."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from limpia.core.signing import canonical, sign, verify

KEY = "test-key-not-secret"
DATA = {
    "code": "APL-2025-0001",
    "facility": "Planta Ñuñoa",
    "issued_on": dt.date(2025, 3, 14),
    "valid_until": dt.date(2027, 3, 13),
    "water_saved_m3": Decimal("1500.50"),
    "sectors": ["C10", "C11"],
}


def test_it_verifies_what_it_signed():
    signature = sign(DATA, key=KEY)
    assert len(signature) == 64
    assert int(signature, 16) >= 0
    assert verify(DATA, signature, key=KEY)
    assert verify(DATA, signature.upper(), key=KEY)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "APL-2025-0002"),
        ("facility", "Planta Nunoa"),
        ("issued_on", dt.date(2025, 3, 15)),
        ("water_saved_m3", Decimal("1500.51")),
        ("sectors", ["C11", "C10"]),
        ("extra", None),
    ],
)
def test_it_refuses_data_with_any_changed_field(field, value):
    signature = sign(DATA, key=KEY)
    assert not verify({**DATA, field: value}, signature, key=KEY)


def test_it_refuses_data_with_a_removed_field():
    signature = sign(DATA, key=KEY)
    assert not verify({k: v for k, v in DATA.items() if k != "code"}, signature, key=KEY)


def test_it_refuses_a_signature_made_with_another_key():
    assert not verify(DATA, sign(DATA, key=KEY), key="another-key")
    assert sign(DATA, key=KEY) != sign(DATA, key=KEY.encode() + b"x")
    assert sign(DATA, key=KEY) == sign(DATA, key=KEY.encode())


def test_it_refuses_garbage_signatures():
    assert not verify(DATA, "", key=KEY)
    assert not verify(DATA, None, key=KEY)
    assert not verify(DATA, "zz" * 32, key=KEY)


def test_it_ignores_the_order_of_keys():
    reordered = dict(reversed(list(DATA.items())))
    assert canonical(reordered) == canonical(DATA)
    assert verify(reordered, sign(DATA, key=KEY), key=KEY)


def test_it_writes_compact_sorted_utf8_json():
    text = canonical({"b": 1, "a": {"z": "Ñ", "y": [1, 2]}}).decode("utf-8")
    assert text == '{"a":{"y":[1,2],"z":"Ñ"},"b":1}'


def test_it_canonicalizes_dates_and_decimals():
    data = {
        "on": dt.date(2025, 1, 2),
        "at": dt.datetime(2025, 1, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        "a": Decimal("1.50"),
        "b": Decimal("100"),
        "c": Decimal("1E+2"),
        "d": Decimal("-0.00"),
        "e": Decimal("0.000001"),
    }
    parsed = json.loads(canonical(data))
    assert parsed == {
        "on": "2025-01-02",
        "at": "2025-01-02T13:00:00+00:00",
        "a": "1.5",
        "b": "100",
        "c": "100",
        "d": "0",
        "e": "0.000001",
    }
    same_instant = dt.datetime(2025, 1, 2, 13, 0, tzinfo=dt.UTC)
    assert canonical({"at": same_instant}) == canonical({"at": data["at"]})
    assert sign({"x": Decimal("2.0")}, key=KEY) == sign({"x": Decimal("2")}, key=KEY)


def test_it_refuses_floats_and_unknown_types():
    with pytest.raises(TypeError):
        canonical({"x": 1.5})
    with pytest.raises(TypeError):
        canonical({"x": object()})
    with pytest.raises(TypeError):
        canonical({1: "x"})
    assert not verify({"x": 1.5}, "00" * 32, key=KEY)


def test_it_uses_the_secret_key_by_default(settings):
    settings.SECRET_KEY = "first-secret-key-for-tests-" + "x" * 30
    settings.SECRET_KEY_FALLBACKS = []
    signature = sign(DATA)
    assert signature == sign(DATA, key=settings.SECRET_KEY)
    assert verify(DATA, signature)
    settings.SECRET_KEY = "second-secret-key-for-tests-" + "y" * 30
    assert not verify(DATA, signature)


def test_it_accepts_signatures_from_a_fallback_key_after_rotation(settings):
    old = "old-secret-key-for-tests-" + "x" * 30
    settings.SECRET_KEY = old
    signature = sign(DATA)
    settings.SECRET_KEY = "new-secret-key-for-tests-" + "y" * 30
    settings.SECRET_KEY_FALLBACKS = [old]
    assert verify(DATA, signature)
    assert sign(DATA) != signature


def test_it_salts_the_key_so_a_plain_hmac_does_not_match():
    import hashlib
    import hmac

    plain = hmac.new(KEY.encode(), canonical(DATA), hashlib.sha256).hexdigest()
    assert not verify(DATA, plain, key=KEY)
