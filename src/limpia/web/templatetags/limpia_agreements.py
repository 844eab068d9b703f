"""Filters of the public agreement pages: compliance shares, certificate statuses, tax ids."""

from decimal import Decimal
from fractions import Fraction

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from limpia.agreements.models import CertificateStatus, Size
from limpia.core.errors import DomainError
from limpia.core.taxid import format_tax_id, tax_id_name

register = template.Library()

CERTIFICATE_COLOURS = {
    "valid": "success",
    "suspended": "warning",
    "revoked": "danger",
    "expired": "secondary",
}
CERTIFICATE_REASONS = {
    "": "",
    "maintenance_failed": gettext_lazy("a maintenance audit failed"),
    "maintenance_missing": gettext_lazy("the yearly maintenance audit is missing"),
    "revoked": gettext_lazy("revoked by the agreement's coordination"),
    "validity_ended": gettext_lazy("its validity has ended"),
}


@register.filter
def share(value: Fraction | None) -> str:
    """A compliance fraction as a percentage; "not assessable" (never 0 %) when None."""
    if value is None:
        return _("not assessable")
    percent = Decimal(value.numerator) * 100 / Decimal(value.denominator)
    return f"{number_format(round(percent, 1), decimal_pos=1)} %"


@register.filter
def share_width(value: Fraction | None) -> int:
    if value is None:
        return 0
    return int(max(0, min(100, round(value * 100))))


@register.filter
def certificate_label(status: str) -> str:
    return str(CertificateStatus(status).label) if status in CertificateStatus.values else status


@register.filter
def certificate_colour(status: str) -> str:
    return CERTIFICATE_COLOURS.get(status, "secondary")


@register.filter
def certificate_reason(reason: str) -> str:
    return str(CERTIFICATE_REASONS.get(reason, reason))


@register.filter
def tax_id(company) -> str:
    """The company's identifier as usually written (76.086.428-5), or as stored if invalid."""
    try:
        return format_tax_id(company.country_id, company.tax_id)
    except DomainError:
        return company.tax_id


@register.filter
def tax_id_label(company) -> str:
    return str(tax_id_name(company.country_id))


@register.filter
def sizes(values: list[str]) -> str:
    """Company sizes an action applies to; an empty list means every size."""
    if not values:
        return _("all sizes")
    labels = dict(Size.choices)
    return ", ".join(str(labels.get(v, v)) for v in values)
