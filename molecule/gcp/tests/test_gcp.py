# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Verify the planned Google Cloud resources that the gcp scenario rendered.

The files hold the exact parameters the roles hand to the google.cloud modules, so these checks
are about what Google would receive.
"""

from __future__ import annotations

import os

import pytest
import yaml

RENDER = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "render")


def _load(*parts):
    with open(os.path.join(RENDER, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(name="node_pool")
def fixture_node_pool():
    return _load("gke_cluster", "node_pool.yml")


@pytest.fixture(name="firewall")
def fixture_firewall():
    return {rule["name"]: rule for rule in _load("loadgen_vm", "firewall.yml")}


@pytest.fixture(name="instances")
def fixture_instances():
    return _load("loadgen_vm", "instances.yml")


def test_node_pool_is_the_seed_recommendation(node_pool):
    assert node_pool["initial_node_count"] == 4
    assert node_pool["config"]["machine_type"] == "e2-standard-2"
    assert node_pool["config"]["disk_type"] == "pd-balanced"
    assert node_pool["config"]["disk_size_gb"] == 50
    assert node_pool["cluster"] == {"name": "boutique"}
    assert node_pool["project"] == "boutique-molecule"


def test_cluster_matches_node_pool(node_pool):
    cluster = _load("gke_cluster", "cluster.yml")
    assert cluster["name"] == "boutique"
    assert cluster["location"] == node_pool["location"] == "europe-west10-a"
    assert cluster["release_channel"] == {"channel": "REGULAR"}
    # The module's temporary default-pool is one node; the real nodes come from the pool.
    assert cluster["initial_node_count"] == 1
    assert cluster["resource_labels"]["managed-by"] == "boutique-ops"


def test_kubeconfig_is_project_local():
    credentials = _load("gke_cluster", "credentials.yml")
    assert credentials["kubeconfig"].endswith("/.kube/boutique.config")
    assert credentials["argv"][:4] == ["gcloud", "container", "clusters", "get-credentials"]


def test_ui_firewall_source_ranges_empty_by_default(firewall):
    ui = firewall["boutique-loadgen-ui"]
    assert ui["source_ranges"] == []
    # A rule with no source range would admit everyone: it is planned absent instead.
    assert ui["state"] == "absent"
    assert ui["allowed"] == [{"ip_protocol": "tcp", "ports": [8089]}]


def test_no_rule_is_open_to_the_internet(firewall):
    # Present allow rules: between the VMs by tag, or from Google's IAP range only.
    for rule in firewall.values():
        if rule["state"] == "present" and "allowed" in rule:
            assert rule.get("source_ranges", []) in ([], ["35.235.240.0/20"]), rule["name"]
            assert rule.get("source_ranges") or rule["source_tags"], rule["name"]


def test_ssh_only_through_iap(firewall):
    assert firewall["boutique-loadgen-iap"]["source_ranges"] == ["35.235.240.0/20"]
    assert firewall["boutique-loadgen-ssh"]["state"] == "absent"
    deny = firewall["boutique-loadgen-ssh-deny"]
    assert deny["state"] == "present" and deny["source_ranges"] == ["0.0.0.0/0"] and "allowed" not in deny


def test_master_port_only_between_loadgen_vms(firewall):
    master = firewall["boutique-loadgen-master"]
    assert master["state"] == "present"
    assert master["allowed"] == [{"ip_protocol": "tcp", "ports": [5557]}]
    assert master["source_tags"] == master["target_tags"] == ["boutique-loadgen"]
    assert "source_ranges" not in master


def test_three_vms(instances):
    assert [vm["name"] for vm in instances] == ["boutique-loadgen-1", "boutique-loadgen-2", "boutique-loadgen-3"]


def test_vm_spec(instances):
    for vm in instances:
        assert vm["machine_type"] == "e2-standard-2"
        assert vm["zone"] == "europe-west10-a"
        assert vm["disks"][0]["initialize_params"]["source_image"].endswith("/family/debian-12")
        assert vm["labels"]["role"] == "loadgen"
        assert vm["tags"]["items"] == ["boutique-loadgen"]
        assert vm["service_accounts"] == [{"email": "default", "scopes": ["https://www.googleapis.com/auth/logging.write"]}]
        # Docker comes over SSH, never from a startup script.
        assert set(vm["metadata"]) == {"ssh-keys"}
        assert vm["metadata"]["ssh-keys"].startswith("boutique:")


def test_one_address_per_vm(instances):
    addresses = _load("loadgen_vm", "addresses.yml")
    assert [a["name"] for a in addresses] == [vm["name"] + "-ip" for vm in instances]
    assert {a["region"] for a in addresses} == {"europe-west10"}


def test_teardown_plan():
    cluster = _load("gke_cluster", "teardown.yml")
    assert cluster["node_pool"]["name"] == "boutique-pool"
    assert cluster["cluster"] == {"name": "boutique", "location": "europe-west10-a"}
    loadgen = _load("loadgen_vm", "teardown.yml")
    assert loadgen["instances"]["labels"] == {"role": "loadgen"}
    assert sorted(loadgen["firewall"]) == [
        "boutique-loadgen-iap", "boutique-loadgen-master", "boutique-loadgen-ssh", "boutique-loadgen-ssh-deny", "boutique-loadgen-ui"]
    assert cluster["kubeconfig"]["entries"] == "gke_boutique-molecule_europe-west10-a_boutique"


def test_rendered_files_are_0644(host):
    for role in ("gke_cluster", "loadgen_vm"):
        folder = os.path.join(RENDER, role)
        for name in os.listdir(folder):
            assert host.file(os.path.join(folder, name)).mode == 0o644, name
