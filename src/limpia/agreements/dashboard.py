"""The national APL dashboard: the programme's figures on a date, computed in the database.

Agreements by stage, companies and facilities adhered and certified, the compliance of the
audited facilities (a distribution and an exact mean), each by sector (ISIC division), region
(the facility's first-level subdivision) and company size, and the programme over time (per
year). Every figure is a GROUP BY; the number of queries does not depend on the number of
agreements, facilities or audit items (docs/architecture.md, "How reads are computed").

`as_of` reads the programme as it stood at the end of that day: adhesions made and not yet
withdrawn, certificates issued, in force and not revoked, each facility's latest final audit
dated on or before it, re-verifications likewise; an agreement's stage is the last stage it
entered by then (agreements whose history records no stage change count in their current
stage, from their signing date; those signed later, or whose history starts later, are left
out).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Substr

from limpia import compliance
from limpia.agreements import figures, lifecycle
from limpia.agreements.models import (
    Adhesion,
    AuditType,
    Certificate,
    Size,
    Stage,
    StageChange,
)
from limpia.core.models import Sector, Subdivision
from limpia.core.sql import YearOf, distinct_counts_sets

DIMENSIONS = ("sector", "region", "size")
UNKNOWN = ""  # the group of facilities without a sector or a subdivision


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    companies_adhered: int = 0
    facilities_adhered: int = 0
    facilities_certified: int = 0
    compliance: compliance.Distribution | None = None


@dataclass(frozen=True)
class Year:
    year: int
    agreements_signed: int = 0
    facilities_adhered: int = 0
    certificates_issued: int = 0


@dataclass(frozen=True)
class Dashboard:
    as_of: dt.date
    country: str | None
    agreements: int
    by_stage: tuple[tuple[str, str, int], ...]  # (stage, label, agreements)
    companies_adhered: int
    facilities_adhered: int
    companies_certified: int
    facilities_certified: int
    compliance: compliance.Distribution
    by: dict[str, tuple[Group, ...]] = field(default_factory=dict)
    years: tuple[Year, ...] = ()


def _end_of(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _stages(agreements, as_of: dt.date) -> dict[str, int]:
    """Agreements per stage at the end of `as_of` (see the module's docstring)."""
    last = (
        StageChange.objects.filter(agreement=OuterRef("pk"), changed_at__lt=_end_of(as_of))
        .order_by("-changed_at", "-id")
        .values("to_stage")[:1]
    )
    rows = (
        agreements.annotate(recorded=Exists(StageChange.objects.filter(agreement=OuterRef("pk"))))
        .filter(Q(recorded=True) | Q(signing_date__isnull=True) | Q(signing_date__lte=as_of))
        .annotate(stage_then=Subquery(last))
        .values("stage_then", "stage", "recorded")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        stage = row["stage_then"] if row["recorded"] else row["stage"]
        if stage:
            counts[stage] += row["n"]
    return dict(counts)


def _key(dimension: str, path: str):
    """The group of a facility reached by `path` ("facility" from an adhesion)."""
    if dimension == "sector":  # the ISIC division: the first two digits of the class
        return Coalesce(Substr(f"{path}__company__sector__code", 1, 2), Value(UNKNOWN))
    if dimension == "region":  # the first-level subdivision
        return Coalesce(
            f"{path}__subdivision__parent_id", f"{path}__subdivision_id", Value(UNKNOWN)
        )
    return F(f"{path}__company__size")


def _labels(keys: dict[str, set]) -> dict[str, dict[str, str]]:
    sectors = {s.code: str(s) for s in Sector.objects.filter(code__in=keys["sector"])}
    regions = {s.code: s.name for s in Subdivision.objects.filter(code__in=keys["region"])}
    sizes = {value: str(label) for value, label in Size.choices}
    return {"sector": sectors, "region": regions, "size": sizes}


def _distinct_counts(rows) -> dict[str, dict]:
    """Distinct companies and facilities of `rows` (adhesions or certificates) overall and per
    sector, region and size: grouping → key → (companies, facilities), in one query that reads
    the rows once (`core.sql.distinct_counts_sets`)."""
    keys = {f"k_{d}": _key(d, "facility") for d in DIMENSIONS}
    per_row = rows.annotate(
        c_company=F("facility__company_id"), c_facility=F("facility_id"), **keys
    ).values("c_company", "c_facility", *keys)
    groupings = {"all": None, **{d: f"k_{d}" for d in DIMENSIONS}}
    return distinct_counts_sets(per_row.order_by(), groupings, ["c_company", "c_facility"])


def national(agreements, *, as_of: dt.date, country: str | None = None) -> Dashboard:
    """The dashboard of `agreements` (a queryset: those the reader may see) on `as_of`."""
    return board_of(figures_of(agreements, as_of=as_of, country=country))


def figures_of(agreements, *, as_of: dt.date, country: str | None = None) -> dict:
    """The dashboard's figures as JSON-ready data in no language (keys, not labels): what
    `board_of` shows and `DashboardFigures` stores."""
    if country:
        agreements = agreements.filter(country_id=country)
    ids = agreements.order_by().values("pk")
    adhesions = Adhesion.objects.filter(agreement__in=ids, adhered_on__lte=as_of).filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=as_of)
    )
    certificates = Certificate.objects.filter(
        agreement__in=ids, issued_on__lte=as_of, valid_until__gte=as_of
    ).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=as_of))
    adhered_by = _distinct_counts(adhesions)
    certified_by = _distinct_counts(certificates)
    if figures.tallies_hold(as_of):  # today (and any later day): the tallies
        found = figures.distributions_of(
            figures.tallied_distribution_groups(
                ids, {"all": None, **{d: _key(d, "facility") for d in DIMENSIONS}}
            )
        )
    else:  # an earlier day: the items of the audits dated on or before it
        found = figures.distributions(
            figures.latest_audits(ids, AuditType.FINAL, as_of),
            {"all": None, **{d: _key(d, "audit__facility") for d in DIMENSIONS}},
            as_of=as_of,
        )
    by = {}
    for d in DIMENSIONS:
        keys = set(adhered_by[d]) | set(certified_by[d]) | set(found[d])
        by[d] = [
            [
                key,
                *adhered_by[d].get(key, (0, 0)),
                certified_by[d].get(key, (0, 0))[1],
                _encode(found[d].get(key)),
            ]
            for key in sorted(keys, key=lambda k: (k is None, str(k)))
        ]
    return {
        "as_of": as_of.isoformat(),
        "country": country,
        "stages": _stages(agreements, as_of),
        "adhered": list(adhered_by["all"][None]),
        "certified": list(certified_by["all"][None]),
        "compliance": _encode(found["all"].get(None)),
        "by": by,
        "years": [
            [y.year, y.agreements_signed, y.facilities_adhered, y.certificates_issued]
            for y in _years(agreements, as_of)
        ],
    }


def board_of(data: dict) -> Dashboard:
    """`figures_of`'s data as the dashboard, labelled in the active language (two queries)."""
    labels = _labels({d: {row[0] for row in data["by"][d]} for d in DIMENSIONS})
    by = {}
    for d in DIMENSIONS:
        groups = [
            Group(
                key=key,
                label=labels[d].get(key, key) if key != UNKNOWN else "",
                companies_adhered=companies,
                facilities_adhered=facilities,
                facilities_certified=certified,
                compliance=_decode(found),
            )
            for key, companies, facilities, certified, found in data["by"][d]
        ]
        groups.sort(key=lambda g: (-g.facilities_adhered, g.key == UNKNOWN, g.key))
        by[d] = tuple(groups)
    stages = data["stages"]
    return Dashboard(
        as_of=dt.date.fromisoformat(data["as_of"]),
        country=data["country"],
        agreements=sum(stages.values()),
        by_stage=tuple(
            (stage, str(Stage(stage).label), stages.get(stage, 0))
            for stage in [*lifecycle.ORDER, Stage.CANCELLED]
        ),
        companies_adhered=data["adhered"][0],
        facilities_adhered=data["adhered"][1],
        companies_certified=data["certified"][0],
        facilities_certified=data["certified"][1],
        compliance=_decode(data["compliance"]),
        by=by,
        years=tuple(Year(*year) for year in data["years"]),
    )


def _encode(d: compliance.Distribution | None) -> list | None:
    if d is None:
        return None
    mean = None if d.mean is None else [d.mean.numerator, d.mean.denominator]
    return [d.facilities, d.full, d.correction, d.below, d.not_assessable, mean]


def _decode(row: list | None) -> compliance.Distribution:
    if row is None:
        return compliance.distribution([])
    *counts, mean = row
    return compliance.Distribution(*counts, None if mean is None else Fraction(*mean))


def _years(agreements, as_of: dt.date) -> tuple[Year, ...]:
    """Per year up to `as_of`: agreements signed, facilities adhered, certificates issued."""

    def per_year(queryset, date_field):
        return dict(
            queryset.filter(**{f"{date_field}__lte": as_of})
            .annotate(year=YearOf(date_field))
            .values("year")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("year", "n")
        )

    signed = per_year(agreements.exclude(signing_date__isnull=True), "signing_date")
    # a withdrawn adhesion still entered the programme in its year
    entered = per_year(
        Adhesion.objects.filter(agreement__in=agreements.order_by().values("pk")), "adhered_on"
    )
    issued = per_year(
        Certificate.objects.filter(agreement__in=agreements.order_by().values("pk")),
        "issued_on",
    )
    years = sorted(set(signed) | set(entered) | set(issued))
    return tuple(Year(y, signed.get(y, 0), entered.get(y, 0), issued.get(y, 0)) for y in years)


def _exact(value) -> dict | None:
    """A fraction as JSON: rounded for reading, numerator and denominator for checking."""
    if value is None:
        return None
    return {
        "value": round(float(value), 6),
        "numerator": value.numerator,
        "denominator": value.denominator,
    }


def _distribution_json(d: compliance.Distribution | None) -> dict:
    d = d or compliance.distribution([])
    return {
        "facilities": d.facilities,
        "full": d.full,
        "correction": d.correction,
        "below": d.below,
        "not_assessable": d.not_assessable,
        "mean": _exact(d.mean),
    }


def as_json(board: Dashboard) -> dict:
    """The dashboard as the API answers it (docs/api.md)."""
    return {
        "as_of": board.as_of.isoformat(),
        "country": board.country,
        "agreements": {
            "total": board.agreements,
            "by_stage": [
                {"stage": stage, "label": label, "agreements": n}
                for stage, label, n in board.by_stage
            ],
        },
        "adhered": {
            "companies": board.companies_adhered,
            "facilities": board.facilities_adhered,
        },
        "certified": {
            "companies": board.companies_certified,
            "facilities": board.facilities_certified,
        },
        "compliance": _distribution_json(board.compliance),
        **{
            f"by_{dimension}": [
                {
                    "key": g.key,
                    "label": g.label,
                    "companies_adhered": g.companies_adhered,
                    "facilities_adhered": g.facilities_adhered,
                    "facilities_certified": g.facilities_certified,
                    "compliance": _distribution_json(g.compliance),
                }
                for g in groups
            ]
            for dimension, groups in board.by.items()
        },
        "by_year": [
            {
                "year": y.year,
                "agreements_signed": y.agreements_signed,
                "facilities_adhered": y.facilities_adhered,
                "certificates_issued": y.certificates_issued,
            }
            for y in board.years
        ],
    }


# Stored figures ---------------------------------------------------------------------------
# At S10 the figures take 1.2 s on PostgreSQL and 2.3 s on SQLite to compute (160,000
# adhesions and 126,000 tallies grouped four ways). Today's figures for the two audiences that
# see the same agreements whoever they are (the public; administrators, who see them all) are
# stored per country with the data revision they were computed at (`DashboardFigures`) and
# reused while it is the current one, as plans' rollups are (plans.snapshots). When the
# programme is large, the figures stored earlier today are shown after a write, saying when
# they were computed, while the job worker computes them at the new revision.

STALE_ABOVE_FACILITIES = 20_000  # adhered facilities (as the stored figures count them)
PUBLIC, ALL = "public", "all"


@dataclass(frozen=True)
class Current:
    """The dashboard a reader sees, and how current it is."""

    board: Dashboard
    computed_at: dt.datetime | None  # None: computed for this reader, not stored
    refreshing: bool  # from an earlier revision: the job worker computes them anew


def audience_of(user) -> str | None:
    """The stored figures `user` may see: ALL for administrators, PUBLIC for anyone who
    sees only the public agreements, None for coordinators (who also see their own drafts:
    their figures are computed for them)."""
    from limpia.access.rules import agreement_ids_coordinated, is_admin

    if is_admin(user):
        return ALL
    return None if agreement_ids_coordinated(user) else PUBLIC


def agreements_of(audience: str):
    from django.contrib.auth.models import AnonymousUser

    from limpia.access.rules import agreements_visible_to
    from limpia.agreements.models import Agreement

    agreements = Agreement.objects.all()
    return agreements if audience == ALL else agreements_visible_to(AnonymousUser(), agreements)


def current(user, *, as_of: dt.date, country: str | None = None) -> Current:
    """The dashboard `user` sees on `as_of`: today's for an audience from the figures stored
    at the current data revision (stored now when there are none), or those stored earlier
    today while the worker recounts a large programme; any other day, or for a coordinator,
    computed now."""
    from django.utils import timezone

    from limpia.access.rules import agreements_visible_to
    from limpia.agreements.models import Agreement, DashboardFigures
    from limpia.plans.snapshots import data_revision

    audience = audience_of(user)
    if audience is None or as_of != timezone.localdate():
        agreements = agreements_visible_to(user, Agreement.objects.all())
        return Current(national(agreements, as_of=as_of, country=country), None, False)
    revision = data_revision()
    row = DashboardFigures.objects.filter(
        audience=audience, country=country or "", as_of=as_of
    ).first()
    if row is not None and (
        row.revision == revision or row.figures["adhered"][1] > STALE_ABOVE_FACILITIES
    ):
        refreshing = row.revision != revision
        if refreshing:
            refresh_later(revision)
        return Current(board_of(row.figures), row.computed_at, refreshing)
    row = _store(audience, country, as_of, revision)
    return Current(board_of(row.figures), row.computed_at, False)


def _store(audience: str, country: str | None, as_of: dt.date, revision: int):
    """Compute the audience's figures and store them in place of any earlier (one query to
    write: a reader that stored them meanwhile is overwritten by figures as current)."""
    import time

    from django.utils import timezone

    from limpia.agreements.models import DashboardFigures

    started = time.monotonic()
    data = figures_of(agreements_of(audience), as_of=as_of, country=country)
    row = DashboardFigures(
        audience=audience,
        country=country or "",
        as_of=as_of,
        revision=revision,
        computed_at=timezone.now(),
        seconds=time.monotonic() - started,
        figures=data,
    )
    DashboardFigures.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["audience", "country", "as_of"],
        update_fields=["revision", "computed_at", "seconds", "figures"],
    )
    return row


def refresh_later(revision: int) -> bool:
    """Ask the job worker to compute the stored figures at `revision`, once per revision;
    whether it was asked now."""
    from django.core.cache import cache
    from django.db import transaction

    if not cache.add(f"limpia:dashboard-refresh:{revision}", True, 60 * 60):
        return False
    from limpia.agreements.tasks import refresh_dashboard

    transaction.on_commit(refresh_dashboard.enqueue)
    return True


def refresh() -> int:
    """Compute again today's stored figures that are not at the current data revision, and
    forget those of earlier days (the job's side); how many it computed."""
    from django.utils import timezone

    from limpia.agreements.models import DashboardFigures
    from limpia.plans.snapshots import data_revision

    today = timezone.localdate()
    DashboardFigures.objects.filter(as_of__lt=today).delete()
    revision = data_revision()
    stale = list(
        DashboardFigures.objects.filter(as_of=today)
        .exclude(revision=revision)
        .values_list("audience", "country")
    )
    for audience, country in stale:
        _store(audience, country or None, today, revision)
    return len(stale)


def current_json(now: Current) -> dict:
    """`as_json`, with when the figures were computed and whether changes are being counted."""
    return {
        **as_json(now.board),
        "computed_at": now.computed_at.isoformat() if now.computed_at else None,
        "counting_changes": now.refreshing,
    }
