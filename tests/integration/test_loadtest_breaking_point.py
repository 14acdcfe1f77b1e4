# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""One breaking-point rule: a real stress run's master log and its summary name the same point.

locust runs the stress shape standalone against the stand-in shop, which answers 503 once more
than 6 connections are open; the shape logs the breaking point it found while the run went on,
and locust_stats.summarize finds it again in the CSV history afterwards.
"""

from __future__ import annotations

import os

from ansible_collections.boutique.ops.plugins.module_utils import breaking_point, locust_stats
from ansible_collections.boutique.ops.tests.helpers import run_locustfile, start_standin_shop, stop_process


def test_stress_summary_and_master_log_agree(tmp_path):
    shop, url = start_standin_shop(tmp_path, "--fail-above", "6")
    try:
        env = dict(os.environ, LOCUST_PROFILE="stress", BOUTIQUE_WAIT_MIN="0.05", BOUTIQUE_WAIT_MAX="0.1",
                   BOUTIQUE_RAMP_RATE="2", BOUTIQUE_STEP_S="2", BOUTIQUE_MAX_USERS="30", BOUTIQUE_DURATION_S="25",
                   BOUTIQUE_FAIL_RATIO="0.05", BOUTIQUE_WINDOW_S="3")
        result = run_locustfile(url, "--csv", tmp_path / "locust", "--csv-full-history", "--logfile", tmp_path / "master.log",
                                "--loglevel", "INFO", "--stop-timeout", "2", "--exit-code-on-error", "0", env=env)
    finally:
        stop_process(shop)
    assert result.returncode == 0, result.stderr[-2000:]
    logged = breaking_point.parse_log((tmp_path / "master.log").read_text())
    assert logged is not None, (tmp_path / "master.log").read_text()[-2000:]
    summary = locust_stats.summarize(str(tmp_path / "locust"), "stress", threshold=0.05, window_s=3.0)
    assert summary["breaking_point_users"] == logged["users"]
    assert summary["breaking_point_at"] == logged["at"]
    assert summary["breaking_point_after_s"] == logged["after_s"]
    assert summary["breaking_point_failure_ratio"] == logged["failure_ratio"]
    # The shop's capacity is 6 connections (one per user): the point is past it, within a ramp step or two.
    assert 6 < logged["users"] <= 6 + 3 * 4
    assert logged["failure_ratio"] > 0.05
