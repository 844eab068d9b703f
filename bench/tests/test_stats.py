"""The benchmark's pure parts: percentiles, ratios, targets and the results.md rendering."""

import pytest

from bench import stats


def test_percentiles_interpolate_between_ranks_like_numpy():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert stats.median(values) == 3.0
    assert stats.percentile(values, 0.95) == pytest.approx(4.8)
    assert stats.percentile(values, 0) == 1.0 and stats.percentile(values, 1) == 5.0
    assert stats.percentile([1.0, 2.0], 0.5) == 1.5
    assert stats.percentile([7.0], 0.95) == 7.0
    assert stats.percentile([], 0.5) is None
    with pytest.raises(ValueError):
        stats.percentile(values, 95)


def test_ratio_is_the_measure_over_its_floor():
    assert stats.ratio(300.0, 100.0) == 3.0
    assert stats.ratio(None, 100.0) is None
    assert stats.ratio(300.0, None) is None
    assert stats.ratio(300.0, 0.0) is None


def test_targets_are_met_only_when_every_check_passes():
    target = {"p95_ms_max": 300, "ratio_max": 3}
    assert stats.met(target, {"p95_ms": 299.9, "ratio": 3.0}) is True
    assert stats.met(target, {"p95_ms": 300.0, "ratio": 1.0}) is False  # strictly below
    assert stats.met(target, {"p95_ms": 10.0, "ratio": 3.01}) is False
    assert stats.met(target, {"p95_ms": 10.0}) is None  # the floor was not measured
    assert stats.met(None, {"p95_ms": 10.0}) is None
    rate = {"rows_per_s_min": 5000, "share_min": 0.5}
    assert stats.met(rate, {"rows_per_s": 5000, "share": 0.5}) is True
    assert stats.met(rate, {"rows_per_s": 4999, "share": 0.9}) is False
    assert stats.target_text(target) == "p95 < 300 ms; ≤ 3 × floor"
    assert stats.target_text(rate) == "≥ 5,000 rows/s; ≥ 50% of floor"
    assert stats.target_text(None) == "–"


def _read(name, median, p95, floor=None, status=200, target=None):
    row = {
        "name": name,
        "label": name.replace("_", " "),
        "status": status,
        "queries": 4,
        "bytes": 2500,
        "peak_rss_mb": 150.0,
        "target": target,
    }
    if status != 200:
        return {**row, "note": f"not available (HTTP {status})"}
    row.update(stats.summary([median, p95]))
    row["median_ms"], row["p95_ms"] = median, p95
    if floor:
        row["floor"] = {"label": "SQL GROUP BY", "median_ms": floor}
        row["ratio"] = stats.ratio(median, floor)
    row["after_write"] = stats.summary([3 * p95])
    row["met"] = stats.met(target, row)
    return row


def _endpoint(label, rps, median, p95, requests):
    return {
        "label": label,
        "rps": rps,
        "median_ms": median,
        "p95_ms": p95,
        "requests": requests,
        "failures": 0,
    }


def test_results_md_has_the_machine_and_a_table_per_database_and_scale():
    results = {
        "machine": {"CPU": "Test CPU", "cores": 2, "SQLite": "3.40.1"},
        "runs": {
            "sqlite-s10": {"database": "sqlite", "scale": "10", "reads": []},
            "postgresql-s1": {
                "database": "postgresql",
                "scale": "1",
                "commit": "abc1234",
                "generation": {
                    "seconds": 95.25,
                    "peak_rss_mb": 410,
                    "target": {"seconds_max": 600},
                    "met": True,
                },
                "reads": [
                    _read(
                        "compliance_api",
                        1500.0,
                        2500.0,
                        floor=50.0,
                        target={"p95_ms_max": 300, "ratio_max": 3},
                    ),
                    _read("dashboard_api", 0, 0, status=404, target={"p95_ms_max": 1000}),
                ],
                "import": {
                    "rows": 10016,
                    "median_ms": 2000.0,
                    "rows_per_s": 5008.0,
                    "queries": 67,
                    "floor": {"rows_per_s": 8000.0},
                    "share": 0.626,
                    "target": {"rows_per_s_min": 5000, "share_min": 0.5},
                    "met": True,
                },
                "concurrency": {
                    "users": 50,
                    "seconds": 30,
                    "endpoints": [
                        _endpoint("API list", 12.5, 3900, 5100, 375),
                        _endpoint("minimal", 250.0, 190, 260, 7500),
                    ],
                    "share": 0.05,
                    "target": {"share_min": 0.5},
                    "met": False,
                    "server_peak_rss_mb": 320,
                },
            },
        },
    }
    text = stats.render(results)
    assert "- CPU: Test CPU" in text
    # S1 before S10, whatever the dictionary's order
    assert text.index("## postgresql at S1") < text.index("## sqlite at S10")
    generation = (
        "Generation (`limpia generate --scale 1`): 95.2 s, peak RSS 410 MB — target < 600 s: yes."
    )
    assert generation in text
    row = (
        "| compliance api | 1.50 s | 2.50 s | 7.50 s | 2 | 4 | 2.5 kB | 150 "
        "| 50.0 ms (SQL GROUP BY) | 30.0 "
        "| p95 < 300 ms; ≤ 3 × floor | **no** | **no** |"
    )
    assert row in text
    assert "| dashboard api | not available (HTTP 404) |" in text
    imported = (
        "| 10,016 | 2.00 s | 5,008 | 67 | 8,000 | 63 % | ≥ 5,000 rows/s; ≥ 50% of floor | yes |"
    )
    assert imported in text
    assert "| API list | 12.5 | 3.90 s | 5.10 s | 375 | 0 |" in text
    throughput = (
        "Throughput ratio (API list / minimal view): 5.00 % — target ≥ 50% of floor: **no**"
    )
    assert throughput in text


def test_a_read_is_also_judged_by_the_requests_after_a_write():
    target = {"p95_ms_max": 300, "ratio_max": 3}
    read = {"p95_ms": 2.0, "ratio": 0.01, "floor": {"median_ms": 100.0}}
    assert stats.met(target, read) is True  # served from what was kept
    after = {**read, "after_write": {"p95_ms": 280.0, "median_ms": 250.0}}
    assert stats.met_after_write(target, after) is True
    slow = {**read, "after_write": {"p95_ms": 280.0, "median_ms": 350.0}}  # 3.5 × floor
    assert stats.met_after_write(target, slow) is False
    assert stats.met_after_write(target, read) is None  # not measured


def test_a_partial_run_replaces_only_what_it_measured():
    from bench.run import merge

    earlier = {
        "generation": {"seconds": 76.0},
        "commit": "old",
        "reads": [{"name": "home", "median_ms": 1}, {"name": "compliance_api", "median_ms": 2}],
        "import": {"rows": 10},
        "concurrency": {"share": 0.1},
    }
    partial = {
        "generation": {"seconds": 1.0, "note": "reused"},
        "commit": "new",
        "reads": [{"name": "compliance_api", "median_ms": 3}, {"name": "dashboard_api"}],
        "concurrency_note": "not measured (--only)",
    }
    merged = merge(earlier, partial)
    assert [(r["name"], r.get("median_ms")) for r in merged["reads"]] == [
        ("home", 1),
        ("compliance_api", 3),
        ("dashboard_api", None),
    ]
    assert merged["generation"] == {"seconds": 76.0} and merged["commit"] == "new"
    # what was not measured again says on which commit it was
    assert merged["reads"][0]["commit"] == "old" and "commit" not in merged["reads"][1]
    assert merged["import"] == {"commit": "old", "rows": 10}
    assert merged["concurrency"] == {"commit": "old", "share": 0.1}
    assert "concurrency_note" not in merged
