"""Company tax identifiers (RUT, RUC, NIT, CUIT, ...) of Latin American countries.

Where python-stdnum has a module for a country's company identifier, the value is checked
with it (format, length and check digit) and stored in stdnum's compact form, e.g. Chile's
RUT "76.086.428-5" → "760864285". Countries without such a module (Panama, Bolivia,
Honduras, Nicaragua, ...) are accepted by a loose format only: 3–30 letters, digits, '-',
'.', '/' or spaces, stripped and uppercased. No check ever goes online.
"""

import importlib
import re
from types import ModuleType

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from limpia.core.errors import DomainError

# Label of the company tax identifier, by ISO 3166-1 alpha-2 country code.
TAX_ID_NAMES: dict[str, str] = {
    "AR": "CUIT",
    "BO": "NIT",
    "BR": "CNPJ",
    "CL": "RUT",
    "CO": "NIT",
    "CR": "Cédula jurídica",
    "CU": "NIT",
    "DO": "RNC",
    "EC": "RUC",
    "GT": "NIT",
    "HN": "RTN",
    "MX": "RFC",
    "NI": "RUC",
    "PA": "RUC",
    "PE": "RUC",
    "PY": "RUC",
    "SV": "NIT",
    "UY": "RUT",
    "VE": "RIF",
}
DEFAULT_TAX_ID_NAME = gettext_lazy("Tax ID")

# Country → (stdnum module, example of a valid value, as shown to users).
_STDNUM: dict[str, tuple[str, str]] = {
    "AR": ("stdnum.ar.cuit", "20-26756539-3"),
    "BR": ("stdnum.br.cnpj", "16.727.230/0001-97"),
    "CL": ("stdnum.cl.rut", "76.086.428-5"),
    "CO": ("stdnum.co.nit", "213.123.432-1"),
    "CR": ("stdnum.cr.cpj", "3-101-999999"),
    "DO": ("stdnum.do.rnc", "1-31-24679-6"),
    "EC": ("stdnum.ec.ruc", "1792060346-001"),
    "GT": ("stdnum.gt.nit", "576937-K"),
    "MX": ("stdnum.mx.rfc", "GODE561231GR8"),
    "PE": ("stdnum.pe.ruc", "20512333797"),
    "PY": ("stdnum.py.ruc", "80028061-0"),
    "SV": ("stdnum.sv.nit", "0614-050707-104-8"),
    "UY": ("stdnum.uy.rut", "21-100342-001-7"),
    "VE": ("stdnum.ve.rif", "V-11470283-4"),
}
STDNUM_COUNTRIES = frozenset(_STDNUM)

_FALLBACK = re.compile(r"[A-Z0-9./\- ]{3,30}")
_FALLBACK_EXAMPLE = "155596713-2-2015"


def tax_id_name(country: str) -> str:
    """The label of a country's company tax identifier ("RUT", "RUC", ...)."""
    return TAX_ID_NAMES.get((country or "").strip().upper(), str(DEFAULT_TAX_ID_NAME))


def _module(country: str) -> tuple[ModuleType, str] | None:
    entry = _STDNUM.get(country)
    if entry is None:
        return None
    return importlib.import_module(entry[0]), entry[1]


def _reason(error: ValidationError) -> str:
    if isinstance(error, InvalidChecksum):
        return _("the check digit does not match the rest of the number")
    if isinstance(error, InvalidLength):
        return _("it has the wrong number of characters")
    if isinstance(error, InvalidComponent):
        return _("a part of it (such as a date or a type code) is not valid")
    if isinstance(error, InvalidFormat):
        return _("it contains characters or a layout that are not allowed")
    return _("it is not a valid number")


def _refuse(country: str, value: str, reason: str, example: str) -> DomainError:
    return DomainError(
        _(
            "“%(value)s” is not a valid %(name)s (%(country)s): %(reason)s. "
            "Expected a value such as %(example)s."
        )
        % {
            "value": value[:40],
            "name": tax_id_name(country),
            "country": country or "?",
            "reason": reason,
            "example": example,
        },
        field="tax_id",
    )


def validate_tax_id(country: str, value: str) -> str:
    """The compact canonical form of a company tax identifier, or DomainError(field="tax_id")."""
    country = (country or "").strip().upper()
    raw = value if isinstance(value, str) else ""
    if not raw.strip():
        raise DomainError(
            _("A %(name)s is required.") % {"name": tax_id_name(country)}, field="tax_id"
        )
    found = _module(country)
    if found is not None:
        module, example = found
        try:
            return module.validate(raw)
        except ValidationError as error:
            raise _refuse(country, raw, _reason(error), example) from None
    cleaned = " ".join(raw.split()).upper()
    if not _FALLBACK.fullmatch(cleaned) or not re.search(r"[A-Z0-9]", cleaned):
        raise _refuse(
            country,
            raw,
            _("only 3 to 30 letters, digits, '-', '.', '/' or spaces are allowed"),
            _FALLBACK_EXAMPLE,
        )
    return cleaned


def format_tax_id(country: str, value: str) -> str:
    """The identifier as usually written, e.g. "76.086.428-5" for a Chilean RUT.

    Validates first (DomainError as `validate_tax_id`). Countries without a stdnum module,
    or whose module has no `format`, get the compact form back.
    """
    compact = validate_tax_id(country, value)
    found = _module((country or "").strip().upper())
    if found is None or not hasattr(found[0], "format"):
        return compact
    return found[0].format(compact)
