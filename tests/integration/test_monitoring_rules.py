# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The monitoring role's alert rules, as rendered, checked and unit-tested by promtool.

The role is rendered first (ansible-playbook in render mode), so what promtool sees is the
``serverFiles."alerting_rules.yml"`` the prometheus chart receives.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml


PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus, see Makefile TEST_DEBS)")

# Every alert of the role; the unit tests below must cover each, firing and not firing.
ALERTS = {"PodRestarting", "CpuThrottlingHigh", "NodeCpuHigh", "NodeMemoryHigh", "FrontendErrorRatioHigh", "CanaryErrorRatioAboveStable"}


@pytest.fixture(scope="module", name="rendered")
def fixture_rendered(monitoring_render):
    """playbooks/monitoring.yml rendered once for the session (tests/conftest.py); the monitoring sub-folder."""
    return os.path.join(monitoring_render, "monitoring")


@pytest.fixture(name="rules_file")
def fixture_rules_file(rendered):
    return os.path.join(rendered, "rules", "alerting_rules.yml")


def series(labels, values):
    """One promtool input series: ``metric{labels}`` and its expanding notation."""
    name = labels.pop("__name__")
    text = ", ".join('%s="%s"' % item for item in sorted(labels.items()))
    return {"series": "%s{%s}" % (name, text), "values": values}


def istio(version, code, values, reporter="destination"):
    return series({"__name__": "istio_requests_total", "reporter": reporter, "destination_workload_namespace": "boutique",
                   "destination_app": "frontend", "destination_version": version, "response_code": code}, values)


POD = {"namespace": "boutique", "pod": "cartservice-6d7f9c-x2x4q", "container": "server"}
NODE = {"instance": "10.0.0.4:9100", "job": "kubernetes-service-endpoints"}


def throttling(throttled_per_min):
    return [series(dict(POD, __name__="container_cpu_cfs_throttled_periods_total"), "0+%dx40" % throttled_per_min),
            series(dict(POD, __name__="container_cpu_cfs_periods_total"), "0+60x40")]


def node_cpu(idle_per_min):
    return [series(dict(NODE, __name__="node_cpu_seconds_total", cpu=str(cpu), mode="idle"), "0+%dx40" % idle_per_min)
            for cpu in (0, 1)]


def node_memory(available):
    return [series(dict(NODE, __name__="node_memory_MemAvailable_bytes"), "%dx40" % available),
            series(dict(NODE, __name__="node_memory_MemTotal_bytes"), "100000000000x40")]


def alert(name, at, labels=None, annotations=None):
    """An alert_rule_test: firing with those labels/annotations, or not firing when labels is None."""
    exp = [] if labels is None else [{"exp_labels": labels, "exp_annotations": annotations}]
    return {"eval_time": at, "alertname": name, "exp_alerts": exp}


CANARY_LABELS = {"severity": "critical", "destination_workload_namespace": "boutique"}

# (what it shows, input series, alert_rule_tests)
CASES = [
    ("a restart fires PodRestarting for 15 minutes",
     [series(dict(POD, __name__="kube_pod_container_status_restarts_total"), "0+0x10 1+0x40")],
     [alert("PodRestarting", "20m", dict(POD, severity="warning"), {
         "summary": "Container server of pod boutique/cartservice-6d7f9c-x2x4q restarted",
         "description": "1 restart(s) in the last 15 minutes."}),
      alert("PodRestarting", "40m")]),
    ("restarts long ago do not fire",
     [series(dict(POD, __name__="kube_pod_container_status_restarts_total"), "3+0x40")],
     [alert("PodRestarting", "20m")]),
    ("half the CPU periods throttled fires after 5 minutes, not before",
     throttling(30),
     [alert("CpuThrottlingHigh", "4m"),
      alert("CpuThrottlingHigh", "15m", dict(POD, severity="warning"), {
          "summary": "Container server of boutique/cartservice-6d7f9c-x2x4q is CPU-throttled",
          "description": "50% of its CPU periods were throttled over 5 minutes."})]),
    ("10 % throttling does not fire", throttling(6), [alert("CpuThrottlingHigh", "15m")]),
    ("a node 90 % busy fires NodeCpuHigh after 10 minutes, not before",
     node_cpu(6),
     [alert("NodeCpuHigh", "8m"),
      alert("NodeCpuHigh", "20m", {"instance": "10.0.0.4:9100", "severity": "warning"}, {
          "summary": "Node 10.0.0.4:9100 CPU is busy", "description": "CPU busy at 90.0% for 10 minutes."})]),
    ("a node 50 % busy does not fire", node_cpu(30), [alert("NodeCpuHigh", "20m")]),
    ("a node with 95 % memory used fires NodeMemoryHigh after 10 minutes, not before",
     node_memory(5000000000),
     [alert("NodeMemoryHigh", "5m"),
      alert("NodeMemoryHigh", "15m", dict(NODE, severity="warning"), {
          "summary": "Node 10.0.0.4:9100 memory is nearly full", "description": "95.0% of memory used for 10 minutes."})]),
    ("a node with 50 % memory used does not fire", node_memory(50000000000), [alert("NodeMemoryHigh", "15m")]),
    ("10 % frontend 5xx fires FrontendErrorRatioHigh after 5 minutes, not before",
     [istio("v1", "200", "0+540x30"), istio("v1", "500", "0+60x30")],
     [alert("FrontendErrorRatioHigh", "4m"),
      alert("FrontendErrorRatioHigh", "10m", CANARY_LABELS, {
          "summary": "Frontend 5xx ratio is high in boutique", "description": "10% of frontend responses are 5xx."})]),
    ("1 % frontend 5xx does not fire, nor do client-side (reporter=source) errors",
     [istio("v1", "200", "0+594x30"), istio("v1", "500", "0+6x30"), istio("v1", "500", "0+600x30", reporter="source")],
     [alert("FrontendErrorRatioHigh", "10m")]),
    ("a failing canary fires even when v1 has no 5xx series at all",
     [istio("v1", "200", "0+600x30"), istio("v2", "200", "0+480x30"), istio("v2", "500", "0+120x30")],
     [alert("CanaryErrorRatioAboveStable", "4m"),
      alert("CanaryErrorRatioAboveStable", "10m", CANARY_LABELS, {
          "summary": "Canary frontend v2 fails more than v1 in boutique",
          "description": "v2 error ratio is 20%, above v1's plus the margin."})]),
    ("v2 at 10 % errors against v1 at 2 % fires",
     [istio("v1", "200", "0+588x30"), istio("v1", "500", "0+12x30"), istio("v2", "200", "0+540x30"), istio("v2", "500", "0+60x30")],
     [alert("CanaryErrorRatioAboveStable", "10m", CANARY_LABELS, {
         "summary": "Canary frontend v2 fails more than v1 in boutique",
         "description": "v2 error ratio is 10%, above v1's plus the margin."})]),
    ("v2 as good as v1, or within the margin, does not fire",
     [istio("v1", "200", "0+588x30"), istio("v1", "500", "0+12x30"), istio("v2", "200", "0+585x30"), istio("v2", "500", "0+15x30")],
     [alert("CanaryErrorRatioAboveStable", "10m")]),
    ("no canary traffic does not fire",
     [istio("v1", "200", "0+588x30"), istio("v1", "500", "0+12x30")],
     [alert("CanaryErrorRatioAboveStable", "10m")]),
]


def rendered_alerts(rules_file):
    with open(rules_file, encoding="utf-8") as handle:
        groups = yaml.safe_load(handle)["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def test_promtool_check_rules(rules_file):
    proc = subprocess.run([PROMTOOL, "check", "rules", rules_file], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: %d rules found" % len(ALERTS) in proc.stdout


def test_rules_are_the_ones_the_chart_receives(rendered, rules_file):
    with open(os.path.join(rendered, "prometheus-values.yml"), encoding="utf-8") as handle:
        values = yaml.safe_load(handle)
    with open(rules_file, encoding="utf-8") as handle:
        assert values["serverFiles"]["alerting_rules.yml"] == yaml.safe_load(handle)


def test_every_alert_has_a_severity_and_a_summary(rules_file):
    alerts = rendered_alerts(rules_file)
    assert set(alerts) == ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert "{{ $labels." in rule["annotations"]["summary"], name


def test_thresholds_from_the_issue(rules_file):
    alerts = rendered_alerts(rules_file)
    assert alerts["CpuThrottlingHigh"]["for"] == "5m" and "> 0.25" in alerts["CpuThrottlingHigh"]["expr"]
    assert "> 85.0" in alerts["NodeCpuHigh"]["expr"]
    assert "> 90.0" in alerts["NodeMemoryHigh"]["expr"]
    assert "> 0.05" in alerts["FrontendErrorRatioHigh"]["expr"]


def test_cases_cover_every_alert_firing_and_not_firing():
    firing, quiet = set(), set()
    for case in CASES:
        for test in case[2]:
            (firing if test["exp_alerts"] else quiet).add(test["alertname"])
    assert firing == ALERTS
    assert quiet == ALERTS


@pytest.mark.parametrize("title,input_series,tests", CASES, ids=[case[0] for case in CASES])
def test_promtool_unit(tmp_path, rules_file, title, input_series, tests):
    spec = {
        "rule_files": [rules_file],
        "evaluation_interval": "1m",
        "tests": [{"name": title, "interval": "1m", "input_series": input_series, "alert_rule_test": tests}],
    }
    test_file = tmp_path / "test.yml"
    test_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    proc = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_promtool_unit_can_fail(tmp_path, rules_file):
    """The harness notices a wrong expectation: an alert expected where none fires."""
    spec = {
        "rule_files": [rules_file],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": node_cpu(30),
                   "alert_rule_test": [alert("NodeCpuHigh", "20m", {"instance": "10.0.0.4:9100", "severity": "warning"}, {})]}],
    }
    test_file = tmp_path / "test.yml"
    test_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    proc = subprocess.run([PROMTOOL, "test", "rules", str(test_file)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0
