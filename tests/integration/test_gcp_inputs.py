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

from ansible_collections.boutique.ops.tests.helpers import batch_rows, once_per_run

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
    ("ui-open-to-world", dict(GOOD, loadgen_ui_allowed_cidrs=["0.0.0.0/0"]),
     "loadgen_vm_ui_allowed_cidrs is refused: together the IPv4 entries cover"),
    # The former escape hatch is gone: one policy for every exposed service.
    ("ui-public-anyway", dict(GOOD, loadgen_ui_allowed_cidrs=["0.0.0.0/0"], loadgen_ui_allow_public=True),
     "loadgen_vm_ui_allowed_cidrs is refused: together the IPv4 entries cover"),
    ("ui-host-bits", dict(GOOD, loadgen_ui_allowed_cidrs=["203.0.113.7/24"]), "has host bits set"),
    # Refused by the argument spec of _common (every role depends on it), before any stage.
    ("unknown-plan", dict(GOOD, gcp_plan="tiny"), "value of gcp_plan must be one of: standard, free-trial, got: tiny"),
    ("allowed-cidrs-string", dict(GOOD, ops_allowed_cidrs="203.0.113.7/32"),
     "ops_allowed_cidrs is refused: it must be a list of CIDRs, not a string"),
    ("allowed-cidrs-invalid-entry", dict(GOOD, ops_allowed_cidrs=["203.0.113.7/32", "my-laptop"]),
     "ops_allowed_cidrs is refused: 'my-laptop' has no /prefix"),
    ("allowed-cidrs-two-halves", dict(GOOD, ops_allowed_cidrs=["0.0.0.0/1", "128.0.0.0/1"]),
     "ops_allowed_cidrs is refused: together the IPv4 entries cover"),
    ("shop-override-string", dict(GOOD, boutique_frontend_source_ranges="203.0.113.7/32"),
     "boutique_frontend_source_ranges is refused: it must be a list of CIDRs, not a string"),
    ("grafana-override-too-wide", dict(GOOD, monitoring_grafana_source_ranges=["12.0.0.0/7"]),
     "monitoring_grafana_source_ranges is refused: together the IPv4 entries cover 33554432 public addresses"),
    ("ssh-open-to-world", dict(GOOD, loadgen_vm_ssh_allowed_cidrs=["0.0.0.0/0"]),
     "loadgen_vm_ssh_allowed_cidrs is refused: together the IPv4 entries cover"),
    ("ssh-cidrs-without-addresses", dict(GOOD, gcp_plan="free-trial", loadgen_vm_ssh_allowed_cidrs=["203.0.113.7/32"]),
     "loadgen_vm_ssh_allowed_cidrs are set, but the VMs have no external address"),
    ("missing-key-file", dict(GOOD, gcp_auth_kind="serviceaccount", gcp_service_account_file="/nonexistent/key.json"),
     "gcp_service_account_file=/nonexistent/key.json does not exist"),
    ("unknown-auth-kind", dict(GOOD, gcp_auth_kind="machineaccount"),
     "value of gcp_auth_kind must be one of: application, serviceaccount, got: machineaccount"),
    ("cluster-name-too-long", dict(GOOD, gke_cluster_name="b" * 41), "it has 41 characters, at most 40 are allowed"),
    ("too-many-nodes", dict(GOOD, gke_cluster_node_count=0), "gke_cluster_node_count=0 must be 1 to 20"),
    ("bad-label", dict(GOOD, gke_cluster_labels={"Team": "ops"}), "gke_cluster_labels has invalid labels"),
]


def _refused_by(extra, expected):
    """Which check refuses a row: the argument spec ("value of ..."), or the checks of its input's stage
    (gcp_*, gke_cluster_*, loadgen_vm_* ...): of the inputs the row changes, the one its message names first.
    A row that sets nothing (no-project) is a key of its own: in another batch it would gain its gcp_project."""
    if not extra:
        return "nothing set"
    if expected.startswith("value of"):
        return "argument spec"
    names = [name for name in sorted(extra) if extra[name] != GOOD.get(name)]
    named = sorted((name for name in names if name in expected), key=expected.find) or names
    return named[0].split("_")[0]


# Rows share runs: one check_inputs task names every refused input of its stage (helpers.batch_rows).
RENDER_BATCHES = batch_rows((case[0], _refused_by(case[1], case[2]), case[1]) for case in BAD_INPUTS)
_BATCH_OF_CASE = dict((case_id, index) for index, (_key, _merged, ids) in enumerate(RENDER_BATCHES) for case_id in ids)


@pytest.fixture(name="render_refusal", scope="session")
def fixture_render_refusal(tmp_path_factory, worker_id):
    """site.yml in render mode with a batch's merged inputs, once per test run: index -> (exit code, output, render folder)."""

    def run_batch(index):
        def make(folder):
            code, output = _run("site.yml", RENDER_BATCHES[index][1], render_dir=folder / "render")
            return [code, output, str(folder / "render")]
        return once_per_run(tmp_path_factory, worker_id, "gcp-refusal-batch-%d" % index, make)
    return run_batch


@pytest.mark.parametrize("extra,expected", [
    pytest.param(*case[1:], id=case[0], marks=pytest.mark.xdist_group("gcp-refusal-batch-%d" % _BATCH_OF_CASE[case[0]]))
    for case in BAD_INPUTS])
def test_bad_input_rejected_in_render_mode(request, render_refusal, tmp_path, extra, expected):
    code, output, render = render_refusal(_BATCH_OF_CASE[request.node.callspec.id])
    if expected not in " ".join(output.split()):
        # Its batch was refused by another check first: a run of its own.
        render = str(tmp_path / "render")
        code, output = _run("site.yml", extra, render_dir=render)
    assert code == 2, output[-3000:]
    assert expected in " ".join(output.split()), output[-3000:]
    # Nothing planned was written: the check ran before the gcp roles' render step.
    assert not os.path.exists(os.path.join(render, "gke_cluster"))
    assert not os.path.exists(os.path.join(render, "loadgen_vm"))


def test_the_refusals_share_a_few_runs():
    assert len(RENDER_BATCHES) <= len(BAD_INPUTS) * 2 // 3, [ids for _key, _merged, ids in RENDER_BATCHES]


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


def test_the_plays_auth_defaults_reach_the_google_cloud_modules(tmp_path):
    """group/boutique.ops.gcp (meta/runtime.yml) carries gke_cluster.yml's module_defaults to the modules:
    an absent key file is the module's own error, before any network call."""
    with open(os.path.join(REPO, "playbooks", "gke_cluster.yml"), encoding="utf-8") as handle:
        defaults = [play for play in yaml.safe_load(handle) if "module_defaults" in play][0]["module_defaults"]
    play = [{"name": "One Google Cloud module under the cluster play's defaults", "hosts": "control", "gather_facts": False,
             "module_defaults": defaults,
             "tasks": [{"name": "Read the addresses", "google.cloud.gcp_compute_address_info": {
                 "project": "boutique-tests", "region": "europe-west10"}}]}]
    playbook = tmp_path / "auth-defaults.yml"
    playbook.write_text(yaml.safe_dump(play))
    code, output = _run(str(playbook), {"gcp_auth_kind": "serviceaccount", "gcp_service_account_file": "/nonexistent/key.json"})
    assert code == 2, output[-3000:]
    assert "Unable to read service_account_file at /nonexistent/key.json" in output, output[-3000:]


def _firewall(render):
    return {rule["name"]: rule for rule in yaml.safe_load((render / "loadgen_vm" / "firewall.yml").read_text())}


@pytest.mark.parametrize("extra,ui_ranges", [
    (dict(GOOD, ops_allowed_cidrs=["203.0.113.7/32"], loadgen_vm_count=5), ["203.0.113.7/32"]),
    # The per-service override wins over ops_allowed_cidrs.
    (dict(GOOD, ops_allowed_cidrs=["203.0.113.7/32"], loadgen_ui_allowed_cidrs=["198.51.100.0/24"], loadgen_vm_count=5),
     ["198.51.100.0/24"]),
], ids=["ops-allowed-cidrs", "ui-override-wins"])
def test_allowed_cidrs_open_the_ui(tmp_path, extra, ui_ranges):
    render = tmp_path / "render"
    code, output = _run(os.path.join("playbooks", "loadgen_vm.yml"), extra, render_dir=render)
    assert code == 0, output[-3000:]
    rules = _firewall(render)
    assert rules["boutique-loadgen-ui"]["state"] == "present"
    assert rules["boutique-loadgen-ui"]["source_ranges"] == ui_ranges
    assert len(yaml.safe_load((render / "loadgen_vm" / "instances.yml").read_text())) == 5
    # With the UI reachable, no tunnel is proposed.
    assert "is open to %s" % ui_ranges[0] in output


def test_default_ssh_is_iap_only_and_the_tunnels_are_printed(tmp_path):
    render = tmp_path / "render"
    code, output = _run(os.path.join("playbooks", "loadgen_vm.yml"), GOOD, render_dir=render)
    assert code == 0, output[-3000:]
    assert ("gcloud compute start-iap-tunnel boutique-loadgen-1 8089 --local-host-port=localhost:8089 "
            "--project boutique-tests --zone europe-west10-a") in output
    assert "gcloud compute ssh boutique-loadgen-1 --tunnel-through-iap --project boutique-tests --zone europe-west10-a" in output
    rules = _firewall(render)
    allowing_ssh = [rule for rule in rules.values()
                    if rule["state"] == "present" and any("22" in map(str, allow.get("ports", [])) for allow in rule.get("allowed", []))]
    assert [(rule["name"], rule["source_ranges"]) for rule in allowing_ssh] == [("boutique-loadgen-iap", ["35.235.240.0/20"])]
    deny = rules["boutique-loadgen-ssh-deny"]
    assert deny["state"] == "present" and deny["denied"] == [{"ip_protocol": "tcp", "ports": ["22"]}]
    # Above the default network's default-allow-ssh (65534), below the allow rules (1000).
    assert rules["boutique-loadgen-iap"]["priority"] < deny["priority"] < 65534


def test_ssh_cidrs_add_a_direct_rule(tmp_path):
    render = tmp_path / "render"
    code, output = _run(os.path.join("playbooks", "loadgen_vm.yml"), dict(GOOD, loadgen_vm_ssh_allowed_cidrs=["203.0.113.7/32"]),
                        render_dir=render)
    assert code == 0, output[-3000:]
    rules = _firewall(render)
    assert rules["boutique-loadgen-ssh"]["state"] == "present"
    assert rules["boutique-loadgen-ssh"]["source_ranges"] == ["203.0.113.7/32"]
    assert rules["boutique-loadgen-ssh-deny"]["state"] == "present"


def test_free_trial_vm_has_no_external_address(tmp_path):
    render = tmp_path / "render"
    code, output = _run(os.path.join("playbooks", "loadgen_vm.yml"), dict(GOOD, gcp_plan="free-trial", ops_allowed_cidrs=["203.0.113.7/32"]),
                        render_dir=render)
    assert code == 0, output[-3000:]
    instances = yaml.safe_load((render / "loadgen_vm" / "instances.yml").read_text())
    assert [vm["name"] for vm in instances] == ["boutique-loadgen-1"]
    assert instances[0]["network_interfaces"][0]["access_configs"] == []
    assert yaml.safe_load((render / "loadgen_vm" / "addresses.yml").read_text()) == []
    # No address, so the UI is reached through IAP even with ops_allowed_cidrs.
    assert _firewall(render)["boutique-loadgen-ui"]["state"] == "absent"
    assert "no external address: out through Cloud NAT" in " ".join(output.split())


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


# Preflight's apply-mode checks against a stand-in for gcloud (Google is unreachable here). It
# answers the three read-only calls preflight makes in the formats gcloud 528 prints: an access
# token, `services list --format value(config.name)` lines, `compute regions describe --format json`.
FAKE_GCLOUD = """#!/bin/sh
case "$*" in
  --version) echo "Google Cloud SDK 528.0.0";;
  *print-access-token*) [ -n "$FAKE_TOKEN_ERROR" ] && { echo "$FAKE_TOKEN_ERROR" >&2; exit 1; }; echo ya29.stand-in;;
  "services list"*) printf '%s\\n' $FAKE_APIS;;
  "compute regions describe"*) echo "$FAKE_REGION";;
  *) echo "stand-in gcloud: unexpected call: $*" >&2; exit 3;;
esac
"""
ROOMY_REGION = {"name": "europe-west10", "quotas": [
    {"metric": "CPUS", "limit": 24.0, "usage": 0.0},
    {"metric": "SSD_TOTAL_GB", "limit": 500.0, "usage": 0.0},
    {"metric": "DISKS_TOTAL_GB", "limit": 4096.0, "usage": 0.0},
    {"metric": "IN_USE_ADDRESSES", "limit": 16.0, "usage": 0.0},
    {"metric": "STATIC_ADDRESSES", "limit": 8.0, "usage": 0.0},
]}
# A free trial's region as the seed met it: 8 CPUs, 250 GB of SSD, 4 addresses.
FREE_TRIAL_REGION = {"name": "europe-west10", "quotas": [
    {"metric": "CPUS", "limit": 8.0, "usage": 0.0},
    {"metric": "SSD_TOTAL_GB", "limit": 250.0, "usage": 0.0},
    {"metric": "IN_USE_ADDRESSES", "limit": 4.0, "usage": 0.0},
    {"metric": "STATIC_ADDRESSES", "limit": 8.0, "usage": 0.0},
]}
BOTH_APIS = "container.googleapis.com compute.googleapis.com logging.googleapis.com"


def _preflight(tmp_path, extra=None, apis=BOTH_APIS, region=None, token_error=""):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    gcloud = fake_bin / "gcloud"
    gcloud.write_text(FAKE_GCLOUD)
    gcloud.chmod(0o755)
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIStandIn tests\n")
    inventory = tmp_path / "loadgen.gcp_compute.yml"
    inventory.write_text("plugin: google.cloud.gcp_compute\nprojects: [boutique-tests]\nauth_kind: application\n")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", FAKE_APIS=apis, FAKE_TOKEN_ERROR=token_error,
               FAKE_REGION=json.dumps(region or ROOMY_REGION),
               PATH=os.pathsep.join([str(fake_bin), VENV_BIN, os.environ.get("PATH", "")]))
    variables = dict(GOOD, loadgen_vm_ssh_public_key_file=str(key), loadgen_vm_inventory_file=str(inventory))
    variables.update(extra or {})
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, os.path.join("playbooks", "preflight.yml"),
            "-e", json.dumps(variables)]
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return result.returncode, " ".join((result.stdout + result.stderr).split())


def test_preflight_passes_with_room(tmp_path):
    code, output = _preflight(tmp_path)
    assert code == 0, output[-3000:]
    # 4 nodes + 3 VMs x 2 vCPUs; 4 x 50 + 3 x 20 GB; 4 + 3 + 2 load-balancer addresses.
    # 4 nodes + 3 VMs, no load balancer for people without ops_allowed_cidrs.
    assert "gcp_plan=standard fits the quota of europe-west10; it takes CPUS 14, SSD_TOTAL_GB 260, IN_USE_ADDRESSES 7, STATIC_ADDRESSES 3." in output


def test_preflight_counts_a_load_balancer_per_exposed_service(tmp_path):
    code, output = _preflight(tmp_path, extra={"ops_allowed_cidrs": ["203.0.113.7/32"]})
    assert code == 0, output[-3000:]
    assert "IN_USE_ADDRESSES 10," in output


def test_preflight_free_trial_quota_says_what_to_change(tmp_path):
    code, output = _preflight(tmp_path, region=FREE_TRIAL_REGION, extra={"ops_allowed_cidrs": ["203.0.113.7/32"]})
    assert code == 2, output[-3000:]
    assert "quota CPUS: the plan needs 14, 8 of 8 are free in europe-west10" in output
    assert "quota SSD_TOTAL_GB: the plan needs 260, 250 of 250 are free" in output
    assert "-e gke_cluster_disk_type=pd-standard" in output
    assert "quota IN_USE_ADDRESSES: the plan needs 10, 4 of 4 are free" in output
    assert "STATIC_ADDRESSES" not in output.split("found what to change")[1].split("PLAY RECAP")[0]
    # The message names the plan that fits.
    assert "gcp_plan=standard does not fit this region's quota; gcp_plan=free-trial does: -e gcp_plan=free-trial" in output


def test_preflight_free_trial_plan_fits_the_free_trial(tmp_path):
    # Every service people use exposed (3 load balancers): still within the free trial's 4 addresses.
    code, output = _preflight(tmp_path, region=FREE_TRIAL_REGION, extra={"gcp_plan": "free-trial", "ops_allowed_cidrs": ["203.0.113.7/32"]})
    assert code == 0, output[-3000:]
    assert ("gcp_plan=free-trial fits the quota of europe-west10; it takes CPUS 8, SSD_TOTAL_GB 170, IN_USE_ADDRESSES 4."
            in output)


def test_preflight_no_plan_fits_says_so(tmp_path):
    used = {"name": "europe-west10", "quotas": [{"metric": "CPUS", "limit": 8.0, "usage": 6.0}]}
    code, output = _preflight(tmp_path, region=used, extra={"gcp_plan": "free-trial"})
    assert code == 2, output[-3000:]
    assert "quota CPUS: the plan needs 8, 2 of 8 are free" in output
    assert "no plan fits this region's free quota as it is (gcp_plan=free-trial chosen, standard and free-trial checked)" in output


def test_teardown_preflight_needs_no_key_inventory_or_quota(tmp_path):
    # The key file is absent and the inventory lists another project: creating would stop, deleting must not.
    code, output = _preflight(tmp_path, region=FREE_TRIAL_REGION, extra={
        "preflight_gcp_purpose": "teardown", "gcp_project": "another-project",
        "loadgen_vm_ssh_public_key_file": str(tmp_path / "absent.pub")})
    assert code == 0, output[-3000:]
    assert "is not a readable file" not in output
    assert "does not list gcp_project" not in output
    assert "fits the quota" not in output


def test_preflight_smaller_plan_fits_the_free_trial(tmp_path):
    code, output = _preflight(tmp_path, region=FREE_TRIAL_REGION, extra={
        "gke_cluster_node_count": 2, "loadgen_vm_count": 1, "gke_cluster_load_balancers": 1})
    assert code == 0, output[-3000:]


def test_preflight_missing_api(tmp_path):
    code, output = _preflight(tmp_path, apis="compute.googleapis.com")
    assert code == 2, output[-3000:]
    assert "gcloud services enable container.googleapis.com --project boutique-tests" in output


def test_preflight_credentials_that_do_not_work(tmp_path):
    code, output = _preflight(tmp_path, token_error="ERROR: (gcloud.auth.application-default.print-access-token) no credentials")
    assert code == 2, output[-3000:]
    assert "the application credentials do not work" in output
    assert "gcloud auth application-default login" in output


def test_preflight_inventory_must_list_the_project(tmp_path):
    code, output = _preflight(tmp_path, extra={"gcp_project": "another-project"})
    assert code == 2, output[-3000:]
    assert "does not list gcp_project=another-project under `projects:`" in output


def test_preflight_needs_the_ssh_key(tmp_path):
    code, output = _preflight(tmp_path, extra={"loadgen_vm_ssh_public_key_file": str(tmp_path / "absent.pub")})
    assert code == 2, output[-3000:]
    assert "is not a readable file: the VMs get this key at creation" in output


# get-credentials against a stand-in gcloud that writes what gcloud 528 writes: a context, the
# cluster's CA and endpoint, and a user that runs gke-gcloud-auth-plugin.
FAKE_GET_CREDENTIALS = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
echo "override=$CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE plugin=$USE_GKE_GCLOUD_AUTH_PLUGIN" >> "$FAKE_LOG"
cat > "$KUBECONFIG" <<'YAML'
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi0tLS0t
    server: https://203.0.113.10
  name: gke_boutique-tests_europe-west10-a_boutique
contexts:
- context:
    cluster: gke_boutique-tests_europe-west10-a_boutique
    user: gke_boutique-tests_europe-west10-a_boutique
  name: gke_boutique-tests_europe-west10-a_boutique
current-context: gke_boutique-tests_europe-west10-a_boutique
kind: Config
preferences: {}
users:
- name: gke_boutique-tests_europe-west10-a_boutique
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl
      provideClusterInfo: true
YAML
"""
CREDENTIALS_PLAY = """
- name: Credentials only
  hosts: control
  gather_facts: false
  tasks:
    - name: Plan
      ansible.builtin.include_role:
        name: boutique.ops.gke_cluster
        tasks_from: build.yml
    - name: Credentials
      ansible.builtin.include_role:
        name: boutique.ops.gke_cluster
        tasks_from: credentials.yml
"""


@pytest.mark.parametrize("auth", ["application", "serviceaccount"])
def test_credentials_into_project_local_kubeconfig(tmp_path, auth):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "gcloud").write_text(FAKE_GET_CREDENTIALS)
    (fake_bin / "gcloud").chmod(0o755)
    playbook = tmp_path / "credentials.yml"
    playbook.write_text(CREDENTIALS_PLAY)
    key = tmp_path / "key.json"
    key.write_text("{}")
    kubeconfig = tmp_path / ".kube" / "boutique.config"
    variables = dict(GOOD, ops_kubeconfig=str(kubeconfig), ops_render_dir="", gcp_auth_kind=auth, gcp_service_account_file=str(key))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", FAKE_LOG=str(tmp_path / "calls.log"),
               PATH=os.pathsep.join([str(fake_bin), VENV_BIN, os.environ.get("PATH", "")]))
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, str(playbook), "-e", json.dumps(variables)]
    recaps = []
    for _run_number in range(2):
        result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stdout[-3000:]
        recaps.append([line for line in result.stdout.splitlines() if line.startswith("localhost")][-1])
    # First run creates .kube/ and installs the kubeconfig, the second changes nothing.
    assert "changed=2" in recaps[0] and "changed=0" in recaps[1], recaps
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
    assert oct(kubeconfig.parent.stat().st_mode & 0o777) == "0o700"
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[0] == "container clusters get-credentials boutique --project boutique-tests --location europe-west10-a"
    assert calls[1] == ("override=%s plugin=True" % (key if auth == "serviceaccount" else ""))
    config = yaml.safe_load(kubeconfig.read_text())
    assert config["current-context"] == "gke_boutique-tests_europe-west10-a_boutique"
    plugin = config["users"][0]["user"]["exec"]
    assert plugin["command"] == "gke-gcloud-auth-plugin"
    if auth == "serviceaccount":
        assert plugin["env"] == [{"name": "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "value": str(key)}]
    else:
        assert "env" not in plugin


# A kind cluster's entries, as `kind create cluster` leaves them in ~/.kube/config.
KIND_KUBECONFIG = """apiVersion: v1
kind: Config
preferences: {}
clusters:
- cluster:
    certificate-authority-data: S0lORC1DQQ==
    server: https://127.0.0.1:40123
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
current-context: kind-kind
users:
- name: kind-kind
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
"""
REMOVE_PLAY = """
- name: Teardown's kubeconfig step only
  hosts: control
  gather_facts: false
  tasks:
    - name: Plan
      ansible.builtin.include_role:
        name: boutique.ops.gke_cluster
        tasks_from: build.yml
    - name: Remove the cluster's entries
      ansible.builtin.include_role:
        name: boutique.ops.gke_cluster
        tasks_from: kubeconfig_remove.yml
"""
GKE_ENTRY = "gke_boutique-tests_europe-west10-a_boutique"


def _kube_play(tmp_path, play, kubeconfig):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    (fake_bin / "gcloud").write_text(FAKE_GET_CREDENTIALS)
    (fake_bin / "gcloud").chmod(0o755)
    playbook = tmp_path / ("play-%d.yml" % abs(hash(play)))
    playbook.write_text(play)
    variables = dict(GOOD, ops_kubeconfig=str(kubeconfig), ops_render_dir="")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", FAKE_LOG=str(tmp_path / "calls.log"),
               PATH=os.pathsep.join([str(fake_bin), VENV_BIN, os.environ.get("PATH", "")]))
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, str(playbook), "-e", json.dumps(variables)]
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    return [line for line in result.stdout.splitlines() if line.startswith("localhost")][-1]


def test_credentials_merge_into_a_users_kubeconfig_and_teardown_removes_only_them(tmp_path):
    kube = tmp_path / "home" / ".kube"
    kube.mkdir(parents=True, mode=0o755)
    kubeconfig = kube / "config"
    kubeconfig.write_text(KIND_KUBECONFIG)
    kubeconfig.chmod(0o600)
    first = _kube_play(tmp_path, CREDENTIALS_PLAY, kubeconfig)
    second = _kube_play(tmp_path, CREDENTIALS_PLAY, kubeconfig)
    # Only the merge changed something; the user's folder kept its mode; a second run changes nothing.
    assert "changed=1" in first and "changed=0" in second, (first, second)
    assert oct(kube.stat().st_mode & 0o777) == "0o755"
    merged = yaml.safe_load(kubeconfig.read_text())
    assert [c["name"] for c in merged["contexts"]] == ["kind-kind", GKE_ENTRY]
    assert [u["name"] for u in merged["users"]] == ["kind-kind", GKE_ENTRY]
    assert merged["current-context"] == GKE_ENTRY
    assert merged["users"][0] == yaml.safe_load(KIND_KUBECONFIG)["users"][0]
    # The original was backed up before the first write, byte for byte.
    backups = [path for path in kube.iterdir() if path.name.startswith("config.") and path.name.endswith("~")]
    assert len(backups) == 1 and backups[0].read_text() == KIND_KUBECONFIG

    removed = _kube_play(tmp_path, REMOVE_PLAY, kubeconfig)
    assert "changed=1" in removed, removed
    left = yaml.safe_load(kubeconfig.read_text())
    assert [c["name"] for c in left["contexts"]] == ["kind-kind"]
    assert left["clusters"] == yaml.safe_load(KIND_KUBECONFIG)["clusters"]
    assert left["current-context"] == ""
    # Again: nothing of the cluster is left, nothing changes.
    assert "changed=0" in _kube_play(tmp_path, REMOVE_PLAY, kubeconfig)


def test_teardown_deletes_a_project_kubeconfig_that_holds_only_the_cluster(tmp_path):
    kubeconfig = tmp_path / ".kube" / "boutique.config"
    _kube_play(tmp_path, CREDENTIALS_PLAY, kubeconfig)
    assert kubeconfig.exists()
    assert "changed=1" in _kube_play(tmp_path, REMOVE_PLAY, kubeconfig)
    assert not kubeconfig.exists()
