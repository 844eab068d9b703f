"""In-process measurements on one generated database: `python -m bench.measure OUT.json`.

Run by bench.run in a process of its own (DJANGO_SETTINGS_MODULE=bench.settings, the database
in LIMPIA_DATA_DIR or DATABASE_URL), so that each database and scale starts from a fresh
interpreter and the RSS figures are its own.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import django

from bench import stats

# Targets of issue 11 (at S10), by read
PUBLIC = {"p95_ms_max": 1000, "rss_mb_max": 500}
TARGETS: dict[str, dict] = {
    "home": PUBLIC,
    "agreements_page": PUBLIC,
    "agreements_api": PUBLIC,
    "plan_page": PUBLIC,
    "agreement_page": PUBLIC,
    "certificates_page": PUBLIC,
    "registry_page": PUBLIC,
    "plans_api": PUBLIC,
    "facilities_api": PUBLIC,
    "certificates_api": PUBLIC,
    "workbench": {"rss_mb_max": 500},
    "compliance_api": {"p95_ms_max": 300, "ratio_max": 3, "rss_mb_max": 500},
    "plan_tree_api": {"ratio_max": 1.5, "rss_mb_max": 500},
    "report_pdf": {"p95_ms_max": 5000, "rss_mb_max": 500},
    "report_annex": {"p95_ms_max": 5000, "rss_mb_max": 500},
    "dashboard_page": PUBLIC,
    "dashboard_api": PUBLIC,
}
IMPORT_TARGET = {"rows_per_s_min": 5000, "share_min": 0.5}


# ---------------------------------------------------------------- process memory


def _status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the process's RSS high-water mark (Linux: /proc/self/clear_refs, 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """The process's RSS high-water mark since the last reset (or since it started)."""
    peak = _status_kb("VmHWM")
    if peak is None:  # not Linux: the peak since the start (kB on Linux, bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":
            peak /= 1024
    return peak / 1024


# ---------------------------------------------------------------- timing


@dataclass
class Timed:
    status: int
    samples_ms: list[float]
    queries: int
    bytes: int
    peak_rss_mb: float
    rss_before_mb: float | None = None
    after_write_ms: list[float] | None = None


def _content_length(response) -> int:
    if getattr(response, "streaming", False):
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def a_recorded_write() -> None:
    """A write as a user's makes it: one organization saved through its model, so that a
    history row is recorded and the data revision moves (plans/snapshots.py). Whatever is kept
    at the revision (stored rollups and reports, kept public answers) is then computed again by
    the next read."""
    from limpia.core.models import Organization

    organization = Organization.objects.order_by("pk").first()
    if organization is None:
        organization = Organization.objects.create(name="Bench")
    organization.save()


def time_request(client, url: str, repeat: int, budget_s: float, after_write: int = 0) -> Timed:
    """One warm-up request (its queries counted, its status checked), then up to `repeat`
    timed ones, stopping early once `budget_s` seconds are spent (at least one); then up to
    `after_write` requests each timed right after a recorded write (`a_recorded_write`,
    untimed): what the first visitor after a change waits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = _status_kb("VmRSS")
    before = before / 1024 if before is not None else None
    reset_peak()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        size = _content_length(response)
    warm_ms = (time.perf_counter() - started) * 1000
    count = len(queries)  # now: the next request resets the connection's query log
    if response.status_code != 200:
        return Timed(response.status_code, [], count, size, peak_rss_mb(), before)
    samples = []
    spent = warm_ms / 1000
    for _ in range(repeat):
        if samples and spent > budget_s:
            break
        _response, elapsed = _timed_get(client, url)
        samples.append(elapsed * 1000)
        spent += elapsed
    after = []
    for _ in range(after_write):
        if after and spent > 2 * budget_s:
            break
        a_recorded_write()
        response, elapsed = _timed_get(client, url)
        spent += elapsed
        if response.status_code != 200:  # e.g. 202: a kept report is being prepared
            break
        after.append(elapsed * 1000)
    return Timed(200, samples, count, size, peak_rss_mb(), before, after or None)


def _timed_get(client, url: str):
    """The response to a GET of `url`, read to its end, and the seconds it took."""
    started = time.perf_counter()
    response = client.get(url)
    _content_length(response)
    return response, time.perf_counter() - started


def time_function(function, repeat: int, budget_s: float) -> tuple[list[float], int]:
    """A floor: one warm-up call (its queries counted), then up to `repeat` timed calls."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        function()
    count = len(queries)
    spent = time.perf_counter() - started
    samples = []
    for _ in range(repeat):
        if samples and spent > budget_s:
            break
        started = time.perf_counter()
        function()
        elapsed = time.perf_counter() - started
        samples.append(elapsed * 1000)
        spent += elapsed
    return samples, count


# ---------------------------------------------------------------- floors


def sql_compliance(agreement_id: int):
    """The largest agreement's final-audit compliance in one GROUP BY (applicable and complying
    items per facility's latest submitted final audit), the mean taken in Python."""
    from fractions import Fraction

    from django.db import connection

    sql = """
        SELECT a.facility_id,
               SUM(CASE WHEN i.applies THEN 1 ELSE 0 END),
               SUM(CASE WHEN i.applies AND i.complies THEN 1 ELSE 0 END)
        FROM agreements_audititem i
        JOIN agreements_audit a ON a.id = i.audit_id
        WHERE a.agreement_id = %s AND a.audit_type = 'final' AND a.status = 'submitted'
          AND NOT EXISTS (
              SELECT 1 FROM agreements_audit b
              WHERE b.agreement_id = a.agreement_id AND b.facility_id = a.facility_id
                AND b.audit_type = 'final' AND b.status = 'submitted'
                AND (b.audit_date > a.audit_date OR (b.audit_date = a.audit_date AND b.id > a.id))
          )
        GROUP BY a.facility_id
    """

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, [agreement_id])
            rows = cursor.fetchall()
        shares = [Fraction(int(c), int(n)) for _f, n, c in rows if n]
        return sum(shares, Fraction(0)) / len(shares) if shares else None

    return run


def plan_tree_floor(plan_id: int):
    """The plan tree's figures from its rows (four queries) and the pure progress module:
    every indicator's progress, rolled up node by node."""
    import datetime as dt
    from collections import defaultdict

    from limpia import progress as method
    from limpia.plans.models import Indicator, Measurement, Node, Plan, Target

    def run():
        plan_start = Plan.objects.values_list("period_start", flat=True).get(pk=plan_id)
        nodes = list(
            Node.objects.filter(plan_id=plan_id)
            .order_by("-depth")
            .values_list("id", "parent_id", "weight")
        )
        targets = defaultdict(list)
        for indicator_id, value, due in Target.objects.filter(
            indicator__plan_id=plan_id, value__isnull=False, due_date__isnull=False
        ).values_list("indicator_id", "value", "due_date"):
            targets[indicator_id].append(method.Target(value=value, due_date=due))
        observations = defaultdict(list)
        for indicator_id, day, value in Measurement.objects.filter(
            indicator__plan_id=plan_id, status="approved"
        ).values_list("indicator_id", "date", "value"):
            observations[indicator_id].append(
                method.Observation(date=day, value=value if value is not None else Decimal(0))
            )
        own = defaultdict(list)
        today = dt.date.today()
        for row in Indicator.objects.filter(plan_id=plan_id).values_list(
            "id",
            "node_id",
            "kind",
            "measure",
            "direction",
            "baseline_value",
            "baseline_date",
            "weight",
        ):
            pk, node_id, kind, measure, direction, baseline, baseline_date, weight = row
            spec = method.IndicatorSpec(
                kind=kind,
                measure=measure,
                direction=direction,
                baseline_value=baseline,
                baseline_date=baseline_date,
                targets=tuple(targets[pk]),
            )
            result = method.indicator_progress(
                spec, observations[pk], as_of=today, plan_start=plan_start
            )
            own[node_id].append((weight, result, kind))
        children = defaultdict(list)
        for pk, parent_id, weight in nodes:  # deepest first: children before parents
            rollup = method.rollup(indicators=own[pk], children=children[pk])
            children[parent_id].append((weight, rollup))
        return method.rollup(indicators=own[None], children=children[None])

    return run


def sql_dashboard():
    """What a national dashboard counts, as GROUP BYs: agreements by stage, facilities adhered
    and certified by region."""
    from django.db import connection

    queries = [
        "SELECT stage, COUNT(*) FROM agreements_agreement GROUP BY stage",
        """SELECT f.subdivision_id, COUNT(DISTINCT d.facility_id), COUNT(DISTINCT c.facility_id)
           FROM agreements_adhesion d JOIN agreements_facility f ON f.id = d.facility_id
           LEFT JOIN agreements_certificate c ON c.facility_id = d.facility_id
           GROUP BY f.subdivision_id""",
    ]

    def run():
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                cursor.fetchall()

    return run


# ---------------------------------------------------------------- the reads


def _subjects() -> dict[str, Any]:
    from django.db.models import Count

    from limpia.agreements.models import Agreement
    from limpia.plans.models import Plan

    agreement = (
        Agreement.objects.annotate(n=Count("adhesions")).order_by("-n", "code").only("slug").first()
    )
    plan = Plan.objects.annotate(n=Count("indicators")).order_by("-n", "slug").first()
    return {"agreement": agreement, "plan": plan}


def _admin():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def measure(repeat: int, budget_s: float, only: set[str] | None, import_rows: int) -> dict:
    from django.test import Client

    subjects = _subjects()
    agreement, plan = subjects["agreement"], subjects["plan"]
    admin = _admin()
    anonymous, logged_in = Client(), Client()
    logged_in.force_login(admin)
    minimal = ("minimal JSON view", "/bench/agreements.json")
    reads = [
        ("home", "home", "/", anonymous, minimal),
        ("agreements_page", "agreements list page", "/agreements/", anonymous, minimal),
        ("agreements_api", "`/api/v1/agreements/`", "/api/v1/agreements/", anonymous, minimal),
        ("workbench", "agreement workbench (administrator)", "/work/", logged_in, minimal),
        (
            "compliance_api",
            f"compliance API, largest agreement ({agreement.slug})",
            f"/api/v1/agreements/{agreement.slug}/compliance/",
            anonymous,
            ("SQL GROUP BY", sql_compliance(agreement.pk)),
        ),
        (
            "plan_tree_api",
            f"plan tree API ({plan.slug}, {plan.n:,} indicators)",
            f"/api/v1/plans/{plan.slug}/tree/",
            anonymous,
            ("SQL rows + pure progress", plan_tree_floor(plan.pk)),
        ),
        ("plan_page", f"plan page ({plan.slug})", f"/plans/{plan.slug}/", anonymous, minimal),
        (
            "agreement_page",
            f"agreement page, largest agreement ({agreement.slug})",
            f"/agreements/{agreement.slug}/",
            anonymous,
            minimal,
        ),
        ("certificates_page", "certificates list page", "/certificates/", anonymous, minimal),
        ("registry_page", "registry page", "/registry/", anonymous, minimal),
        ("plans_api", "`/api/v1/plans/`", "/api/v1/plans/", anonymous, minimal),
        ("facilities_api", "`/api/v1/facilities/`", "/api/v1/facilities/", anonymous, minimal),
        (
            "certificates_api",
            "`/api/v1/certificates/`",
            "/api/v1/certificates/",
            anonymous,
            minimal,
        ),
        (
            "report_pdf",
            "agreement consolidated report PDF",
            f"/agreements/{agreement.slug}/report.pdf",
            anonymous,
            None,
        ),
        (
            "report_annex",
            "agreement report's annex workbook",
            f"/agreements/{agreement.slug}/report-annex.xlsx",
            anonymous,
            None,
        ),
        (
            "dashboard_page",
            "national dashboard page",
            "/agreements/dashboard/",
            anonymous,
            ("SQL GROUP BY", sql_dashboard()),
        ),
        (
            "dashboard_api",
            "national dashboard API",
            "/api/v1/agreements/dashboard/",
            anonymous,
            ("SQL GROUP BY", sql_dashboard()),
        ),
    ]
    floors: dict[str, dict] = {}
    rows = []
    for name, label, url, client, floor in reads:
        if only and name not in only:
            continue
        print(f"  {name}: {url}", file=sys.stderr, flush=True)
        timed = time_request(client, url, repeat, budget_s, after_write=min(repeat, 3))
        row: dict[str, Any] = {
            "name": name,
            "label": label,
            "url": url,
            "status": timed.status,
            "queries": timed.queries,
            "bytes": timed.bytes,
            "peak_rss_mb": round(timed.peak_rss_mb, 1),
            "rss_before_mb": None if timed.rss_before_mb is None else round(timed.rss_before_mb, 1),
            "target": TARGETS.get(name),
        }
        if timed.status != 200:
            row["note"] = f"not available (HTTP {timed.status})"
            rows.append(row)
            continue
        row.update(stats.summary(timed.samples_ms))
        if timed.after_write_ms:
            row["after_write"] = stats.summary(timed.after_write_ms)
        if floor is not None:
            floor_label, subject = floor
            key = floor_label if isinstance(subject, str) else f"{name}:{floor_label}"
            if key not in floors:
                if isinstance(subject, str):
                    floor_timed = time_request(anonymous, subject, repeat, budget_s)
                    samples, queries = floor_timed.samples_ms, floor_timed.queries
                else:
                    samples, queries = time_function(subject, repeat, budget_s)
                floors[key] = {"label": floor_label, "queries": queries, **stats.summary(samples)}
            row["floor"] = floors[key]
            row["ratio"] = stats.ratio(row["median_ms"], floors[key]["median_ms"])
        row["met"] = stats.met(row["target"], row)
        rows.append(row)
    result: dict[str, Any] = {"reads": rows, "counts": _counts()}
    if import_rows and (not only or "import" in only):
        result["import"] = measure_import(admin, repeat, budget_s, import_rows)
    return result


def measure_import(user, repeat: int, budget_s: float, rows: int) -> dict:
    from bench import imports

    print(f"  import: {rows:,}-row agreement workbook", file=sys.stderr, flush=True)
    data, rows = imports.workbook(rows)
    seconds, queries = [], 0
    spent = 0.0
    for _ in range(max(1, min(repeat, 3))):
        elapsed, queries = imports.product_import(data, user)
        seconds.append(elapsed)
        spent += elapsed
        if spent > budget_s:
            break
    floor = []
    for _ in range(max(1, min(repeat, 3))):
        floor.append(imports.floor_import(data))
    median_s = stats.median(seconds)
    floor_s = stats.median(floor)
    row = {
        "rows": rows,
        "median_ms": median_s * 1000,
        "samples_ms": [round(s * 1000, 1) for s in seconds],
        "rows_per_s": rows / median_s,
        "queries": queries,
        "floor": {"median_ms": floor_s * 1000, "rows_per_s": rows / floor_s},
        "share": floor_s / median_s,
        "target": IMPORT_TARGET,
    }
    row["met"] = stats.met(IMPORT_TARGET, row)
    return row


def _counts() -> dict[str, int]:
    from limpia.agreements.models import Adhesion, Agreement, AuditItem, Facility
    from limpia.plans.models import Indicator, Measurement

    return {
        "agreements": Agreement.objects.count(),
        "facilities": Facility.objects.count(),
        "adhesions": Adhesion.objects.count(),
        "audit items": AuditItem.objects.count(),
        "indicators": Indicator.objects.count(),
        "measurements": Measurement.objects.count(),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    parser.add_argument("out")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--import-rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    import_rows = 0 if args.no_import else args.import_rows
    result = measure(args.repeat, args.budget, set(args.only or ()), import_rows)
    with open(args.out, "w") as out:
        json.dump(result, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
