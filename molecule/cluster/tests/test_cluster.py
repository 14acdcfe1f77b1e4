# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What converge left on the local cluster, read back from the API server; then --check --diff,
a short stress run and teardown.yml against it. The tests run in file order: the last one tears
down what the others read.

The cluster is real (kube-apiserver 1.34 with its admission chain, etcd, the controller manager
and scheduler); its nodes and pods are KWOK's, and the pods' answers come from the stand-ins of
scripts/local-cluster/standins.py (README: "Try the whole lab without a cloud").
"""

from __future__ import annotations

import base64
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(os.path.join(HERE, "..", "..", ".."))
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
CLUSTER_STATE = os.environ.get("LOCAL_CLUSTER_STATE") or os.path.join(EPHEMERAL, "local-cluster")
VARS_FILE = os.path.join(CLUSTER_STATE, "vars.yml")
STATE = os.path.join(EPHEMERAL, "state")
RENDER = os.path.join(EPHEMERAL, "render")
BIN = os.path.dirname(sys.executable)
# The project's kubectl (scripts/install-helm.sh), else the one on PATH.
KUBECTL = shutil.which("kubectl", path=BIN + os.pathsep + os.environ.get("PATH", ""))
SHOP, MONITORING, ISTIO, INGRESS = "boutique", "monitoring", "istio-system", "istio-ingress"
# The chart pins (roles' defaults) and the releases they name.
PINNED = {"prometheus": "prometheus-29.27.0", "grafana": "grafana-12.11.1", "istio-base": "base-1.30.3",
          "istiod": "istiod-1.30.3", "istio-ingressgateway": "gateway-1.30.3"}

with open(VARS_FILE, encoding="utf-8") as _handle:
    CLUSTER_VARS = yaml.safe_load(_handle)
KUBECONFIG = CLUSTER_VARS["ops_kubeconfig"]
HELM = CLUSTER_VARS["ops_helm_binary"]


def kubectl(*args, check=True):
    result = subprocess.run([KUBECTL, "--kubeconfig", KUBECONFIG, "--request-timeout=20s"] + list(args),
                            capture_output=True, text=True, timeout=60, check=False)
    assert not check or result.returncode == 0, result.stderr
    return result


def get(*args):
    return json.loads(kubectl("get", "-o", "json", *args).stdout)


def playbook(name, *args, timeout=600):
    """ansible-playbook NAME with the scenario's inventory and the cluster's vars file; returns (rc, output)."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(PROJECT, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               BOUTIQUE_OPS_CHART_SOURCE=os.path.join(PROJECT, "..", "shared", "reference", "charts"))
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(PROJECT, "molecule", "inventory.yml"),
                             os.path.join(PROJECT, name), "-e", "@" + VARS_FILE, "-e", "ops_state_dir=" + STATE] + list(args),
                            capture_output=True, text=True, timeout=timeout, cwd=PROJECT, env=env, check=False)
    return result.returncode, result.stdout + result.stderr


def recap_changed(output):
    line = [line for line in output.splitlines() if line.startswith("localhost") and "changed=" in line][-1]
    return int(line.split("changed=")[1].split()[0])


def is_subset(want, have, path=""):
    """Every key and list item of `want` is in `have` (the API server adds defaults, never drops): the differences."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return ["%s: %r is not a mapping" % (path, have)]
        problems = []
        for key, value in want.items():
            if key not in have:
                problems.append("%s.%s missing" % (path, key))
            else:
                problems += is_subset(value, have[key], "%s.%s" % (path, key))
        return problems
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return ["%s: %d items rendered, %s in the cluster" % (path, len(want), len(have) if isinstance(have, list) else have)]
        return [problem for index, item in enumerate(want) for problem in is_subset(item, have[index], "%s[%d]" % (path, index))]
    if str(want) != str(have) and not _same_quantity(want, have):
        return ["%s: rendered %r, cluster %r" % (path, want, have)]
    return []


def _same_quantity(want, have):
    """1000m and 1, 0.5 and 500m: the API server writes quantities in canonical form."""
    def cores(value):
        text = str(value)
        try:
            return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
        except ValueError:
            return None
    return cores(want) is not None and cores(want) == cores(have)


@pytest.fixture(scope="module")
def render():
    """site.yml and canary.yml rendered with the same variables as converge."""
    for name, args in (("site.yml", []), ("canary.yml", ["-e", "weight=25"])):
        code, output = playbook(name, "-e", "ops_render_dir=" + RENDER, *args)
        assert code == 0, output[-3000:]
    return RENDER


def _rendered_objects(render_dir):
    objects = []
    for role in ("boutique", "monitoring", "istio", "canary"):
        for path in sorted(glob.glob(os.path.join(render_dir, role, "*.yml"))):
            with open(path, encoding="utf-8") as handle:
                objects += [doc for doc in yaml.safe_load_all(handle) if isinstance(doc, dict) and "kind" in doc and "metadata" in doc]
    return objects


def test_every_rendered_object_is_in_the_cluster_with_the_same_spec(render):
    objects = _rendered_objects(render)
    assert len(objects) >= 20, "the render holds too few objects: %d" % len(objects)
    # site.yml renders frontend-external, which canary.yml removes (it would bypass the split; the
    # istio role deletes it and the boutique role leaves it out once the namespace is injected).
    objects = [obj for obj in objects if not (obj["kind"] == "Service" and obj["metadata"]["name"] in ("frontend-external", "frontend-internal"))]
    assert not kubectl("get", "service", "frontend-external", "-n", SHOP, check=False).returncode == 0
    problems = []
    for obj in objects:
        kind, meta = obj["kind"], obj["metadata"]
        resource = kind.lower() + ("." + obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else "")
        args = [resource, meta["name"]] + (["-n", meta["namespace"]] if meta.get("namespace") else [])
        found = kubectl("get", "-o", "json", *args, check=False)
        if found.returncode != 0:
            problems.append("%s/%s: not in the cluster (%s)" % (kind, meta["name"], found.stderr.strip()))
            continue
        live = json.loads(found.stdout)
        for field in ("spec", "data", "rules", "subsets"):
            if field in obj:
                problems += ["%s/%s %s" % (kind, meta["name"], problem) for problem in is_subset(obj[field], live.get(field), field)]
        problems += ["%s/%s %s" % (kind, meta["name"], problem)
                     for problem in is_subset(meta.get("labels", {}), live["metadata"].get("labels", {}), "labels")]
    assert not problems, "\n".join(problems[:40])


def test_every_helm_release_is_deployed_at_its_pinned_chart():
    releases = json.loads(subprocess.run([HELM, "--kubeconfig", KUBECONFIG, "list", "--all-namespaces", "--all", "-o", "json"],
                                         capture_output=True, text=True, timeout=60, check=True).stdout)
    found = dict((release["name"], (release["chart"], release["status"])) for release in releases)
    assert found == dict((name, (chart, "deployed")) for name, chart in PINNED.items())


def test_every_deployment_is_available():
    deployments = get("deployments", "--all-namespaces")["items"]
    assert len(deployments) >= 12
    unavailable = ["%s/%s" % (item["metadata"]["namespace"], item["metadata"]["name"]) for item in deployments
                   if not any(cond["type"] == "Available" and cond["status"] == "True" for cond in item["status"].get("conditions", []))]
    assert not unavailable


def test_the_shop_runs_in_the_mesh_on_nodes_shaped_like_the_lab():
    nodes = get("nodes")["items"]
    assert len(nodes) == 4
    assert all(node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "e2-standard-2" for node in nodes)
    pods = get("pods", "-n", SHOP)["items"]
    assert pods and all("istio-proxy" in [c["name"] for c in pod["spec"]["containers"]] for pod in pods), \
        "every pod of the shop has the sidecar the injection webhook added"
    assert all(pod["spec"].get("nodeName") for pod in pods)


def test_istio_crds_are_established():
    crds = [item for item in get("crds")["items"] if item["spec"]["group"].endswith("istio.io")]
    assert len(crds) >= 10
    assert all(any(cond["type"] == "Established" and cond["status"] == "True" for cond in crd["status"]["conditions"]) for crd in crds)


def test_the_virtualservice_reads_back_75_25():
    route = get("virtualservice.networking.istio.io", "frontend", "-n", SHOP)["spec"]["http"][-1]["route"]
    assert sorted((dest["destination"]["subset"], dest["weight"]) for dest in route) == [("v1", 75), ("v2", 25)]


def test_the_grafana_password_is_stored_and_never_printed():
    secret = get("secret", "grafana-admin", "-n", MONITORING)
    password = base64.b64decode(secret["data"]["admin-password"]).decode()
    stored = os.path.join(STATE, ".secrets", "grafana-admin")
    assert oct(os.stat(stored).st_mode & 0o777) == "0o600"
    with open(stored, encoding="utf-8") as handle:
        assert handle.read().strip() == password
    with open(os.path.join(EPHEMERAL, "ansible.log"), encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    assert "Install the Helm releases" in log, "the converge log is not where the test looks"
    assert password not in log


def test_check_diff_shows_a_weight_change_and_makes_none():
    # That a run with the same inputs changes nothing is molecule's idempotence step (a real run);
    # here --check --diff with a new weight must show the VirtualService's change and make none.
    version = get("virtualservice.networking.istio.io", "frontend", "-n", SHOP)["metadata"]["resourceVersion"]
    code, output = playbook("canary.yml", "--check", "--diff", "-e", "weight=50")
    assert code == 0, output[-3000:]
    assert recap_changed(output) == 1, output[-3000:]
    assert "-                weight: 75" in output and "+                weight: 50" in output, output[-3000:]
    assert get("virtualservice.networking.istio.io", "frontend", "-n", SHOP)["metadata"]["resourceVersion"] == version
    test_the_virtualservice_reads_back_75_25()


def test_a_short_stress_run_through_the_gateway_counts_both_versions():
    # The vars file sends the load to the gateway stand-in with the VirtualService's host.
    code, output = playbook("loadtest.yml", "-e", "profile=stress", "-e", "duration=20", "-e", "users=20", "-e", "ramp_rate=10")
    assert code == 0, output[-3000:]
    runs = sorted(glob.glob(os.path.join(STATE, "results", "*-stress")))
    with open(os.path.join(runs[-1], "summary.json"), encoding="utf-8") as handle:
        summary = json.load(handle)
    versions = summary["versions"]
    assert set(versions) == {"v1", "v2"}
    share = versions["v2"]["requests"] / float(versions["v1"]["requests"] + versions["v2"]["requests"])
    assert 0.15 < share < 0.35, versions
    assert summary["analysis"]["status"] == "done", summary["analysis"]


def test_teardown_leaves_nothing_of_the_lab_and_the_users_kubeconfig_entries():
    with open(KUBECONFIG, encoding="utf-8") as handle:
        before = yaml.safe_load(handle)
    code, output = playbook("teardown.yml", "-e", "confirm=yes")
    assert code == 0, output[-3000:]
    left = kubectl("get", "all,cm,secret,sa", "--all-namespaces", "-l", "app.kubernetes.io/part-of=online-boutique", "-o", "name").stdout
    assert left.strip() == ""
    namespaces = [item["metadata"]["name"] for item in get("namespaces")["items"]]
    assert not set(namespaces) & {SHOP, MONITORING, ISTIO, INGRESS}
    releases = subprocess.run([HELM, "--kubeconfig", KUBECONFIG, "list", "--all-namespaces", "--all", "-q"],
                              capture_output=True, text=True, timeout=60, check=True).stdout
    assert releases.strip() == ""
    with open(KUBECONFIG, encoding="utf-8") as handle:
        after = yaml.safe_load(handle)
    assert after == before
    assert "users-own-context" in [context["name"] for context in after["contexts"]]
