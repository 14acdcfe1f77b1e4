# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The locustfile runs standalone, exactly as its docstring says, against the stand-in shop.

    locust -f roles/locust/files/locustfile.py --headless -H URL -u N -r N -t 10s
"""

from __future__ import annotations

import csv
import json
import os
import re

import pytest

from ansible_collections.boutique.ops.tests.helpers import REPO_ROOT, free_port, run_locustfile, start_standin_shop, stop_process


def _env(wait_min="0.1", wait_max="0.3"):
    env = dict(os.environ, BOUTIQUE_WAIT_MIN=wait_min, BOUTIQUE_WAIT_MAX=wait_max)
    env.pop("LOCUST_PROFILE", None)
    return env


def test_standalone_run_matches_the_shop(tmp_path):
    stats_file = tmp_path / "standin.json"
    shop, url = start_standin_shop(tmp_path, "--stats-file", stats_file)
    try:
        result = run_locustfile(url, "-u", "3", "-r", "3", "-t", "10s", "--stop-timeout", "3", "--json", env=_env())
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
    # The cookies, as a browser sends them: on every request, the redirected ones included (without
    # the session the frontend would show a new, empty cart), with the currency just chosen.
    assert counts["redirect_follow"] > 0
    assert counts["no_session"] == 0 and counts["stale_currency"] == 0, counts


def _failures(prefix):
    """{(method, name): [errors]} from locust's PREFIX_failures.csv."""
    failures = {}
    with open(str(prefix) + "_failures.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            failures.setdefault((row["Method"], row["Name"]), []).append(row["Error"])
    return failures


@pytest.mark.parametrize("shop_args, error", [
    (("--fail-after", "0.001"), r"^CatchResponseError\('HTTP 503'\)$"),
    (("--blank",), r"""^CatchResponseError\("content marker '[^']+' missing"\)$"""),
    (None, r"""^CatchResponseError\("no answer: ConnectionRefusedError\(.*\)"\)$"""),
], ids=["http-error", "wrong-page", "no-shop"])
def test_failures_say_why_and_group_by_endpoint(tmp_path, shop_args, error):
    """An HTTP error by its status, a page without its marker, a shop that is not there: each a failure."""
    shop, url = start_standin_shop(tmp_path, *shop_args) if shop_args else (None, "http://127.0.0.1:%d" % free_port())
    try:
        result = run_locustfile(url, "-u", "2", "-r", "2", "-t", "3s", "--stop-timeout", "2", "--csv", tmp_path / "locust",
                                "--exit-code-on-error", "0", env=_env("0.02", "0.05"))
    finally:
        if shop:
            stop_process(shop)
    assert result.returncode == 0, result.stderr[-2000:]
    failures = _failures(tmp_path / "locust")
    # Every endpoint the users reached failed, under its endpoint name (one /product/[id], not one per URL).
    assert ("GET", "/") in failures and ("GET", "/product/[id]") in failures, failures
    assert set(name for _method, name in failures) <= {"/", "/setCurrency", "/product/[id]", "/cart", "/cart/checkout"}
    for errors in failures.values():
        assert all(re.match(error, item) for item in errors), errors
    if shop_args == ("--fail-after", "0.001"):
        assert all(len(errors) == 1 for errors in failures.values()), failures


def test_journey_without_locusts_client_pool(tmp_path):
    """Should locust's FastHttpSession no longer hold the client, the journey builds one with the same settings."""
    wrapper = tmp_path / "without_pool.py"
    wrapper.write_text(
        "import sys\n"
        "sys.path.insert(0, %r)\n"
        "from locustfile import BoutiqueShopper\n\n\n"
        "class WithoutPool(BoutiqueShopper):\n"
        "    def on_start(self):\n"
        "        self.client.client = None\n"
        "        super().on_start()\n" % os.path.join(REPO_ROOT, "roles", "locust", "files"))
    stats_file = tmp_path / "standin.json"
    shop, url = start_standin_shop(tmp_path, "--stats-file", stats_file)
    try:
        result = run_locustfile(url, "-u", "2", "-r", "2", "-t", "4s", "--stop-timeout", "2", "--json", env=_env(),
                                locustfile=wrapper, user_classes=["WithoutPool"])
    finally:
        stop_process(shop)
    assert result.returncode == 0, result.stderr[-2000:]
    entries = json.loads(result.stdout)
    counts = json.loads(stats_file.read_text())["counts"]
    assert sum(entry["num_requests"] for entry in entries) == counts["journey"] > 5
    assert counts["no_session"] == 0
