# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The istio role's Helm releases (base, istiod, gateway 1.30.3) as real Helm makes them, against the
project's own Istio objects and the canary's routing.

The shop and canary.yml (weight 25) are rendered once per session (tests/integration/conftest.py);
render mode writes `helm template`'s output of each release under istio/helm/.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.boutique.ops.tests.helpers import kubernetes_schema_errors, load_documents, without_key_path

HELM = shutil.which("helm")
RELEASES = ("istio-base", "istiod", "istio-ingressgateway")

pytestmark = pytest.mark.skipif(HELM is None, reason="helm not on PATH (scripts/install-helm.sh installs it)")


def templated(render, release):
    return load_documents(os.path.join(render, "istio", "helm", release + ".yml"))


def releases(render):
    with open(os.path.join(render, "istio", "releases.yml"), encoding="utf-8") as handle:
        return {entry["release"]: entry for entry in yaml.safe_load(handle)["releases"]}


def project_objects(render):
    """The objects the project itself applies: the shop, Istio's Gateway, the canary's."""
    objects = []
    for path in sorted(glob.glob(os.path.join(render, "boutique", "*.yml")) + [os.path.join(render, "istio", "objects.yml")]
                       + glob.glob(os.path.join(render, "canary", "*.yml"))):
        objects += load_documents(path)
    return objects


def one(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, "expected one %s %s, found %d" % (kind, name or "", len(found))
    return found[0]


def selects(selector, labels):
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("release", RELEASES)
def test_every_templated_object_validates_strictly(canary_render, release):
    objects = templated(canary_render, release)
    assert objects, "helm template made nothing for %s" % release
    assert kubernetes_schema_errors(objects) == []


def test_istiod_runs_the_released_images(canary_render):
    deployment = one(templated(canary_render, "istiod"), "Deployment", "istiod")
    images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
    assert images == ["docker.io/istio/pilot:1.30.3"]


def test_gateway_pods_carry_the_labels_the_gateway_selects(canary_render):
    gateway = one(project_objects(canary_render), "Gateway")
    deployment = one(templated(canary_render, "istio-ingressgateway"), "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(gateway["spec"]["selector"], labels), "Gateway selects %s, the gateway pods have %s" % (gateway["spec"]["selector"], labels)
    # ...and nothing else in the mesh's charts carries them.
    others = [o for r in ("istiod",) for o in templated(canary_render, r)
              if o["kind"] == "Deployment" and selects(gateway["spec"]["selector"], o["spec"]["template"]["metadata"]["labels"])]
    assert not others


def test_gateway_service_ports_match_the_gateway_servers(canary_render):
    gateway = one(project_objects(canary_render), "Gateway")
    objects = templated(canary_render, "istio-ingressgateway")
    service = one(objects, "Service")
    deployment = one(objects, "Deployment")
    assert selects(service["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])
    ports = {p["port"]: p for p in service["spec"]["ports"]}
    for server in gateway["spec"]["servers"]:
        number = server["port"]["number"]
        assert number in ports, "the gateway Service has no port %d: %s" % (number, sorted(ports))
        if server["port"]["protocol"] == "HTTP":
            assert ports[number]["name"].startswith("http"), ports[number]
    assert service["spec"]["type"] == "ClusterIP"


def test_subsets_select_exactly_one_deployment_each(canary_render):
    objects = project_objects(canary_render)
    destinationrule = one(objects, "DestinationRule", "frontend")
    virtualservice = one(objects, "VirtualService", "frontend")
    namespace = destinationrule["metadata"]["namespace"]
    service = one([o for o in objects if o["metadata"].get("namespace") == namespace], "Service", destinationrule["spec"]["host"])
    deployments = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["namespace"] == namespace]
    subsets = {s["name"]: s["labels"] for s in destinationrule["spec"]["subsets"]}
    for name, labels in subsets.items():
        chosen = [d["metadata"]["name"] for d in deployments
                  if selects(dict(service["spec"]["selector"], **labels), d["spec"]["template"]["metadata"]["labels"])]
        assert len(chosen) == 1, "subset %s selects %s" % (name, chosen)
    routed = {d["destination"]["subset"] for http in virtualservice["spec"]["http"] for d in http["route"]}
    assert routed <= set(subsets)
    assert {d["destination"]["host"] for http in virtualservice["spec"]["http"] for d in http["route"]} == {service["metadata"]["name"]}


@pytest.mark.parametrize("release", RELEASES)
def test_helm_lint_passes_on_our_values(canary_render, tmp_path, release):
    entry = releases(canary_render)[release]
    (tmp_path / "values.yml").write_text(yaml.safe_dump(entry["values"]))
    proc = subprocess.run([HELM, "lint", entry["source"], "--namespace", entry["namespace"], "-f", str(tmp_path / "values.yml")],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0 and "0 chart(s) failed" in proc.stdout, proc.stdout + proc.stderr


def leaves(node, path=()):
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif path:
        yield path


@pytest.mark.parametrize("release", RELEASES)
def test_every_value_we_send_changes_the_output(canary_render, tmp_path, release):
    entry = releases(canary_render)[release]
    baseline = templated(canary_render, release)
    no_effect = []
    for path in leaves(entry["values"]):
        (tmp_path / "values.yml").write_text(yaml.safe_dump(without_key_path(entry["values"], path)))
        proc = subprocess.run([HELM, "template", release, entry["source"], "--namespace", entry["namespace"], "-f", str(tmp_path / "values.yml")],
                              capture_output=True, text=True, check=False, timeout=120)
        assert proc.returncode == 0, proc.stderr
        if [d for d in yaml.safe_load_all(proc.stdout) if d] == baseline:
            no_effect.append(".".join(path))
    assert no_effect == [], "values the chart ignores: remove them, or document them as intentional"


def test_autopilot_is_refused_before_anything_is_rendered(run_playbook, tmp_path):
    render = tmp_path / "render"
    run = run_playbook("canary.yml", "-e", "ops_render_dir=%s" % render, "-e", "weight=25", "-e", "gke_cluster_autopilot=true")
    assert run.returncode != 0
    assert "GKE Autopilot refuses the NET_ADMIN and NET_RAW capabilities" in run.output
    assert "-e gke_cluster_autopilot=false" in run.output
    assert not (render / "istio").exists() and not (render / "canary").exists()
