"""Open SDG tidy CSV: one file per quantity indicator, for statistics offices.

Columns: `Year`, then one column per disaggregation dimension found in the indicator's approved
measurements (sorted by name; empty in the rows of totals), `Units` (the indicator's unit) and
`Value`. Rules:

- Only approved measurements with a value count (computed indicators use the observations their
  metric derives from the data, as totals). With `as_of`, measurements after it are left out.
- One row per year and disaggregation group: the latest measurement of that year (the last one
  entered wins among measurements of the same date, as in the progress method). A year without
  measurements has no row.
- Level indicators: the row's value is that measurement's value. Increment indicators: the
  running total at that date, computed like the progress method: the baseline value (totals
  only; 0 for a disaggregated group, whose baseline the plan does not state) plus every
  measurement of the group dated after the baseline date (or the plan start) up to that date.
- Rows are sorted by year, totals first within a year, then by the dimension values.
- UTF-8 without a byte-order mark, comma separated, "\\n" line ends; numbers with a point and
  without trailing zeros.

`plan_to_opensdg_zip` bundles the CSV of every quantity indicator of a plan, each named
`<plan-slug>__<indicator-code>.csv`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from limpia.core.errors import DomainError
from limpia.exchange.iati import get_plan, number
from limpia.plans.models import Indicator, IndicatorKind, Measure, Measurement, Plan
from limpia.plans.progress import indicator_observations

FIXED_COLUMNS = ("Year", "Units", "Value")
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # fixed, so the same data give the same bytes


def _column(name: str) -> str:
    """A disaggregation dimension as a column name, never one of the fixed columns."""
    name = str(name).strip()
    return f"{name} (dim)" if name in FIXED_COLUMNS else name


def _series(indicator: Indicator, measurements, *, as_of, computed=None):
    """[(date, {column: value}, Decimal)] in date order, entry order kept within a date."""
    if indicator.metric:
        observations = indicator_observations(indicator, computed=computed)
        return [(o.date, {}, o.value) for o in observations if as_of is None or o.date <= as_of]
    return [
        (m.date, {_column(k): str(v) for k, v in (m.disaggregation or {}).items()}, m.value)
        for m in measurements
        if m.value is not None and (as_of is None or m.date <= as_of)
    ]


def opensdg_rows(indicator: Indicator, measurements, *, as_of=None, computed=None):
    """(columns, rows) of an indicator; `measurements`: its approved ones in (date, id) order."""
    series = sorted(
        _series(indicator, measurements, as_of=as_of, computed=computed), key=lambda r: r[0]
    )
    dimensions = sorted({name for _, groups, _ in series for name in groups})
    columns = ["Year", *dimensions, "Units", "Value"]
    increment = indicator.measure == Measure.INCREMENT
    start = indicator.baseline_date or indicator.plan.period_start
    baseline = indicator.baseline_value if indicator.baseline_value is not None else Decimal(0)
    totals: dict[tuple, Decimal] = {}
    latest: dict[tuple, tuple[int, tuple, Decimal]] = {}
    for date, groups, value in series:
        group = tuple(groups.get(name, "") for name in dimensions)
        if increment:
            running = totals.get(group, baseline if not any(group) else Decimal(0))
            if date > start:
                running += value
            totals[group] = running
            value = running
        latest[(date.year, group)] = (date.year, group, value)
    rows = [
        {
            "Year": str(year),
            **dict(zip(dimensions, group, strict=True)),
            "Units": indicator.unit,
            "Value": number(value),
        }
        for year, group, value in sorted(latest.values(), key=lambda r: (r[0], any(r[1]), r[1]))
    ]
    return columns, rows


def _csv(columns, rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _approved(indicators) -> dict[int, list[Measurement]]:
    by_indicator: dict[int, list[Measurement]] = defaultdict(list)
    rows = Measurement.objects.approved().filter(indicator__in=indicators).order_by("date", "id")
    for measurement in rows:
        by_indicator[measurement.indicator_id].append(measurement)
    return by_indicator


def _metric_data(indicators):
    from limpia.agreements.metrics import MetricData

    return MetricData.for_indicators(indicators)


def _check_quantity(indicator: Indicator) -> None:
    if indicator.kind != IndicatorKind.QUANTITY:
        raise DomainError(
            f"Indicator {indicator.code} is a {indicator.kind} indicator; Open SDG files are "
            "written for quantity indicators only.",
            field="indicator",
        )


def indicator_to_opensdg_csv(indicator: Indicator, *, as_of: dt.date | None = None) -> str:
    """The Open SDG tidy CSV of one quantity indicator."""
    _check_quantity(indicator)
    measurements = _approved([indicator]).get(indicator.pk, [])
    columns, rows = opensdg_rows(
        indicator, measurements, as_of=as_of, computed=_metric_data([indicator])
    )
    return _csv(columns, rows)


def file_name(plan: Plan, indicator: Indicator) -> str:
    code = re.sub(r"[^A-Za-z0-9._-]+", "-", indicator.code).strip("-.") or str(indicator.pk)
    return f"{plan.slug}__{code}.csv"


def plan_to_opensdg_zip(plan: Plan, *, as_of: dt.date | None = None) -> bytes:
    """A zip with the Open SDG CSV of every quantity indicator of the plan."""
    indicators = list(
        Indicator.objects.filter(plan=plan, kind=IndicatorKind.QUANTITY).order_by("position", "id")
    )
    for indicator in indicators:
        indicator.plan = plan
    measurements = _approved(indicators)
    computed = _metric_data(indicators)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for indicator in indicators:
            columns, rows = opensdg_rows(
                indicator, measurements.get(indicator.pk, []), as_of=as_of, computed=computed
            )
            info = zipfile.ZipInfo(file_name(plan, indicator), date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _csv(columns, rows).encode("utf-8"))
    return buffer.getvalue()


def get_indicator(plan: Plan, code: str) -> Indicator:
    indicator = Indicator.objects.filter(plan=plan, code=code).first()
    if indicator is None:
        raise DomainError(
            f"The plan {plan.slug!r} has no indicator with the code {code!r}.", field="indicator"
        )
    indicator.plan = plan
    return indicator


def export_command(*, slug: str, output: str | None, fmt: str | None, stdout) -> None:
    """`limpia export opensdg PLAN_SLUG -o FILE.zip`, or
    `limpia export opensdg PLAN_SLUG:INDICATOR_CODE --format csv [-o FILE.csv]`."""
    fmt = (fmt or "").lower()
    if fmt == "csv":
        plan_slug, _, code = slug.partition(":")
        if not code:
            raise DomainError(
                "With --format csv, name one indicator as PLAN_SLUG:INDICATOR_CODE.", field="slug"
            )
        text = indicator_to_opensdg_csv(get_indicator(get_plan(plan_slug), code))
        if output:
            Path(output).write_text(text, encoding="utf-8", newline="")
        else:
            stdout.write(text, ending="")
        return
    if fmt not in ("", "zip"):
        raise DomainError(
            f"The Open SDG export is a zip (default) or, for one indicator, csv; not {fmt!r}.",
            field="format",
        )
    if ":" in slug:
        raise DomainError(
            "PLAN_SLUG:INDICATOR_CODE names one indicator: add --format csv.", field="slug"
        )
    plan = get_plan(slug)
    if not output:
        raise DomainError(
            "The Open SDG export of a plan is a zip file: give the file to write with -o.",
            field="output",
        )
    Path(output).write_bytes(plan_to_opensdg_zip(plan))
