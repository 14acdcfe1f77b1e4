# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""canary.yml rolls back when the split check meets a gateway that never finishes its answers.

The gateway is a hostile server on 127.0.0.1 that drips one header line every 2 s (see
tests/unit/plugins/modules/test_traffic_split_hostile.py); canary.yml runs in render mode with
canary_verify_url pointing at it. traffic_split must end by its per-request deadline with `fail`,
and the canary's rescue must render weight 0 and say why.
"""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.boutique.ops.tests.unit.plugins.modules.test_traffic_split_hostile import (
    HostileServer,
    drip_headers,
)


def test_dripping_gateway_fails_the_check_and_rolls_back(run_playbook, tmp_path):
    server = HostileServer(drip_headers)
    try:
        run = run_playbook("canary.yml", "-e", "ops_render_dir=%s" % (tmp_path / "render"), "-e", "weight=25",
                           "-e", "canary_verify_url=%s" % server.url, "-e", "canary_settle_seconds=0",
                           "-e", "canary_analysis=false", timeout=300)
    finally:
        server.close()
    text = " ".join(run.output.split())
    assert run.returncode != 0, run.output[-3000:]
    assert "response_deadline: the whole answer did not arrive within timeout=5.0 s" in text, run.output[-3000:]
    assert "Rolled back: weight 0" in text, run.output[-3000:]
    with open(os.path.join(str(tmp_path / "render"), "canary", "virtualservice.yml"), encoding="utf-8") as handle:
        virtualservice = next(yaml.safe_load_all(handle))
    assert dict((d["destination"]["subset"], d["weight"]) for d in virtualservice["spec"]["http"][0]["route"]) == {"v1": 100, "v2": 0}
    # The check itself (profile_tasks' time of the task) ends by the per-request deadline, 5 s, not by
    # the server: every worker's first request drips, and 16 failures exhaust the error budget.
    check_seconds = [float(s) for s in re.findall(r"Measure the split at \S+ -+ ([\d.]+)s", run.output)]
    assert check_seconds and max(check_seconds) < 15, check_seconds
