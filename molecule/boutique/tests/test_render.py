# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the boutique role rendered: exact service sets, strict schemas, upstream parity."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml

RENDER = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "render")
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
UPSTREAM = os.path.join(os.path.dirname(PROJECT), "shared", "reference", "online-boutique", "kubernetes-manifests-v0.10.6.yaml")
KUBERNETES_VERSION = "1.34.0"

MINIMAL = ["frontend", "currencyservice", "cartservice", "redis-cart", "checkoutservice", "paymentservice",
           "shippingservice", "productcatalogservice"]
FULL = MINIMAL + ["adservice", "recommendationservice", "emailservice"]
CUSTOM = [svc for svc in FULL if svc not in ("adservice", "redis-cart")] + ["loadgenerator"]
PROFILES = {"full": FULL, "minimal": MINIMAL, "custom": CUSTOM}


def load(profile):
    """Every rendered object of a profile, by (kind, name), plus the file each came from."""
    folder = os.path.join(RENDER, profile, "boutique")
    assert os.path.isdir(folder), "nothing rendered at %s" % folder
    objects = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                key = (doc["kind"], doc["metadata"]["name"])
                assert key not in objects, "%s/%s rendered twice" % key
                objects[key] = dict(doc, _file=os.path.basename(path))
    return objects


def names(objects, kind):
    return sorted(name for (obj_kind, name) in objects if obj_kind == kind)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_exact_service_set(profile):
    objects = load(profile)
    expected = sorted(PROFILES[profile])
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(RENDER, profile, "boutique", "*")))
    assert files == sorted(["namespace.yml"] + [svc + ".yml" for svc in expected])
    assert names(objects, "Deployment") == expected
    services = [svc for svc in expected if svc != "loadgenerator"] + ["frontend-external"]
    assert names(objects, "Service") == sorted(services)
    assert names(objects, "ServiceAccount") == sorted(svc for svc in expected if svc != "redis-cart")
    assert names(objects, "Namespace") == ["shop" if profile == "custom" else "boutique"]
    assert {kind for kind, _name in objects} == {"Namespace", "ServiceAccount", "Deployment", "Service"}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_object_validates_strictly(profile):
    files = sorted(glob.glob(os.path.join(RENDER, profile, "boutique", "*.yml")))
    assert files
    validator = shutil.which("kubernetes-validate", path=os.path.dirname(sys.executable)) or shutil.which("kubernetes-validate")
    assert validator, "kubernetes-validate is not installed (pip install -r requirements.txt)"
    result = subprocess.run([validator, "-k", KUBERNETES_VERSION, "--strict", *files],
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if " passed for resource " in line]
    assert len(passed) == len(load(profile)), result.stdout


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_object_is_owned_and_namespaced(profile):
    for (kind, name), obj in load(profile).items():
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "boutique.ops", (kind, name)
        if kind != "Namespace":
            assert obj["metadata"]["namespace"] == ("shop" if profile == "custom" else "boutique")


def test_frontend_is_version_v1_with_upstream_selector():
    deployment = load("full")[("Deployment", "frontend")]
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "frontend"}}
    assert deployment["spec"]["template"]["metadata"]["labels"]["version"] == "v1"
    assert deployment["metadata"]["labels"]["version"] == "v1"


def test_local_frontend_external_is_not_a_load_balancer():
    assert load("full")[("Service", "frontend-external")]["spec"]["type"] == "ClusterIP"
    assert load("custom")[("Service", "frontend-external")]["spec"]["type"] == "NodePort"


def test_custom_knobs_reach_the_objects():
    objects = load("custom")
    frontend = objects[("Deployment", "frontend")]
    container = frontend["spec"]["template"]["spec"]["containers"][0]
    assert frontend["spec"]["replicas"] == 3
    assert container["resources"] == {"requests": {"cpu": "150m", "memory": "96Mi"}, "limits": {"cpu": "300m", "memory": "192Mi"}}
    assert {"name": "FRONTEND_MESSAGE", "value": "Render test"} in container["env"]
    cart = objects[("Deployment", "cartservice")]
    assert cart["spec"]["replicas"] == 0
    assert cart["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "REDIS_ADDR", "value": ""}]


# --- upstream parity --------------------------------------------------------------------------

@pytest.fixture(name="upstream", scope="module")
def fixture_upstream():
    if not os.path.isfile(UPSTREAM):
        pytest.skip("upstream manifest not found at %s: parity with upstream v0.10.6 not checked" % UPSTREAM)
    with open(UPSTREAM, encoding="utf-8") as handle:
        return {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(handle) if doc}


def rendered_workloads():
    """Each workload's rendered objects: the full profile, the loadgenerator from the custom one."""
    full, custom = load("full"), load("custom")
    merged = dict(full)
    merged.update({key: obj for key, obj in custom.items() if key[1] == "loadgenerator"})
    return merged


def containers(deployment, key="containers"):
    return deployment["spec"]["template"]["spec"].get(key) or []


def test_every_upstream_workload_is_in_the_catalog(upstream):
    rendered = rendered_workloads()
    for kind in ("Deployment", "Service", "ServiceAccount"):
        missing = [name for (obj_kind, name) in upstream if obj_kind == kind and (kind, name) not in rendered]
        assert missing == [], "%s missing from the catalog: %s" % (kind, missing)


def test_images_ports_and_env_names_match_upstream(upstream):
    rendered = rendered_workloads()
    checked = 0
    for (kind, name), ours in sorted(rendered.items()):
        if kind != "Deployment":
            continue
        theirs = upstream[(kind, name)]
        for key in ("containers", "initContainers"):
            assert len(containers(ours, key)) == len(containers(theirs, key)), (name, key)
            for mine, upstream_container in zip(containers(ours, key), containers(theirs, key)):
                assert mine["name"] == upstream_container["name"], name
                assert mine["image"] == upstream_container["image"], name
                assert mine.get("ports") == upstream_container.get("ports"), name
                # Same variables in the same order (values may differ where a knob says so).
                assert [var["name"] for var in mine.get("env", [])] == [var["name"] for var in upstream_container.get("env", [])], name
        checked += 1
    assert checked == len([key for key in upstream if key[0] == "Deployment"])


def test_service_ports_match_upstream(upstream):
    rendered = rendered_workloads()
    for (kind, name), theirs in upstream.items():
        if kind != "Service":
            continue
        ours = rendered[(kind, name)]
        assert ours["spec"]["ports"] == theirs["spec"]["ports"], name
        assert ours["spec"]["selector"] == theirs["spec"]["selector"], name
        if name != "frontend-external":  # its type is a knob (LoadBalancer on gcp)
            assert ours["spec"]["type"] == theirs["spec"]["type"], name


def test_probes_resources_and_security_match_upstream(upstream):
    rendered = rendered_workloads()
    for (kind, name), ours in rendered.items():
        if kind != "Deployment":
            continue
        theirs = upstream[(kind, name)]
        assert ours["spec"]["template"]["spec"]["securityContext"] == theirs["spec"]["template"]["spec"]["securityContext"], name
        for key in ("readinessProbe", "livenessProbe", "resources", "securityContext", "volumeMounts"):
            assert containers(ours)[0].get(key) == containers(theirs)[0].get(key), (name, key)
