from decimal import Decimal
from fractions import Fraction

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from limpia.web.status import STATUS_COLOURS, STATUS_LABELS

register = template.Library()


def _decimal(value) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


@register.filter
def percent(value: Decimal | Fraction | None) -> str:
    if value is None:
        return "—"
    return f"{number_format(round(_decimal(value) * 100, 1), decimal_pos=1)} %"


@register.filter
def bar_width(value: Decimal | None) -> int:
    if value is None:
        return 0
    return int(max(0, min(100, round(Decimal(value) * 100))))


@register.filter
def amount(value: Decimal | None) -> str:
    if value is None:
        return "—"
    value = Decimal(value).normalize()
    places = max(0, -value.as_tuple().exponent)
    return number_format(value, decimal_pos=min(places, 4), use_l10n=True, force_grouping=True)


@register.filter
def status_label(key: str) -> str:
    return STATUS_LABELS.get(key, key)


@register.filter
def status_colour(key: str) -> str:
    return STATUS_COLOURS.get(key, "secondary")


CHANGE_REASONS = {
    "created": _("created"),
    "edited": _("edited"),
    "submitted": _("submitted for review"),
    "approved": _("approved"),
    "returned": _("returned"),
    "sample data": _("loaded as sample data"),
    "loadplans": _("loaded from the source files"),
    "admin": _("edited in the back office"),
    "api": _("edited through the API"),
}


@register.filter
def change_reason(entry) -> str:
    reason = entry.history_change_reason
    if reason in CHANGE_REASONS:
        return CHANGE_REASONS[reason]
    return reason or entry.get_history_type_display()


@register.filter
def page_url(listing, number) -> str:
    """The link to page `number` of a `web.paging.Listing`, its other parameters kept."""
    return listing.url(number)
