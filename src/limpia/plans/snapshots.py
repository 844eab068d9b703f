"""Stored progress rollups: a plan's and each node's rollup on today, kept while nothing
they depend on has changed.

The rollups of a plan of 20,000 indicators take seconds to compute (every approved measurement
read, every indicator's progress taken). The home page needs only each plan's rollup and a
large plan's page its first levels' rollups, so they are stored per plan for today
(`PlanRollup`) with the **data revision** they were computed at, and reused while it is the
current one.

The data revision is the sum of the latest history id of every tracked model (one `MAX` per
history table, read through its primary key: one query; each table has its own sequence, so
their sum, not their maximum, moves with a write to any of them). Every write Limpia makes, by
a service or a bulk path, records a history row, so any change to a plan, its indicators,
targets and measurements, or to the agreements and documents that computed indicators count,
moves the revision, and the next read recomputes: stored rollups cannot drift from the data.
Only the synthetic data's removal deletes history rows; it deletes the stored rollups too.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.apps import apps
from django.db import connections, router, transaction
from django.utils import timezone

from limpia.plans.models import Plan, PlanRollup
from limpia.progress import method


def data_revision() -> int:
    """The sum of every history table's latest id, in one query: each table's ids only grow,
    so the sum moves with any write to any tracked model. Read where the request's reads go
    (a public read may go to the replica: its revision then matches the data it reads)."""
    alias = router.db_for_read(Plan)
    with connections[alias].cursor() as cursor:
        cursor.execute(_revision_sql(alias))
        return cursor.fetchone()[0] or 0


@functools.cache
def _revision_sql(alias: str) -> str:
    """The revision's query, written once per database (every public read asks it)."""
    quote = connections[alias].ops.quote_name
    tables = sorted(
        model.history.model._meta.db_table
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None) == "history"
    )
    parts = " UNION ALL ".join(
        f"SELECT MAX({quote('history_id')}) AS m FROM {quote(table)}" for table in tables
    )
    return f"SELECT SUM(m) FROM ({parts}) revisions_"


def encode(rollup: method.Rollup) -> list:
    return [
        None if rollup.progress is None else str(rollup.progress),
        None if rollup.coverage is None else str(rollup.coverage),
        rollup.indicators_total,
        rollup.indicators_with_data,
        dict(rollup.status_counts),
    ]


def decode(row: list) -> method.Rollup:
    progress, coverage, total, with_data, counts = row
    return method.Rollup(
        progress=None if progress is None else Decimal(progress),
        coverage=None if coverage is None else Decimal(coverage),
        indicators_total=total,
        indicators_with_data=with_data,
        status_counts=counts,
    )


@dataclass(frozen=True)
class StoredRollups:
    """A plan's rollups on a day: the plan's, each node's by id, and whether any indicator's
    data include sample data."""

    rollup: method.Rollup
    nodes: dict[int, method.Rollup]
    includes_sample_data: bool
    computed_at: object
    revision: int


# Above this many indicators in all, a summary of many plans (the home page) may show the
# rollups stored earlier today while the job worker computes them at the new revision
# (`refresh_later`): at S10 computing 500 plans' rollups takes 10 s, after every write.
STALE_ABOVE_INDICATORS = 5000


@dataclass(frozen=True)
class Summary:
    """The rollups of many plans for a summary page, and how current they are."""

    rollups: dict[int, StoredRollups]
    oldest: StoredRollups | None  # the earliest computed, when some were computed earlier
    refreshing: bool  # some are from an earlier revision: the job worker computes them anew


def summary_rollups(plans: list[Plan], *, as_of: date) -> Summary:
    """`rollups_of` for the home page: the plans' rollups, with those stored earlier today
    taken as they are while the job worker computes them again, when the plans are large."""
    rollups, revision = _rollups(plans, as_of=as_of, may_refresh_later=True)
    oldest = min(rollups.values(), key=lambda r: r.computed_at, default=None)
    return Summary(
        rollups=rollups,
        oldest=oldest,
        refreshing=any(r.revision != revision for r in rollups.values()),
    )


def rollups_of(plans: list[Plan], *, as_of: date) -> dict[int, StoredRollups]:
    """Each plan's rollups on `as_of`. On today they come from the stored rows computed at the
    current data revision (two queries), and the plans without one are computed now
    (`plans.progress.plan_trees`) and stored; on another day they are computed."""
    return _rollups(plans, as_of=as_of)[0]


def _rollups(
    plans: list[Plan], *, as_of: date, may_refresh_later: bool = False
) -> tuple[dict[int, StoredRollups], int]:
    """`rollups_of`, and the revision read. `may_refresh_later`: when the plans hold more
    than STALE_ABOVE_INDICATORS indicators (as the rows stored today count them), the rows
    stored earlier today are returned as they are, each with its revision and time, and the
    job worker is asked to compute them at the current revision (`refresh_later`, once per
    revision)."""
    from limpia.plans.progress import plan_trees

    today = as_of == timezone.localdate()
    revision = data_revision()
    found: dict[int, StoredRollups] = {}
    if today:
        rows = PlanRollup.objects.filter(plan__in=plans, as_of=as_of)
        if not may_refresh_later:
            rows = rows.filter(revision=revision)
        stored = {row.plan_id: row for row in rows}
        total = sum(row.rollups["plan"][2] for row in stored.values())  # indicators_total
        for plan_id, row in stored.items():
            if row.revision == revision or total > STALE_ABOVE_INDICATORS:
                found[plan_id] = _stored(row.rollups, row.computed_at, row.revision)
        if any(rollups.revision != revision for rollups in found.values()):
            refresh_later(revision)
    missing = [plan for plan in plans if plan.pk not in found]
    if not missing:
        return found, revision
    now = timezone.now()
    fresh = []
    for batch in _batches(missing):
        started = time.monotonic()
        trees = plan_trees(batch, as_of=as_of)
        seconds = (time.monotonic() - started) / len(batch)
        for plan in batch:
            tree = trees.pop(plan.pk)
            rollups = {
                "plan": encode(tree.rollup),
                "nodes": {str(n.node.pk): encode(n.rollup) for n in tree.walk()},
                "sample": tree.includes_sample_data,
            }
            found[plan.pk] = _stored(rollups, now, revision)
            fresh.append(
                PlanRollup(
                    plan=plan,
                    as_of=as_of,
                    revision=revision,
                    computed_at=now,
                    seconds=seconds,
                    rollups=rollups,
                )
            )
        del trees  # the batch's rows and trees go before the next batch is read
    if today:
        _store(fresh)
    return found, revision


# Plans are computed together up to this many indicators: one batch's queries read them all,
# and memory holds one batch's indicators and measurements at a time (at S10 the home page's
# 500 plans and 50,000 indicators in one batch took 3.2 GB).
BATCH_INDICATORS = 2000


def _batches(plans: list[Plan]) -> list[list[Plan]]:
    """`plans` in batches of at most BATCH_INDICATORS indicators (a larger plan alone), in
    one query for the counts: a few plans, one batch and the same queries as before."""
    from django.db.models import Count

    from limpia.plans.models import Indicator

    counts = dict(
        Indicator.objects.filter(plan__in=plans)
        .values("plan")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("plan", "n")
    )
    batches, batch, size = [], [], 0
    for plan in plans:
        n = counts.get(plan.pk, 0)
        if batch and size + n > BATCH_INDICATORS:
            batches.append(batch)
            batch, size = [], 0
        batch.append(plan)
        size += n
    if batch:
        batches.append(batch)
    return batches


def _stored(rollups: dict, computed_at, revision: int) -> StoredRollups:
    return StoredRollups(
        rollup=decode(rollups["plan"]),
        nodes={int(pk): decode(row) for pk, row in rollups["nodes"].items()},
        includes_sample_data=rollups["sample"],
        computed_at=computed_at,
        revision=revision,
    )


def _store(fresh: list[PlanRollup]) -> None:
    """Replace the plans' stored rollups (two queries whatever their number); a request that
    stored them meanwhile wins, its rollups being as current."""
    with transaction.atomic():
        PlanRollup.objects.filter(plan__in=[row.plan for row in fresh]).delete()
        PlanRollup.objects.bulk_create(fresh, ignore_conflicts=True)


def refresh_later(revision: int) -> bool:
    """Ask the job worker to compute every plan's rollups at `revision`, once per revision
    (the cache remembers it was asked; a job that finds the data moved on computes them at the
    revision it finds). Whether it was asked now."""
    from django.core.cache import cache

    if not cache.add(f"limpia:rollups-refresh:{revision}", True, 60 * 60):
        return False
    from limpia.plans.tasks import refresh_rollups

    transaction.on_commit(refresh_rollups.enqueue)
    return True


def refresh() -> int:
    """Compute and store today's rollups of every plan not stored at the current revision
    (the job's side); how many plans it computed."""
    started = timezone.now()
    rollups = rollups_of(list(Plan.objects.for_listing()), as_of=timezone.localdate())
    return sum(1 for stored in rollups.values() if stored.computed_at >= started)
