# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The monitoring role's Grafana dashboards, as rendered: structure, and every query run by a real Prometheus.

The role is rendered first (ansible-playbook in render mode), so the dashboards tested are the
ones the grafana chart receives. A Prometheus (Debian package) is started on 127.0.0.1 with a
temporary storage folder holding synthetic series backfilled with promtool, shaped like what
cAdvisor, kube-state-metrics, node-exporter and Istio export. Every panel query, with Grafana's
template variables substituted, must be accepted (status success) and must find data: a label
typo would return nothing.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml

from ansible_collections.boutique.ops.tests.helpers import free_port, stop_process

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
DASHBOARDS = ("boutique-pods", "boutique-nodes", "boutique-traffic")
NAMESPACE = "boutique"
# What Grafana would put in place of its variables: the shop's namespace, every pod, a rate window.
SUBSTITUTIONS = (("$__rate_interval", "2m"), ("$__interval", "1m"), ("$namespace", NAMESPACE), ("$pod", ".*"))
STEP_S = 15
SAMPLES = 121  # 30 minutes


@pytest.fixture(scope="module", name="rendered")
def fixture_rendered(monitoring_render):
    """playbooks/monitoring.yml rendered once for the session (tests/conftest.py); the monitoring sub-folder."""
    return os.path.join(monitoring_render, "monitoring")


@pytest.fixture(scope="module", name="dashboards")
def fixture_dashboards(rendered):
    result = {}
    for name in DASHBOARDS:
        with open(os.path.join(rendered, "dashboards", name + ".json"), encoding="utf-8") as handle:
            result[name] = json.load(handle)
    return result


@pytest.fixture(scope="module", name="grafana_values")
def fixture_grafana_values(rendered):
    with open(os.path.join(rendered, "grafana-values.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def targets(dashboard):
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel, target


def all_targets(dashboard):
    return [target for panel in dashboard["panels"] for target in panel.get("targets", [])]


def substitute(expr):
    for variable, value in SUBSTITUTIONS:
        expr = expr.replace(variable, value)
    return expr


def variable_query(query):
    """Grafana's label_values(selector, label) as PromQL that lists the same label values."""
    match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query.strip())
    assert match, "unexpected variable query %r" % query
    return "group by (%s) (%s)" % (match.group(2), match.group(1))


# ---------------------------------------------------------------------------------------------
# Structure


def test_the_chart_gets_exactly_the_rendered_dashboards(dashboards, grafana_values):
    provider = grafana_values["dashboardProviders"]["dashboardproviders.yaml"]["providers"][0]
    chart_dashboards = grafana_values["dashboards"][provider["name"]]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/%s" % provider["name"]
    assert sorted(chart_dashboards) == sorted(DASHBOARDS)
    for name, dashboard in dashboards.items():
        assert json.loads(chart_dashboards[name]["json"]) == dashboard


def test_the_datasource_is_provisioned(grafana_values):
    datasources = grafana_values["datasources"]["datasources.yaml"]["datasources"]
    assert len(datasources) == 1
    assert datasources[0]["type"] == "prometheus" and datasources[0]["isDefault"] is True
    assert datasources[0]["url"] == "http://prometheus-server.monitoring.svc"


def test_dashboard_identity(dashboards):
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids)
    for name, dashboard in dashboards.items():
        assert dashboard["uid"] == name
        assert dashboard["title"].startswith("Boutique ")
        assert dashboard["panels"], name


@pytest.mark.parametrize("name", DASHBOARDS)
def test_panels_have_unique_ids_titles_and_the_datasource(dashboards, grafana_values, name):
    uid = grafana_values["datasources"]["datasources.yaml"]["datasources"][0]["uid"]
    dashboard = dashboards[name]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(set(ids)) == len(ids), "duplicate panel ids in %s" % name
    titles = [panel["title"] for panel in dashboard["panels"]]
    assert all(titles) and len(set(titles)) == len(titles)
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        assert panel["targets"], panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(set(ref_ids)) == len(ref_ids)
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
    for variable in dashboard["templating"]["list"]:
        assert variable["datasource"]["uid"] == uid


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_dashboard_filters_by_namespace(dashboards, name):
    dashboard = dashboards[name]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert "namespace" in variables
    assert variables["namespace"]["current"]["value"] == NAMESPACE
    using = [t for t in all_targets(dashboard) if "$namespace" in t["expr"]]
    assert using, "%s never uses $namespace" % name
    if name != "boutique-nodes":
        # Node-level panels (CPU, memory, network of a node) have no namespace; all others do.
        assert len(using) == len(all_targets(dashboard))


@pytest.mark.parametrize("name", DASHBOARDS)
def test_no_pod_name_is_hard_coded(dashboards, name):
    text = json.dumps(dashboards[name])
    for target in all_targets(dashboards[name]):
        for value in re.findall(r'\bpod\s*=~?\s*"([^"]*)"', target["expr"]):
            assert value == "$pod", target["expr"]
    # Deployment pod names: <name>-<replicaset hash>-<5 chars>, e.g. the seed's cartservice-65cf55954f-wv6xq.
    assert not re.search(r"[a-z]+-[0-9a-f]{8,10}-[0-9a-z]{5}\b", text)


def exprs(dashboard):
    return " ".join(target["expr"] for target in all_targets(dashboard))


def test_pods_dashboard_has_the_seed_panels_and_more(dashboards):
    text = exprs(dashboards["boutique-pods"])
    for metric in ("container_memory_usage_bytes", "container_fs_reads_bytes_total", "container_fs_writes_bytes_total",
                   "container_network_receive_bytes_total", "container_network_transmit_bytes_total",
                   "kube_pod_container_status_restarts_total", "container_cpu_usage_seconds_total",
                   "container_cpu_cfs_throttled_periods_total", "kube_pod_container_resource_requests",
                   "kube_pod_container_resource_limits"):
        assert metric in text, metric
    for target in all_targets(dashboards["boutique-pods"]):
        assert target["expr"].startswith("sum by (pod)") and target["legendFormat"] == "{{pod}}"


def test_nodes_dashboard_panels(dashboards):
    text = exprs(dashboards["boutique-nodes"])
    for metric in ("node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_network_receive_bytes_total",
                   "node_network_transmit_bytes_total", "count by (node) (kube_pod_info"):
        assert metric in text, metric


def test_traffic_dashboard_is_per_version(dashboards):
    dashboard = dashboards["boutique-traffic"]
    text = exprs(dashboard)
    for quantile in ("0.5", "0.95", "0.99"):
        assert "histogram_quantile(%s," % quantile in text
    assert 'response_code=~"5.."' in text
    for target in all_targets(dashboard):
        assert "istio_" in target["expr"] and "destination_version" in target["expr"]
        assert "{{destination_version}}" in target["legendFormat"]


# ---------------------------------------------------------------------------------------------
# A real Prometheus with synthetic series


def openmetrics(end):
    """Synthetic series over 30 minutes ending at ``end``: two shop pods, one pod elsewhere, two nodes, Istio."""
    start = end - (SAMPLES - 1) * STEP_S
    families = {}

    def add(name, labels, value_at):
        text = ",".join('%s="%s"' % item for item in sorted(labels.items()))
        families.setdefault(name, []).append((text, value_at))

    pods = [("boutique", "frontend-7b9c6d5f4-abcde", "node-a"), ("boutique", "cartservice-5d8f7c6b9-fghij", "node-b"),
            ("monitoring", "prometheus-server-6c5b4-klmno", "node-a")]
    for namespace, pod, node in pods:
        base = {"namespace": namespace, "pod": pod}
        cont = dict(base, container="server", image="example/image:1")
        add("container_memory_usage_bytes", cont, lambda i: 60e6 + i * 1e4)
        add("container_memory_working_set_bytes", cont, lambda i: 50e6 + i * 1e4)
        add("container_cpu_usage_seconds_total", cont, lambda i: i * STEP_S * 0.15)
        add("container_fs_reads_bytes_total", dict(cont, device="/dev/sda"), lambda i: i * 4096.0)
        add("container_fs_writes_bytes_total", dict(cont, device="/dev/sda"), lambda i: i * 8192.0)
        add("container_cpu_cfs_periods_total", cont, lambda i: i * STEP_S * 10.0)
        add("container_cpu_cfs_throttled_periods_total", cont, lambda i: i * STEP_S * 2.0)
        add("container_network_receive_bytes_total", dict(base, interface="eth0"), lambda i: i * 1e5)
        add("container_network_transmit_bytes_total", dict(base, interface="eth0"), lambda i: i * 2e5)
        ksm = {"namespace": namespace, "pod": pod, "container": "server"}
        add("kube_pod_container_status_restarts_total", ksm, lambda i: 1.0)
        for kind, cpu, memory in (("requests", 0.1, 64 * 2 ** 20), ("limits", 0.2, 128 * 2 ** 20)):
            add("kube_pod_container_resource_" + kind, dict(ksm, node=node, resource="cpu", unit="core"), lambda i, v=cpu: v)
            add("kube_pod_container_resource_" + kind, dict(ksm, node=node, resource="memory", unit="byte"), lambda i, v=memory: float(v))
        add("kube_pod_info", {"namespace": namespace, "pod": pod, "node": node, "created_by_kind": "ReplicaSet"}, lambda i: 1.0)
    for node in ("node-a", "node-b"):
        target = {"instance": "%s:9100" % node, "job": "kubernetes-service-endpoints", "namespace": "monitoring"}
        for cpu in ("0", "1"):
            add("node_cpu_seconds_total", dict(target, cpu=cpu, mode="idle"), lambda i: i * STEP_S * 0.6)
            add("node_cpu_seconds_total", dict(target, cpu=cpu, mode="user"), lambda i: i * STEP_S * 0.4)
        add("node_memory_MemAvailable_bytes", target, lambda i: 3e9)
        add("node_memory_MemTotal_bytes", target, lambda i: 8e9)
        for device in ("eth0", "lo"):
            add("node_network_receive_bytes_total", dict(target, device=device), lambda i: i * 3e5)
            add("node_network_transmit_bytes_total", dict(target, device=device), lambda i: i * 3e5)
    for version, rate_ok, rate_err in (("v1", 9.0, 0.1), ("v2", 3.0, 0.3)):
        labels = {"reporter": "destination", "destination_workload_namespace": NAMESPACE, "destination_app": "frontend",
                  "destination_workload": "frontend" if version == "v1" else "frontend-v2", "destination_version": version}
        add("istio_requests_total", dict(labels, response_code="200"), lambda i, r=rate_ok: i * STEP_S * r)
        add("istio_requests_total", dict(labels, response_code="500"), lambda i, r=rate_err: i * STEP_S * r)
        cumulative = 0.0
        for bound, share in (("10", 0.2), ("50", 0.5), ("100", 0.2), ("500", 0.08), ("+Inf", 0.02)):
            cumulative += share
            add("istio_request_duration_milliseconds_bucket", dict(labels, response_code="200", le=bound),
                lambda i, c=cumulative, r=rate_ok: i * STEP_S * r * c)
    lines = []
    for name, series in families.items():
        for labels, value_at in series:
            for i in range(SAMPLES):
                lines.append("%s{%s} %r %d" % (name, labels, float(value_at(i)), start + i * STEP_S))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec - 127.0.0.1 only
        return response.read().decode()


class Prometheus:
    """A Prometheus on 127.0.0.1 over a temporary storage folder; query() returns the API's JSON."""

    def __init__(self, base, end):
        self.base = base
        self.end = end

    def query(self, expr):
        url = "%s/api/v1/query?%s" % (self.base, urllib.parse.urlencode({"query": expr, "time": self.end}))
        try:
            return json.loads(http_get(url))
        except urllib.error.HTTPError as error:  # 400/422: Prometheus refused the query; its body says why
            return json.loads(error.read().decode())


@pytest.fixture(scope="module", name="prometheus")
def fixture_prometheus(tmp_path_factory, rendered):
    if PROMETHEUS is None or PROMTOOL is None:
        pytest.skip("prometheus/promtool not installed (Debian package prometheus, see Makefile TEST_DEBS)")
    work = tmp_path_factory.mktemp("prometheus")
    storage = work / "data"
    storage.mkdir()
    # End well in the past but inside the default 15 d retention, aligned to the step.
    end = (int(time.time()) - 3600) // STEP_S * STEP_S
    (work / "series.om").write_text(openmetrics(end))
    backfill = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "-q", str(work / "series.om"), str(storage)],
                              capture_output=True, text=True, check=False, timeout=120)
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr
    rules = os.path.join(rendered, "rules", "alerting_rules.yml")
    (work / "prometheus.yml").write_text(yaml.safe_dump({"global": {"evaluation_interval": "5s"}, "rule_files": [rules]}))
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    with open(work / "prometheus.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped in the finally below
            [PROMETHEUS, "--config.file=%s" % (work / "prometheus.yml"), "--storage.tsdb.path=%s" % storage,
             "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if "Ready" in http_get(base + "/-/ready", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            assert proc.poll() is None, (work / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "Prometheus not ready in 60 s: " + (work / "prometheus.log").read_text()
            time.sleep(0.5)
        yield Prometheus(base, end)
    finally:
        stop_process(proc)


def panel_queries():
    """(id, dashboard, panel title, expression) for every target of the role's dashboard files."""
    cases = []
    for name in DASHBOARDS:
        with open(os.path.join(REPO_ROOT, "roles", "monitoring", "files", "dashboards", name + ".json"), encoding="utf-8") as handle:
            dashboard = json.load(handle)
        for panel, target in targets(dashboard):
            cases.append(pytest.param(name, panel["title"], target["refId"], id="%s/%s/%s" % (name, panel["title"], target["refId"])))
    return cases


@pytest.mark.parametrize("name,title,ref_id", panel_queries())
def test_panel_query_runs_and_finds_data(prometheus, dashboards, name, title, ref_id):
    panel = next(p for p in dashboards[name]["panels"] if p["title"] == title)
    expr = substitute(next(t for t in panel["targets"] if t["refId"] == ref_id)["expr"])
    assert "$" not in expr, "unsubstituted variable in %s" % expr
    answer = prometheus.query(expr)
    assert answer["status"] == "success", "%s: %s" % (expr, answer.get("error"))
    result = answer["data"]["result"]
    assert result, "no data for %s: a metric or label name does not match the exporters'" % expr
    for sample in result:
        value = float(sample["value"][1])
        assert not math.isnan(value) and value >= 0, (expr, sample)


def test_namespace_filter_keeps_other_namespaces_out(prometheus, dashboards):
    panel = next(p for p in dashboards["boutique-pods"]["panels"] if p["title"] == "CPU usage")
    answer = prometheus.query(substitute(panel["targets"][0]["expr"]))
    pods = {sample["metric"]["pod"] for sample in answer["data"]["result"]}
    assert pods == {"frontend-7b9c6d5f4-abcde", "cartservice-5d8f7c6b9-fghij"}


def test_traffic_is_split_by_version(prometheus, dashboards):
    panel = next(p for p in dashboards["boutique-traffic"]["panels"] if p["title"] == "Frontend error ratio")
    answer = prometheus.query(substitute(panel["targets"][0]["expr"]))
    ratios = {s["metric"]["destination_version"]: float(s["value"][1]) for s in answer["data"]["result"]}
    assert ratios["v1"] == pytest.approx(0.1 / 9.1, rel=1e-3)
    assert ratios["v2"] == pytest.approx(0.3 / 3.3, rel=1e-3)


@pytest.mark.parametrize("name", DASHBOARDS)
def test_template_variable_queries_find_values(prometheus, dashboards, name):
    for variable in dashboards[name]["templating"]["list"]:
        expr = substitute(variable_query(variable["query"]["query"]))
        answer = prometheus.query(expr)
        assert answer["status"] == "success", "%s: %s" % (expr, answer.get("error"))
        values = {sample["metric"].get(variable["name"]) or next(iter(sample["metric"].values())) for sample in answer["data"]["result"]}
        assert values, expr
        if variable["name"] == "namespace":
            assert NAMESPACE in values


def test_prometheus_loads_the_rendered_rules(prometheus):
    deadline = time.monotonic() + 30
    while True:
        rules = json.loads(http_get(prometheus.base + "/api/v1/rules"))["data"]["groups"]
        loaded = [rule for group in rules for rule in group["rules"]]
        if loaded and all(rule.get("health") == "ok" for rule in loaded):
            break
        assert time.monotonic() < deadline, loaded
        time.sleep(1)
    assert len(loaded) == 6


def test_a_broken_query_is_refused(prometheus):
    """The harness can fail: an unsubstituted Grafana variable is not PromQL."""
    answer = prometheus.query('sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="$namespace"}[$__rate_interval]))')
    assert answer["status"] == "error"
