"""Sample regional committees for the demo (marked as sample data): Chile's regional clean
production committees with meetings, so that the "regions with a committee" and "operating
regularly" indicators have something to show."""

from __future__ import annotations

import datetime as dt

from django.utils.text import slugify

from limpia.network.models import Body, BodyKind, Meeting, MeetingKind, Scope
from limpia.schedule.method import add_months

LAST_YEAR = 2010


def create_regional_committees(regions) -> list[Body]:
    """A committee for each of `regions` (first-level subdivisions), from 2005 for the first
    five and later for the others; committees meet in March and September, the last three
    stop meeting after 2008."""
    bodies = []
    for index, region in enumerate(regions):
        start = dt.date(2005, 6, 1) if index < 5 else dt.date(2006 + index % 5, 3, 1)
        body = Body.objects.create(
            key=slugify(f"ejemplo-comite-regional-{region.code}")[:80],
            name=f"Comité Regional de Producción Limpia {region.name}",
            kind=BodyKind.REGIONAL_COMMITTEE,
            scope=Scope.SUBDIVISION,
            country_id=region.country_id,
            subdivision=region,
            founded_on=start,
            active_from=start,
            is_sample=True,
            note="Datos de ejemplo.",
        )
        stops = LAST_YEAR if index < len(regions) - 3 else 2008
        meetings, day, number = [], add_months(start, 3), 1
        while day.year <= stops:
            meetings.append(
                Meeting(
                    body=body,
                    number=number,
                    name=f"Sesión {number}",
                    kind=MeetingKind.ORDINARY,
                    starts_on=day,
                    ends_on=day,
                    place=region.name,
                    country_id=region.country_id,
                    is_sample=True,
                )
            )
            day, number = add_months(day, 6), number + 1
        Meeting.objects.bulk_create(meetings)
        bodies.append(body)
    return bodies
