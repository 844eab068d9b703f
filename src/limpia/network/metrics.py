"""Plan indicators computed from the network's records (see agreements.metrics, which reads
them for a page with the other computed indicators).

- ``regions_with_committee``: the share (%) of a country's first-level subdivisions with an
  established regional committee (active dates cover the day), or another body of `kind`
  (a regional executive secretariat: Chile's 3.7.ii). Chile's META-c, "todas las regiones
  organizadas".
- ``regions_operating``: the same share counting only committees *operating regularly*: one of
  their held meetings falls in the twelve months up to the day (limpia.schedule). Chile's 3.1.ii
  "Comités Regionales ... operando regularmente".
- ``bodies_established`` (counted series): bodies by their founding date, filtered by `kind`,
  `country` or `key`; Panamá's 1.1.1 and 1.1.2 (the Secretaría and the mesa exist).
- ``meetings_held`` (counted series): held meetings by their first day, of a body (`body`: its
  key) and of some `kinds`; with measure `increment` an indicator counts meetings per period.
- ``commitments_on_time``: the share (%) of the commitments due by each due date that were done
  by it, for a body (`body`) or all; reported one-off commitments only (those met by meetings
  have their own periods).

Regional committees and commitments are few (a country has tens of regions, a body tens of
commitments): their rows are read in two queries and the pure module counts them; the counted
series are grouped by date in the database with the agreements' series.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q

from limpia.core.models import Subdivision
from limpia.network.models import (
    Body,
    BodyKind,
    BodyStatus,
    Commitment,
    CommitmentStatus,
    Meeting,
    Rule,
    Scope,
)
from limpia.progress import Observation
from limpia.schedule.method import activity_changes, clip, operating_interval

COUNTED = frozenset({"bodies_established", "meetings_held"})
FROM_ROWS = frozenset({"regions_with_committee", "regions_operating", "commitments_on_time"})
METRICS = COUNTED | FROM_ROWS


def series_queryset(metric: str, params: dict):
    """The rows a counted network metric counts, one per subject with its date as `day_on`."""
    if metric == "bodies_established":
        rows = Body.objects.filter(founded_on__isnull=False).exclude(status=BodyStatus.PROPOSED)
        if params.get("kind"):
            rows = rows.filter(kind=params["kind"])
        if params.get("country"):
            rows = rows.filter(country_id=params["country"])
        if params.get("key"):
            rows = rows.filter(key=params["key"])
        return rows.values(day_on=F("founded_on"))
    if metric == "meetings_held":
        rows = Meeting.objects.held()
        if params.get("body"):
            rows = rows.filter(body__key=params["body"])
        if params.get("kinds"):
            rows = rows.filter(kind__in=list(params["kinds"]))
        if params.get("country"):
            rows = rows.filter(body__country_id=params["country"])
        return rows.values(day_on=F("starts_on"))
    raise ValueError(f"unknown metric {metric!r}")


def sample_check(metric: str):
    """The rows whose existence flags an indicator as computed from sample data."""
    if metric in ("regions_with_committee", "regions_operating", "bodies_established"):
        return Body.objects.filter(is_sample=True)
    if metric == "meetings_held":
        return Meeting.objects.filter(is_sample=True)
    return Commitment.objects.filter(is_sample=True)


class RowData:
    """The rows the row-computed metrics of a page need, read once (two or three queries)."""

    def __init__(self, metrics: set[str]):
        self.metrics = metrics
        if metrics & {"regions_with_committee", "regions_operating"}:
            self.committees = list(
                Body.objects.filter(scope=Scope.SUBDIVISION)
                .exclude(status=BodyStatus.PROPOSED)
                .values("id", "kind", "subdivision_id", "active_from", "founded_on", "active_until")
            )
            self.regions = dict(
                Subdivision.objects.filter(parent__isnull=True)
                .values("country_id")
                .annotate(n=Count("code"))
                .values_list("country_id", "n")
            )
            self.meetings: dict[int, list[dt.date]] = defaultdict(list)
            if "regions_operating" in metrics:
                rows = Meeting.objects.held().filter(body__scope=Scope.SUBDIVISION)
                for body_id, day in rows.values_list("body_id", "starts_on"):
                    self.meetings[body_id].append(day)

    def observations(self, metric: str, params: dict) -> list[Observation]:
        if metric not in self.metrics:
            raise ValueError(f"{metric!r} was not read for this page")
        if metric == "commitments_on_time":
            return on_time(params)
        return self._regions(params, operating=metric == "regions_operating")

    def _regions(self, params: dict, *, operating: bool) -> list[Observation]:
        country = params.get("country")
        kind = params.get("kind") or BodyKind.REGIONAL_COMMITTEE
        total = self.regions.get(country, 0)
        if not total:
            return []
        spans = defaultdict(list)
        for c in self.committees:
            if c["kind"] != kind or not (c["subdivision_id"] or "").startswith(f"{country}-"):
                continue
            start = c["active_from"] or c["founded_on"]
            if start is None:
                continue
            established = (start, c["active_until"])
            if operating:
                intervals = [operating_interval(day) for day in self.meetings.get(c["id"], [])]
                spans[c["subdivision_id"]].extend(clip(intervals, established))
            else:
                spans[c["subdivision_id"]].append(established)
        return [
            Observation(
                date=day, value=(Decimal(n * 100) / Decimal(total)).quantize(Decimal("0.01"))
            )
            for day, n in activity_changes(spans)
        ]


def on_time(params: dict) -> list[Observation]:
    """At each due date, the share (%) of the commitments due by then that were done by their
    due date: one row per due date, counted in the database."""
    rows = Commitment.objects.filter(rule=Rule.REPORTED, due_on__isnull=False).exclude(
        status=CommitmentStatus.CANCELLED
    )
    if params.get("body"):
        rows = rows.filter(body__key=params["body"])
    grouped = (
        rows.values("due_on")
        .annotate(
            n=Count("id"),
            done=Count("id", filter=Q(status=CommitmentStatus.DONE, done_on__lte=F("due_on"))),
        )
        .order_by("due_on")
    )
    observations, due, done = [], 0, 0
    for row in grouped:
        due, done = due + row["n"], done + row["done"]
        share = (Decimal(done * 100) / Decimal(due)).quantize(Decimal("0.01"))
        observations.append(Observation(date=row["due_on"], value=share))
    return observations
