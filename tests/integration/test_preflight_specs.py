# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Preflight validates every reached role's argument spec and cross-field rules before anything changes.

Each input below used to be refused only when its own stage started, after earlier stages had
rendered or applied (issue 13, defect 6). Now the entry playbook's preflight stops it: the
render folder stays empty, and the message names the variable. Preflight also runs under any
``--tags`` (tagged ``always``).
"""

from __future__ import annotations

import json
import os

import pytest

# (id, entry playbook, extra vars, text the message must contain)
LATE_INPUTS = [
    ("grafana-public", "site.yml", {"monitoring_grafana_expose": "public"}, "monitoring_grafana_expose"),
    ("locust-podman", "site.yml", {"locust_runtime": "podman"}, "locust_runtime"),
    ("canary-replicas-negative", "canary.yml", {"weight": 25, "canary_replicas": -3}, "canary_replicas"),
    ("canary-replicas-text", "canary.yml", {"weight": 25, "canary_replicas": "abc"}, "canary_replicas"),
    ("canary-hosts-string", "canary.yml", {"weight": 25, "canary_hosts": "shop.example.com"}, "canary_hosts"),
    ("canary-verify-url-ftp", "canary.yml", {"weight": 25, "canary_verify_url": "ftp://127.0.0.1/"}, "canary_verify_url"),
    ("canary-namespace-spaces", "canary.yml", {"weight": 25, "canary_namespace": "my shop"}, "canary_namespace"),
    ("duration-text", "loadtest.yml", {"profile": "stress", "duration": "abc", "target_url": "http://127.0.0.1:9"}, "duration"),
]


def rendered_files(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _dirs, files in os.walk(folder) for name in files)


@pytest.mark.parametrize("playbook,extra,names", [case[1:] for case in LATE_INPUTS], ids=[case[0] for case in LATE_INPUTS])
def test_late_input_is_refused_in_preflight(run_playbook, tmp_path, playbook, extra, names):
    render = tmp_path / "render"
    run = run_playbook(playbook, "-e", "ops_render_dir=%s" % render, "-e", json.dumps(extra), timeout=300)
    assert run.returncode != 0, run.output[-2000:]
    failed = run.output.split("fatal:", 1)[-1]
    assert names in failed, failed[:2000]
    # Stopped in the first play (preflight), before any stage wrote anything.
    assert rendered_files(str(render)) == [], "a stage ran before the bad input was refused"
    assert "Python" not in failed.split("PLAY RECAP")[0] or "Traceback" not in failed


def test_tags_do_not_skip_preflight(run_playbook, tmp_path):
    """--tags monitoring runs only the monitoring stage, but preflight still checks first."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    run = run_playbook("site.yml", "--tags", "monitoring", "-e", "ops_render_dir=%s" % a_file)
    assert run.returncode != 0
    assert "is not a writable folder" in run.output


def test_tags_still_render_the_tagged_stage_only(run_playbook, tmp_path):
    render = tmp_path / "render"
    run = run_playbook("site.yml", "--tags", "monitoring", "-e", "ops_render_dir=%s" % render)
    assert run.returncode == 0, run.output[-3000:]
    assert "boutique.ops.preflight : Require a target" in run.output
    assert sorted(os.listdir(str(render))) == ["monitoring"]
