# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Per-version results and the Host header, for real: locust against a stand-in shop that answers
from v1 or v2 (3:1) with the canary's x-boutique-version header."""

from __future__ import annotations

import json
import os

from ansible_collections.boutique.ops.plugins.module_utils import locust_stats
from ansible_collections.boutique.ops.tests.helpers import run_locustfile, start_standin_shop, stop_process


def test_versions_grouped_from_the_journeys_own_responses(tmp_path):
    stats_file = tmp_path / "standin.json"
    shop, url = start_standin_shop(tmp_path, "--stats-file", stats_file, "--versions", "v1=3,v2=1")
    try:
        env = dict(os.environ, BOUTIQUE_WAIT_MIN="0.02", BOUTIQUE_WAIT_MAX="0.05", BOUTIQUE_HOST_HEADER="boutique.local")
        env.pop("LOCUST_PROFILE", None)
        result = run_locustfile(url, "-u", "4", "-r", "4", "-t", "6s", "--stop-timeout", "2", "--csv", tmp_path / "locust",
                                env=env)
    finally:
        stop_process(shop)
    assert result.returncode == 0, result.stderr[-2000:]
    counts = json.loads(stats_file.read_text())["counts"]
    # Every request, redirects followed included, carried the Host header.
    assert set(counts["hosts"]) == {"boutique.local"}
    summary = locust_stats.summarize(str(tmp_path / "locust"), "endurance")
    versions = summary["versions"]
    assert set(versions) == {"v1", "v2"}
    total = versions["v1"]["requests"] + versions["v2"]["requests"]
    # locust counts a redirected POST once (the shop twice): one version per journey request, those
    # finished during the stop timeout included (locust's CSV is written before they end).
    assert total == counts["journey"]
    assert 0.65 < versions["v1"]["requests"] / total < 0.85
    assert versions["v1"]["failures"] == versions["v2"]["failures"] == 0
    assert versions["v1"]["p95_ms"] is not None
