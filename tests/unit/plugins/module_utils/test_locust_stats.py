# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""locust_stats on CSVs recorded from real runs (tests/fixtures/locust/, see its README).

Each fixture folder holds what one loadtest.yml run wrote (locust's CSVs, the master's log, the
run record) and, where there was one, the stand-in shop's own counters (standin_stats.json).
"""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.boutique.ops.plugins.module_utils import locust_stats

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "locust")


def _prefix(run):
    return os.path.join(FIXTURES, run, "locust")


def _standin(run):
    with open(os.path.join(FIXTURES, run, "standin_stats.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_stats_totals_add_up_and_match_the_shop():
    endpoints, aggregated = locust_stats.read_stats(_prefix("stress") + "_stats.csv")
    assert sum(entry["requests"] for entry in endpoints) == aggregated["requests"]
    assert sum(entry["failures"] for entry in endpoints) == aggregated["failures"]
    counts = _standin("stress")["counts"]
    # The shop counted every request the journey made (a followed redirect is one request).
    assert aggregated["requests"] == counts["journey"]
    assert aggregated["failures"] == counts["failed"]
    assert {"%s %s" % (e["method"], e["name"]): e["requests"] for e in endpoints} == counts["routes"]


def test_history_is_ordered_and_cumulative():
    points = list(locust_stats.iter_history(_prefix("stress") + "_stats_history.csv"))
    assert len(points) > 3
    assert [p["t"] for p in points] == sorted(p["t"] for p in points)
    assert all(b["requests"] >= a["requests"] for a, b in zip(points, points[1:]))
    # N/A percentiles of the empty first seconds become None, not 0.
    assert points[0]["p50_ms"] is None


def test_stress_breaking_point_is_where_the_shop_started_failing():
    points = list(locust_stats.iter_history(_prefix("stress") + "_stats_history.csv"))
    fail_above = _standin("stress")["fail_above"]
    point = locust_stats.breaking_point(points, threshold=0.05, window_s=3)
    # The run ramped 4 users per step; the shop failed above fail_above users.
    assert fail_above < point["users"] <= fail_above + 4
    assert point["at"].endswith("Z") and point["failure_ratio"] > 0.05
    assert point["after_s"] >= 0


def test_no_breaking_point_below_an_unreachable_threshold():
    points = list(locust_stats.iter_history(_prefix("stress") + "_stats_history.csv"))
    assert locust_stats.breaking_point(points, threshold=1.0, window_s=3) is None
    assert locust_stats.breaking_point([], threshold=0.05, window_s=3) is None


def test_failure_ratio_series_by_hand():
    points = [
        {"t": 0, "users": 1, "requests": 0, "failures": 0},
        {"t": 1, "users": 1, "requests": 10, "failures": 0},
        {"t": 2, "users": 2, "requests": 30, "failures": 5},
        {"t": 3, "users": 2, "requests": 50, "failures": 25},
        {"t": 4, "users": 2, "requests": 50, "failures": 25},
    ]
    series = locust_stats.failure_ratio_series(points, window_s=2)
    assert series[0] == (0, None, 0)
    assert series[1] == (1, 0.0, 10)
    assert series[2] == (2, 5 / 30.0, 30)
    assert series[3] == (3, 25 / 40.0, 40)   # window [1, 3]
    assert series[4] == (4, 20 / 20.0, 20)   # window [2, 4]
    point = locust_stats.breaking_point(points, threshold=0.5, window_s=2, min_requests=10)
    assert point["users"] == 2 and point["after_s"] == 3


def test_summary_of_the_stress_run():
    summary = locust_stats.summarize(_prefix("stress"), "stress", master_log=os.path.join(FIXTURES, "stress", "master.log"),
                                     run_info=locust_stats.read_run_info(os.path.join(FIXTURES, "stress", "run.json")), window_s=3)
    for key in ("profile", "duration_s", "users_max", "requests", "failures", "failure_ratio", "rps_peak",
                "p50_ms", "p95_ms", "p99_ms", "endpoints", "breaking_point_users", "breaking_point_at"):
        assert key in summary
    assert summary["partial"] is False
    assert summary["users_max"] >= summary["breaking_point_users"]
    assert summary["failure_ratio"] == pytest.approx(summary["failures"] / float(summary["requests"]))
    assert summary["rps_peak"] > 0 and summary["duration_s"] > 0
    assert summary["workers"]["connected"] == 2 and summary["workers"]["lost_count"] == 0
    assert len(summary["endpoints"]) == 6
    assert summary["top_failures"][0]["occurrences"] >= summary["top_failures"][-1]["occurrences"]


def test_summary_says_a_worker_was_lost():
    summary = locust_stats.summarize(_prefix("endurance-worker-lost"), "endurance",
                                     master_log=os.path.join(FIXTURES, "endurance-worker-lost", "master.log"))
    assert summary["workers"]["lost_count"] == 1
    assert any("worker" in note for note in summary["notes"])
    assert "breaking_point_users" not in summary


def test_interrupted_run_is_partial():
    run_info = locust_stats.read_run_info(os.path.join(FIXTURES, "interrupted", "run.json"))
    assert run_info["interrupted"] is True
    summary = locust_stats.summarize(_prefix("interrupted"), "endurance", run_info=run_info)
    assert summary["partial"] is True
    assert summary["requests"] > 0
    assert any("partial" in note for note in summary["notes"])


def test_recovery_says_whether_the_shop_recovered():
    summary = locust_stats.summarize(_prefix("recovery"), "recovery", window_s=3)
    assert summary["breaking_point_users"] is not None
    assert summary["recovered"] is True
    assert summary["final_failure_ratio"] <= 0.05


def test_progress_is_the_last_row():
    last = locust_stats.progress(_prefix("stress"))
    points = list(locust_stats.iter_history(_prefix("stress") + "_stats_history.csv"))
    assert last["requests"] == points[-1]["requests"]
    assert last["elapsed_s"] == points[-1]["t"] - points[0]["t"]
    assert locust_stats.progress("/nonexistent/locust") == {}


def test_not_locust_csv(tmp_path):
    with pytest.raises(locust_stats.LocustCsvError, match="does not exist"):
        locust_stats.read_stats(str(tmp_path / "missing_stats.csv"))
    bad = tmp_path / "x_stats.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(locust_stats.LocustCsvError, match="columns"):
        locust_stats.read_stats(str(bad))


def test_version_pin_matches_requirements(repo_root):
    """The locust role's version (docker image tag, venv pin) is the one in requirements-runtime.txt."""
    with open(os.path.join(repo_root, "requirements-runtime.txt"), encoding="utf-8") as handle:
        pin = [line.split("==")[1].strip() for line in handle if line.startswith("locust==")][0]
    with open(os.path.join(repo_root, "roles", "locust", "defaults", "main.yml"), encoding="utf-8") as handle:
        assert 'locust_version: "%s"' % pin in handle.read()


def test_rate_series_by_hand():
    points = [{"t": 0, "requests": 0}, {"t": 1, "requests": 10}, {"t": 2, "requests": 30}, {"t": 4, "requests": 30}]
    assert locust_stats.rate_series(points, window_s=2) == [0.0, 10.0, 15.0, 0.0]
    assert locust_stats.peak_rps([dict(point, rps=0.0) for point in points], window_s=2) == 15.0


def test_failures_line_names_the_most_frequent_kinds_and_counts_the_rest():
    groups = locust_stats.group_failures([
        {"method": "GET", "name": "/product/[id]", "error": "HTTP 503", "occurrences": 30},
        {"method": "GET", "name": "/product/[id]", "error": "HTTP 503", "occurrences": 11},
        {"method": "POST", "name": "/cart", "error": "HTTP 503", "occurrences": 12},
        {"method": "GET", "name": "/", "error": "no answer: ConnectionRefusedError(111)", "occurrences": 3},
        {"method": "GET", "name": "/cart", "error": "content marker '/cart/checkout' missing", "occurrences": 1},
    ])
    line = locust_stats.failures_line(groups)
    assert line.startswith("GET /product/[id] HTTP 503 x41; POST /cart HTTP 503 x12; GET / no answer")
    assert line.endswith("; 1 other kind in locust_failures.csv")
    assert locust_stats.failures_line([]) == ""
