# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters of the monitoring role: dashboards for the grafana chart, source range checks."""

from __future__ import annotations

import ipaddress
import json

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.module_utils.plain_data import plain_copy


def _point_at(datasource, uid):
    """Point a Prometheus datasource reference at ``uid``; leave others (e.g. Grafana's own) alone."""
    if isinstance(datasource, dict) and datasource.get("type", "prometheus") == "prometheus":
        datasource["type"] = "prometheus"
        datasource["uid"] = uid


def monitoring_dashboard(dashboard, datasource_uid, namespace=None):
    """Return a copy of a Grafana dashboard whose panels, targets and variables use ``datasource_uid``.

    When ``namespace`` is given it becomes the selected value of the ``namespace`` variable.
    """
    if not isinstance(dashboard, dict) or not isinstance(dashboard.get("panels"), list):
        raise AnsibleFilterError("monitoring_dashboard expects a Grafana dashboard (a dict with a panels list)")
    if not datasource_uid:
        raise AnsibleFilterError("monitoring_dashboard needs a datasource uid")
    result = plain_copy(dashboard)
    for panel in result["panels"]:
        _point_at(panel.get("datasource"), datasource_uid)
        for target in panel.get("targets", []):
            _point_at(target.get("datasource"), datasource_uid)
    for variable in result.get("templating", {}).get("list", []):
        _point_at(variable.get("datasource"), datasource_uid)
        if namespace and variable.get("name") == "namespace":
            variable["current"] = {"selected": True, "text": namespace, "value": namespace}
    return result


def monitoring_chart_dashboards(dashboards):
    """Return the grafana chart's ``dashboards.<provider>`` dict: ``{name: {"json": text}}``.

    The chart writes ``json`` verbatim into a ConfigMap (no Helm templating), so Grafana's own
    ``{{pod}}`` legend syntax survives.
    """
    if not isinstance(dashboards, dict):
        raise AnsibleFilterError("monitoring_chart_dashboards expects a dict of dashboards keyed by name")
    return {name: {"json": json.dumps(dashboards[name], indent=2, sort_keys=True)} for name in sorted(dashboards)}


def monitoring_invalid_cidrs(ranges):
    """Return the entries of ``ranges`` that are not CIDRs (address/prefix), or that open to everyone."""
    if not isinstance(ranges, (list, tuple)):
        return [ranges]
    bad = []
    for entry in ranges:
        text = entry if isinstance(entry, str) else ""
        try:
            if "/" not in text:
                raise ValueError(text)
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            bad.append(entry)
            continue
        # 0.0.0.0/0 or ::/0 is a source "range" that is the whole internet: the exposure the range prevents.
        if network.prefixlen == 0:
            bad.append(entry)
    return bad


class FilterModule:
    """boutique.ops monitoring filters."""

    def filters(self):
        return {
            "monitoring_dashboard": monitoring_dashboard,
            "monitoring_chart_dashboards": monitoring_chart_dashboards,
            "monitoring_invalid_cidrs": monitoring_invalid_cidrs,
        }
