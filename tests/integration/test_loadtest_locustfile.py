# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The locustfile runs standalone, exactly as its docstring says, against the stand-in shop.

    locust -f roles/locust/files/locustfile.py --headless -H URL -u N -r N -t 10s
"""

from __future__ import annotations

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
             "-u", "3", "-r", "3", "-t", "10s", "--stop-timeout", "3", "--json"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )
    finally:
        shop.send_signal(signal.SIGTERM)
        shop.wait(10)
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
