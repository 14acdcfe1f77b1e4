# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the monitoring role rendered: the files, their modes, valid rules and manifests, the variants."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

RENDER = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "render")
VARIANTS = ("default", "loadbalancer")
FILES = ["charts.yml", "dashboards/boutique-nodes.json", "dashboards/boutique-pods.json", "dashboards/boutique-traffic.json",
         "grafana-values.yml", "helm/grafana.yml", "helm/prometheus.yml", "manifests.yml", "prometheus-values.yml",
         "rules/alerting_rules.yml"]


def folder(variant):
    return os.path.join(RENDER, variant, "monitoring")


def load_yaml(variant, name):
    with open(os.path.join(folder(variant), name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("variant", VARIANTS)
def test_files_and_modes(variant):
    found = sorted(os.path.relpath(os.path.join(root, name), folder(variant))
                   for root, _dirs, names in os.walk(folder(variant)) for name in names if not name.startswith("."))
    assert found == FILES  # plus render_files' manifest (a dot file)
    for name in found:
        assert os.stat(os.path.join(folder(variant), name)).st_mode & 0o777 == 0o644, name


@pytest.mark.parametrize("variant", VARIANTS)
def test_rules_pass_promtool(variant):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package prometheus)")
    proc = subprocess.run([promtool, "check", "rules", os.path.join(folder(variant), "rules", "alerting_rules.yml")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_manifests_pass_strict_kubernetes_schemas(variant):
    validator = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")
    proc = subprocess.run([validator, "-k", "1.34.0", "--strict", os.path.join(folder(variant), "manifests.yml")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_default_variant_is_private():
    grafana = load_yaml("default", "grafana-values.yml")
    assert grafana["service"] == {"type": "ClusterIP"}
    assert load_yaml("default", "manifests.yml")["metadata"]["name"] == "monitoring"


def test_loadbalancer_variant():
    grafana = load_yaml("loadbalancer", "grafana-values.yml")
    prometheus = load_yaml("loadbalancer", "prometheus-values.yml")
    assert grafana["service"] == {"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.0/24"]}
    assert grafana["datasources"]["datasources.yaml"]["datasources"][0]["url"] == "http://prometheus-server.observability.svc:80"
    assert prometheus["server"]["persistentVolume"]["enabled"] is False
    assert prometheus["alertmanager"]["enabled"] is False
    assert load_yaml("loadbalancer", "manifests.yml")["metadata"]["name"] == "observability"
    rules = {r["alert"]: r for g in load_yaml("loadbalancer", "rules/alerting_rules.yml")["groups"] for r in g["rules"]}
    assert rules["CpuThrottlingHigh"]["expr"].endswith("> 0.5")


@pytest.mark.parametrize("variant,namespace", [("default", "boutique"), ("loadbalancer", "shop")])
def test_dashboards_select_the_shop_namespace(variant, namespace):
    grafana = load_yaml(variant, "grafana-values.yml")
    for name, entry in grafana["dashboards"]["boutique"].items():
        dashboard = json.loads(entry["json"])
        with open(os.path.join(folder(variant), "dashboards", name + ".json"), encoding="utf-8") as handle:
            assert json.load(handle) == dashboard
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["namespace"]["current"]["value"] == namespace
