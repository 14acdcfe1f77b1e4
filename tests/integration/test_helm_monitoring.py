# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The monitoring role's Helm releases as real Helm makes them from the pinned charts.

Render mode writes `helm template`'s output for each release under monitoring/helm/ (templated once
per session, tests/integration/conftest.py). Those objects are checked with the real consumers:
the Kubernetes 1.34 schemas (kubernetes-validate, strict), `promtool check config` on the server
configuration the chart generates, `helm lint` on the values the role sends, and cross-checks
between what the grafana chart provisions and what the prometheus chart creates.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest
import yaml

from ansible_collections.boutique.ops.plugins.filter.canary_split import canary_queries
from ansible_collections.boutique.ops.tests.helpers import free_port, kubernetes_schema_errors, load_documents, without_key_path

HELM = shutil.which("helm")
PROMTOOL = shutil.which("promtool")
RELEASES = ("prometheus", "grafana")
DASHBOARDS = ("boutique-nodes", "boutique-pods", "boutique-traffic")
# Grafana's default scrape interval for a Prometheus datasource without jsonData.timeInterval.
GRAFANA_DEFAULT_TIME_INTERVAL_S = 15

# Values the role sends although they equal the chart's default, on purpose (README "Charts").
INTENTIONAL_DEFAULTS = {
    ("prometheus", "server.service.type"): "ClusterIP: private by default, whatever a later chart defaults to",
    ("prometheus", "server.retention"): "monitoring_prometheus_retention",
    ("prometheus", "server.persistentVolume.enabled"): "monitoring_prometheus_persistence (false gives an emptyDir)",
    ("prometheus", "server.persistentVolume.size"): "monitoring_prometheus_storage_size",
    ("prometheus", "alertmanager.enabled"): "monitoring_alertmanager_enabled (false drops Alertmanager)",
    ("prometheus", "prometheus-node-exporter.enabled"): "monitoring_autopilot (true drops node-exporter)",
    ("grafana", "service.type"): "monitoring_grafana_expose (loadbalancer gives a LoadBalancer with source ranges)",
    ("grafana", "admin.userKey"): "the key tasks/admin.yml writes into the admin Secret",
    ("grafana", "admin.passwordKey"): "the key tasks/admin.yml writes into the admin Secret",
}
# Sub-trees sent as one unit: a file the chart writes verbatim (rules, provisioning, dashboards).
OPAQUE = {"serverFiles.alerting_rules.yml", "datasources.datasources.yaml", "dashboardProviders.dashboardproviders.yaml",
          "dashboards.boutique"}

pytestmark = pytest.mark.skipif(HELM is None, reason="helm not on PATH (scripts/install-helm.sh installs it)")


@pytest.fixture(name="mon")
def fixture_mon(monitoring_render):
    """The monitoring folder of the session's default render (tests/conftest.py)."""
    return os.path.join(monitoring_render, "monitoring")


@pytest.fixture(name="mon_autopilot")
def fixture_mon_autopilot(monitoring_autopilot_render):
    """The monitoring folder of the session's Autopilot render (tests/integration/conftest.py)."""
    return os.path.join(monitoring_autopilot_render, "monitoring")


def templated(folder, release):
    return load_documents(os.path.join(folder, "helm", release + ".yml"))


def find(objects, kind, name=None, key=None):
    """The one object of ``kind`` (named ``name``, or holding data ``key``)."""
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
             and (key is None or key in (o.get("data") or {}))]
    assert len(found) == 1, "expected one %s %s%s, found %d" % (kind, name or "", " with " + key if key else "", len(found))
    return found[0]


def charts(folder):
    with open(os.path.join(folder, "charts.yml"), encoding="utf-8") as handle:
        return {entry["release"]: entry for entry in yaml.safe_load(handle)}


def values(folder, release):
    with open(os.path.join(folder, charts(folder)[release]["values"]), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def seconds(duration):
    match = re.fullmatch(r"(\d+)(s|m|h)", duration)
    assert match, duration
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


def server_config(folder):
    """The Prometheus server's ConfigMap the prometheus chart templated (prometheus.yml plus the rule files)."""
    return find(templated(folder, "prometheus"), "ConfigMap", key="prometheus.yml")


def provisioned_datasources(folder):
    config = find(templated(folder, "grafana"), "ConfigMap", key="datasources.yaml")
    return yaml.safe_load(config["data"]["datasources.yaml"])["datasources"]


def grafana_container(folder):
    deployment = find(templated(folder, "grafana"), "Deployment")
    container = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "grafana")
    return deployment, container


# ---------------------------------------------------------------------------------------------
# Schemas


@pytest.mark.parametrize("variant", ["mon", "mon_autopilot"])
@pytest.mark.parametrize("release", RELEASES)
def test_every_templated_object_validates_strictly(request, variant, release):
    objects = templated(request.getfixturevalue(variant), release)
    assert len(objects) >= 5, "helm template made only %d objects" % len(objects)
    assert kubernetes_schema_errors(objects) == []


def test_the_schema_check_catches_an_unknown_field(mon):
    deployment = copy.deepcopy(find(templated(mon, "grafana"), "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    assert kubernetes_schema_errors([deployment])


# ---------------------------------------------------------------------------------------------
# Grafana against what the prometheus chart creates


def test_datasource_url_is_the_prometheus_server_service_on_its_port(mon):
    (datasource,) = provisioned_datasources(mon)
    url = urllib.parse.urlsplit(datasource["url"])
    name, namespace, svc = url.hostname.split(".")
    assert svc == "svc" and url.scheme == "http"
    objects = templated(mon, "prometheus")
    service = find(objects, "Service", name)
    assert service["metadata"]["namespace"] == namespace
    port = next((p for p in service["spec"]["ports"] if p["port"] == (url.port or 80)), None)
    assert port, "Service %s has no port %s: %s" % (name, url.port, service["spec"]["ports"])
    # The Service leads to the server's container, on the port Prometheus listens on.
    server = next(d for d in objects if d["kind"] in ("Deployment", "StatefulSet")
                  and all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in service["spec"]["selector"].items()))
    container = next(c for c in server["spec"]["template"]["spec"]["containers"] if c["name"] == "prometheus-server")
    assert port["targetPort"] in [p.get("name") for p in container["ports"]] + [p["containerPort"] for p in container["ports"]]
    # Prometheus listens on :9090 unless --web.listen-address says otherwise.
    listen = next((a.split("=", 1)[1] for a in container["args"] if a.startswith("--web.listen-address=")), ":9090")
    target = port["targetPort"]
    number = target if isinstance(target, int) else next(p["containerPort"] for p in container["ports"] if p.get("name") == target)
    assert listen.rsplit(":", 1)[1] == str(number)


def test_dashboards_are_mounted_where_the_provider_looks(mon):
    objects = templated(mon, "grafana")
    deployment, container = grafana_container(mon)
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    provisioning = env.get("GF_PATHS_PROVISIONING", "/etc/grafana/provisioning")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}

    def mounted(mount):
        """The text a mount puts at its path (a ConfigMap key, via subPath)."""
        config_map = find(objects, "ConfigMap", volumes[mount["name"]]["configMap"]["name"])
        return config_map["data"][mount["subPath"]]

    mounts = container["volumeMounts"]
    provider_files = [m for m in mounts if m["mountPath"].startswith(provisioning + "/dashboards/")]
    assert provider_files, "no dashboard provider under %s/dashboards" % provisioning
    providers = [p for m in provider_files for p in yaml.safe_load(mounted(m))["providers"]]
    (provider,) = providers
    files = {m["mountPath"]: mounted(m) for m in mounts if m["mountPath"].startswith(provider["options"]["path"] + "/")}
    assert sorted(os.path.basename(path) for path in files) == [name + ".json" for name in DASHBOARDS]
    for path, text in files.items():
        with open(os.path.join(mon, "dashboards", os.path.basename(path)), encoding="utf-8") as handle:
            assert json.loads(text) == json.load(handle), path
    assert [m for m in mounts if m["mountPath"].startswith(provisioning + "/datasources/")]


def _uids(node):
    if isinstance(node, dict):
        if isinstance(node.get("datasource"), dict) and "uid" in node["datasource"]:
            yield node["datasource"]["uid"]
        for value in node.values():
            yield from _uids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uids(value)


def test_every_datasource_uid_the_dashboards_use_is_provisioned(mon):
    provisioned = {d["uid"] for d in provisioned_datasources(mon)}
    dashboards = find(templated(mon, "grafana"), "ConfigMap", key="boutique-pods.json")["data"]
    used = {uid for text in dashboards.values() for uid in _uids(json.loads(text))}
    assert used and used <= provisioned, "dashboards use %s, provisioned %s" % (sorted(used), sorted(provisioned))


# ---------------------------------------------------------------------------------------------
# The Prometheus server configuration: promtool, and what feeds every query


def _swap_kubernetes_sd(node):
    """Debian's promtool has no Kubernetes service discovery: static targets in its place, in a copy."""
    if isinstance(node, dict):
        return {("static_configs" if k == "kubernetes_sd_configs" else k):
                ([{"targets": ["127.0.0.1:9"]}] if k == "kubernetes_sd_configs" else _swap_kubernetes_sd(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_swap_kubernetes_sd(v) for v in node]
    return node


def promtool_check_config(folder, work, edit=None):
    """Write the server ConfigMap's files to ``work`` and run promtool check config on prometheus.yml."""
    if PROMTOOL is None:
        pytest.skip("promtool not installed (Debian package prometheus, see Makefile TEST_DEBS)")
    data = dict(server_config(folder)["data"])
    if edit:
        edit(data)
    for key, text in data.items():
        (work / key).write_text(text)
    config = yaml.safe_load(data["prometheus.yml"])
    config["rule_files"] = [str(work / os.path.basename(path)) for path in config["rule_files"]]
    # The pod's service-account token and CA, which the kubelet mounts: stand-in files in the copy.
    (work / "token").write_text("token\n")
    text = yaml.safe_dump(_swap_kubernetes_sd(config))
    text = text.replace("/var/run/secrets/kubernetes.io/serviceaccount/token", str(work / "token"))
    (work / "prometheus.yml").write_text(text)
    return subprocess.run([PROMTOOL, "check", "config", str(work / "prometheus.yml")],
                          capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("variant, rules", [("mon", 6), ("mon_autopilot", 4)])
def test_server_config_passes_promtool(request, tmp_path, variant, rules):
    proc = promtool_check_config(request.getfixturevalue(variant), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: %d rules found" % rules in proc.stdout, proc.stdout


def test_promtool_refuses_a_broken_rule(mon, tmp_path):
    def break_rule(data):
        data["alerting_rules.yml"] = data["alerting_rules.yml"].replace("increase(", "increase((", 1)
    proc = promtool_check_config(mon, tmp_path, break_rule)
    assert proc.returncode != 0


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "le", "inf", "nan"}


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers outside {} label matchers and by/on (...) lists,
    that are not functions, keywords or durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w:$.])([a-zA-Z_:][\w:]*)(\s*\()?", text):
        if match.group(2) or match.group(1).lower() in PROMQL_WORDS:
            continue
        names.add(match.group(1))
    return names


def test_metric_names_are_found():
    assert metric_names('sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="$namespace", pod=~"$pod"}[$__rate_interval]))') \
        == {"container_cpu_usage_seconds_total"}
    assert metric_names("100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) > 90") \
        == {"node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes"}
    assert metric_names("histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{a=\"b\"}[5m])))") \
        == {"istio_request_duration_milliseconds_bucket"}


def queried_metrics(folder):
    """{metric: [where]} for every dashboard panel, alert rule and canary analysis query."""
    found = {}
    for name in os.listdir(os.path.join(folder, "dashboards")):
        with open(os.path.join(folder, "dashboards", name), encoding="utf-8") as handle:
            for panel in json.load(handle)["panels"]:
                for target in panel.get("targets", []):
                    for metric in metric_names(target["expr"]):
                        found.setdefault(metric, []).append("%s/%s" % (name, panel["title"]))
    with open(os.path.join(folder, "rules", "alerting_rules.yml"), encoding="utf-8") as handle:
        for group in yaml.safe_load(handle)["groups"]:
            for rule in group["rules"]:
                for metric in metric_names(rule["expr"]):
                    found.setdefault(metric, []).append("alert " + rule["alert"])
    for query in canary_queries("boutique"):
        for metric in metric_names(query["query"]):
            found.setdefault(metric, []).append("canary analysis " + query["metric"])
    return found


def _keeps(job, meta_label):
    """The job keeps only targets whose ``meta_label`` is "true" (the prometheus.io/scrape convention)."""
    return any(rule.get("action") == "keep" and rule.get("source_labels") == [meta_label] and str(rule.get("regex")).lower() == "true"
               for rule in job.get("relabel_configs", []))


def _annotated_services(objects):
    return [o for o in objects if o["kind"] == "Service"
            and (o["metadata"].get("annotations") or {}).get("prometheus.io/scrape") == "true"]


def feeders(folder, istiod):
    """{source: why-not or ""} for the four sources of the queried metrics, from the templated objects."""
    objects = templated(folder, "prometheus")
    jobs = {job["job_name"]: job for job in yaml.safe_load(server_config(folder)["data"]["prometheus.yml"])["scrape_configs"]}
    endpoints = jobs.get("kubernetes-service-endpoints", {})
    keeps_services = _keeps(endpoints, "__meta_kubernetes_service_annotation_prometheus_io_scrape")
    services = [s["metadata"]["name"] for s in _annotated_services(objects)]
    state = {}
    cadvisor = [name for name, job in jobs.items()
                if "metrics/cadvisor" in job.get("metrics_path", "") + json.dumps(job.get("relabel_configs", []))]
    state["cadvisor"] = "" if cadvisor else "no job scrapes the kubelets' /metrics/cadvisor"
    for source, workload in (("kube-state-metrics", "Deployment"), ("node-exporter", "DaemonSet")):
        present = [o for o in objects if o["kind"] == workload and source in o["metadata"]["name"]]
        annotated = [s for s in services if source in s]
        state[source] = "" if present and annotated and keeps_services else (
            "%s: workload %s, annotated Service %s, kubernetes-service-endpoints keeps them: %s"
            % (source, bool(present), annotated, keeps_services))
    injector = "\n".join(o["data"].get("config", "") for o in istiod if o["kind"] == "ConfigMap")
    keeps_pods = _keeps(jobs.get("kubernetes-pods", {}), "__meta_kubernetes_pod_annotation_prometheus_io_scrape")
    sidecars_annotated = '"prometheus.io/scrape" "true"' in injector and '"prometheus.io/path" "/stats/prometheus"' in injector
    state["istio sidecars"] = "" if keeps_pods and sidecars_annotated else (
        "kubernetes-pods keeps annotated pods: %s; istiod's injector annotates sidecars: %s" % (keeps_pods, sidecars_annotated))
    return state, objects


KSM_RESOURCES = {"kube_pod_": "pods", "kube_node_": "nodes", "kube_deployment_": "deployments"}


def source_of(metric):
    for prefix, source in (("container_", "cadvisor"), ("kube_", "kube-state-metrics"), ("node_", "node-exporter"),
                           ("istio_", "istio sidecars")):
        if metric.startswith(prefix):
            return source
    return None


@pytest.mark.parametrize("variant", ["mon", "mon_autopilot"])
def test_every_queried_metric_is_scraped(request, canary_render, variant):
    folder = request.getfixturevalue(variant)
    istiod = load_documents(os.path.join(canary_render, "istio", "helm", "istiod.yml"))
    state, objects = feeders(folder, istiod)
    ksm = next((o for o in objects if o["kind"] == "Deployment" and "kube-state-metrics" in o["metadata"]["name"]), None)
    ksm_args = " ".join(ksm["spec"]["template"]["spec"]["containers"][0]["args"]) if ksm else ""
    unfed = []
    for metric, where in sorted(queried_metrics(folder).items()):
        source = source_of(metric)
        if source is None:
            unfed.append("%s (%s): no known exporter" % (metric, where[0]))
        elif state[source]:
            unfed.append("%s (%s): %s" % (metric, where[0], state[source]))
        elif source == "kube-state-metrics":
            resource = next((r for p, r in KSM_RESOURCES.items() if metric.startswith(p)), None)
            if resource is None or not re.search(r"--resources=\S*\b%s\b" % resource, ksm_args):
                unfed.append("%s (%s): kube-state-metrics does not collect %s" % (metric, where[0], resource))
    assert not unfed, "queried but nothing scrapes it:\n" + "\n".join(unfed)


def test_autopilot_drops_node_exporter_and_what_only_it_feeds(mon_autopilot, canary_render):
    istiod = load_documents(os.path.join(canary_render, "istio", "helm", "istiod.yml"))
    state, _objects = feeders(mon_autopilot, istiod)
    assert state["node-exporter"], "node-exporter should be gone on Autopilot"
    assert not [m for m in queried_metrics(mon_autopilot) if m.startswith("node_")]
    assert sorted(os.listdir(os.path.join(mon_autopilot, "dashboards"))) == ["boutique-pods.json", "boutique-traffic.json"]


# ---------------------------------------------------------------------------------------------
# The rate window against the scrape interval


def grafana_rate_interval(time_interval_s, interval_s):
    """Grafana's $__rate_interval: max($__interval + scrape interval, 4 x scrape interval), where the
    scrape interval is the datasource's timeInterval (15s when unset) and $__interval is at least it."""
    interval_s = max(interval_s, time_interval_s)
    return max(interval_s + time_interval_s, 4 * time_interval_s)


def rate_window_fits(time_interval_s, scrape_interval_s):
    """A left-open range of $__rate_interval holds at least two samples of the real scrape interval."""
    return grafana_rate_interval(time_interval_s, time_interval_s) >= 2 * scrape_interval_s


def test_the_rate_window_check_fails_on_the_old_settings():
    # Before: chart scrape interval 1m, datasource without timeInterval (Grafana assumes 15s):
    # $__rate_interval 60s, one sample per window.
    assert grafana_rate_interval(GRAFANA_DEFAULT_TIME_INTERVAL_S, GRAFANA_DEFAULT_TIME_INTERVAL_S) == 60
    assert not rate_window_fits(GRAFANA_DEFAULT_TIME_INTERVAL_S, 60)


def test_rate_window_fits_the_scrape_interval(mon):
    scrape = seconds(yaml.safe_load(server_config(mon)["data"]["prometheus.yml"])["global"]["scrape_interval"])
    (datasource,) = provisioned_datasources(mon)
    time_interval = seconds(datasource.get("jsonData", {}).get("timeInterval", "%ds" % GRAFANA_DEFAULT_TIME_INTERVAL_S))
    assert time_interval == scrape, "the datasource's timeInterval must be the real scrape interval"
    assert rate_window_fits(time_interval, scrape)


# ---------------------------------------------------------------------------------------------
# helm lint, and every value we send matters


@pytest.mark.parametrize("variant", ["mon", "mon_autopilot"])
@pytest.mark.parametrize("release", RELEASES)
def test_helm_lint_passes_on_our_values(request, variant, release):
    folder = request.getfixturevalue(variant)
    chart = charts(folder)[release]
    proc = subprocess.run([HELM, "lint", chart["source"], "--namespace", chart["namespace"], "-f", os.path.join(folder, chart["values"])],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0 and "0 chart(s) failed" in proc.stdout, proc.stdout + proc.stderr


def leaves(node, path=()):
    """Key paths of the values we send; OPAQUE sub-trees count as one."""
    if isinstance(node, dict) and node and ".".join(path) not in OPAQUE:
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    else:
        yield path


def helm_template(chart, values_dict, work):
    path = work / "values.yml"
    path.write_text(yaml.safe_dump(values_dict))
    proc = subprocess.run([HELM, "template", chart["release"], chart["source"], "--namespace", chart["namespace"], "-f", str(path)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


@pytest.mark.parametrize("release", RELEASES)
def test_every_value_we_send_changes_the_output(mon, tmp_path, release):
    chart = charts(mon)[release]
    sent = values(mon, release)
    baseline = templated(mon, release)
    no_effect = []
    for path in leaves(sent):
        if helm_template(chart, without_key_path(sent, path), tmp_path) == baseline:
            no_effect.append(".".join(path))
    intentional = sorted(path for (rel, path) in INTENTIONAL_DEFAULTS if rel == release)
    assert sorted(no_effect) == intentional, "values the chart ignores (remove them or list them in INTENTIONAL_DEFAULTS and the README)"


# ---------------------------------------------------------------------------------------------
# GKE Autopilot


def pod_specs(objects):
    for obj in objects:
        spec = obj.get("spec", {})
        template = spec.get("template", {}).get("spec") or (spec if obj["kind"] == "Pod" else None)
        if template:
            yield "%s/%s" % (obj["kind"], obj["metadata"]["name"]), template


def autopilot_refusals(objects, allowed=()):
    """What GKE Autopilot refuses: privileged containers, host namespaces, hostPath, NET_ADMIN/NET_RAW."""
    found = []
    for name, spec in pod_specs(objects):
        if name in allowed:
            continue
        found += ["%s: %s" % (name, key) for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key)]
        found += ["%s: hostPath volume %s" % (name, v["name"]) for v in spec.get("volumes", []) if "hostPath" in v]
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            context = container.get("securityContext") or {}
            if context.get("privileged"):
                found.append("%s: privileged %s" % (name, container["name"]))
            added = set((context.get("capabilities") or {}).get("add") or [])
            if added & {"NET_ADMIN", "NET_RAW"}:
                found.append("%s: %s adds %s" % (name, container["name"], sorted(added)))
    return found


def test_autopilot_variant_asks_for_nothing_autopilot_refuses(mon_autopilot):
    objects = templated(mon_autopilot, "prometheus") + templated(mon_autopilot, "grafana")
    assert autopilot_refusals(objects) == []


def test_the_default_variant_would_be_refused(mon):
    """The check can fail: node-exporter (Standard clusters) needs host namespaces and hostPath."""
    found = autopilot_refusals(templated(mon, "prometheus"))
    assert any("node-exporter: hostNetwork" in f for f in found) and any("hostPath" in f for f in found), found


# ---------------------------------------------------------------------------------------------
# No chart, no render


def test_an_unreachable_repository_says_how_to_use_a_local_chart(run_playbook, tmp_path):
    repo = "http://127.0.0.1:%d/charts" % free_port()
    run = run_playbook("playbooks/monitoring.yml", "-e", "ops_render_dir=%s" % (tmp_path / "render"),
                       "-e", "monitoring_chart_source=", "-e", "monitoring_prometheus_repo_url=%s" % repo)
    assert run.returncode != 0
    assert "helm template of chart prometheus 29.27.0 (release prometheus) failed" in run.output
    assert "helm pull prometheus --repo %s --version 29.27.0" % repo in run.output
    assert "-e monitoring_chart_source=/path/to/that/folder" in run.output
    assert not (tmp_path / "render" / "monitoring" / "helm" / "prometheus.yml").exists()


def test_a_wrong_chart_source_is_refused_before_anything_is_written(run_playbook, tmp_path):
    run = run_playbook("playbooks/monitoring.yml", "-e", "ops_render_dir=%s" % (tmp_path / "render"),
                       "-e", "monitoring_chart_source=%s" % (tmp_path / "charts"))
    assert run.returncode != 0
    assert "monitoring_chart_source=%s: %s does not exist" % (tmp_path / "charts", tmp_path / "charts") in run.output
    assert not (tmp_path / "render" / "monitoring").exists()


def test_a_render_leaves_no_helm_values_files_behind(run_playbook, tmp_path):
    """kubernetes.core.helm_template writes each release's values into $TMPDIR and never removes them.

    Render after render, /tmp would fill with them (one per release and run): the shared helper
    (roles/_common/tasks/helm_template.yml) gives helm a private folder and removes it.
    """
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    run = run_playbook("playbooks/monitoring.yml", "-e", "ops_render_dir=%s" % (tmp_path / "render"), env={"TMPDIR": str(tmpdir)})
    assert run.returncode == 0, run.output[-3000:]
    assert os.listdir(str(tmp_path / "render" / "monitoring" / "helm")), "nothing was templated"
    assert not os.listdir(str(tmpdir)), "left in TMPDIR: %s" % os.listdir(str(tmpdir))
