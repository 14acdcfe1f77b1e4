# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Final totals from locust's own --json-file output, on a real run.

locust runs the journey against the stand-in shop (failing above 2 users) with
--csv --csv-full-history --json-file, as the load-test role starts it. locust writes locust.json
after the users' grace period (--stop-timeout) and _stats.csv before it, so the JSON counts the
requests that finished during the grace period too: its totals must equal the shop's own
counters. Its percentiles, recomputed here from the JSON's histogram, must equal what locust's
own code computes from the same data (run in a separate process: importing locust here would
monkey-patch the test process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.boutique.ops.plugins.module_utils import locust_stats
from ansible_collections.boutique.ops.tests.helpers import run_locustfile, start_standin_shop, stop_process

LOCUST_PERCENTILES = r"""
import json, sys
from locust.stats import calculate_response_time_percentile as pct
entries = json.load(open(sys.argv[1]))
total = {"name": "Aggregated", "method": "", "num_requests": 0, "response_times": {}}
out = {}
for entry in entries + [total]:
    times = dict((int(k), v) for k, v in entry["response_times"].items())
    if entry is not total:
        total["num_requests"] += entry["num_requests"]
        for key, value in entry["response_times"].items():
            total["response_times"][key] = total["response_times"].get(key, 0) + value
    out["%s %s" % (entry["method"], entry["name"])] = [pct(times, entry["num_requests"], p) for p in (0.5, 0.95, 0.99)]
print(json.dumps(out))
"""


def test_json_totals_match_the_shop_and_locusts_percentiles(tmp_path):
    stats_file = tmp_path / "standin.json"
    shop, url = start_standin_shop(tmp_path, "--stats-file", stats_file, "--fail-above", "2")
    prefix = str(tmp_path / "locust")
    try:
        env = dict(os.environ, BOUTIQUE_WAIT_MIN="0.05", BOUTIQUE_WAIT_MAX="0.1")
        env.pop("LOCUST_PROFILE", None)
        result = run_locustfile(url, "-u", "4", "-r", "4", "-t", "6s", "--stop-timeout", "2", "--csv", prefix,
                                "--csv-full-history", "--json-file", prefix, "--exit-code-on-error", "0",
                                "--loglevel", "WARNING", env=env)
    finally:
        stop_process(shop)
    assert result.returncode == 0, result.stderr[-2000:]
    counts = json.loads(stats_file.read_text())["counts"]
    endpoints, aggregated, source = locust_stats.final_stats(prefix)
    assert source == "json"
    assert aggregated["requests"] == counts["journey"] and aggregated["failures"] == counts["failed"] > 0
    assert dict(("%s %s" % (entry["method"], entry["name"]), entry["requests"]) for entry in endpoints) == counts["routes"]
    _csv_endpoints, csv_aggregated = locust_stats.read_stats(prefix + "_stats.csv")
    assert csv_aggregated["requests"] <= aggregated["requests"]
    theirs = json.loads(subprocess.run([sys.executable, "-c", LOCUST_PERCENTILES, prefix + ".json"], capture_output=True,
                                       text=True, timeout=60, check=True).stdout)
    for entry in endpoints + [aggregated]:
        assert [entry["p50_ms"], entry["p95_ms"], entry["p99_ms"]] == theirs["%s %s" % (entry["method"], entry["name"])], entry["name"]
    summary = locust_stats.summarize(prefix, "none")
    assert summary["totals_from"].startswith("locust.json") and summary["requests"] == counts["journey"]
