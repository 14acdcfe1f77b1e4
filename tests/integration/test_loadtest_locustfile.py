# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The locustfile runs standalone, exactly as its docstring says, against the stand-in shop.

    locust -f roles/locust/files/locustfile.py --headless -H URL -u N -r N -t 10s
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time


def test_standalone_run_matches_the_shop(repo_root, tmp_path):
    port_file = tmp_path / "port"
    stats_file = tmp_path / "standin.json"
    shop = subprocess.Popen([sys.executable, os.path.join(repo_root, "molecule", "loadtest", "standin_shop.py"),  # pylint: disable=consider-using-with
                             "--port-file", str(port_file), "--stats-file", str(stats_file), "--max-seconds", "60"])
    try:
        deadline = time.time() + 10
        while not port_file.exists():
            assert time.time() < deadline
            time.sleep(0.1)
        url = "http://127.0.0.1:%s" % port_file.read_text()
        env = dict(os.environ, BOUTIQUE_WAIT_MIN="0.1", BOUTIQUE_WAIT_MAX="0.3")
        env.pop("LOCUST_PROFILE", None)
        locust = os.path.join(os.path.dirname(sys.executable), "locust")
        result = subprocess.run(
            [locust, "-f", os.path.join(repo_root, "roles", "locust", "files", "locustfile.py"), "--headless", "-H", url,
             "-u", "3", "-r", "3", "-t", "10s", "--stop-timeout", "3", "--csv", str(tmp_path / "run"), "--only-summary"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )
    finally:
        shop.send_signal(signal.SIGTERM)
        shop.wait(10)
    # Exit code 0: no request failed (locust exits 1 on any failure).
    assert result.returncode == 0, result.stderr[-2000:]
    with open(tmp_path / "run_stats.csv", encoding="utf-8") as handle:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}
    total = int(rows[("", "Aggregated")]["Request Count"])
    counts = json.loads(stats_file.read_text())["counts"]
    assert total > 20
    assert total == counts["journey"]
    assert {"%s %s" % key: int(row["Request Count"]) for key, row in rows.items() if key[0]} == counts["routes"]
