# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""locust_stats on long generated runs: memory bounded by tracemalloc, results checked against the generator.

The histories are written by benchmarks/report_scale.py in locust's exact --csv-full-history
format (CRLF, 24 columns, 6 endpoints and the Aggregated row each second), with the matching
_stats.csv, _failures.csv and --json-file output. The memory, not the time, is asserted.
"""

from __future__ import annotations

import importlib.util
import os
import tracemalloc

import pytest

from ansible_collections.boutique.ops.plugins.module_utils import locust_stats

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
SIX_HOURS = 6 * 3600


def _generator():
    spec = importlib.util.spec_from_file_location("report_scale", os.path.join(ROOT, "benchmarks", "report_scale.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture(name="six_hours", scope="module")
def fixture_six_hours(tmp_path_factory):
    """A 6-hour endurance history (151,200 rows, about 23 MB); failures from hour 5 (users above 40)."""
    prefix = str(tmp_path_factory.mktemp("soak") / "locust")
    totals = GEN.write_run(prefix, SIX_HOURS, users=lambda s: 50 if s >= 5 * 3600 else (30 if s >= 2 else 0), fail_above=40)
    return prefix, totals


def _traced(function, *args, **kwargs):
    tracemalloc.start()
    try:
        result = function(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def test_summary_of_six_hours_in_bounded_memory(six_hours):
    prefix, totals = six_hours
    assert os.path.getsize(prefix + "_stats_history.csv") > 20e6
    (summary, series), peak = _traced(locust_stats.summarize_with_series, prefix, "endurance", window_s=5.0)
    # Keeping the rows would take about 90 MB (one dict per row); the running state and the
    # downsampled series take a few MB whatever the length.
    assert peak < 20e6, "summary of 6 hours peaked at %.1f MB" % (peak / 1e6)
    assert summary["totals_from"].startswith("locust.json")
    assert summary["requests"] == totals["requests"] and summary["failures"] == totals["failures"]
    assert summary["duration_s"] == SIX_HOURS - 1 - 2
    assert summary["users_max"] == 50
    assert summary["p50_ms"] == 26 and summary["p95_ms"] == 30
    assert 2000 <= len(series["t"]) < 2 * locust_stats.MAX_POINTS
    assert series["rows_per_point"] * len(series["t"]) >= SIX_HOURS
    # The failures of the last hour survive the averaging: the bucket keeps the highest ratio.
    assert max(value for value in series["failure_ratio"] if value is not None) == pytest.approx(0.2, abs=0.03)
    assert series["failure_ratio"][len(series["t"]) // 2] == 0.0
    # Failures of one endpoint over many URLs are one group.
    product = [group for group in summary["failures_grouped"] if group["name"] == "/product/[id]"]
    assert len(product) == 1 and product[0]["kind"] == "HTTP 503" and product[0]["errors"] == 3
    assert product[0]["occurrences"] == totals["per_endpoint"][("GET", "/product/[id]")][1]


def test_one_poll_of_six_hours_reads_only_the_tail(six_hours):
    prefix, totals = six_hours
    last, peak = _traced(locust_stats.progress, prefix, 7 * 3600)
    assert peak < 1e6, "one poll peaked at %.2f MB" % (peak / 1e6)
    assert last["requests"] == totals["requests"] and last["failures"] == totals["failures"]
    assert last["elapsed_s"] == SIX_HOURS - 1 and last["users"] == 50
    line = locust_stats.progress_line(last, 7 * 3600)
    assert line.startswith("t=5h59m59s/7h users=50 rps=")
    assert line.endswith(", 1h00m01s left")


def test_csv_totals_when_there_is_no_json(six_hours, tmp_path):
    prefix, totals = six_hours
    for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv"):
        os.symlink(prefix + suffix, str(tmp_path / ("locust" + suffix)))
    summary = locust_stats.summarize(str(tmp_path / "locust"), "endurance")
    assert summary["totals_from"] == "locust_stats.csv"
    assert summary["requests"] == totals["requests"]


def test_streamed_breaking_point_is_the_listed_one(tmp_path):
    prefix = str(tmp_path / "locust")
    GEN.write_run(prefix, 600, users=lambda s: 2 + s // 30, fail_above=12)
    points = list(locust_stats.iter_history(prefix + "_stats_history.csv"))
    listed = locust_stats.breaking_point(points, 0.05, 5)
    streamed = locust_stats.breaking_point(locust_stats.iter_history(prefix + "_stats_history.csv"), 0.05, 5)
    # The shop fails above 12 users (1 in 13 requests at 13 users, rounded per endpoint and second).
    assert listed == streamed and 13 <= listed["users"] <= 14
    summary = locust_stats.summarize(prefix, "stress", window_s=5)
    assert summary["breaking_point_users"] == listed["users"] and summary["breaking_point_after_s"] == listed["after_s"]


def test_spike_phases(tmp_path):
    prefix = str(tmp_path / "locust")
    GEN.write_run(prefix, 400, users=GEN.spike(5, 40, 100, 200), fail_above=30)
    summary = locust_stats.summarize(prefix, "spike", window_s=3)
    phases = dict((phase["phase"], phase) for phase in summary["spike_phases"])
    assert sorted(phases) == ["after", "before", "during"]
    assert (phases["before"]["start_s"], phases["during"]["start_s"], phases["during"]["end_s"], phases["after"]["end_s"]) == (0, 100, 300, 400)
    assert phases["during"]["users_max"] == 40 and phases["before"]["users_max"] == 5
    assert phases["before"]["failures"] == 0 and phases["after"]["failures"] == 0
    assert phases["during"]["failure_ratio"] == pytest.approx(0.25, abs=0.02)
    assert sum(phase["requests"] for phase in phases.values()) == summary["requests"]


def test_series_halves_and_keeps_peaks():
    series = locust_stats.Series(window_s=1, max_points=4)
    for second in range(20):
        series.add({"t": second, "users": 100 if second == 13 else 1, "rps": 0.0, "p50_ms": 1.0,
                    "p95_ms": 9.0 if second == 5 else 2.0, "requests": second * 10, "failures": 0})
    columns = series.columns()
    assert len(columns["t"]) < 8 and columns["rows_per_point"] == 4
    assert columns["t"] == [0, 4, 8, 12, 16]
    assert columns["users"] == [1, 1, 1, 100, 1] and columns["p95_ms"][1] == 9.0
    assert columns["requests"][-1] == 190 and columns["rps"][-1] == 10.0


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (45, "45s"), (600, "10m"), (130, "2m10s"), (3725, "1h02m05s"), (7200, "2h"), (7260, "2h01m")])
def test_short_duration(seconds, text):
    assert locust_stats.short_duration(seconds) == text


def test_progress_line_forms():
    last = {"elapsed_s": 130, "users": 50, "rps": 123.44, "failure_ratio": 0.003, "p95_ms": 210.0}
    assert locust_stats.progress_line(last, 600) == "t=2m10s/10m users=50 rps=123.4 fail=0.3% p95=210 ms, 7m50s left"
    assert locust_stats.progress_line(last) == "t=2m10s users=50 rps=123.4 fail=0.3% p95=210 ms"
    assert locust_stats.progress_line(last, 600, finished=True).endswith("p95=210 ms, finished")
    assert locust_stats.progress_line(last, 100).endswith(", past the plan")
    assert locust_stats.progress_line({}) == "waiting for the workers and the first statistics"
