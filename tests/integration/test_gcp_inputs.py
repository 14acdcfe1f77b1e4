# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Bad Google Cloud inputs stop the gcp stages before anything changes.

Each case runs the real playbooks with ansible-playbook against the gcp inventory (hosts.yml
only: the gcp_compute dynamic inventory needs Google) and checks the exit code, that the message
names what to change, and that nothing was written (render mode) or created (apply mode).
Apply-mode cases fail in preflight before any gcloud call that would need the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INVENTORY = os.path.join(REPO, "inventories", "gcp", "hosts.yml")
VENV_BIN = os.path.dirname(sys.executable)


def _run(playbook, extra, render_dir=None, timeout=300):
    env = dict(os.environ)
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_NOCOLOR"] = "1"
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, playbook]
    variables = dict(extra)
    if render_dir is not None:
        variables["ops_render_dir"] = str(render_dir)
    args += ["-e", json.dumps(variables)]
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return result.returncode, result.stdout + result.stderr


GOOD = {"gcp_project": "boutique-tests"}

# (id, extra vars, text the failure must contain)
BAD_INPUTS = [
    ("no-project", {}, "gcp_project= is not usable: it is empty"),
    ("bad-project", {"gcp_project": "My Project"}, "a project ID has 6 to 30 lowercase letters"),
    ("malformed-zone", dict(GOOD, gcp_zone="europe-west10"), "gcp_zone=europe-west10 is not a zone of gcp_region=europe-west10"),
    ("zone-in-other-region", dict(GOOD, gcp_zone="us-central1-a"), "it belongs to another region"),
    ("zero-vms", dict(GOOD, loadgen_vm_count=0), "loadgen_vm_count=0 is out of range: allowed are 1 to 20"),
    ("fifty-vms", dict(GOOD, loadgen_vm_count=50), "loadgen_vm_count=50 is out of range: allowed are 1 to 20"),
    ("ui-open-to-world", dict(GOOD, loadgen_ui_allowed_cidrs=["0.0.0.0/0"]), "add -e loadgen_ui_allow_public=true"),
    ("ui-host-bits", dict(GOOD, loadgen_ui_allowed_cidrs=["203.0.113.7/24"]), "has host bits set"),
    ("missing-key-file", dict(GOOD, gcp_auth_kind="serviceaccount", gcp_service_account_file="/nonexistent/key.json"),
     "gcp_service_account_file=/nonexistent/key.json does not exist"),
    ("unknown-auth-kind", dict(GOOD, gcp_auth_kind="machineaccount"), "gcp_auth_kind=machineaccount is not supported"),
    ("cluster-name-too-long", dict(GOOD, gke_cluster_name="b" * 41), "it has 41 characters, at most 40 are allowed"),
    ("too-many-nodes", dict(GOOD, gke_cluster_node_count=0), "gke_cluster_node_count=0 must be 1 to 20"),
    ("bad-label", dict(GOOD, gke_cluster_labels={"Team": "ops"}), "gke_cluster_labels has invalid labels"),
]


@pytest.mark.parametrize("extra,expected", [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_rejected_in_render_mode(tmp_path, extra, expected):
    render = tmp_path / "render"
    code, output = _run("site.yml", extra, render_dir=render)
    assert code == 2, output[-3000:]
    assert expected in " ".join(output.split()), output[-3000:]
    # Nothing planned was written: the check ran before the gcp roles' render step.
    assert not (render / "gke_cluster").exists()
    assert not (render / "loadgen_vm").exists()


@pytest.mark.parametrize("extra,expected", [
    (dict(GOOD, gcp_auth_kind="serviceaccount", gcp_service_account_file="/nonexistent/key.json"),
     "gcp_service_account_file=/nonexistent/key.json does not exist"),
    (dict(GOOD, gcp_zone="europe-west10"), "gcp_zone=europe-west10 is not a zone"),
    (dict(GOOD, loadgen_vm_count=50), "loadgen_vm_count=50 is out of range"),
], ids=["missing-key-file", "malformed-zone", "fifty-vms"])
def test_bad_input_rejected_in_apply_mode_before_any_change(tmp_path, extra, expected):
    # Apply mode: preflight stops before any gcloud call and before the kubeconfig exists.
    kubeconfig = tmp_path / "kube" / "boutique.config"
    code, output = _run("site.yml", dict(extra, ops_kubeconfig=str(kubeconfig)))
    assert code == 2, output[-3000:]
    assert expected in " ".join(output.split()), output[-3000:]
    assert "Preflight" in output
    assert not kubeconfig.parent.exists()


def test_public_ui_needs_and_honours_allow_public(tmp_path):
    render = tmp_path / "render"
    extra = dict(GOOD, loadgen_ui_allowed_cidrs=["0.0.0.0/0"], loadgen_ui_allow_public=True, loadgen_vm_count=5)
    code, output = _run(os.path.join("playbooks", "loadgen_vm.yml"), extra, render_dir=render)
    assert code == 0, output[-3000:]
    rules = {rule["name"]: rule for rule in yaml.safe_load((render / "loadgen_vm" / "firewall.yml").read_text())}
    assert rules["boutique-loadgen-ui"]["state"] == "present"
    assert rules["boutique-loadgen-ui"]["source_ranges"] == ["0.0.0.0/0"]
    assert len(yaml.safe_load((render / "loadgen_vm" / "instances.yml").read_text())) == 5
    # With the UI reachable, no tunnel is proposed.
    assert "is open to 0.0.0.0/0" in output


def test_default_ui_prints_the_ssh_tunnel(tmp_path):
    code, output = _run(os.path.join("playbooks", "loadgen_vm.yml"), GOOD, render_dir=tmp_path / "render")
    assert code == 0, output[-3000:]
    assert ("gcloud compute ssh boutique-loadgen-1 --project boutique-tests --zone europe-west10-a "
            "-- -N -L 8089:localhost:8089") in output


def test_autopilot_render(tmp_path):
    render = tmp_path / "render"
    code, output = _run(os.path.join("playbooks", "gke_cluster.yml"), dict(GOOD, gke_autopilot=True), render_dir=render)
    assert code == 0, output[-3000:]
    plan = yaml.safe_load((render / "gke_cluster" / "autopilot.yml").read_text())
    assert plan["create"][:5] == ["gcloud", "container", "clusters", "create-auto", "boutique"]
    assert "--async" in plan["create"]
    # Idempotent by describing first, in the region (Autopilot clusters are regional).
    assert plan["describe"][:4] == ["gcloud", "container", "clusters", "describe"]
    assert plan["describe"][plan["describe"].index("--location") + 1] == "europe-west10"
    assert not (render / "gke_cluster" / "node_pool.yml").exists()


def test_local_target_skips_the_gcp_stages(tmp_path):
    render = tmp_path / "render"
    env_inventory = os.path.join(REPO, "inventories", "local", "hosts.yml")
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1")
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", env_inventory, os.path.join("playbooks", "gke_cluster.yml"),
            "-e", "ops_render_dir=%s" % render]
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert not (render / "gke_cluster").exists()
