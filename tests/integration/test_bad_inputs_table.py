# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Bad inputs across the entry playbooks, one table: each is refused before any change.

Every case runs an entry playbook (site.yml, canary.yml, loadtest.yml, teardown.yml) in render mode
with one bad input, as a user would (`ansible-playbook PLAYBOOK -e ops_render_dir=DIR -e JSON`), and
asserts three things: the run fails with a message naming the variable, nothing was written (the
render folder was never even created: preflight creates it only after every input check, and every
stage writes only into it), and the refusal came within 15 s. Extra vars go as JSON so that lists,
dicts and control characters reach the play exactly.

The table covers what the per-stage input tests (tests/integration/test_*_inputs.py,
test_preflight.py) do not: control characters in every kind of input of every stage (they would add
lines to rendered files, commands and labels: issue 13 defect 10), and type, choice and range
errors of the roles' argument specs and stage checks. Run it with `pytest -n 2`.

Rows share runs. Preflight checks every input for control characters in one task and names each
offender in its own sentence, and a role's argument spec names every violation of that role in one
refusal. So rows of one entry playbook whose variables do not clash go into one run: all the
control-character rows of a playbook, or the type, choice and range rows of one role (BATCHES: 142
rows, 32 runs and a few runs of their own). Each row asserts that the refusal of its batch has a
sentence for its variable, with the same checks as a run of its own. A row its batch does not name (another input of
the batch was refused first, by a check that stops at its first finding) falls back to a run of its
own. Each batch runs once per test run (helpers.once_per_run), and its rows share an xdist group, so
that `--dist loadgroup` (scripts/run-tests.sh) keeps them on one worker.
"""

from __future__ import annotations

import json
import os
import pathlib
import re

import pytest

from ansible_collections.boutique.ops.plugins.filter import input_checks
from ansible_collections.boutique.ops.tests.helpers import REPO_ROOT, PlaybookRun, batch_rows, once_per_run

# Longest a refusal may take, on the play's clock (profile_tasks' running total: from the first task
# to the refusal), the bound. Python's and ansible's start-up come on top (1.5 to 2 s of CPU);
# on the shared 2-core test machine under load they stretch the wall clock, bounded loosely below.
MAX_SECONDS = 15
MAX_WALL_SECONDS = 90
GCP = ["-i", "inventories/gcp/hosts.yml"]
# A valid gcp run but for the bad input: the shop's LoadBalancer needs its client ranges there.
GCP_GOOD = {"gcp_project": "boutique-tests", "boutique_frontend_source_ranges": ["203.0.113.0/24"]}

# Control characters, by how they are named in the refusal.
NEWLINE = "\n"
CR = "\r"
NUL = "\x00"
TAB = "\t"
ESC = "\x1b"
DEL = "\x7f"
NEL = "\x85"
LSEP = "\u2028"


def case(case_id, playbook, variables, name, inventory=None):
    """One row: the playbook, its extra vars ("{render}" stands for the render folder), the variable the message must name."""
    return pytest.param(playbook, variables, name, list(inventory or []), id=case_id)


def gcp(case_id, playbook, variables, name):
    return case(case_id, playbook, dict(GCP_GOOD, **variables), name, inventory=GCP)


CANARY = {"weight": 25}
TEARDOWN = {"confirm": "yes"}

CONTROL_CHARACTERS = [
    # site.yml: the shop, monitoring and locust stages (local target).
    case("site-boutique_namespace-newline", "site.yml", {"boutique_namespace": "shop" + NEWLINE + "evil"}, "boutique_namespace"),
    case("site-boutique_namespace-cr", "site.yml", {"boutique_namespace": "shop" + CR}, "boutique_namespace"),
    case("site-boutique_version-nul", "site.yml", {"boutique_version": "v0.10.6" + NUL}, "boutique_version"),
    case("site-boutique_image_registry-newline", "site.yml", {"boutique_image_registry": "gcr.io/x" + NEWLINE + "y"}, "boutique_image_registry"),
    case("site-boutique_frontend_message-newline", "site.yml", {"boutique_frontend_message": "Hi" + NEWLINE + "there"}, "boutique_frontend_message"),
    case("site-boutique_frontend_message-esc", "site.yml", {"boutique_frontend_message": ESC + "[31mred"}, "boutique_frontend_message"),
    case("site-boutique_smoke_product-tab", "site.yml", {"boutique_smoke_product": "OLJCESPC7Z" + TAB}, "boutique_smoke_product"),
    case("site-boutique_exclude-item-newline", "site.yml", {"boutique_profile": "custom", "boutique_exclude": ["adservice" + NEWLINE]}, "boutique_exclude[0]"),
    case("site-boutique_frontend_source_ranges-item-cr", "site.yml", {"boutique_frontend_source_ranges": ["10.0.0.0/8" + CR]},
         "boutique_frontend_source_ranges[0]"),
    case("site-boutique_replicas-key-newline", "site.yml", {"boutique_replicas": {"frontend" + NEWLINE: 2}}, "a key of boutique_replicas"),
    case("site-boutique_resources-value-newline", "site.yml", {"boutique_resources": {"frontend": {"cpu": "100m" + NEWLINE}}}, "boutique_resources"),
    case("site-monitoring_namespace-newline", "site.yml", {"monitoring_namespace": "monitoring" + NEWLINE}, "monitoring_namespace"),
    case("site-monitoring_grafana_admin_user-newline", "site.yml", {"monitoring_grafana_admin_user": "admin" + NEWLINE + "root"},
         "monitoring_grafana_admin_user"),
    case("site-monitoring_prometheus_retention-del", "site.yml", {"monitoring_prometheus_retention": "15d" + DEL}, "monitoring_prometheus_retention"),
    case("site-monitoring_prometheus_storage_size-nul", "site.yml", {"monitoring_prometheus_storage_size": "8Gi" + NUL}, "monitoring_prometheus_storage_size"),
    case("site-monitoring_grafana_repo_url-newline", "site.yml", {"monitoring_grafana_repo_url": "https://x.test/" + NEWLINE}, "monitoring_grafana_repo_url"),
    case("site-monitoring_grafana_source_ranges-item-lsep", "site.yml", {"monitoring_grafana_source_ranges": ["10.0.0.0/8" + LSEP]},
         "monitoring_grafana_source_ranges[0]"),
    case("site-monitoring_grafana_release-nel", "site.yml", {"monitoring_grafana_release": "grafana" + NEL}, "monitoring_grafana_release"),
    case("site-locust_dir-newline", "site.yml", {"locust_dir": "/tmp/locust" + NEWLINE + "rm -rf /"}, "locust_dir"),
    case("site-locust_venv-newline", "site.yml", {"locust_venv": "/tmp/venv" + NEWLINE}, "locust_venv"),
    case("site-locust_image-cr", "site.yml", {"locust_image": "locustio/locust:2" + CR}, "locust_image"),
    case("site-locust_version-newline", "site.yml", {"locust_version": "2.43.1" + NEWLINE}, "locust_version"),
    case("site-locust_master_bind_host-tab", "site.yml", {"locust_master_bind_host": "0.0.0.0" + TAB}, "locust_master_bind_host"),
    case("site-ops_kube_context-newline", "site.yml", {"ops_kube_context": "kind" + NEWLINE + "evil"}, "ops_kube_context"),
    case("site-ops_kubeconfig-newline", "site.yml", {"ops_kubeconfig": "/tmp/kube" + NEWLINE + "config"}, "ops_kubeconfig"),
    case("site-ops_render_dir-newline", "site.yml", {"ops_render_dir": "{render}" + NEWLINE + "x"}, "ops_render_dir"),
    # site.yml on gcp: the cluster and the load-generator VMs.
    gcp("gcp-loadgen_vm_ssh_user-newline", "site.yml", {"loadgen_vm_ssh_user": "ops" + NEWLINE + "root:ssh-rsa AAAA"}, "loadgen_vm_ssh_user"),
    gcp("gcp-loadgen_vm_ssh_public_key_file-newline", "site.yml", {"loadgen_vm_ssh_public_key_file": "~/.ssh/id.pub" + NEWLINE},
        "loadgen_vm_ssh_public_key_file"),
    gcp("gcp-loadgen_vm_name_prefix-cr", "site.yml", {"loadgen_vm_name_prefix": "loadgen" + CR}, "loadgen_vm_name_prefix"),
    gcp("gcp-loadgen_vm_image-newline", "site.yml", {"loadgen_vm_image": "projects/debian-cloud/x" + NEWLINE}, "loadgen_vm_image"),
    gcp("gcp-loadgen_vm_labels-value-newline", "site.yml", {"loadgen_vm_labels": {"team": "ops" + NEWLINE}}, "loadgen_vm_labels['team']"),
    gcp("gcp-loadgen_vm_network_tag-nul", "site.yml", {"loadgen_vm_network_tag": "locust" + NUL}, "loadgen_vm_network_tag"),
    gcp("gcp-loadgen_vm_packages-item-newline", "site.yml", {"loadgen_vm_packages": ["docker.io" + NEWLINE + "evil"]}, "loadgen_vm_packages[0]"),
    gcp("gcp-loadgen_vm_inventory_file-newline", "site.yml", {"loadgen_vm_inventory_file": "/tmp/inv" + NEWLINE}, "loadgen_vm_inventory_file"),
    gcp("gcp-loadgen_vm_service_account-tab", "site.yml", {"loadgen_vm_service_account": "sa@x" + TAB}, "loadgen_vm_service_account"),
    gcp("gcp-gcp_project-newline", "site.yml", {"gcp_project": "boutique-tests" + NEWLINE}, "gcp_project"),
    gcp("gcp-gcp_zone-cr", "site.yml", {"gcp_zone": "europe-west10-a" + CR}, "gcp_zone"),
    gcp("gcp-gcp_region-newline", "site.yml", {"gcp_region": "europe-west10" + NEWLINE}, "gcp_region"),
    gcp("gcp-gke_cluster_name-newline", "site.yml", {"gke_cluster_name": "boutique" + NEWLINE}, "gke_cluster_name"),
    gcp("gcp-gke_cluster_labels-key-newline", "site.yml", {"gke_cluster_labels": {"team" + NEWLINE: "ops"}}, "a key of gke_cluster_labels"),
    gcp("gcp-gke_cluster_network-esc", "site.yml", {"gke_cluster_network": "default" + ESC}, "gke_cluster_network"),
    gcp("gcp-gke_cluster_machine_type-newline", "site.yml", {"gke_cluster_machine_type": "e2-standard-2" + NEWLINE}, "gke_cluster_machine_type"),
    gcp("gcp-gke_cluster_oauth_scopes-item-newline", "site.yml", {"gke_cluster_oauth_scopes": ["https://x" + NEWLINE]}, "gke_cluster_oauth_scopes[0]"),
    gcp("gcp-gcp_service_account_file-newline", "site.yml", {"gcp_service_account_file": "/tmp/key.json" + NEWLINE}, "gcp_service_account_file"),
    # canary.yml: Istio and the canary.
    case("canary-canary_hosts-item-newline", "canary.yml", dict(CANARY, canary_hosts=["boutique.local" + NEWLINE + "evil.com"]), "canary_hosts[0]"),
    case("canary-canary_hosts-second-cr", "canary.yml", dict(CANARY, canary_hosts=["boutique.local", "shop" + CR]), "canary_hosts[1]"),
    case("canary-canary_namespace-newline", "canary.yml", dict(CANARY, canary_namespace="boutique" + NEWLINE), "canary_namespace"),
    case("canary-canary_verify_url-newline", "canary.yml", dict(CANARY, canary_verify_url="http://127.0.0.1/" + NEWLINE + "x"), "canary_verify_url"),
    case("canary-canary_verify_headers-value-crlf", "canary.yml", dict(CANARY, canary_verify_headers={"Host": "shop" + CR + NEWLINE + "X-Evil: 1"}),
         "canary_verify_headers['Host']"),
    case("canary-canary_verify_headers-key-newline", "canary.yml", dict(CANARY, canary_verify_headers={"Host" + NEWLINE: "shop"}),
         "a key of canary_verify_headers"),
    case("canary-canary_gateway-nul", "canary.yml", dict(CANARY, canary_gateway="frontend-gateway" + NUL), "canary_gateway"),
    case("canary-canary_image-newline", "canary.yml", dict(CANARY, canary_image="frontend:v2" + NEWLINE), "canary_image"),
    case("canary-canary_frontend_message-newline", "canary.yml", dict(CANARY, canary_frontend_message="v2" + NEWLINE + "x"), "canary_frontend_message"),
    case("canary-canary_version_header-crlf", "canary.yml", dict(CANARY, canary_version_header="x-version" + CR + NEWLINE), "canary_version_header"),
    case("canary-canary_prometheus_url-tab", "canary.yml", dict(CANARY, canary_prometheus_url="http://127.0.0.1:9090" + TAB), "canary_prometheus_url"),
    case("canary-canary_prometheus_service-newline", "canary.yml", dict(CANARY, canary_prometheus_service="monitoring/prom" + NEWLINE),
         "canary_prometheus_service"),
    case("canary-canary_gateway_service-del", "canary.yml", dict(CANARY, canary_gateway_service="istio-ingress/gw" + DEL), "canary_gateway_service"),
    case("canary-canary_analysis_window-newline", "canary.yml", dict(CANARY, canary_analysis_window="5m" + NEWLINE), "canary_analysis_window"),
    case("canary-istio_gateway_hosts-item-newline", "canary.yml", dict(CANARY, istio_gateway_hosts=["*" + NEWLINE]), "istio_gateway_hosts[0]"),
    case("canary-istio_ingress_namespace-newline", "canary.yml", dict(CANARY, istio_ingress_namespace="istio-ingress" + NEWLINE), "istio_ingress_namespace"),
    case("canary-istio_system_namespace-cr", "canary.yml", dict(CANARY, istio_system_namespace="istio-system" + CR), "istio_system_namespace"),
    case("canary-istio_version-newline", "canary.yml", dict(CANARY, istio_version="1.30.3" + NEWLINE), "istio_version"),
    case("canary-istio_chart_repo_url-nul", "canary.yml", dict(CANARY, istio_chart_repo_url="https://istio-release.storage.googleapis.com/charts" + NUL),
         "istio_chart_repo_url"),
    case("canary-istio_gateway_name-newline", "canary.yml", dict(CANARY, istio_gateway_name="frontend-gateway" + NEWLINE), "istio_gateway_name"),
    # loadtest.yml.
    case("loadtest-target_url-newline", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/" + NEWLINE + "x"}, "target_url"),
    case("loadtest-loadtest_target_url-cr", "loadtest.yml", {"loadtest_target_url": "http://127.0.0.1:8080/" + CR}, "loadtest_target_url"),
    case("loadtest-loadtest_namespace-newline", "loadtest.yml", {"loadtest_namespace": "boutique" + NEWLINE}, "loadtest_namespace"),
    case("loadtest-loadtest_results_root-newline", "loadtest.yml", {"loadtest_results_root": "/tmp/results" + NEWLINE}, "loadtest_results_root"),
    case("loadtest-profile-newline", "loadtest.yml", {"profile": "stress" + NEWLINE}, "profile"),
    case("loadtest-loadtest_spike_at_s-newline", "loadtest.yml", {"loadtest_spike_at_s": "60" + NEWLINE}, "loadtest_spike_at_s"),
    case("loadtest-locust_dir-nul", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "locust_dir": "/tmp/l" + NUL}, "locust_dir"),
    # teardown.yml: nothing may be deleted on the strength of a bad name.
    case("teardown-boutique_namespace-newline", "teardown.yml", dict(TEARDOWN, boutique_namespace="boutique" + NEWLINE + "kube-system"), "boutique_namespace"),
    case("teardown-monitoring_namespace-cr", "teardown.yml", dict(TEARDOWN, monitoring_namespace="monitoring" + CR), "monitoring_namespace"),
    case("teardown-istio_ingress_namespace-newline", "teardown.yml", dict(TEARDOWN, istio_ingress_namespace="istio-ingress" + NEWLINE),
         "istio_ingress_namespace"),
    case("teardown-ops_kube_context-nul", "teardown.yml", dict(TEARDOWN, ops_kube_context="kind" + NUL), "ops_kube_context"),
    case("teardown-ops_secrets_dir-newline", "teardown.yml", dict(TEARDOWN, ops_secrets_dir="/tmp/secrets" + NEWLINE), "ops_secrets_dir"),
    gcp("teardown-gcp-gke_cluster_name-newline", "teardown.yml", dict(TEARDOWN, gke_cluster_name="boutique" + NEWLINE), "gke_cluster_name"),
    gcp("teardown-gcp-loadgen_vm_name_prefix-newline", "teardown.yml", dict(TEARDOWN, loadgen_vm_name_prefix="loadgen" + NEWLINE), "loadgen_vm_name_prefix"),
    gcp("teardown-gcp-gcp_project-cr", "teardown.yml", dict(TEARDOWN, gcp_project="boutique-tests" + CR), "gcp_project"),
]

# Types, choices and ranges: the roles' argument specs and stage checks.
TYPES_AND_RANGES = [
    case("site-boutique_cart_store-choice", "site.yml", {"boutique_cart_store": "memcached"}, "boutique_cart_store"),
    case("site-boutique_frontend_external_type-choice", "site.yml", {"boutique_frontend_external_type": "Ingress"}, "boutique_frontend_external_type"),
    case("site-boutique_exclude-string", "site.yml", {"boutique_profile": "custom", "boutique_exclude": "adservice"}, "boutique_exclude"),
    case("site-boutique_rollout_timeout-abc", "site.yml", {"boutique_rollout_timeout": "abc"}, "boutique_rollout_timeout"),
    case("site-boutique_rollout_timeout-negative", "site.yml", {"boutique_rollout_timeout": -5}, "boutique_rollout_timeout"),
    case("site-boutique_smoke_retries-abc", "site.yml", {"boutique_smoke_retries": "abc"}, "boutique_smoke_retries"),
    case("site-monitoring_grafana_expose-public", "site.yml", {"monitoring_grafana_expose": "public"}, "monitoring_grafana_expose"),
    case("site-monitoring_grafana_source_ranges-string", "site.yml", {"monitoring_grafana_source_ranges": "10.0.0.0/8"}, "monitoring_grafana_source_ranges"),
    case("site-monitoring_alert_node_cpu_percent-150", "site.yml", {"monitoring_alert_node_cpu_percent": 150}, "monitoring_alert_node_cpu_percent"),
    case("site-monitoring_prometheus_retention-bad", "site.yml", {"monitoring_prometheus_retention": "fifteen days"}, "monitoring_prometheus_retention"),
    case("site-locust_runtime-podman", "site.yml", {"locust_runtime": "podman"}, "locust_runtime"),
    case("site-locust_workers_per_host-abc", "site.yml", {"locust_workers_per_host": "abc"}, "locust_workers_per_host"),
    case("site-locust_master_port-70000", "site.yml", {"locust_master_port": 70000}, "locust_master_port"),
    case("site-locust_master_on-choice", "site.yml", {"locust_master_on": "cloud"}, "locust_master_on"),
    case("site-locust_version-range", "site.yml", {"locust_version": ">=2"}, "locust_version"),
    case("site-ops_target-choice", "site.yml", {"ops_target": "aws"}, "ops_target"),
    case("site-ops_kube_timeout-abc", "site.yml", {"ops_kube_timeout": "abc"}, "ops_kube_timeout"),
    case("canary-canary_replicas-negative", "canary.yml", dict(CANARY, canary_replicas=-3), "canary_replicas"),
    case("canary-canary_replicas-abc", "canary.yml", dict(CANARY, canary_replicas="abc"), "canary_replicas"),
    case("canary-canary_hosts-string", "canary.yml", dict(CANARY, canary_hosts="boutique.local"), "canary_hosts"),
    case("canary-canary_hosts-empty", "canary.yml", dict(CANARY, canary_hosts=[]), "canary_hosts"),
    case("canary-canary_verify_url-ftp", "canary.yml", dict(CANARY, canary_verify_url="ftp://127.0.0.1/"), "canary_verify_url"),
    case("canary-canary_namespace-spaces", "canary.yml", dict(CANARY, canary_namespace="my shop"), "canary_namespace"),
    case("canary-canary_verify_tolerance-zero", "canary.yml", dict(CANARY, canary_verify_tolerance=0), "canary_verify_tolerance"),
    case("canary-canary_verify_concurrency-zero", "canary.yml", dict(CANARY, canary_verify_concurrency=0), "canary_verify_concurrency"),
    case("canary-canary_verify_max_error_ratio-two", "canary.yml", dict(CANARY, canary_verify_max_error_ratio=2), "canary_verify_max_error_ratio"),
    case("canary-canary_verify_headers-list", "canary.yml", dict(CANARY, canary_verify_headers=["Host: x"]), "canary_verify_headers"),
    case("canary-canary_max_p95_increase-negative", "canary.yml", dict(CANARY, canary_max_p95_increase=-1), "canary_max_p95_increase"),
    case("canary-canary_analysis_window-bad", "canary.yml", dict(CANARY, canary_analysis_window="five minutes"), "canary_analysis_window"),
    case("canary-canary_settle_seconds-abc", "canary.yml", dict(CANARY, canary_settle_seconds="abc"), "canary_settle_seconds"),
    case("canary-canary_prometheus_url-not-http", "canary.yml", dict(CANARY, canary_prometheus_url="prometheus:9090"), "canary_prometheus_url"),
    case("canary-istio_gateway_service_type-choice", "canary.yml", dict(CANARY, istio_gateway_service_type="Ingress"), "istio_gateway_service_type"),
    case("canary-istio_version-latest", "canary.yml", dict(CANARY, istio_version="latest"), "istio_version"),
    case("canary-istio_gateway_hosts-empty", "canary.yml", dict(CANARY, istio_gateway_hosts=[]), "istio_gateway_hosts"),
    case("canary-istio_gateway_lb-without-ranges", "canary.yml", dict(CANARY, istio_gateway_service_type="LoadBalancer"), "istio_gateway_source_ranges"),
    case("canary-weight-list", "canary.yml", {"weight": [25]}, "weight"),
    case("loadtest-duration-abc", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "duration": "abc"}, "duration"),
    case("loadtest-duration-negative", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "duration": -60}, "duration"),
    case("loadtest-users-zero", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "users": 0}, "users"),
    case("loadtest-users-abc", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "users": "many"}, "users"),
    case("loadtest-profile-choice", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "profile": "soak"}, "profile"),
    case("loadtest-ramp_rate-zero", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "ramp_rate": 0}, "ramp_rate"),
    case("loadtest-target_url-ftp", "loadtest.yml", {"target_url": "ftp://127.0.0.1/"}, "target_url"),
    case("loadtest-target_url-no-scheme", "loadtest.yml", {"target_url": "127.0.0.1:8080"}, "target_url"),
    case("loadtest-loadtest_failure_ratio-two", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "loadtest_failure_ratio": 2},
         "loadtest_failure_ratio"),
    case("loadtest-loadtest_wait-inverted", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "loadtest_wait_min": 5, "loadtest_wait_max": 1},
         "loadtest_wait_m"),
    case("loadtest-loadtest_poll_s-zero", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "loadtest_poll_s": 0}, "loadtest_poll_s"),
    case("loadtest-loadtest_namespace-upper", "loadtest.yml", {"loadtest_namespace": "Boutique"}, "loadtest_namespace"),
    case("loadtest-locust_runtime-podman", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "locust_runtime": "podman"}, "locust_runtime"),
    gcp("gcp-gke_cluster_disk_type-choice", "site.yml", {"gke_cluster_disk_type": "nvme"}, "gke_cluster_disk_type"),
    gcp("gcp-gke_cluster_release_channel-choice", "site.yml", {"gke_cluster_release_channel": "NIGHTLY"}, "gke_cluster_release_channel"),
    gcp("gcp-gke_cluster_machine_type-unknown", "site.yml", {"gke_cluster_machine_type": "huge"}, "gke_cluster_machine_type"),
    gcp("gcp-gke_cluster_disk_size_gb-5", "site.yml", {"gke_cluster_disk_size_gb": 5}, "gke_cluster_disk_size_gb"),
    gcp("gcp-loadgen_vm_disk_type-choice", "site.yml", {"loadgen_vm_disk_type": "nvme"}, "loadgen_vm_disk_type"),
    gcp("gcp-loadgen_vm_name_prefix-upper", "site.yml", {"loadgen_vm_name_prefix": "LoadGen"}, "loadgen_vm_name_prefix"),
    gcp("gcp-loadgen_vm_zone-other-region", "site.yml", {"loadgen_vm_zone": "us-central1-a"}, "loadgen_vm_zone"),
    gcp("gcp-loadgen_vm_labels-upper", "site.yml", {"loadgen_vm_labels": {"Team": "ops"}}, "loadgen_vm_labels"),
    gcp("gcp-loadgen_vm_ssh_allowed_cidrs-bad", "site.yml", {"loadgen_vm_ssh_allowed_cidrs": ["not-a-cidr"]}, "loadgen_vm_ssh_allowed_cidrs"),
    gcp("gcp-gcp_region-bad", "site.yml", {"gcp_region": "Europe West"}, "gcp_region"),
    gcp("gcp-loadgen_vm_ssh_user-empty", "site.yml", {"loadgen_vm_ssh_user": ""}, "loadgen_vm_ssh_user"),
    gcp("gcp-loadgen_vm_ssh_user-colon", "site.yml", {"loadgen_vm_ssh_user": "ops:root"}, "loadgen_vm_ssh_user"),
    case("teardown-boutique_namespace-kube-system", "teardown.yml", dict(TEARDOWN, boutique_namespace="kube system"), "boutique_namespace"),
    case("teardown-ops_target-choice", "teardown.yml", dict(TEARDOWN, ops_target="aws"), "ops_target"),
    # Issue 26: grammars (OCI image references, strict URLs, namespace/name, RFC 1035 names), capacity, words for types.
    case("canary-canary_image-shell", "canary.yml", dict(CANARY, canary_image="x;touch /tmp/p"), "canary_image"),
    case("canary-canary_image-upper", "canary.yml", dict(CANARY, canary_image="Registry.example.com/Frontend:v2"), "canary_image"),
    case("canary-canary_gateway_service-three-parts", "canary.yml", dict(CANARY, canary_gateway_service="a/b/c"), "canary_gateway_service"),
    case("canary-canary_prometheus_service-no-namespace", "canary.yml", dict(CANARY, canary_prometheus_service="prometheus-server"),
         "canary_prometheus_service"),
    case("canary-canary_verify_url-shell", "canary.yml", dict(CANARY, canary_verify_url="http://127.0.0.1:8080/$(id)"), "canary_verify_url"),
    case("canary-ops_shop_namespace-upper", "canary.yml", dict(CANARY, ops_shop_namespace="UPPER"), "ops_shop_namespace"),
    case("canary-canary_promote-words", "canary.yml", dict(CANARY, canary_promote="maybe"), "canary_promote"),
    case("site-boutique_image_registry-shell", "site.yml", {"boutique_image_registry": "gcr.io/x;touch /tmp/p"}, "boutique_image_registry"),
    case("site-boutique_version-space", "site.yml", {"boutique_version": "v0.10.6 latest"}, "boutique_version"),
    case("site-ops_kubeconfig-folder", "site.yml", {"ops_kubeconfig": "{render}/.."}, "ops_kubeconfig"),
    gcp("gcp-gke_cluster_network-shell", "site.yml", {"gke_cluster_network": "my net;x"}, "gke_cluster_network"),
    gcp("gcp-loadgen_vm_network-upper", "site.yml", {"loadgen_vm_network": "Lab Net"}, "loadgen_vm_network"),
    case("loadtest-target_url-shell", "loadtest.yml", {"target_url": "http://127.0.0.1:9;touch /tmp/p"}, "target_url"),
    case("loadtest-target_url-port", "loadtest.yml", {"target_url": "http://127.0.0.1:http/"}, "target_url"),
    case("loadtest-users-huge", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "users": 100000000}, "users"),
    case("loadtest-ramp_rate-too-fast", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "profile": "stress", "ramp_rate": 100000},
         "ramp_rate"),
    case("loadtest-loadtest_wait_min-abc", "loadtest.yml", {"target_url": "http://127.0.0.1:8080/", "loadtest_wait_min": "abc"}, "loadtest_wait_min"),
    case("loadtest-loadtest_prometheus_url-shell", "loadtest.yml",
         {"target_url": "http://127.0.0.1:8080/", "loadtest_prometheus_url": "http://127.0.0.1:9090;id"}, "loadtest_prometheus_url"),
    gcp("teardown-gcp-gcp_project-upper", "teardown.yml", dict(TEARDOWN, gcp_project="Bad_Project"), "gcp_project"),
    gcp("teardown-gcp-gke_cluster_name-upper", "teardown.yml", dict(TEARDOWN, gke_cluster_name="Bad_Name"), "gke_cluster_name"),
]

# Rows that are known not to be refused yet (kept in the table, left out of the run); empty since
# every reached role's argument spec and checks run in preflight.
NOT_YET_REFUSED = set()


# The role whose argument spec or checks own a variable: the start of its name, but for the entry
# playbooks' short names.
SHORT_NAME_ROLES = {"weight": "canary", "duration": "loadtest", "users": "loadtest", "profile": "loadtest",
                    "ramp_rate": "loadtest", "target_url": "loadtest"}


def _owner(name):
    """The role a variable of the refusal belongs to: boutique_cart_store -> boutique, users -> loadtest."""
    return SHORT_NAME_ROLES.get(name, name.split("_")[0])


# Preflight names every value a stage's int, float or bool type cannot read in one task, before the stages'
# own checks (the collection-wide settings' spec, _common's, runs before it and is left out).
_STAGE_ROLES = sorted(role for role in os.listdir(os.path.join(REPO_ROOT, "roles")) if role not in ("_common", "preflight"))


def _refusing_check(row):
    """The check that refuses a row first: preflight's type check, or its variable's role."""
    if input_checks.input_type_problems(row.values[1], os.path.join(REPO_ROOT, "roles"), _STAGE_ROLES):
        return "types"
    return _owner(row.values[2])


def _batch_rows(rows, key):
    """[(playbook, inventory, merged extra vars, [row ids])]: the rows of one playbook, inventory and key(row) share runs."""
    return [(playbook, inventory, merged, ids) for (playbook, inventory, _key), merged, ids
            in batch_rows((row.id, (row.values[0], row.values[3], key(row)), row.values[1]) for row in rows)]


def _in_group(row, group):
    return pytest.param(*row.values, id=row.id, marks=list(row.marks) + [pytest.mark.xdist_group(group)])


CONTROL_ROWS = [row for row in CONTROL_CHARACTERS if row.id not in NOT_YET_REFUSED]
TYPE_ROWS = [row for row in TYPES_AND_RANGES if row.id not in NOT_YET_REFUSED]
# Control characters: one preflight task names every offender of the run. Types, choices and ranges:
# a role's argument spec names every violation of that role, so a batch holds one role's rows.
CONTROL_BATCHES = _batch_rows(CONTROL_ROWS, key=lambda row: "control")
TYPE_BATCHES = _batch_rows(TYPE_ROWS, key=_refusing_check)
BATCHES = CONTROL_BATCHES + TYPE_BATCHES
_BATCH_OF_ROW = dict((row_id, index) for index, batch in enumerate(BATCHES) for row_id in batch[3])
CASES = [_in_group(row, "batch-%d" % _BATCH_OF_ROW[row.id]) for row in CONTROL_ROWS + TYPE_ROWS]


def test_the_table_is_big_enough():
    assert len(CASES) >= 100


def _refusal(run_playbook, folder, playbook, variables, args):
    """Run ``playbook`` in render mode into folder/render with ``variables``; (run, the text from its first 'fatal:')."""
    render = folder / "render"
    variables = dict((key, value.replace("{render}", str(render)) if isinstance(value, str) else value)
                     for key, value in variables.items())
    run = run_playbook(playbook, *(args + ["-e", json.dumps(dict({"ops_render_dir": str(render)}, **variables))]),
                       timeout=120)
    return run, _failure_text(run)


def _failure_text(run):
    """The run's output on one line from its first 'fatal:' (all of it if there is none)."""
    # YAML output doubles the quotes of single-quoted strings: canary_hosts[''a''].
    text = " ".join(run.output.split()).replace("''", "'")
    return text[text.find("fatal:"):] if "fatal:" in text else text


def _names(failure, name):
    """Whether the refusal has a sentence for ``name`` itself, not for a longer name that contains it."""
    return re.search(r"(?<![\w\[.])%s(?!\w)" % re.escape(name), failure) is not None


@pytest.fixture(name="batch_run", scope="session")
def fixture_batch_run(run_playbook, tmp_path_factory, worker_id):
    """The run of a batch of rows, made once per test run (helpers.once_per_run): index -> (run, failure, folder)."""

    def run_batch(index):
        playbook, inventory, variables, _ids = BATCHES[index]

        def make(folder):
            run = _refusal(run_playbook, folder, playbook, variables, list(inventory))[0]
            return [run.returncode, run.output, run.seconds, str(folder)]
        returncode, output, seconds, folder = once_per_run(tmp_path_factory, worker_id, "bad-input-batch-%d" % index, make)
        run = PlaybookRun(returncode, output, seconds)
        return run, _failure_text(run), pathlib.Path(folder)
    return run_batch


def test_the_rows_share_a_few_runs():
    assert len(CONTROL_BATCHES) <= len(CONTROL_ROWS) // 4, [batch[3] for batch in CONTROL_BATCHES]
    assert len(TYPE_BATCHES) <= len(TYPE_ROWS) // 2, [batch[3] for batch in TYPE_BATCHES]


@pytest.mark.parametrize("playbook, variables, name, args", CASES)
def test_bad_input_is_refused_before_any_change(request, run_playbook, batch_run, tmp_path, playbook, variables, name, args):
    run, failure, folder = batch_run(_BATCH_OF_ROW[request.node.callspec.id])
    if not _names(failure, name):
        # Its batch was refused for another input first (a check that stops at its first finding),
        # or the name is a prefix (loadtest_wait_m): a run of its own, where the refusal is this
        # input's alone.
        folder = tmp_path
        run, failure = _refusal(run_playbook, folder, playbook, variables, args)
        assert name in failure, "the refusal does not name %s: %s" % (name, failure[:1500])
    render = folder / "render"
    assert run.returncode != 0, "accepted: %s" % run.output[-1500:]
    assert not os.path.exists(render) or not os.listdir(render), "written before the refusal: %s" % os.listdir(render)
    assert not [entry for entry in os.listdir(folder) if entry != "render"], os.listdir(folder)
    assert run.changed_count() == 0, run.output[-1500:]
    assert run.play_seconds is not None, run.output[-1500:]
    assert run.play_seconds < MAX_SECONDS, "refused %.1f s into the play" % run.play_seconds
    assert run.seconds < MAX_WALL_SECONDS, "refused after %.1f s" % run.seconds
