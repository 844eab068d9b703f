from django.utils.translation import gettext as _

from limpia.core.errors import DomainError
from limpia.core.models import Country, Subregion

REGION_KEY = "LAC"


def resolve_jurisdiction(value: str) -> dict:
    """`{"country": ..., "subregion": ...}` for an ISO country code, a subregion key or LAC."""
    value = (value or "").strip()
    if value == REGION_KEY:
        return {"country": None, "subregion": None}
    country = Country.objects.filter(code=value.upper()).first() if len(value) == 2 else None
    if country is not None:
        return {"country": country, "subregion": None}
    subregion = Subregion.objects.filter(key=value).first()
    if subregion is not None:
        return {"country": None, "subregion": subregion}
    raise DomainError(
        _("%(value)r is not an ISO country code, a subregion key or LAC.") % {"value": value[:20]},
        field="jurisdiction",
    )
