# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Bottleneck analysis of a load test from Prometheus series: pure functions, no I/O.

The module boutique.ops.load_analysis fetches range queries (see ``queries``) and hands the
matrices to ``analyse``, which returns services, nodes, ranking, bottleneck and verdict.

Rules (documented in the module too, tested in tests/unit/plugins/module_utils/test_load_analysis_rules.py):

- Focus: with a breaking point, each figure is its mean over the LOOKBACK_S seconds before it
  ("62 % of the time from 1 minute before the breaking point"); without one, its peak over the run.
  Restarts count from the start up to LOOKBACK_S after the breaking point (kube-state-metrics sees a
  crash a scrape later), or to the end.
- A service's figure is the worst of its containers (the hottest replica), sidecars included.
- Each signal is divided by its threshold (THRESHOLDS) into a saturation score: 1 means at the
  threshold. A service or node is ranked by its highest score; the bottleneck is the highest score
  that reaches 1, services and nodes alike; none reaching 1 gives no bottleneck.
- CPU usage alone never counts: only usage against the limit and CFS throttling do, so a busy
  service with a much higher limit is not a bottleneck.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re
import time

# Saturation thresholds; a signal at its threshold scores 1.
THRESHOLDS = {
    # Share of CFS periods throttled; 25 % is where kubernetes-mixin's CPUThrottlingHigh fires.
    "cpu_throttling": 0.25,
    # CPU used / CPU limit of the container.
    "cpu_limit": 0.90,
    # Memory working set / memory limit (the kernel OOM-kills at 1).
    "memory_limit": 0.90,
    # Container restarts during the run.
    "restarts": 1,
    # Node CPU busy (1 - idle share).
    "node_cpu": 0.90,
    # Node memory used (1 - MemAvailable / MemTotal).
    "node_memory": 0.90,
}
# Network signals of a node; its `network` score is the highest of these ratios.
NETWORK_THRESHOLDS = {
    # Connections dropped because a listen queue was full, per second (any steady rate is a symptom).
    "listen_overflows_per_s": 1.0,
    "listen_drops_per_s": 1.0,
    # TCP segments retransmitted / segments sent.
    "retransmit_ratio": 0.05,
    # Packets dropped on receive by the node's interfaces (lo excluded), per second.
    "receive_drops_per_s": 100.0,
}
LOOKBACK_S = 60
SERVICE_RESOURCES = ("cpu_throttling", "cpu_limit", "memory_limit", "restarts")
NODE_RESOURCES = ("node_cpu", "node_memory", "network")
# Below this share, the verdict says "no other service was throttled" rather than a percentage.
NEGLIGIBLE = 0.005
MAX_SERIES_POINTS = 400

# Deployment pods: NAME-<pod-template-hash>-<5 chars>; DaemonSet: NAME-<5 chars>; StatefulSet: NAME-<n>.
# Kubernetes draws both suffixes from its vowel-free alphabet (k8s.io/apimachinery/pkg/util/rand), so a
# word such as "exporter" is never taken for one; old clusters used a decimal pod-template-hash.
_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"
_DEPLOYMENT_POD = re.compile(r"^(?P<name>.+)-(%s{6,10}|[0-9]{6,10})-%s{5}$" % (_SAFE, _SAFE))
_DAEMONSET_POD = re.compile(r"^(?P<name>.+)-%s{5}$" % _SAFE)
_STATEFULSET_POD = re.compile(r"^(?P<name>.+)-[0-9]+$")
NAMESPACE_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class AnalysisError(Exception):
    """The series cannot be analysed (for example: none for the namespace in the window)."""


def service_of(pod, app_label=None):
    """The shop service a pod belongs to: its `app` label, else the pod name less its suffixes."""
    if app_label:
        return app_label
    for pattern in (_DEPLOYMENT_POD, _STATEFULSET_POD, _DAEMONSET_POD):
        match = pattern.match(pod)
        if match:
            return match.group("name")
    return pod


def queries(namespace, rate_window_s):
    """PromQL for every series the analysis reads, by name (all run as range queries)."""
    if not NAMESPACE_RE.match(namespace or ""):
        raise ValueError("namespace=%r is not a Kubernetes namespace name (lower-case letters, digits, '-')" % namespace)
    window = "%ds" % int(rate_window_s)
    pods = 'namespace="%s"' % namespace
    cont = pods + ',container!="",container!="POD"'
    mesh = 'reporter="destination",destination_workload_namespace="%s"' % namespace

    def per_container(metric, extra=""):
        return "sum by (pod, container) (rate(%s{%s%s}[%s]))" % (metric, cont, extra, window)

    return {
        "pod_labels": 'max by (pod, label_app) (kube_pod_labels{%s})' % pods,
        "pod_node": 'max by (pod, node) (kube_pod_info{%s})' % pods,
        "cpu_usage": per_container("container_cpu_usage_seconds_total"),
        "cpu_throttled": per_container("container_cpu_cfs_throttled_periods_total"),
        "cpu_periods": per_container("container_cpu_cfs_periods_total"),
        "cpu_limit": 'max by (pod, container) (kube_pod_container_resource_limits{%s,resource="cpu"})' % cont,
        "cpu_request": 'max by (pod, container) (kube_pod_container_resource_requests{%s,resource="cpu"})' % cont,
        "memory_working_set": "max by (pod, container) (container_memory_working_set_bytes{%s})" % cont,
        "memory_limit": 'max by (pod, container) (kube_pod_container_resource_limits{%s,resource="memory"})' % cont,
        "restarts": "max by (pod, container) (kube_pod_container_status_restarts_total{%s})" % cont,
        "oom_killed": 'max by (pod, container) (kube_pod_container_status_last_terminated_reason{%s,reason="OOMKilled"})' % cont,
        "node_cpu": '1 - avg by (node, instance) (rate(node_cpu_seconds_total{mode="idle"}[%s]))' % window,
        "node_memory": "1 - sum by (node, instance) (node_memory_MemAvailable_bytes) / sum by (node, instance) (node_memory_MemTotal_bytes)",
        "listen_overflows": "sum by (node, instance) (rate(node_netstat_TcpExt_ListenOverflows[%s]))" % window,
        "listen_drops": "sum by (node, instance) (rate(node_netstat_TcpExt_ListenDrops[%s]))" % window,
        "retransmits": "sum by (node, instance) (rate(node_netstat_Tcp_RetransSegs[%s]))" % window,
        "out_segments": "sum by (node, instance) (rate(node_netstat_Tcp_OutSegs[%s]))" % window,
        "receive_drops": 'sum by (node, instance) (rate(node_network_receive_drop_total{device!="lo"}[%s]))' % window,
        "mesh_rps": "sum by (destination_app) (rate(istio_requests_total{%s}[%s]))" % (mesh, window),
        "mesh_5xx": 'sum by (destination_app) (rate(istio_requests_total{%s,response_code=~"5.."}[%s]))' % (mesh, window),
        "mesh_p95": "histogram_quantile(0.95, sum by (destination_app, le) (rate(istio_request_duration_milliseconds_bucket{%s}[%s])))"
                    % (mesh, window),
    }


def parse_matrix(data):
    """Prometheus's `data` of a range query -> [(labels, {t: value})], NaN and Inf dropped."""
    if not isinstance(data, dict) or data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
        raise AnalysisError("expected a matrix result, got %r" % (data.get("resultType") if isinstance(data, dict) else type(data).__name__))
    series = []
    for item in data["result"]:
        points = {}
        for stamp, text in item.get("values") or []:
            value = float(text)
            if not (math.isnan(value) or math.isinf(value)):
                points[float(stamp)] = value
        series.append((item.get("metric") or {}, points))
    return series


def iso_utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def focus_interval(start, end, breaking_point=None, lookback_s=LOOKBACK_S):
    """(from, to, mode): the LOOKBACK_S before the breaking point (mean), or the whole run (peak)."""
    if breaking_point is None:
        return start, end, "peak"
    return max(start, breaking_point - lookback_s), breaking_point, "mean"


def reduce_points(points, low, high, mode):
    """Mean or max of the points within [low, high]; None when there are none."""
    values = [value for stamp, value in points.items() if low <= stamp <= high]
    if not values:
        return None
    return max(values) if mode == "peak" else sum(values) / len(values)


def _ratio_series(numerator, denominator):
    return {t: numerator[t] / denominator[t] for t in numerator if denominator.get(t)}


def _keyed(series, *names):
    return {tuple(labels.get(name, "") for name in names): points for labels, points in series}


def _latest(points, high):
    stamps = [t for t in points if t <= high]
    return points[max(stamps)] if stamps else None


def _restart_count(points, low, high):
    """Restarts within [low, high]: the rise of a counter (kube-state-metrics never lowers it for a pod)."""
    values = [points[t] for t in sorted(points) if low <= t <= high]
    if len(values) < 2:
        return 0
    rise = 0.0
    for before, after in zip(values, values[1:]):
        rise += after - before if after >= before else after
    return int(round(rise))


def _worst_by_time(candidates):
    """{t: max over the candidates' values at t}."""
    merged = {}
    for points in candidates:
        for stamp, value in points.items():
            if stamp not in merged or value > merged[stamp]:
                merged[stamp] = value
    return merged


def _cores(value):
    if value is None:
        return None
    return "%dm" % round(value * 1000) if value < 10 else "%g cores" % round(value, 1)


def _bytes(value):
    if value is None:
        return None
    for unit, size in (("Gi", 2 ** 30), ("Mi", 2 ** 20), ("Ki", 2 ** 10)):
        if value >= size:
            return "%g%s" % (round(value / size, 1), unit)
    return "%dB" % value


def _round(value, digits=4):
    return None if value is None else round(value, digits)


def _downsample(points):
    stamps = sorted(points)
    stride = max(1, int(math.ceil(len(stamps) / float(MAX_SERIES_POINTS))))
    return [[int(t), round(points[t], 4)] for t in stamps[::stride]]


def analyse(matrices, start, end, breaking_point=None, lookback_s=LOOKBACK_S, used_queries=None):
    """The whole analysis from parsed matrices ({name: [(labels, {t: v})]}, names as in ``queries``).

    Returns a dict with services, nodes, ranking, bottleneck, verdict, window and series (top 3).
    Raises AnalysisError when the shop has no series at all in the window.
    """
    low, high, mode = focus_interval(start, end, breaking_point, lookback_s)
    restarts_high = min(end, breaking_point + lookback_s) if breaking_point is not None else end

    def get(name):
        return matrices.get(name) or []

    app_of = {}
    for labels, points in get("pod_labels"):
        if labels.get("label_app") and points:
            app_of[labels.get("pod", "")] = labels["label_app"]
    node_of = {}
    for labels, points in get("pod_node"):
        if labels.get("node") and points:
            node_of[labels.get("pod", "")] = labels["node"]

    per = {}
    for name in ("cpu_usage", "cpu_throttled", "cpu_periods", "cpu_limit", "cpu_request", "memory_working_set",
                 "memory_limit", "restarts", "oom_killed"):
        per[name] = _keyed(get(name), "pod", "container")
    containers = set()
    for name in ("cpu_usage", "memory_working_set", "cpu_limit", "restarts"):
        containers.update(per[name])
    containers.discard(("", ""))
    if not containers:
        raise AnalysisError(
            "no container series for the namespace between %s and %s (cadvisor's container_* and kube-state-metrics' "
            "kube_pod_container_* are both empty): check the namespace, the window and that Prometheus scrapes them"
            % (iso_utc(start), iso_utc(end)))

    services = {}
    for pod, container in sorted(containers):
        name = service_of(pod, app_of.get(pod))
        entry = services.setdefault(name, {"service": name, "pods": set(), "nodes": set(), "containers": []})
        entry["pods"].add(pod)
        if pod in node_of:
            entry["nodes"].add(node_of[pod])
        key = (pod, container)
        usage = per["cpu_usage"].get(key, {})
        limit = per["cpu_limit"].get(key, {})
        memory = per["memory_working_set"].get(key, {})
        memory_limit = per["memory_limit"].get(key, {})
        restarts = _restart_count(per["restarts"].get(key, {}), start, restarts_high)
        oom = per["oom_killed"].get(key, {})
        entry["containers"].append({
            "pod": pod,
            "container": container,
            "series": {
                "cpu_throttling": _ratio_series(per["cpu_throttled"].get(key, {}), per["cpu_periods"].get(key, {})),
                "cpu_limit": _ratio_series(usage, limit),
                "memory_limit": _ratio_series(memory, memory_limit),
            },
            "cpu_usage_cores": reduce_points(usage, low, high, mode),
            "cpu_limit_cores": _latest(limit, high),
            "cpu_request_cores": _latest(per["cpu_request"].get(key, {}), high),
            "memory_working_set_bytes": reduce_points(memory, low, high, "peak"),
            "memory_peak_ratio": reduce_points(_ratio_series(memory, memory_limit), start, restarts_high, "peak"),
            "memory_limit_bytes": _latest(memory_limit, high),
            "restarts": restarts,
            "oom_killed": bool(restarts and (_latest(oom, restarts_high) or 0) >= 1),
            "restart_series": per["restarts"].get(key, {}),
        })

    mesh = {}
    for name, field in (("mesh_rps", "requests_per_s"), ("mesh_5xx", "errors_per_s"), ("mesh_p95", "p95_ms")):
        for labels, points in get(name):
            app = labels.get("destination_app")
            if app:
                mesh.setdefault(app, {})[field] = reduce_points(points, low, high, mode)

    result_services = []
    plot_series = {}
    for name, entry in sorted(services.items()):
        figures = {"service": name, "pods": sorted(entry["pods"]), "nodes": sorted(entry["nodes"])}
        scores = {}
        worst_container = {}
        for resource in ("cpu_throttling", "cpu_limit", "memory_limit"):
            best = None
            for item in entry["containers"]:
                value = reduce_points(item["series"][resource], low, high, mode)
                if value is not None and (best is None or value > best[0]):
                    best = (value, item)
            figures[resource + "_ratio"] = _round(best[0]) if best else None
            if best:
                scores[resource] = best[0] / THRESHOLDS[resource]
                worst_container[resource] = best[1]
        restarts = sum(item["restarts"] for item in entry["containers"])
        figures["restarts"] = restarts
        figures["oom_killed"] = any(item["oom_killed"] for item in entry["containers"])
        figures["memory_peak_ratio"] = _round(max([item["memory_peak_ratio"] or 0 for item in entry["containers"]]))
        scores["restarts"] = restarts / float(THRESHOLDS["restarts"])
        hottest = max(entry["containers"], key=lambda item: item["cpu_usage_cores"] or 0)
        resource = max(SERVICE_RESOURCES, key=lambda res: (scores.get(res, 0), -SERVICE_RESOURCES.index(res)))
        # A service with no limit or throttling series (no limits set, or an exporter without CFS
        # metrics) scores 0 everywhere: its figures come from its busiest container.
        cpu_item = (worst_container.get(resource) if resource in ("cpu_throttling", "cpu_limit") else None) \
            or worst_container.get("cpu_limit") or worst_container.get("cpu_throttling") or hottest
        memory_item = worst_container.get("memory_limit") or max(entry["containers"], key=lambda item: item["memory_working_set_bytes"] or 0)
        figures["cpu_usage_cores"] = _round(hottest["cpu_usage_cores"])
        figures["cpu_limit_cores"] = _round(cpu_item["cpu_limit_cores"])
        figures["cpu_request_cores"] = _round(cpu_item["cpu_request_cores"])
        figures["memory_working_set_bytes"] = _round(memory_item["memory_working_set_bytes"], 0)
        figures["memory_limit_bytes"] = _round(memory_item["memory_limit_bytes"], 0)
        figures.update({key: _round(value) for key, value in mesh.get(name, {}).items()})
        if "errors_per_s" in figures and figures.get("requests_per_s"):
            figures["error_ratio_5xx"] = _round(figures.pop("errors_per_s") / figures["requests_per_s"])
        else:
            figures.pop("errors_per_s", None)
        if figures["oom_killed"] and resource == "restarts":
            resource = "memory_limit"
            scores["memory_limit"] = max(scores.get("memory_limit", 0), scores["restarts"])
        figures["saturation"] = round(scores.get(resource, 0), 3)
        figures["resource"] = resource
        figures["container"] = (worst_container.get(resource) or hottest)["container"]
        figures["replicas"] = len(entry["pods"])
        result_services.append(figures)
        plot_series[name] = _service_series(entry, resource, start)

    result_nodes = _nodes(get, low, high, mode, result_services)
    ranking = sorted(result_services, key=lambda item: (-item["saturation"], item["service"]))
    ranked = [{"service": item["service"], "resource": item["resource"], "saturation": item["saturation"],
               "value": _value_of(item, item["resource"])} for item in ranking]
    bottleneck = _bottleneck(ranking, result_nodes, used_queries or {}, low, high, mode, restarts_high)
    top = ranking[:3]
    return {
        "window": {"start": iso_utc(start), "end": iso_utc(end), "start_epoch": start, "end_epoch": end,
                   "breaking_point": iso_utc(breaking_point) if breaking_point is not None else None,
                   "breaking_point_epoch": breaking_point,
                   "focus_from": iso_utc(low), "focus_to": iso_utc(high), "focus": mode, "lookback_s": lookback_s},
        "thresholds": dict(THRESHOLDS, network=dict(NETWORK_THRESHOLDS)),
        "services": ranking,
        "nodes": result_nodes,
        "ranking": ranked,
        "bottleneck": bottleneck,
        "verdict": verdict(bottleneck, ranking, result_nodes, mode, lookback_s),
        "series": [{"service": item["service"], "resource": item["resource"], "threshold": THRESHOLDS[item["resource"]],
                    "points": _downsample(plot_series[item["service"]])} for item in top],
    }


def _service_series(entry, resource, start):
    if resource == "restarts":
        return _worst_by_time(
            {t: v - min(item["restart_series"].values()) for t, v in item["restart_series"].items() if t >= start}
            for item in entry["containers"] if item["restart_series"])
    return _worst_by_time(item["series"][resource] for item in entry["containers"])


def _value_of(service, resource):
    if resource == "restarts":
        return service["restarts"]
    return service.get(resource + "_ratio")


def _nodes(get, low, high, mode, services):
    names = {}
    for key in ("node_cpu", "node_memory", "listen_overflows", "listen_drops", "retransmits", "out_segments", "receive_drops"):
        for labels, points in get(key):
            node = labels.get("node") or labels.get("instance") or "unknown"
            names.setdefault(node, {})[key] = reduce_points(points, low, high, mode)
    nodes = []
    for node, values in sorted(names.items()):
        retrans = values.get("retransmits")
        out = values.get("out_segments")
        figures = {
            "node": node,
            "cpu_busy_ratio": _round(values.get("node_cpu")),
            "memory_used_ratio": _round(values.get("node_memory")),
            "listen_overflows_per_s": _round(values.get("listen_overflows")),
            "listen_drops_per_s": _round(values.get("listen_drops")),
            "retransmits_per_s": _round(retrans),
            "retransmit_ratio": _round(retrans / out) if retrans is not None and out else None,
            "receive_drops_per_s": _round(values.get("receive_drops")),
            "services": sorted({item["service"] for item in services if node in item["nodes"]}),
        }
        scores = {
            "node_cpu": (figures["cpu_busy_ratio"] or 0) / THRESHOLDS["node_cpu"],
            "node_memory": (figures["memory_used_ratio"] or 0) / THRESHOLDS["node_memory"],
            "network": max((figures[key] or 0) / limit for key, limit in NETWORK_THRESHOLDS.items()),
        }
        resource = max(NODE_RESOURCES, key=lambda res: (scores[res], -NODE_RESOURCES.index(res)))
        figures["resource"] = resource
        figures["saturation"] = round(scores[resource], 3)
        figures["network_signals"] = sorted(key for key, limit in NETWORK_THRESHOLDS.items() if (figures[key] or 0) >= limit)
        nodes.append(figures)
    return sorted(nodes, key=lambda item: (-item["saturation"], item["node"]))


def _bottleneck(ranking, nodes, used_queries, low, high, mode, restarts_high):
    candidates = [("service", item) for item in ranking if item["saturation"] >= 1]
    candidates += [("node", item) for item in nodes if item["saturation"] >= 1]
    if not candidates:
        return None
    # Highest score first; on a tie a service before a node (it names what to change).
    kind, item = max(candidates, key=lambda pair: (pair[1]["saturation"], pair[0] == "service"))
    resource = item["resource"]
    evidence = {"from": iso_utc(low), "to": iso_utc(high), "figure": "mean" if mode == "mean" else "peak",
                "threshold": THRESHOLDS.get(resource, NETWORK_THRESHOLDS if resource == "network" else None)}
    names = {"cpu_throttling": ["cpu_throttled", "cpu_periods"], "cpu_limit": ["cpu_usage", "cpu_limit"],
             "memory_limit": ["memory_working_set", "memory_limit", "restarts", "oom_killed"], "restarts": ["restarts"],
             "node_cpu": ["node_cpu"], "node_memory": ["node_memory"],
             "network": ["listen_overflows", "listen_drops", "retransmits", "out_segments", "receive_drops"]}[resource]
    evidence["queries"] = {name: used_queries[name] for name in names if name in used_queries}
    if kind == "service":
        value = _value_of(item, resource)
        for key in ("container", "pods", "cpu_usage_cores", "cpu_limit_cores", "cpu_throttling_ratio", "cpu_limit_ratio",
                    "memory_working_set_bytes", "memory_limit_bytes", "memory_limit_ratio", "memory_peak_ratio", "restarts",
                    "oom_killed"):
            evidence[key] = item[key]
        if resource in ("restarts", "memory_limit"):
            evidence["restarts_counted_to"] = iso_utc(restarts_high)
        return {"service": item["service"], "node": None, "resource": resource, "value": value,
                "saturation": item["saturation"], "evidence": evidence}
    value = {"node_cpu": item["cpu_busy_ratio"], "node_memory": item["memory_used_ratio"]}.get(resource)
    if resource == "network":
        value = {key: item[key] for key in NETWORK_THRESHOLDS}
    for key in ("cpu_busy_ratio", "memory_used_ratio", "listen_overflows_per_s", "listen_drops_per_s", "retransmits_per_s",
                "retransmit_ratio", "receive_drops_per_s", "services", "network_signals"):
        evidence[key] = item[key]
    return {"service": None, "node": item["node"], "resource": resource, "value": value,
            "saturation": item["saturation"], "evidence": evidence}


def _pct(value):
    return "%d %%" % round((value or 0) * 100)


def _when(mode, lookback_s):
    if mode == "peak":
        return "at the peak of a run without breaking point"
    minutes = lookback_s / 60.0
    span = ("1 minute" if lookback_s == 60 else "%g minutes" % minutes) if lookback_s % 60 == 0 else "%g s" % lookback_s
    return "from %s before the breaking point" % span


def _others(ranking, service, key, what):
    values = [item.get(key) or 0 for item in ranking if item["service"] != service]
    top = max(values or [0])
    if top < NEGLIGIBLE:
        return "no other service %s" % what
    return "no other service passed %d %%" % int(math.ceil(top * 100))


def verdict(bottleneck, ranking, nodes, mode="peak", lookback_s=LOOKBACK_S):
    """One sentence for a lab report: what saturated, how much, when, and how the rest compare."""
    when = _when(mode, lookback_s)
    if bottleneck is None:
        closest = ranking[0] if ranking else None
        hint = ""
        if closest and closest["saturation"] > 0:
            hint = "; the closest was %s (%s at %d %% of its threshold)" % (
                closest["service"], closest["resource"].replace("_", " "), round(closest["saturation"] * 100))
        return ("No service or node crossed a saturation threshold %s: the pods' resources do not explain the failures%s. "
                "Look at the application instead (errors in its logs, timeouts, a dependency)." % (when, hint))
    resource = bottleneck["resource"]
    evidence = bottleneck["evidence"]
    name = bottleneck["service"]
    if resource == "cpu_throttling":
        return "%s was CPU-throttled %s of the time %s (limit %s); %s." % (
            name, _pct(bottleneck["value"]), when, _cores(evidence["cpu_limit_cores"]),
            _others(ranking, name, "cpu_throttling_ratio", "was throttled"))
    if resource == "cpu_limit":
        return "%s used %s of its CPU limit (%s) %s; %s." % (
            name, _pct(bottleneck["value"]), _cores(evidence["cpu_limit_cores"]), when,
            _others(ranking, name, "cpu_limit_ratio", "came close to its limit"))
    if resource == "memory_limit" and evidence["oom_killed"]:
        return "%s was OOM-killed and restarted %d time%s during the run (memory limit %s, working set up to %s of it)." % (
            name, evidence["restarts"], "" if evidence["restarts"] == 1 else "s", _bytes(evidence["memory_limit_bytes"]),
            _pct(evidence["memory_peak_ratio"]))
    if resource == "memory_limit":
        return "%s's memory working set reached %s of its limit (%s) %s; %s." % (
            name, _pct(bottleneck["value"]), _bytes(evidence["memory_limit_bytes"]), when,
            _others(ranking, name, "memory_limit_ratio", "came close to its limit"))
    if resource == "restarts":
        return "%s restarted %d time%s during the run (not OOM-killed: see its logs and probes)." % (
            name, bottleneck["value"], "" if bottleneck["value"] == 1 else "s")
    node = bottleneck["node"]
    on_it = ", ".join(evidence["services"]) or "no shop pod"
    if resource == "node_cpu":
        cpu = [item.get("cpu_limit_ratio") or 0 for item in ranking]
        return "Node %s was CPU-saturated (%s busy) %s while no pod reached its CPU limit (highest %s); on it: %s." % (
            node, _pct(bottleneck["value"]), when, _pct(max(cpu or [0])), on_it)
    if resource == "node_memory":
        return "Node %s ran out of memory (%s used) %s; on it: %s." % (node, _pct(bottleneck["value"]), when, on_it)
    signals = []
    if evidence["listen_overflows_per_s"]:
        signals.append("%g listen-queue overflows/s" % round(evidence["listen_overflows_per_s"], 1))
    if evidence["listen_drops_per_s"]:
        signals.append("%g listen drops/s" % round(evidence["listen_drops_per_s"], 1))
    if "retransmit_ratio" in evidence["network_signals"]:
        signals.append("%s of TCP segments retransmitted" % _pct(evidence["retransmit_ratio"]))
    if "receive_drops_per_s" in evidence["network_signals"]:
        signals.append("%g received packets dropped/s" % round(evidence["receive_drops_per_s"], 1))
    return "Node %s dropped connections on the network (%s) %s; on it: %s." % (node, ", ".join(signals), when, on_it)
