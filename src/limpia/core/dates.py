import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _

from limpia.core.errors import DomainError

EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_as_of(value: str | None) -> dt.date:
    """The `as_of` query parameter: an ISO date, default today."""
    if not value:
        return timezone.localdate()
    try:
        if not ISO_DATE.fullmatch(value.strip()):
            raise ValueError(value)
        parsed = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(
            _("as_of must be a date as YYYY-MM-DD, not %(value)r.") % {"value": value[:40]},
            field="as_of",
        ) from None
    if not EARLIEST <= parsed <= LATEST:
        raise DomainError(_("as_of is out of range (1900–2200)."), field="as_of")
    return parsed
