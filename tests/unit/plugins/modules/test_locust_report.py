# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""locust_report on CSVs recorded from a real stress run (tests/fixtures/locust/stress)."""

from __future__ import annotations

import csv
import importlib
import importlib.util
import json
import os
import shutil
import struct
import sys

import pytest
from ansible.module_utils import _internal as ansible_internal

from ansible_collections.boutique.ops.plugins.module_utils import locust_plot
from ansible_collections.boutique.ops.plugins.modules import locust_report
from ansible_collections.boutique.ops.tests.unit.plugins.modules import utils

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "locust")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")


def run_module(args, capsys, check_mode=False):
    """Run the module's main() with args; return (failed, result)."""
    return utils.run_module(locust_report, args, capsys, check_mode)


@pytest.fixture(name="run_dir")
def fixture_run_dir(tmp_path):
    """A copy of the recorded stress run, as loadtest.yml leaves it before the summary."""
    dest = tmp_path / "20261129T180556Z-stress"
    shutil.copytree(os.path.join(FIXTURES, "stress"), str(dest))
    return dest


def _args(run_dir, **extra):
    return dict({"csv_prefix": str(run_dir / "locust"), "profile": "stress", "master_log": str(run_dir / "master.log"),
                 "run_info": str(run_dir / "run.json"), "expected_workers": 2, "window_s": 3.0}, **extra)


def test_writes_summary_report_and_plots(run_dir, capsys):
    failed, result = run_module(_args(run_dir), capsys)
    assert not failed and result["changed"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary == result["summary"]
    counts = json.loads((run_dir / "standin_stats.json").read_text())["counts"]
    assert summary["requests"] == counts["journey"] and summary["failures"] == counts["failed"]
    assert 10 < summary["breaking_point_users"] <= 14
    assert summary["workers"] == {"expected": 2, "connected": 2, "lost": [], "lost_count": 0, "lost_after_s": {}}
    html = (run_dir / "report.html").read_text()
    for name in ("users_rps.png", "latency.png", "failure_ratio.png", "endpoints.png"):
        assert (run_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert 'src="%s"' % name in html
    assert "<th>Breaking point</th><td>%d users at " % summary["breaking_point_users"] in html


def test_second_run_changes_nothing(run_dir, capsys):
    run_module(_args(run_dir), capsys)
    stamps = {name: (run_dir / name).stat().st_mtime_ns for name in ("summary.json", "report.html", "latency.png")}
    failed, result = run_module(_args(run_dir), capsys)
    assert not failed and not result["changed"]
    assert stamps == {name: (run_dir / name).stat().st_mtime_ns for name in stamps}


def test_check_mode_writes_nothing(run_dir, capsys):
    failed, result = run_module(_args(run_dir), capsys, check_mode=True)
    assert not failed and result["changed"]
    assert result["summary"]["profile"] == "stress"
    assert not (run_dir / "summary.json").exists()


def test_progress_only_reads(run_dir, capsys):
    failed, result = run_module({"csv_prefix": str(run_dir / "locust"), "profile": "stress", "progress": True,
                                 "heartbeat": str(run_dir / ".heartbeat")}, capsys)
    assert not failed and not result["changed"]
    assert result["progress"]["requests"] > 0
    assert (run_dir / ".heartbeat").exists()
    assert not (run_dir / "summary.json").exists()


def test_missing_csv_fails_clearly(tmp_path, capsys):
    failed, result = run_module({"csv_prefix": str(tmp_path / "locust"), "profile": "endurance"}, capsys)
    assert failed
    assert "locust_stats.csv does not exist" in result["msg"]


def test_bad_threshold_fails(run_dir, capsys):
    failed, result = run_module(_args(run_dir, failure_ratio_threshold=1.5), capsys)
    assert failed and "failure_ratio_threshold" in result["msg"]


def _failures_by_endpoint(run_dir):
    """The failures CSV added up by hand: {(method, name): occurrences}."""
    totals = {}
    with open(str(run_dir / "locust_failures.csv"), encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["Method"], row["Name"])
            totals[key] = totals.get(key, 0) + int(row["Occurrences"])
    return totals


def test_report_values_are_readable(run_dir, capsys):
    failed, result = run_module(_args(run_dir), capsys)
    assert not failed
    summary = result["summary"]
    page = (run_dir / "report.html").read_text()
    # The profile and the times as text, not JSON; percentages with %, latencies with ms.
    assert "<th>Profile</th><td>stress</td>" in page and "&quot;stress&quot;" not in page
    assert "<th>Started</th><td>2026-11-29 18:05:58 UTC</td>" in page
    assert "<th>Duration</th><td>%d s</td>" % summary["duration_s"] in page
    percent = "%.1f%%" % (100.0 * summary["failures"] / summary["requests"])
    assert "<th>Failures</th><td>%d (%s)</td>" % (summary["failures"], percent) in page
    assert "<th>Latency p50 / p95 / p99</th><td>%s ms / %s ms / %s ms</td>" % tuple(
        "%g" % summary[key] for key in ("p50_ms", "p95_ms", "p99_ms")) in page
    assert "<th>Failure threshold</th><td>5% over 3 s</td>" in page
    assert str(summary["failure_ratio"]) not in page


def test_failures_are_grouped_by_endpoint_and_status(run_dir, capsys):
    failed, result = run_module(_args(run_dir), capsys)
    assert not failed
    by_hand = _failures_by_endpoint(run_dir)
    grouped = result["summary"]["failures_grouped"]
    # The fixture has 9 lines for /product/[id], one per product URL: one group now.
    assert {(group["method"], group["name"]): group["occurrences"] for group in grouped} == by_hand
    assert all(group["kind"] == "HTTP 503" for group in grouped)
    product = [group for group in grouped if group["name"] == "/product/[id]"][0]
    assert product["errors"] == 9 and grouped[0] is not None and grouped[0]["name"] == "/product/[id]"
    page = (run_dir / "report.html").read_text()
    assert "<tr><td>GET</td><td>/product/[id]</td><td>HTTP 503</td><td>%d</td><td>9</td>" % by_hand[("GET", "/product/[id]")] in page
    assert page.count("<td>/product/[id]</td><td>HTTP 503</td>") == 1


def test_plots_are_twice_the_resolution(run_dir, capsys):
    run_module(_args(run_dir), capsys)
    data = (run_dir / "users_rps.png").read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    # Twice the old 640 x 280 (80 dpi); a little taller, for the legend under the plot.
    assert width == 1280 and height >= 560


def test_report_without_matplotlib(run_dir, capsys, monkeypatch):
    """matplotlib missing: report.html is still written, with the tables, a link to locust.html and how to get plots."""
    # As on a managed host: warnings go into the result. Once controller code (an action plugin's test) is
    # imported in the same pytest worker, ansible-core would print them instead.
    monkeypatch.setattr(ansible_internal, "is_controller", False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # "import matplotlib" now raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    try:
        importlib.reload(locust_plot)
        assert locust_plot.HAS_MATPLOTLIB is False and locust_plot.load_pyplot() is None
        failed, result = run_module(_args(run_dir), capsys)
    finally:
        monkeypatch.undo()
        importlib.reload(locust_plot)
    assert not failed, result
    assert result["plots"] is False
    assert "matplotlib" in json.dumps(result.get("warnings")), result.keys()
    page = (run_dir / "report.html").read_text()
    assert '<a href="locust.html">locust.html</a>' in page and "pip install matplotlib" in page
    assert "<img" not in page and "<th>Breaking point</th>" in page and "HTTP 503" in page
    assert not list(run_dir.glob("*.png"))
    assert json.loads((run_dir / "summary.json").read_text()) == result["summary"]


def test_progress_line_with_the_plan(run_dir, capsys):
    failed, result = run_module({"csv_prefix": str(run_dir / "locust"), "profile": "stress", "progress": True,
                                 "planned_s": 600}, capsys)
    assert not failed
    last = result["progress"]
    assert result["progress_line"].startswith("t=%ds/10m users=%d rps=" % (last["elapsed_s"], last["users"]))
    assert result["progress_line"].endswith(" left")
    assert "line" in last  # the old key stays
    failed, result = run_module({"csv_prefix": str(run_dir / "locust"), "profile": "stress", "progress": True,
                                 "planned_s": 600, "finished": True}, capsys)
    assert result["progress_line"].endswith(", finished")


def test_progress_before_the_first_row(tmp_path, capsys):
    failed, result = run_module({"csv_prefix": str(tmp_path / "locust"), "profile": "stress", "progress": True,
                                 "planned_s": 60}, capsys)
    assert not failed and result["progress"] == {}
    assert result["progress_line"] == "waiting for the workers and the first statistics"


def test_corrupt_history_poll_warns_and_summary_fails(run_dir, capsys):
    history = run_dir / "locust_stats_history.csv"
    history.write_bytes(history.read_bytes().replace(b"1795975563,8,,Aggregated", b"inf,8,,Aggregated"))
    failed, result = run_module({"csv_prefix": str(run_dir / "locust"), "profile": "stress", "progress": True}, capsys)
    assert not failed  # the last row is fine: a poll reads only the tail
    failed, result = run_module(_args(run_dir), capsys)
    assert failed
    assert result["msg"].startswith("cannot summarise the locust run: %s line " % history)
    assert "Timestamp 'inf' is not a time" in result["msg"]


def test_empty_run_record_fails_naming_it(run_dir, capsys):
    (run_dir / "run.json").write_text("")
    failed, result = run_module(_args(run_dir), capsys)
    assert failed and "run_info %s is empty" % (run_dir / "run.json") in result["msg"]


def test_versions_side_by_side():
    summary = json.loads(json.dumps(_SPIKE_LIKE))
    summary["versions"] = {"v1": {"requests": 900, "failures": 9, "p95_ms": 120.0},
                           "v2": {"requests": 300, "failures": 30, "p95_ms": 340.5}}
    page = locust_plot.render_html(summary, plots=None)
    assert "<h2>Versions side by side</h2><table><tr><th></th><th>v1</th><th>v2</th></tr>" in page
    assert "<tr><td>Requests</td><td>900</td><td>300</td></tr>" in page
    assert "<tr><td>Failed</td><td>1%</td><td>10%</td></tr>" in page
    assert "<tr><td>Latency p95</td><td>120 ms</td><td>340 ms</td></tr>" in page or \
        "<tr><td>Latency p95</td><td>120 ms</td><td>341 ms</td></tr>" in page


_SPIKE_LIKE = {"profile": "spike", "requests": 1200, "failures": 39, "failure_ratio": 0.0325, "endpoints": [],
               "failures_grouped": [], "notes": []}


def test_spike_report_has_phase_figures(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("report_scale", os.path.join(ROOT, "benchmarks", "report_scale.py"))
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.write_run(str(tmp_path / "locust"), 300, users=generator.spike(5, 40, 60, 120), fail_above=30)
    failed, result = run_module({"csv_prefix": str(tmp_path / "locust"), "profile": "spike", "window_s": 3.0}, capsys)
    assert not failed, result
    page = (tmp_path / "report.html").read_text()
    for phase, title in (("before", "Before the spike"), ("during", "During the spike"), ("after", "After the spike")):
        assert (tmp_path / ("phase_%s.png" % phase)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert '<h2>%s</h2><img src="phase_%s.png"' % (title, phase) in page
    assert "<tr><td>during</td><td>1 min to 3 min</td><td>40</td>" in page
