"""The pure parts of the benchmark: percentiles, ratios, targets and the results.md table.

No Django here: the orchestrator (bench.run) renders results without setting Django up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` quantile (0 to 1) by linear interpolation between the closest ranks
    (numpy's default); None for no values."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def ratio(value: float | None, floor: float | None) -> float | None:
    """How many times its floor a measure is (None when either is missing or the floor is 0)."""
    if value is None or not floor:
        return None
    return value / floor


def summary(samples_ms: Sequence[float]) -> dict[str, Any]:
    return {
        "n": len(samples_ms),
        "median_ms": median(samples_ms),
        "p95_ms": percentile(samples_ms, 0.95),
        "samples_ms": [round(s, 3) for s in samples_ms],
    }


# ---------------------------------------------------------------- targets

# A target is a mapping of checks, each against one measured field of a row:
#   p95_ms_max, ratio_max (measure / floor), rss_mb_max, rows_per_s_min, share_min
#   (measure's rate / floor's rate), seconds_max, fixed_queries (the same count at every scale).
TEXT = {
    "p95_ms_max": "p95 < {:g} ms",
    "ratio_max": "≤ {:g} × floor",
    "rss_mb_max": "RSS < {:g} MB",
    "rows_per_s_min": "≥ {:,.0f} rows/s",
    "share_min": "≥ {:.0%} of floor",
    "seconds_max": "< {:g} s",
}


def target_text(target: Mapping[str, float] | None) -> str:
    if not target:
        return "–"
    return "; ".join(TEXT[k].format(v) for k, v in target.items() if k in TEXT)


def met(target: Mapping[str, float] | None, row: Mapping[str, Any]) -> bool | None:
    """Whether `row` meets every check of `target`; None when there is no target or a measure
    it needs is missing (not measured, or the read is not available)."""
    if not target:
        return None
    results = []
    for check, limit in target.items():
        value = {
            "p95_ms_max": row.get("p95_ms"),
            "ratio_max": row.get("ratio"),
            "rss_mb_max": row.get("peak_rss_mb"),
            "rows_per_s_min": row.get("rows_per_s"),
            "share_min": row.get("share"),
            "seconds_max": row.get("seconds"),
        }.get(check)
        if value is None:
            return None
        if check.endswith("_max"):
            results.append(value < limit if check != "ratio_max" else value <= limit)
        else:
            results.append(value >= limit)
    return all(results)


def met_after_write(target: Mapping[str, float] | None, row: Mapping[str, Any]) -> bool | None:
    """`met` with the requests timed right after a recorded write in place of the served ones
    (their p95, their median over the floor's): whether the first visitor after a change is
    served within the target. None when they were not measured."""
    after = row.get("after_write")
    if not after:
        return None
    floor = (row.get("floor") or {}).get("median_ms")
    return met(
        target,
        {
            **row,
            "p95_ms": after.get("p95_ms"),
            "ratio": ratio(after.get("median_ms"), floor) if floor else None,
        },
    )


# ---------------------------------------------------------------- results.md


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:,.2f} s"
    return f"{value:,.1f} ms"


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:,.2f} %"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "–"}[value]


def _bytes(value: int | None) -> str:
    if value is None:
        return "–"
    if value >= 1_000_000:
        return f"{value / 1_000_000:,.1f} MB"
    return f"{value / 1000:,.1f} kB"


def _other_commit(part: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    """ " (measured on abc1234)" for a part of a run measured on an earlier commit."""
    if part.get("commit") and part["commit"] != run.get("commit"):
        return f" (measured on {part['commit']})"
    return ""


def read_rows(run: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for read in run.get("reads", []):
        if read.get("status") != 200:
            rows.append(
                [read["label"], read.get("note") or f"not available (HTTP {read.get('status')})"]
                + ["–"] * 11
            )
            continue
        floor = read.get("floor") or {}
        label = read["label"] + _other_commit(read, run)
        floor_text = f"{_ms(floor.get('median_ms'))} ({floor['label']})" if floor else "–"
        rows.append(
            [
                label,
                _ms(read["median_ms"]),
                _ms(read["p95_ms"]),
                _ms((read.get("after_write") or {}).get("p95_ms")),
                str(read.get("n", "–")),
                str(read["queries"]),
                _bytes(read.get("bytes")),
                _number(read.get("peak_rss_mb"), 0)
                + (
                    f" (from {read['rss_before_mb']:,.0f})"
                    if read.get("rss_before_mb") is not None
                    else ""
                ),
                floor_text,
                _number(read.get("ratio"), 1),
                target_text(read.get("target")),
                _met(read.get("met")),
                _met(met_after_write(read.get("target"), read)),
            ]
        )
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


READ_HEADER = [
    "read",
    "median",
    "p95",
    "p95 after a write",
    "n",
    "queries",
    "size",
    "peak RSS MB",
    "floor (median)",
    "ratio",
    "target",
    "met?",
    "met after a write?",
]


def render(results: Mapping[str, Any]) -> str:
    """bench/results.md from bench/results.json's content."""
    machine = results.get("machine", {})
    lines = [
        "# Limpia benchmark results",
        "",
        'Written by `python -m bench` (docs/operations.md, "Benchmarks"); the same figures are '
        "in `bench/results.json`. Each read is timed in-process through django.test.Client "
        "(median and p95 over the repeats after one warm-up request, whose queries are counted; "
        "then up to three requests each right after a recorded write, which moves the data "
        "revision so that nothing kept is reused: the p95 of those is what the first visitor "
        "after a change waits); "
        "its floor is measured in the same run on the same data. Peak RSS is the process's "
        "high-water mark during that read (in brackets, its RSS when the read began: memory a "
        "previous read left allocated is counted in). Targets are issue 11's, for S10. A read "
        "whose first requests spend the `--budget` stops repeating (its n is smaller). The "
        "machine may be "
        "shared: other work running at the same time slows the figures down.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    for key in sorted(results.get("runs", {}), key=_run_order):
        run = results["runs"][key]
        lines += ["", f"## {run['database']} at S{run['scale']}", ""]
        lines.append(
            f"Measured {run.get('measured_at', '?')} on commit {run.get('commit', '?')}, "
            f"{run.get('repeat', '?')} timed requests per read after a warm-up."
        )
        if run.get("note"):
            lines += ["", run["note"]]
        generation = run.get("generation") or {}
        if generation:
            lines += [
                "",
                f"Generation (`limpia generate --scale {run['scale']}`): "
                f"{_number(generation.get('seconds'), 1)} s, peak RSS "
                f"{_number(generation.get('peak_rss_mb'), 0)} MB"
                + (
                    f" — target {target_text(generation['target'])}: {_met(generation.get('met'))}"
                    if generation.get("target")
                    else ""
                )
                + (f"; {generation['note']}" if generation.get("note") else "")
                + ".",
            ]
        counts = run.get("counts")
        if counts:
            lines += ["", "Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + "."]
        lines += ["", *_table(READ_HEADER, read_rows(run))]
        imported = run.get("import")
        if imported:
            on = _other_commit(imported, run)
            lines += [
                "",
                f"Workbook import (agreement workbook, one transaction, rolled back){on}:",
                "",
            ]
            lines += _table(
                [
                    "rows",
                    "median",
                    "rows/s",
                    "queries",
                    "floor rows/s (openpyxl + bulk insert)",
                    "share of floor",
                    "target",
                    "met?",
                ],
                [
                    [
                        f"{imported['rows']:,}",
                        _ms(imported.get("median_ms")),
                        _number(imported.get("rows_per_s"), 0),
                        str(imported.get("queries", "–")),
                        _number((imported.get("floor") or {}).get("rows_per_s"), 0),
                        _number(
                            None if imported.get("share") is None else 100 * imported["share"], 0
                        )
                        + " %",
                        target_text(imported.get("target")),
                        _met(imported.get("met")),
                    ]
                ],
            )
        measured = run.get("concurrency") and [run["concurrency"], *run.get("more_concurrency", [])]
        for concurrency in measured or []:
            if concurrency.get("note"):
                lines += ["", concurrency["note"]]
            lines += ["", _concurrency_intro(concurrency, _other_commit(concurrency, run)), ""]
            lines += _table(
                ["endpoint", "requests/s", "median", "p95", "requests", "failures"],
                [
                    [
                        c["label"],
                        _number(c.get("rps"), 1),
                        _ms(c.get("median_ms")),
                        _ms(c.get("p95_ms")),
                        str(c.get("requests", "–")),
                        str(c.get("failures", "–")),
                    ]
                    for c in concurrency.get("endpoints", [])
                ],
            )
            lines += [
                "",
                f"Throughput ratio (API list / minimal view): "
                f"{_percent(concurrency.get('share'))} — target "
                f"{target_text(concurrency.get('target'))}: {_met(concurrency.get('met'))}; "
                f"server peak RSS {_number(concurrency.get('server_peak_rss_mb'), 0)} MB.",
            ]
        if not run.get("concurrency") and run.get("concurrency_note"):
            lines += ["", f"Concurrency: {run['concurrency_note']}."]
    return "\n".join(lines) + "\n"


def _concurrency_intro(concurrency: Mapping[str, Any], on: str = "") -> str:
    return (
        f"Concurrency{on}: locust headless, {concurrency.get('users')} users for "
        f"{concurrency.get('seconds')} s each, against `limpia serve` "
        f"({concurrency.get('server', 'waitress')}) on this machine:"
    )


def _run_order(key: str) -> tuple:
    database, _, scale = key.partition("-s")
    try:
        number = float(scale)
    except ValueError:
        number = 0.0
    return (number, database)
