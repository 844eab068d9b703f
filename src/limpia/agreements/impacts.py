"""Impact aggregates of an agreement: totals per metric and year, and intensities per unit of
production, in one query."""

from collections import defaultdict
from decimal import Decimal

from limpia.agreements.models import Agreement, Impact
from limpia.core.units import intensity


def aggregate(agreement: Agreement, *, by: str = "year") -> list[dict]:
    """Rows of {year, metric, unit, total, facilities, per_unit_of_production}.

    Intensity divides the metric's total by the production total of the same facilities and
    year (only facilities that reported both count), so mixing facilities that did not report
    production does not distort it.
    """
    impacts = Impact.objects.filter(agreement=agreement).select_related("facility__subdivision")
    values = defaultdict(dict)  # (year, metric, unit) → facility → value
    production = defaultdict(dict)  # year → facility → (value, unit)
    for impact in impacts:
        if impact.metric == "production":
            production[impact.year][impact.facility_id] = (impact.value, impact.unit)
        values[(impact.year, impact.metric, impact.unit)][impact.facility_id] = impact.value
    rows = []
    for (year, metric, unit), by_facility in sorted(values.items()):
        total = sum(by_facility.values(), Decimal(0))
        per_unit = None
        produced = production.get(year, {})
        shared = [f for f in by_facility if f in produced]
        units = {produced[f][1] for f in shared}
        if metric != "production" and shared and len(units) == 1:
            per_unit = intensity(
                sum((by_facility[f] for f in shared), Decimal(0)),
                sum((produced[f][0] for f in shared), Decimal(0)),
            )
        rows.append(
            {
                "year": year,
                "metric": metric,
                "unit": unit,
                "total": total,
                "facilities": len(by_facility),
                "per_unit_of_production": per_unit,
                "production_unit": units.pop() if per_unit is not None else None,
            }
        )
    return rows
