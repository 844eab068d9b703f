"""Units of the impact metrics of cleaner production agreements.

Physical quantities are converted with pint in Decimal mode (`non_int_type=Decimal`), so
1500 L is exactly 1.5 m³. Money is not a pint quantity: it is a Decimal amount with an
ISO 4217 currency code (`Money`), and amounts in different currencies are never added.

Spellings normalised before pint sees them: "m³"/"m3"/"m^3", "L"/"l"/"litre"/"litros",
"ton"/"tonne"/"toneladas" (a metric tonne — pint's own "ton" is the US short ton) and, for
emissions, a "CO2e"/"CO2eq"/"CO₂e" suffix ("tCO2e" → "t", "kg CO2e" → "kg").
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from limpia.core.errors import DomainError
from limpia.core.fields import portable

# metric key → (canonical unit, label). Production has no fixed unit: each facility sets
# its own (t, m³, units, ...); money metrics are `Money`, not pint quantities.
IMPACT_METRICS = {
    "water": ("m**3", gettext_lazy("Water consumption")),
    "energy": ("kWh", gettext_lazy("Energy consumption")),
    "waste": ("t", gettext_lazy("Waste to final disposal")),
    "emissions_co2e": ("t", gettext_lazy("Greenhouse gas emissions (tCO2e)")),
    "emissions_pm10": ("kg", gettext_lazy("PM10 emissions")),
    "production": (None, gettext_lazy("Production")),
    "investment": (None, gettext_lazy("Investment")),
    "savings": (None, gettext_lazy("Savings")),
}
MONEY_METRICS = frozenset({"investment", "savings"})

# Accepted spellings shown in refusals, by canonical unit.
EXAMPLES = {
    "m**3": "m³, m3, L, litre",
    "kWh": "kWh, MWh, GJ",
    "t": "t, kg, tonne",
    "kg": "kg, g, t",
}

_ALIASES = {
    "m3": "m**3",
    "m³": "m**3",
    "m^3": "m**3",
    "l": "L",
    "lt": "L",
    "lts": "L",
    "litro": "L",
    "litros": "L",
    "ton": "t",
    "tons": "t",
    "tonne": "t",
    "tonnes": "t",
    "tonelada": "t",
    "toneladas": "t",
}
_CO2E_SUFFIX = re.compile(r"\s*(co2|co₂)[\s\-_]?(e|eq|equiv)\.?$", re.IGNORECASE)
_POWER = re.compile(r"(?<=[A-Za-z])([23])(?![\d.])")
_SAFE_UNIT = re.compile(r"[A-Za-z0-9 *^/._²³µ-]{1,40}")


@functools.cache
def registry():
    import pint  # imported lazily: building the registry takes a moment

    return pint.UnitRegistry(non_int_type=Decimal)


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without scientific notation: 1.500 → 1.5, 1E+3 → 1000."""
    normal = value.normalize()
    if normal.as_tuple().exponent > 0:
        normal = normal.quantize(Decimal(1))
    return normal


def normalize_unit(unit: str, metric: str | None = None) -> str:
    """A unit spelling pint understands ("m³" → "m**3", "tCO2e" → "t" for emissions)."""
    text = " ".join((unit or "").split())
    if metric == "emissions_co2e":
        text = _CO2E_SUFFIX.sub("", text)
    text = _ALIASES.get(text.lower(), text)
    text = text.replace("³", "**3").replace("²", "**2").replace("^", "**")
    return _POWER.sub(r"**\1", text)


def _refuse(metric: str, unit: str, canonical: str | None) -> DomainError:
    examples = EXAMPLES.get(canonical or "", canonical or "")
    return DomainError(
        _("“%(unit)s” is not a unit for %(metric)s. Use one such as: %(examples)s.")
        % {"unit": (unit or "")[:40], "metric": label(metric), "examples": examples},
        field="unit",
    )


def label(metric: str) -> str:
    return str(IMPACT_METRICS[metric][1]) if metric in IMPACT_METRICS else metric


def to_canonical(
    metric: str, value: Decimal, unit: str, *, canonical_unit: str | None = None
) -> Decimal:
    """`value` in `unit` expressed in the metric's canonical unit, as an exact Decimal.

    `canonical_unit` is required for "production" (each facility chooses it) and overrides
    the default for other metrics. A production unit pint does not know ("cajas") is
    accepted when it is the canonical unit itself. Unknown or incompatible units raise
    DomainError(field="unit").
    """
    if metric not in IMPACT_METRICS:
        raise DomainError(_("Unknown metric “%(metric)s”.") % {"metric": metric}, field="metric")
    if metric in MONEY_METRICS:
        raise DomainError(
            _("%(metric)s is an amount of money, with a currency, not a unit.")
            % {"metric": label(metric)},
            field="unit",
        )
    target = canonical_unit or IMPACT_METRICS[metric][0]
    if target is None:
        raise DomainError(
            _("The facility has no production unit; set one first."), field="production_unit"
        )
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value)) if isinstance(value, int | str) else None
        except InvalidOperation:
            value = None
        if value is None:
            raise DomainError(_("The value must be a decimal number."), field="value")
    if not value.is_finite():
        raise DomainError(_("The value must be a finite number."), field="value")

    source_text = normalize_unit(unit, metric)
    target_text = normalize_unit(target, metric)
    if not source_text or not _SAFE_UNIT.fullmatch(source_text):
        raise _refuse(metric, unit, target_text)
    if source_text == target_text:
        return tidy(portable(value))

    import pint

    ureg = registry()
    try:
        source = ureg.parse_units(source_text)
        quantity = ureg.Quantity(value, source).to(ureg.parse_units(target_text))
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError):
        raise _refuse(metric, unit, target_text) from None
    return tidy(portable(Decimal(quantity.magnitude)))


def intensity(value: Decimal | None, production: Decimal | None) -> Decimal | None:
    """Value per unit of production; None when either is missing or production is zero."""
    if value is None or not production:
        return None
    return value / production


@dataclass(frozen=True)
class Money:
    """An amount in one ISO 4217 currency. Sums only within the same currency."""

    amount: Decimal
    currency: str

    def __post_init__(self):
        amount = self.amount
        if isinstance(amount, float) or not isinstance(amount, Decimal | int | str):
            raise TypeError("Money amounts are Decimal, int or str, never float.")
        try:
            amount = Decimal(amount) if not isinstance(amount, Decimal) else amount
        except InvalidOperation:
            raise DomainError(
                _("“%(value)s” is not an amount of money.") % {"value": str(amount)[:40]},
                field="amount",
            ) from None
        if not amount.is_finite():
            raise DomainError(_("An amount of money must be a finite number."), field="amount")
        currency = (self.currency or "").strip().upper()
        if not _is_currency(currency):
            raise DomainError(
                _("“%(currency)s” is not an ISO 4217 currency code (such as CLP, PAB, USD).")
                % {"currency": (self.currency or "")[:10]},
                field="currency",
            )
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", currency)

    def __add__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise DomainError(
                _("Cannot add amounts in %(a)s and %(b)s; convert them to one currency first.")
                % {"a": self.currency, "b": other.currency},
                field="currency",
            )
        return Money(self.amount + other.amount, self.currency)

    def __radd__(self, other):
        # Lets the builtin sum() start from 0.
        if other == 0:
            return self
        return NotImplemented

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        return self + (-other)

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """The total of amounts, all in `currency` (which is also the currency of an empty total)."""
    total = Money(Decimal(0), currency)
    for amount in amounts:
        total = total + amount
    return total


@functools.cache
def _currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _is_currency(code: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{3}", code)) and code in _currencies()
