# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""locust_report on CSVs recorded from a real stress run (tests/fixtures/locust/stress)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from ansible_collections.boutique.ops.plugins.modules import locust_report
from ansible_collections.boutique.ops.tests.unit.plugins.modules import utils

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "locust")


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
    assert "<th>Breaking point</th>" not in html and "<td>Breaking point</td>" in html


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
