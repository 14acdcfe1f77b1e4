# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The locustfile runs standalone, exactly as its docstring says, against the stand-in shop.

    locust -f roles/locust/files/locustfile.py --headless -H URL -u N -r N -t 10s
"""

from __future__ import annotations

import json
import os

from ansible_collections.boutique.ops.tests.helpers import run_locustfile, start_standin_shop, stop_process


def test_standalone_run_matches_the_shop(tmp_path):
    stats_file = tmp_path / "standin.json"
    shop, url = start_standin_shop(tmp_path, "--stats-file", stats_file)
    try:
        env = dict(os.environ, BOUTIQUE_WAIT_MIN="0.1", BOUTIQUE_WAIT_MAX="0.3")
        env.pop("LOCUST_PROFILE", None)
        result = run_locustfile(url, "-u", "3", "-r", "3", "-t", "10s", "--stop-timeout", "3", "--json", env=env)
    finally:
        stop_process(shop)
    # Exit code 0: no request failed (locust exits 1 on any failure).
    assert result.returncode == 0, result.stderr[-2000:]
    # --json prints the final statistics after the users' grace period (--stop-timeout), so the
    # tasks that finish during it are counted, as the shop counts them.
    entries = json.loads(result.stdout)
    routes = {"%s %s" % (entry["method"], entry["name"]): entry["num_requests"] for entry in entries}
    counts = json.loads(stats_file.read_text())["counts"]
    assert sum(routes.values()) > 20
    assert sum(entry["num_failures"] for entry in entries) == 0
    assert routes == counts["routes"]
    assert sum(routes.values()) == counts["journey"]
