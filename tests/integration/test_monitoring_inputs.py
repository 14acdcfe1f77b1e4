# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The monitoring stage as a user meets it: bad inputs stop before anything is written, good ones render."""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml


def extra(**variables):
    """Extra vars as JSON, so lists and strings reach the play with their types."""
    return ["-e", json.dumps(variables)]


BAD_INPUTS = [
    pytest.param(extra(monitoring_grafana_expose="loadbalancer"),
                 "monitoring_grafana_expose=loadbalancer needs monitoring_grafana_source_ranges", id="loadbalancer-without-ranges"),
    pytest.param(extra(monitoring_grafana_expose="loadbalancer", monitoring_grafana_source_ranges=["203.0.113.7"]),
                 "monitoring_grafana_source_ranges is refused: '203.0.113.7' has no /prefix", id="range-without-prefix"),
    pytest.param(extra(monitoring_grafana_expose="loadbalancer", monitoring_grafana_source_ranges=["10.0.0.0/8", "grafana.example.com/32"]),
                 "grafana.example.com/32", id="range-not-an-address"),
    pytest.param(extra(monitoring_grafana_expose="loadbalancer", monitoring_grafana_source_ranges=["0.0.0.0/0"]),
                 "monitoring_grafana_source_ranges is refused: together the IPv4 entries cover", id="range-everyone"),
    pytest.param(extra(monitoring_grafana_expose="loadbalancer", monitoring_grafana_source_ranges=["0.0.0.0/1", "128.0.0.0/1"]),
                 "monitoring_grafana_source_ranges is refused: together the IPv4 entries cover", id="range-two-halves"),
    pytest.param(extra(monitoring_grafana_source_ranges="203.0.113.0/24"),
                 "monitoring_grafana_source_ranges is refused: it must be a list of CIDRs, not a string", id="range-string"),
    pytest.param(extra(monitoring_grafana_source_ranges=["10.0.0.0/33"]), "10.0.0.0/33", id="range-bad-prefix-even-with-clusterip"),
    pytest.param(extra(monitoring_prometheus_chart_version="latest"),
                 "monitoring_prometheus_chart_version=latest is not a chart version", id="prometheus-version-latest"),
    pytest.param(extra(monitoring_grafana_chart_version="^13.3"),
                 "monitoring_grafana_chart_version=^13.3 is not a chart version", id="grafana-version-range"),
    pytest.param(extra(monitoring_grafana_chart_version="13.3"),
                 "monitoring_grafana_chart_version=13.3 is not a chart version", id="grafana-version-incomplete"),
    pytest.param(extra(monitoring_grafana_expose="nodeport"), "monitoring_grafana_expose", id="expose-unknown"),
    pytest.param(extra(monitoring_alert_cpu_throttling_ratio=25), "monitoring_alert_cpu_throttling_ratio=25 is out of range",
                 id="throttling-as-percent"),
    pytest.param(extra(monitoring_namespace="Monitoring"), "monitoring_namespace=Monitoring is not a Kubernetes namespace name",
                 id="namespace-upper-case"),
    pytest.param(extra(monitoring_prometheus_url="http://127.0.0.1:9090;touch /tmp/p"),
                 "monitoring_prometheus_url=http://127.0.0.1:9090;touch /tmp/p is not a base URL", id="prometheus-url-shell"),
    pytest.param(extra(monitoring_grafana_url="127.0.0.1:3000"), "monitoring_grafana_url=127.0.0.1:3000 is not a base URL",
                 id="grafana-url-without-scheme"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS)
def test_bad_input_is_rejected_before_any_change(run_playbook, tmp_path, args, message):
    render = tmp_path / "render"
    run = run_playbook("playbooks/monitoring.yml", "-e", "ops_render_dir=%s" % render, *args)
    assert run.returncode != 0, run.output[-2000:]
    assert message in " ".join(run.output.split()), run.output[-2000:]
    # Nothing of the role was written: validation comes first.
    assert not (render / "monitoring").exists()


def test_loadbalancer_with_source_ranges_renders(run_playbook, tmp_path):
    render = tmp_path / "render"
    run = run_playbook("playbooks/monitoring.yml", "-e", "ops_render_dir=%s" % render,
                       *extra(monitoring_grafana_expose="loadbalancer", monitoring_grafana_source_ranges=["203.0.113.0/24", "2001:db8::/48"]))
    assert run.returncode == 0, run.output[-2000:]
    values = yaml.safe_load((render / "monitoring" / "grafana-values.yml").read_text())
    assert values["service"] == {"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.0/24", "2001:db8::/48"]}


def test_defaults_are_private_and_secretless(site_render):
    folder = pathlib.Path(site_render) / "monitoring"
    grafana = yaml.safe_load((folder / "grafana-values.yml").read_text())
    prometheus = yaml.safe_load((folder / "prometheus-values.yml").read_text())
    assert grafana["service"] == {"type": "ClusterIP"}
    assert prometheus["server"]["service"]["type"] == "ClusterIP"
    # The password lives in a Secret the chart reads; render mode never generates or writes it.
    assert grafana["admin"] == {"existingSecret": "grafana-admin", "userKey": "admin-user", "passwordKey": "admin-password"}
    assert "adminPassword" not in grafana
    charts = yaml.safe_load((folder / "charts.yml").read_text())
    assert {c["chart"]: c["repo"] for c in charts} == {
        "prometheus": "https://prometheus-community.github.io/helm-charts",
        "grafana": "https://grafana-community.github.io/helm-charts",
    }
    for chart in charts:
        assert chart["version"].count(".") == 2
    for path in folder.rglob("*"):
        if path.is_file():
            assert oct(path.stat().st_mode & 0o777) == "0o644", path
