# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""One gcp render holds everything the load generators need, and nothing is open to the internet.

A single ansible-playbook run renders site.yml and the Istio stage (canary.yml's gateway) for the
gcp inventory. The load generators' path (the internal passthrough load balancers of the shop and
the gateway) must be there in that one run, with no second run; and no Service, firewall rule or
Helm value opens anything beyond the source-range policy. A second render with ops_allowed_cidrs
and per-service overrides shows the one allow-list reaching every service people use, each
override winning.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from ansible_collections.boutique.ops.plugins.filter.cidr_policy import cidr_policy
from ansible_collections.boutique.ops.tests.helpers import once_per_run

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INVENTORY = os.path.join(REPO, "inventories", "gcp", "hosts.yml")
VENV_BIN = os.path.dirname(sys.executable)
INTERNAL = {"networking.gke.io/load-balancer-type": "Internal"}


def _render(tmp_path_factory, worker_id, name, extra):
    """(render folder, the run's output as one line), made once per test run (helpers.once_per_run)."""
    render, output = once_per_run(tmp_path_factory, worker_id, "gcp-one-run-" + name, lambda folder: _make_render(folder, extra))
    return pathlib.Path(render), output


def _make_render(folder, extra):
    render = folder / "render"
    playbook = render.parent / "one-run.yml"
    playbook.write_text(
        "- ansible.builtin.import_playbook: %s\n- ansible.builtin.import_playbook: %s\n"
        % (os.path.join(REPO, "site.yml"), os.path.join(REPO, "playbooks", "istio.yml")))
    variables = dict({"gcp_project": "boutique-tests", "ops_render_dir": str(render)}, **extra)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    args = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, str(playbook), "-e", json.dumps(variables)]
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=1500, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    return [str(render), " ".join(result.stdout.split())]


def _docs(path):
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def _services(render):
    found = {}
    for folder in ("boutique", "istio"):
        for name in sorted(os.listdir(render / folder)):
            if name.endswith(".yml") and name != "removed.yml":
                for doc in _docs(render / folder / name):
                    if isinstance(doc, dict) and doc.get("kind") == "Service":
                        found[doc["metadata"]["name"]] = doc
    return found


def _helm_values(render, role, name):
    return yaml.safe_load((render / role / name).read_text())


def _gateway_service_values(render):
    releases = yaml.safe_load((render / "istio" / "releases.yml").read_text())["releases"]
    gateway = [release for release in releases if release["release"] == "istio-ingressgateway"]
    return gateway[0]["values"]["service"]


def _firewall(render):
    return {rule["name"]: rule for rule in yaml.safe_load((render / "loadgen_vm" / "firewall.yml").read_text())}


@pytest.fixture(scope="module", name="default_render")
def fixture_default_render(tmp_path_factory, worker_id):
    return _render(tmp_path_factory, worker_id, "default", {})


@pytest.fixture(scope="module", name="exposed_render")
def fixture_exposed_render(tmp_path_factory, worker_id):
    return _render(tmp_path_factory, worker_id, "exposed", {
        "ops_allowed_cidrs": ["203.0.113.7/32"],
        "boutique_frontend_source_ranges": ["198.51.100.0/24"],
        "monitoring_grafana_source_ranges": ["2001:db8::/48"],
    })


# The tests of one render stay on one xdist worker (--dist loadgroup): the other worker would only
# wait on the render's lock meanwhile.
DEFAULT_RENDER = pytest.mark.xdist_group("gcp-one-run-default")


@DEFAULT_RENDER
def test_generators_path_is_in_the_first_render(default_render):
    render, _output = default_render
    services = _services(render)
    shop = services["frontend-internal"]
    assert shop["metadata"]["annotations"] == INTERNAL
    assert shop["spec"]["type"] == "LoadBalancer"
    assert shop["spec"]["loadBalancerSourceRanges"] == ["10.128.0.0/9"]
    gateway = services["istio-ingressgateway-internal"]
    assert gateway["metadata"]["annotations"] == INTERNAL
    assert gateway["spec"]["selector"] == {"istio": "ingressgateway"}
    assert gateway["spec"]["loadBalancerSourceRanges"] == ["10.128.0.0/9"]
    # The load generators, their master port between them, and the target the load test looks up.
    instances = yaml.safe_load((render / "loadgen_vm" / "instances.yml").read_text())
    assert len(instances) == 3
    assert _firewall(render)["boutique-loadgen-master"]["state"] == "present"


@DEFAULT_RENDER
def test_nothing_is_open_to_the_internet_by_default(default_render):
    render, _output = default_render
    services = _services(render)
    public = [name for name, svc in services.items()
              if svc["spec"].get("type") == "LoadBalancer" and svc["metadata"].get("annotations") != INTERNAL]
    assert public == []
    assert services["frontend-external"]["spec"]["type"] == "ClusterIP"
    grafana = _helm_values(render, "monitoring", "grafana-values.yml")
    assert grafana["service"]["type"] == "ClusterIP"
    assert _gateway_service_values(render)["type"] == "ClusterIP"
    for rule in _firewall(render).values():
        if rule["state"] == "present" and "allowed" in rule:
            assert "0.0.0.0/0" not in rule.get("source_ranges", []), rule["name"]
            assert cidr_policy(rule.get("source_ranges", []), rule["name"]) == "", rule["name"]
    for svc in services.values():
        assert cidr_policy(svc["spec"].get("loadBalancerSourceRanges", []), svc["metadata"]["name"]) == ""
    # The only 0.0.0.0/0 in the whole render is the rule that denies SSH from everywhere else.
    text = "\n".join(path.read_text() for path in render.rglob("*.yml"))
    assert text.count("0.0.0.0/0") == 1
    assert _firewall(render)["boutique-loadgen-ssh-deny"]["source_ranges"] == ["0.0.0.0/0"]


@DEFAULT_RENDER
def test_render_shows_plans_and_stage_order(default_render):
    render, output = default_render
    plan = yaml.safe_load((render / "preflight" / "gcp_plan.yml").read_text())
    assert plan["gcp_plan"] == "standard"
    assert plan["plans"]["standard"]["arithmetic"]["CPUS"].endswith("= 14")
    assert plan["plans"]["free-trial"]["arithmetic"]["CPUS"].endswith("= 8")
    assert plan["plans"]["free-trial"]["fits_free_trial"] is True
    assert [stage.split(":")[0] for stage in plan["stage_order"]] == [
        "gke_cluster start", "loadgen_vm", "gke_cluster finish", "boutique", "monitoring", "locust"]
    assert "Planned stage order:" in output
    # site.yml's stage clock, in the order the stages ran.
    clock = output.split("Stages in the order they ran")[1]
    assert clock.index("preflight") < clock.index("gke_cluster start") < clock.index("loadgen_vm") < clock.index("locust") < clock.index("total")


def test_allowed_cidrs_reach_every_service_and_overrides_win(exposed_render):
    render, _output = exposed_render
    services = _services(render)
    shop = services["frontend-external"]["spec"]
    assert shop["type"] == "LoadBalancer" and shop["loadBalancerSourceRanges"] == ["198.51.100.0/24"]  # override
    grafana = _helm_values(render, "monitoring", "grafana-values.yml")["service"]
    assert grafana == {"type": "LoadBalancer", "loadBalancerSourceRanges": ["2001:db8::/48"]}  # override
    ui = _firewall(render)["boutique-loadgen-ui"]
    assert ui["state"] == "present" and ui["source_ranges"] == ["203.0.113.7/32"]  # ops_allowed_cidrs
    gateway = _gateway_service_values(render)
    assert gateway == {"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.7/32"]}  # ops_allowed_cidrs
    # The generators' internal path stays as it was.
    assert services["frontend-internal"]["spec"]["loadBalancerSourceRanges"] == ["10.128.0.0/9"]
