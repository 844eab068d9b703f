"""Plan indicators computed from operational data ("plan goals that track themselves"): the
agreements (signed, companies and facilities adhered and certified), the knowledge centre's
published documents, and the network's bodies, meetings and commitments (network.metrics).

Each metric turns the agreements' rows into dated observations that the progress method reads
exactly as it reads approved measurements: for an `increment` indicator, the number of new
companies (or facilities, agreements, ...) on each date; for a `level` indicator, the running
total on each date. Nothing is stored: the values follow the data.

The counting is done by the database. A series is a queryset of one row per counted subject
with its date (a company's first adhesion, an agreement's signing date); `core.sql.counts_by_date`
groups every series a page needs by date in one query, so what reaches Python is one row per
date, never one per company or facility. Regional committees and commitments are few and are
read as rows (network.metrics).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from functools import cached_property

from django.db.models import F, Min, Q

from limpia.agreements.models import Adhesion, Agreement, Certificate
from limpia.core.sql import counts_by_date, exists_many
from limpia.progress import Observation

SME = ("micro", "pequeña", "mediana")
COUNTED = frozenset(
    {
        "companies_adhered",
        "facilities_adhered",
        "companies_certified",
        "facilities_certified",
        "agreements_signed",
        "documents_published",
        "bodies_established",
        "meetings_held",
    }
)


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def facility_filter(params: dict, through: str = "facility__") -> Q:
    """The facilities a metric's parameters select (size of the company, its country, an ISIC
    code prefix of its sector, the facility's first-level subdivision), as a filter on a model
    that reaches the facility through `through`."""
    q = Q()
    if params.get("sizes"):
        q &= Q(**{f"{through}company__size__in": list(params["sizes"])})
    if params.get("country"):
        q &= Q(**{f"{through}company__country_id": params["country"]})
    if params.get("sector"):
        q &= Q(**{f"{through}company__sector__code__startswith": str(params["sector"])})
    if params.get("subdivision"):
        q &= Q(**{f"{through}subdivision_id": params["subdivision"]})
    return q


def _first_dates(queryset, subject: str, day: str):
    """One row per subject (a company, a facility) with its earliest date."""
    return queryset.values(subject).annotate(day_on=Min(day))


def series_queryset(metric: str, params: dict):
    """The rows a counted metric counts, one per subject, each with its date as `day_on`."""
    if metric in ("companies_adhered", "facilities_adhered"):
        rows = Adhesion.objects.filter(withdrawn_on__isnull=True).filter(facility_filter(params))
        subject = "facility__company_id" if metric == "companies_adhered" else "facility_id"
        return _first_dates(rows, subject, "adhered_on")
    if metric in ("companies_certified", "facilities_certified"):
        rows = Certificate.objects.filter(revoked_on__isnull=True).filter(facility_filter(params))
        subject = "facility__company_id" if metric == "companies_certified" else "facility_id"
        return _first_dates(rows, subject, "issued_on")
    if metric == "agreements_signed":
        rows = Agreement.objects.filter(signing_date__isnull=False).exclude(stage="cancelled")
        if params.get("country"):
            rows = rows.filter(country_id=params["country"])
        return rows.values(day_on=F("signing_date"))
    if metric == "documents_published":
        from limpia.knowledge.metrics import published_matching

        return published_matching(params).values(day_on=F("published_on"))
    if metric in ("bodies_established", "meetings_held"):
        from limpia.network import metrics as network

        return network.series_queryset(metric, params)
    raise ValueError(f"unknown metric {metric!r}")


def _series(counts: Iterable[tuple], measure: str, since: dt.date | None) -> list[Observation]:
    """Counts per date as observations: per-date increments, or running totals for a level."""
    by_day: dict[dt.date, int] = {}
    for day, n in counts:
        day = _date(day)
        if since is None or day >= since:
            by_day[day] = by_day.get(day, 0) + n
    observations, total = [], 0
    for day in sorted(by_day):
        total += by_day[day]
        value = by_day[day] if measure == "increment" else total
        observations.append(Observation(date=day, value=Decimal(value)))
    return observations


def _key(metric: str, params: dict) -> tuple[str, str]:
    return metric, json.dumps(params or {}, sort_keys=True, default=str)


class MetricData:
    """The computed indicators of a page, read in a fixed number of queries: every counted
    series in one query, whether sample data is involved in one more, regional committees and
    commitments in two or three; the number of indicators does not change it."""

    def __init__(self, requests: Iterable[tuple[str, dict]]):
        self.requests = {
            _key(metric, params): (metric, params or {}) for metric, params in requests
        }
        self.metrics = {metric for metric, _ in self.requests.values()}
        self._counts: dict[tuple[str, str], list[tuple]] = {}
        self._read_counts([key for key in self.requests if key[0] in COUNTED])
        from limpia.network import metrics as network

        row_metrics = self.metrics & network.FROM_ROWS
        self.rows = network.RowData(row_metrics) if row_metrics else None

    @classmethod
    def for_indicators(cls, indicators: Iterable) -> MetricData | None:
        """The data for the computed indicators among `indicators`; None when there are none."""
        requests = [(i.metric, i.metric_params) for i in indicators if i.metric]
        return cls(requests) if requests else None

    def _read_counts(self, keys: list[tuple[str, str]]) -> None:
        series = [(series_queryset(*self.requests[key]), "day_on") for key in keys]
        for key, counts in zip(keys, counts_by_date(series), strict=True):
            self._counts[key] = counts

    @cached_property
    def sample_metrics(self) -> frozenset[str]:
        """The metrics whose rows include sample data (the pages flag them)."""
        checks = {}
        if self.metrics & {"companies_adhered", "facilities_adhered"}:
            checks["adhered"] = Adhesion.objects.filter(withdrawn_on__isnull=True).filter(
                Q(agreement__is_sample=True) | Q(facility__company__is_sample=True)
            )
        if self.metrics & {"companies_certified", "facilities_certified"}:
            checks["certified"] = Certificate.objects.filter(
                revoked_on__isnull=True, is_sample=True
            )
        if "agreements_signed" in self.metrics:
            checks["agreements_signed"] = Agreement.objects.filter(
                signing_date__isnull=False, is_sample=True
            ).exclude(stage="cancelled")
        from limpia.network import metrics as network

        for metric in self.metrics & network.METRICS:
            checks[metric] = network.sample_check(metric)
        if "documents_published" in self.metrics:
            from limpia.knowledge.metrics import published_matching

            checks["documents_published"] = published_matching({}).filter(is_sample=True)
        found = exists_many(checks)
        flagged = set(found - {"adhered", "certified"})
        if "adhered" in found:
            flagged |= {"companies_adhered", "facilities_adhered"}
        if "certified" in found:
            flagged |= {"companies_certified", "facilities_certified"}
        return frozenset(flagged)

    def observations(self, metric: str, params: dict, measure: str) -> list[Observation]:
        params = params or {}
        from limpia.network.metrics import FROM_ROWS

        if metric in FROM_ROWS:
            if self.rows is None:
                raise ValueError(f"{metric!r} was not read for this page")
            return self.rows.observations(metric, params)
        key = _key(metric, params)
        if key not in self._counts:  # an indicator the page did not announce: one more query
            if metric not in COUNTED:
                raise ValueError(f"unknown metric {metric!r}")
            self.requests[key] = (metric, params)
            self._read_counts([key])
        return _series(self._counts[key], measure, _date(params.get("since")))
