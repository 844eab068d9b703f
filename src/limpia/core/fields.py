"""Decimal fields that keep their value exactly on every supported database.

SQLite stores a decimal as a REAL (an IEEE double) and Django reads it back rounded to 15
significant digits: a value with more digits comes back different, and at the top of a field's
range not at all (99999999999999.98 rounds to 1.00000000000000E+14, one digit more than a
20-digit, 6-place field holds, and every read of the row raised InvalidOperation). So every decimal
in Limpia holds at most 15 significant digits, on PostgreSQL too: a value is refused when it is
entered, naming the field, rather than changed or lost later, and a backup moves between the two
databases unchanged (docs/configuration.md, "Numbers").
"""

from decimal import Context, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from limpia.core.errors import DomainError

SIGNIFICANT_DIGITS = 15


def significant_digits(value: Decimal) -> int:
    """Digits from the first non-zero one to the last non-zero one: 120.50 has 4, 0.0012 has 2."""
    if not value.is_finite() or value.is_zero():
        return 0 if value.is_zero() else SIGNIFICANT_DIGITS + 1
    return len(value.normalize().as_tuple().digits)


@deconstructible
class SignificantDigitsValidator:
    message = _(
        "Enter a number with at most %(limit)s significant digits (this one has %(digits)s)."
    )
    code = "significant_digits"

    def __init__(self, limit: int = SIGNIFICANT_DIGITS):
        self.limit = limit

    def __call__(self, value) -> None:
        if value is None:
            return
        digits = significant_digits(Decimal(value))
        if digits > self.limit:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"limit": self.limit, "digits": digits, "value": value},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, SignificantDigitsValidator) and self.limit == other.limit


class PortableDecimalField(models.DecimalField):
    """A DecimalField whose values round-trip on SQLite and PostgreSQL alike (see above)."""

    default_validators = [SignificantDigitsValidator()]


def largest_value(max_digits: int, decimal_places: int) -> Decimal:
    """The largest value a column holds: 99999999999999.999999 for 20 digits, 6 places."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)


def require_portable(value, *, field: str) -> None:
    """Refuse, naming `field`, a number entered with more digits than every database keeps."""
    try:
        SignificantDigitsValidator()(value)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field=field) from None


def portable(value: Decimal) -> Decimal:
    """A computed value (a unit conversion) rounded to the digits every database keeps."""
    return Context(prec=SIGNIFICANT_DIGITS).plus(value)
