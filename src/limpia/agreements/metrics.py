"""Plan indicators computed from operational data ("plan goals that track themselves"): the
agreements (signed, companies and facilities adhered and certified), regional committees, and
the knowledge centre's published documents.

Each metric turns the agreements' rows into dated observations that the progress method reads
exactly as it reads approved measurements: for an `increment` indicator, the number of new
companies (or facilities, agreements, ...) on each date; for a `level` indicator, the running
total on each date. Nothing is stored: the values follow the data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.db.models import Count

from limpia.agreements.models import Adhesion, Agreement, Certificate, RegionalCommittee
from limpia.core.models import Subdivision
from limpia.progress import Observation

SME = ("micro", "pequeña", "mediana")


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _matches(params: dict, facility) -> bool:
    return _matches_company(
        params, company=facility.company, subdivision_id=facility.subdivision_id
    )


def _matches_company(params: dict, *, company, subdivision_id: str | None) -> bool:
    sizes = params.get("sizes")
    if sizes and company.size not in sizes:
        return False
    country = params.get("country")
    if country and company.country_id != country:
        return False
    sector = params.get("sector")
    if sector and not (company.sector.code if company.sector_id else "").startswith(str(sector)):
        return False
    subdivision = params.get("subdivision")
    return not subdivision or subdivision_id == subdivision


def _series(events: list[dt.date], measure: str, since: dt.date | None) -> list[Observation]:
    """Dated counts as observations: per-date increments, or running totals for a level."""
    counts = Counter(day for day in events if since is None or day >= since)
    observations, total = [], 0
    for day in sorted(counts):
        total += counts[day]
        value = counts[day] if measure == "increment" else total
        observations.append(Observation(date=day, value=Decimal(value)))
    return observations


def _first_dates(rows, key) -> list[dt.date]:
    first: dict = {}
    for subject, day in rows:
        k = key(subject)
        if k not in first or day < first[k]:
            first[k] = day
    return list(first.values())


class MetricData:
    """The rows every metric needs, read once (one query per kind of data) for a whole page."""

    def __init__(self, metrics: set[str]):
        self.adhesions = []
        self.certificates = []
        self.agreements = []
        self.committees = []
        self.documents = []
        if "documents_published" in metrics:
            from limpia.knowledge.metrics import published_documents

            self.documents = published_documents()
        if metrics & {"companies_adhered", "facilities_adhered"}:
            self.adhesions = list(
                Adhesion.objects.filter(withdrawn_on__isnull=True).select_related(
                    "facility__company__sector", "agreement"
                )
            )
        if metrics & {"companies_certified", "facilities_certified"}:
            self.certificates = list(
                Certificate.objects.filter(revoked_on__isnull=True).select_related(
                    "facility__company__sector"
                )
            )
        if "agreements_signed" in metrics:
            self.agreements = list(
                Agreement.objects.filter(signing_date__isnull=False).exclude(stage="cancelled")
            )
        if "regions_with_committee" in metrics:
            self.committees = list(RegionalCommittee.objects.all())
            self.regions = dict(
                Subdivision.objects.filter(parent__isnull=True)
                .values("country_id")
                .annotate(n=Count("code"))
                .values_list("country_id", "n")
            )

    @property
    def sample_metrics(self) -> frozenset[str]:
        """The metrics whose rows include sample data (the pages flag them)."""
        flagged = set()
        if any(a.agreement.is_sample or a.facility.company.is_sample for a in self.adhesions):
            flagged |= {"companies_adhered", "facilities_adhered"}
        if any(c.is_sample for c in self.certificates):
            flagged |= {"companies_certified", "facilities_certified"}
        if any(a.is_sample for a in self.agreements):
            flagged.add("agreements_signed")
        if any(c.is_sample for c in self.committees):
            flagged.add("regions_with_committee")
        if any(d.is_sample for d in self.documents):
            flagged.add("documents_published")
        return frozenset(flagged)

    def observations(self, metric: str, params: dict, measure: str) -> list[Observation]:
        since = _date(params.get("since"))
        if metric in ("companies_adhered", "facilities_adhered"):
            rows = [
                (a.facility, a.adhered_on) for a in self.adhesions if _matches(params, a.facility)
            ]
            key = (lambda f: f.company_id) if metric == "companies_adhered" else (lambda f: f.pk)
            return _series(_first_dates(rows, key), measure, since)
        if metric in ("companies_certified", "facilities_certified"):
            rows = [
                (c.facility, c.issued_on) for c in self.certificates if _matches(params, c.facility)
            ]
            key = (lambda f: f.company_id) if metric == "companies_certified" else (lambda f: f.pk)
            return _series(_first_dates(rows, key), measure, since)
        if metric == "agreements_signed":
            country = params.get("country")
            days = [
                a.signing_date for a in self.agreements if not country or a.country_id == country
            ]
            return _series(days, measure, since)
        if metric == "regions_with_committee":
            return self._regions(params)
        if metric == "documents_published":
            from limpia.knowledge.metrics import matches

            days = [d.published_on for d in self.documents if matches(d, params)]
            return _series(days, measure, since)
        raise ValueError(f"unknown metric {metric!r}")

    def _regions(self, params: dict) -> list[Observation]:
        """The share (%) of the country's first-level subdivisions with an active committee,
        at every date on which it changes."""
        country = params.get("country")
        total = self.regions.get(country, 0)
        if not total:
            return []
        committees = [c for c in self.committees if c.subdivision_id.startswith(f"{country}-")]
        changes = sorted(
            {c.active_from for c in committees}
            | {c.active_until + dt.timedelta(days=1) for c in committees if c.active_until}
        )
        observations = []
        for day in changes:
            active = {
                c.subdivision_id
                for c in committees
                if c.active_from <= day and (c.active_until is None or day <= c.active_until)
            }
            share = Decimal(len(active) * 100) / Decimal(total)
            observations.append(Observation(date=day, value=share.quantize(Decimal("0.01"))))
        return observations
