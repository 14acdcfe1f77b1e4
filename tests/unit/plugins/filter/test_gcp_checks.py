# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/gcp_checks.py: names, CIDRs, labels and quota arithmetic."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter import gcp_checks as gc

# The seed's recommended cluster and the default load generators.
SEED_PLAN = {
    "nodes": {"count": 4, "machine_type": "e2-standard-2", "disk_size_gb": 50, "disk_type": "pd-balanced"},
    "vms": {"count": 3, "machine_type": "e2-standard-2", "disk_size_gb": 20, "disk_type": "pd-balanced", "static_ip": True},
    "load_balancers": 2,
}


@pytest.mark.parametrize("value,kind", [
    ("my-project-id", "project"),
    ("lorteau-microservices-demo", "project"),
    ("europe-west10", "region"),
    ("northamerica-northeast2", "region"),
    ("europe-west10-a", "zone"),
    ("us-central1-f", "zone"),
    ("boutique", "cluster"),
    ("a" * 40, "cluster"),
    ("boutique-loadgen-1", "resource"),
    ("a" * 63, "resource"),
])
def test_valid_names(value, kind):
    assert gc.gcp_name_problem(value, kind) == ""


@pytest.mark.parametrize("value,kind,fragment", [
    ("", "project", "empty"),
    (None, "project", "empty"),
    ("My-Project", "project", "project ID"),
    ("short", "project", "project ID"),
    ("proj-", "project", "project ID"),
    ("europe-west10-a", "region", "region"),
    ("europe-west10", "zone", "zone"),
    ("europe-west10-1", "zone", "zone"),
    ("EUROPE-WEST10-A", "zone", "zone"),
    ("europe_west10-a", "zone", "zone"),
    ("a" * 41, "cluster", "at most 40"),
    ("a" * 64, "resource", "at most 63"),
    ("1boutique", "resource", "start with a letter"),
    ("boutique-", "resource", "start with a letter"),
    ("Boutique", "cluster", "lowercase"),
    (42, "resource", "not a string"),
])
def test_invalid_names(value, kind, fragment):
    assert fragment in gc.gcp_name_problem(value, kind)


def test_unknown_kind_is_an_error():
    with pytest.raises(AnsibleFilterError, match="unknown kind"):
        gc.gcp_name_problem("x", "bucket")


@pytest.mark.parametrize("zone,region", [
    ("europe-west10-a", "europe-west10"),
    ("us-central1-f", "us-central1"),
    ("europe-west10", ""),
    ("", ""),
    (None, ""),
])
def test_zone_region(zone, region):
    assert gc.gcp_zone_region(zone) == region


def test_labels_valid_and_empty():
    assert gc.gcp_label_problems({"app": "boutique", "managed-by": "ansible", "empty": ""}) == []
    assert gc.gcp_label_problems({}) == []
    assert gc.gcp_label_problems(None) == []


def test_labels_problems_each_reported():
    problems = gc.gcp_label_problems({"App": "x", "team": "Ops Team", "ok": "fine"})
    assert len(problems) == 2
    assert "'App'" in problems[0]
    assert "team" in problems[1]
    assert gc.gcp_label_problems(["a"])[0].startswith("labels must be a dict")
    assert "at most 64" in gc.gcp_label_problems({"k%d" % i: "v" for i in range(65)})[0]


@pytest.mark.parametrize("machine_type,cpus", [
    ("e2-standard-2", 2), ("e2-standard-4", 4), ("n2-highmem-8", 8), ("e2-highcpu-16", 16),
    ("c3-standard-4-lssd", 4), ("e2-medium", 2), ("f1-micro", 1), ("n2-custom-6-16384", 6),
    ("custom-4-8192", 4), ("n2-custom-2-20480-ext", 2),
])
def test_machine_cpus(machine_type, cpus):
    assert gc.gcp_machine_cpus(machine_type) == cpus


@pytest.mark.parametrize("machine_type", ["", "big-machine", None, "e2-standard"])
def test_machine_cpus_unknown(machine_type):
    with pytest.raises(AnsibleFilterError, match="cannot tell the vCPUs"):
        gc.gcp_machine_cpus(machine_type)
    assert gc.gcp_machine_type_known(machine_type) is False


def test_machine_type_known():
    assert gc.gcp_machine_type_known("e2-standard-2") and gc.gcp_machine_type_known("n2-custom-4-8192")


def test_quota_needs_seed_plan():
    # 4 nodes x 2 + 3 VMs x 2 vCPUs; 4 x 50 + 3 x 20 GB of SSD-class disk; 4 + 3 + 2 addresses.
    assert gc.gcp_quota_needs(SEED_PLAN) == {
        "CPUS": 14, "SSD_TOTAL_GB": 260, "DISKS_TOTAL_GB": 0, "IN_USE_ADDRESSES": 9, "STATIC_ADDRESSES": 3,
    }


def test_quota_needs_standard_disks_and_no_static_ips():
    plan = {
        "nodes": {"count": 2, "machine_type": "e2-standard-4", "disk_size_gb": 100, "disk_type": "pd-standard"},
        "vms": {"count": 1, "machine_type": "e2-medium", "disk_size_gb": 10, "disk_type": "pd-ssd", "static_ip": False},
    }
    assert gc.gcp_quota_needs(plan) == {
        "CPUS": 10, "SSD_TOTAL_GB": 10, "DISKS_TOTAL_GB": 200, "IN_USE_ADDRESSES": 3, "STATIC_ADDRESSES": 0,
    }


def test_quota_needs_empty_groups_count_nothing():
    assert gc.gcp_quota_needs({"nodes": {"count": 0}, "load_balancers": 1})["IN_USE_ADDRESSES"] == 1


@pytest.mark.parametrize("plan,fragment", [
    ([], "expects a dict"),
    ({"nodes": {"count": "four", "machine_type": "e2-standard-2"}}, "whole number"),
    ({"nodes": {"count": -1, "machine_type": "e2-standard-2"}}, "negative"),
    ({"nodes": {"count": 1, "machine_type": "e2-standard-2", "disk_size_gb": 10, "disk_type": "pd-fast"}}, "unknown disk type"),
])
def test_quota_needs_bad_plans(plan, fragment):
    with pytest.raises(AnsibleFilterError, match=fragment):
        gc.gcp_quota_needs(plan)


def _quotas(**free):
    # gcloud's shape: limit and usage as floats.
    return [{"metric": metric, "limit": float(limit), "usage": float(usage)} for metric, (limit, usage) in free.items()]


def test_shortfalls_none_when_quota_suffices():
    needs = gc.gcp_quota_needs(SEED_PLAN)
    quotas = _quotas(CPUS=(24, 0), SSD_TOTAL_GB=(500, 0), IN_USE_ADDRESSES=(12, 3), STATIC_ADDRESSES=(8, 0))
    assert gc.gcp_quota_shortfalls(needs, quotas) == []


def test_shortfalls_free_trial_ssd_quota():
    # The seed's situation: a free trial's small SSD quota cannot hold 4 nodes of 100 GB pd-balanced.
    plan = {"nodes": {"count": 4, "machine_type": "e2-standard-2", "disk_size_gb": 100, "disk_type": "pd-balanced"}}
    short = gc.gcp_quota_shortfalls(gc.gcp_quota_needs(plan), _quotas(CPUS=(24, 0), SSD_TOTAL_GB=(250, 0), IN_USE_ADDRESSES=(8, 0)))
    assert [s["metric"] for s in short] == ["SSD_TOTAL_GB"]
    assert short[0]["need"] == 400 and short[0]["free"] == 250 and short[0]["limit"] == 250
    assert "gke_cluster_disk_size_gb" in short[0]["hint"]


def test_shortfalls_count_usage_and_exact_fit():
    needs = {"CPUS": 8, "IN_USE_ADDRESSES": 4}
    # 8 free CPUs fit exactly; 4 addresses needed but only 3 free.
    short = gc.gcp_quota_shortfalls(needs, _quotas(CPUS=(12, 4), IN_USE_ADDRESSES=(8, 5)))
    assert [(s["metric"], s["free"], s["usage"]) for s in short] == [("IN_USE_ADDRESSES", 3, 5)]


def test_shortfalls_skip_unlisted_and_zero_needs():
    needs = {"CPUS": 2, "DISKS_TOTAL_GB": 0, "STATIC_ADDRESSES": 3}
    assert gc.gcp_quota_shortfalls(needs, _quotas(DISKS_TOTAL_GB=(0, 0))) == []
    with pytest.raises(AnsibleFilterError):
        gc.gcp_quota_shortfalls([], [])


def test_filter_map():
    assert set(gc.FilterModule().filters()) == {
        "gcp_name_problem", "gcp_zone_region", "gcp_label_problems",
        "gcp_machine_cpus", "gcp_machine_type_known", "gcp_quota_needs", "gcp_quota_shortfalls", "gcp_kubeconfig_exec_env",
        "gcp_kubeconfig_merge", "gcp_kubeconfig_remove", "gcp_plan_settings", "gcp_plan_quota", "gcp_quota_arithmetic",
        "gcp_plans_that_fit", "gcp_plan_report",
    }


GKE_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "current-context": "gke_p_z_boutique",
    "users": [
        {"name": "gke_p_z_boutique", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "gke-gcloud-auth-plugin",
            "provideClusterInfo": True, "env": [{"name": "KEEP", "value": "1"}, {"name": "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "value": "/old"}]}}},
        {"name": "kind-kind", "user": {"client-certificate-data": "x"}},
    ],
}


def test_kubeconfig_exec_env_adds_and_replaces():
    out = gc.gcp_kubeconfig_exec_env(GKE_KUBECONFIG, {"CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE": "/keys/ops.json"})
    assert out["users"][0]["user"]["exec"]["env"] == [
        {"name": "KEEP", "value": "1"}, {"name": "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "value": "/keys/ops.json"}]
    assert out["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    # Users without an exec plugin, and the input itself, are left alone.
    assert out["users"][1] == GKE_KUBECONFIG["users"][1]
    assert GKE_KUBECONFIG["users"][0]["user"]["exec"]["env"][1]["value"] == "/old"
    assert out["current-context"] == "gke_p_z_boutique"


def test_kubeconfig_exec_env_empty_env_is_identity():
    assert gc.gcp_kubeconfig_exec_env(GKE_KUBECONFIG, {}) == GKE_KUBECONFIG


def test_kubeconfig_exec_env_exec_without_env_list():
    config = {"users": [{"name": "u", "user": {"exec": {"command": "gke-gcloud-auth-plugin"}}}]}
    assert gc.gcp_kubeconfig_exec_env(config, {"A": 1})["users"][0]["user"]["exec"]["env"] == [{"name": "A", "value": "1"}]


@pytest.mark.parametrize("config,env", [([], {}), ({}, ["A=1"])])
def test_kubeconfig_exec_env_bad_input(config, env):
    with pytest.raises(AnsibleFilterError):
        gc.gcp_kubeconfig_exec_env(config, env)


# What gcloud get-credentials writes for one cluster.
GKE_CREDENTIALS = {
    "apiVersion": "v1", "kind": "Config", "preferences": {},
    "clusters": [{"name": "gke_p_z_boutique", "cluster": {"server": "https://203.0.113.10", "certificate-authority-data": "Q0E="}}],
    "contexts": [{"name": "gke_p_z_boutique", "context": {"cluster": "gke_p_z_boutique", "user": "gke_p_z_boutique"}}],
    "users": [{"name": "gke_p_z_boutique", "user": {"exec": {"command": "gke-gcloud-auth-plugin"}}}],
    "current-context": "gke_p_z_boutique",
}

# A kind cluster's entries, as `kind create cluster` writes them into ~/.kube/config.
KIND_KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "preferences": {},
    "clusters": [{"name": "kind-kind", "cluster": {"server": "https://127.0.0.1:40123", "certificate-authority-data": "S0lORA=="}}],
    "contexts": [{"name": "kind-kind", "context": {"cluster": "kind-kind", "user": "kind-kind"}}],
    "users": [{"name": "kind-kind", "user": {"client-certificate-data": "Qw==", "client-key-data": "Sw=="}}],
    "current-context": "kind-kind",
}


def test_kubeconfig_merge_keeps_other_contexts():
    merged = gc.gcp_kubeconfig_merge(KIND_KUBECONFIG, GKE_CREDENTIALS)
    assert [c["name"] for c in merged["contexts"]] == ["kind-kind", GKE_CREDENTIALS["contexts"][0]["name"]]
    assert [u["name"] for u in merged["users"]] == ["kind-kind", GKE_CREDENTIALS["users"][0]["name"]]
    assert merged["clusters"][0] == KIND_KUBECONFIG["clusters"][0]
    assert merged["current-context"] == GKE_CREDENTIALS["current-context"]
    # Merging again replaces the cluster's entries instead of adding copies.
    assert gc.gcp_kubeconfig_merge(merged, GKE_CREDENTIALS) == merged


def test_kubeconfig_merge_into_nothing():
    merged = gc.gcp_kubeconfig_merge(None, GKE_CREDENTIALS)
    assert merged["contexts"] == GKE_CREDENTIALS["contexts"]
    assert merged["kind"] == "Config"


def test_kubeconfig_remove_only_the_named_entries():
    merged = gc.gcp_kubeconfig_merge(KIND_KUBECONFIG, GKE_CREDENTIALS)
    left = gc.gcp_kubeconfig_remove(merged, [GKE_CREDENTIALS["contexts"][0]["name"]])
    assert left["contexts"] == KIND_KUBECONFIG["contexts"]
    assert left["users"] == KIND_KUBECONFIG["users"]
    assert left["current-context"] == ""
    assert gc.gcp_kubeconfig_remove(GKE_CREDENTIALS, [GKE_CREDENTIALS["contexts"][0]["name"]]) == {}


def test_plans_known_and_unknown():
    assert gc.gcp_plan_settings("standard")["gke_cluster_node_count"] == 4
    with pytest.raises(AnsibleFilterError, match="gcp_plan=tiny is not a plan: choose standard or free-trial"):
        gc.gcp_plan_settings("tiny")


def test_standard_plan_is_the_seed_plan():
    assert gc.gcp_quota_needs(gc.gcp_plan_quota("standard", 2)) == gc.gcp_quota_needs(SEED_PLAN)


@pytest.mark.parametrize("load_balancers", [0, 1, 2, 3])
def test_free_trial_fits_the_free_trial_quotas(load_balancers):
    needs = gc.gcp_quota_needs(gc.gcp_plan_quota("free-trial", load_balancers))
    assert needs["CPUS"] == 8
    assert needs["SSD_TOTAL_GB"] == 3 * 50 + 20
    # Private nodes and VM: one Cloud NAT address plus the load balancers people use.
    assert needs["IN_USE_ADDRESSES"] == 1 + load_balancers
    quotas = [{"metric": m, "limit": float(v), "usage": 0.0} for m, v in gc.FREE_TRIAL_QUOTAS.items()]
    assert gc.gcp_quota_shortfalls(needs, quotas) == []


def test_free_trial_has_room_for_two_workers():
    settings = gc.gcp_plan_settings("free-trial")
    assert settings["loadgen_vm_count"] * gc.gcp_machine_cpus(settings["loadgen_vm_machine_type"]) >= 2


def test_quota_arithmetic_spells_out_the_sums():
    result = gc.gcp_quota_arithmetic(gc.gcp_plan_quota("free-trial", 3))
    assert result["arithmetic"]["CPUS"] == "3 nodes x 2 (e2-standard-2) + 1 VMs x 2 (e2-standard-2) = 8"
    assert result["arithmetic"]["SSD_TOTAL_GB"] == "3 nodes x 50 GB (pd-balanced) + 1 VMs x 20 GB (pd-balanced) = 170"
    assert result["arithmetic"]["IN_USE_ADDRESSES"] == "3 load balancers for people + 1 Cloud NAT = 4"
    assert result["needs"]["STATIC_ADDRESSES"] == 0


def test_plans_that_fit():
    free_trial = [{"metric": m, "limit": float(v), "usage": 0.0} for m, v in gc.FREE_TRIAL_QUOTAS.items()]
    assert gc.gcp_plans_that_fit(free_trial, 3) == ["free-trial"]
    roomy = [{"metric": "CPUS", "limit": 24.0, "usage": 0.0}, {"metric": "IN_USE_ADDRESSES", "limit": 16.0, "usage": 0.0}]
    assert gc.gcp_plans_that_fit(roomy, 3) == ["standard", "free-trial"]
    used_up = [{"metric": "CPUS", "limit": 8.0, "usage": 4.0}]
    assert gc.gcp_plans_that_fit(used_up, 0) == []


def test_plan_report_shows_both_plans_and_the_order():
    report = gc.gcp_plan_report(gc.gcp_plan_quota("standard", 0), 0,
                                ["gke_cluster", "loadgen_vm", "boutique", "monitoring", "locust"])
    assert report["plans"]["standard"]["arithmetic"]["CPUS"] == "4 nodes x 2 (e2-standard-2) + 3 VMs x 2 (e2-standard-2) = 14"
    assert report["plans"]["standard"]["fits_free_trial"] is False
    assert report["plans"]["free-trial"]["fits_free_trial"] is True
    assert report["this_run"]["arithmetic"] == report["plans"]["standard"]["arithmetic"]
    assert [stage.split(":")[0] for stage in report["stage_order"]] == [
        "gke_cluster start", "loadgen_vm", "gke_cluster finish", "boutique", "monitoring", "locust"]
