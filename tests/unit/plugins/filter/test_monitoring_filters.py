# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for plugins/filter/monitoring_dashboards.py."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter import monitoring_dashboards as md


def dashboard():
    """A small dashboard: one Prometheus panel, one panel on Grafana's own datasource, a namespace variable."""
    return {
        "uid": "d",
        "title": "D",
        "panels": [
            {"id": 1, "datasource": {"type": "prometheus", "uid": "old"},
             "targets": [{"refId": "A", "expr": "up", "datasource": {"type": "prometheus", "uid": "old"}}]},
            {"id": 2, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "targets": []},
        ],
        "templating": {"list": [
            {"name": "namespace", "datasource": {"type": "prometheus", "uid": "old"},
             "current": {"text": "default", "value": "default"}},
            {"name": "pod", "datasource": {"type": "prometheus", "uid": "old"}, "current": {"text": "All", "value": "$__all"}},
        ]},
    }


def test_dashboard_points_prometheus_references_at_the_uid():
    result = md.monitoring_dashboard(dashboard(), "prom")
    assert result["panels"][0]["datasource"] == {"type": "prometheus", "uid": "prom"}
    assert result["panels"][0]["targets"][0]["datasource"]["uid"] == "prom"
    assert [v["datasource"]["uid"] for v in result["templating"]["list"]] == ["prom", "prom"]


def test_dashboard_leaves_other_datasources_alone():
    result = md.monitoring_dashboard(dashboard(), "prom")
    assert result["panels"][1]["datasource"] == {"type": "grafana", "uid": "-- Grafana --"}


def test_dashboard_selects_the_namespace_and_only_that_variable():
    result = md.monitoring_dashboard(dashboard(), "prom", "shop")
    assert result["templating"]["list"][0]["current"]["value"] == "shop"
    assert result["templating"]["list"][1]["current"]["value"] == "$__all"


def test_dashboard_without_namespace_keeps_the_current_selection():
    result = md.monitoring_dashboard(dashboard(), "prom")
    assert result["templating"]["list"][0]["current"]["value"] == "default"


def test_dashboard_does_not_modify_its_input():
    original = dashboard()
    md.monitoring_dashboard(original, "prom", "shop")
    assert original == dashboard()


@pytest.mark.parametrize("bad", [None, [], {"title": "no panels"}, {"panels": "x"}])
def test_dashboard_rejects_what_is_not_a_dashboard(bad):
    with pytest.raises(AnsibleFilterError, match="Grafana dashboard"):
        md.monitoring_dashboard(bad, "prom")


def test_dashboard_needs_a_uid():
    with pytest.raises(AnsibleFilterError, match="uid"):
        md.monitoring_dashboard(dashboard(), "")


def test_chart_dashboards_shape_and_round_trip():
    dashboards = {"b": dashboard(), "a": {"panels": [], "legend": "{{pod}}"}}
    result = md.monitoring_chart_dashboards(dashboards)
    assert list(result) == ["a", "b"]
    assert set(result["a"]) == {"json"}
    assert json.loads(result["b"]["json"]) == dashboard()
    # Grafana's legend syntax must reach the ConfigMap untouched.
    assert "{{pod}}" in result["a"]["json"]


def test_chart_dashboards_text_is_stable():
    first = md.monitoring_chart_dashboards({"d": dashboard()})
    reordered = dict(reversed(list(dashboard().items())))
    assert md.monitoring_chart_dashboards({"d": reordered}) == first


def test_chart_dashboards_rejects_a_list():
    with pytest.raises(AnsibleFilterError):
        md.monitoring_chart_dashboards([dashboard()])


def test_filter_module_lists_the_filters():
    assert set(md.FilterModule().filters()) == {"monitoring_dashboard", "monitoring_chart_dashboards"}
