#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


DOCUMENTATION = r"""
module: load_analysis

short_description: Name the saturated service or node behind a load test's failures, from Prometheus

version_added: 0.1.0

author:
  - boutique.ops maintainers (!UNKNOWN)

description:
  - Queries Prometheus's HTTP API (C(/api/v1/query_range)) over a load test's window and works out, for every pod of the
    shop, CPU usage against its limit and the CFS throttling ratio (cadvisor's C(container_cpu_usage_seconds_total),
    C(container_cpu_cfs_throttled_periods_total), C(container_cpu_cfs_periods_total), kube-state-metrics'
    C(kube_pod_container_resource_limits) and C(_requests)), the memory working set against its limit
    (C(container_memory_working_set_bytes)), restarts and OOM kills (C(kube_pod_container_status_restarts_total),
    C(kube_pod_container_status_last_terminated_reason)); per node, CPU and memory saturation and the network signals
    (C(node_netstat_TcpExt_ListenOverflows), C(node_netstat_TcpExt_ListenDrops), C(node_netstat_Tcp_RetransSegs) against
    C(node_netstat_Tcp_OutSegs), C(node_network_receive_drop_total)) from node-exporter; and, when the shop is in the
    mesh, each service's request rate, 5xx ratio and p95 from C(istio_requests_total) and
    C(istio_request_duration_milliseconds_bucket).
  - A pod's service is its C(app) label (C(kube_pod_labels), which kube-state-metrics only fills when its
    C(--metric-labels-allowlist) lets C(pods=[app]) through), else the pod name less its ReplicaSet and pod suffixes
    (C(cartservice-65cf55954f-wv6xq) is C(cartservice)). Online Boutique names most containers C(server).
  - >-
    Focus: with O(breaking_point), every figure is its mean over the O(lookback_s) seconds before it; without, its peak
    over the window. Restarts count from O(start) to O(lookback_s) after the breaking point (or to O(end)).
  - >-
    Thresholds: CFS throttling 25 % of periods (where kubernetes-mixin's CPUThrottlingHigh fires); CPU usage 90 % of the
    limit; memory working set 90 % of the limit; 1 restart (an OOM kill, or a restart while the last termination was
    OOMKilled, counts as C(memory_limit)); node CPU 90 % busy; node memory 90 % used; network: 1 listen-queue overflow or
    drop per second, 5 % of TCP segments retransmitted or 100 received packets dropped per second.
  - >-
    Ranking: each signal divided by its threshold is a saturation score (1 = at the threshold). A service's score is
    its highest over its containers (the hottest replica, sidecars included) and signals; services are ranked by it. The
    bottleneck is the highest score of a service or a node that reaches 1; none reaching 1 gives no bottleneck. CPU
    usage alone never counts: a busy service far under its limit is not a bottleneck.
  - Bounded; one overall deadline (O(timeout_s)), a timeout per query (O(query_timeout_s), also passed to Prometheus),
    and a cap on each answer's size (O(max_response_bytes)).
  - With O(grafana_url), also posts three annotations to Grafana (run start, breaking point, run end), tagged with
    O(annotation_tags). A Grafana failure is reported in RV(annotations) and does not fail the module.
  - Reads only; supports check mode (nothing is posted to Grafana in check mode).

options:
  prometheus_url:
    description: Base URL of Prometheus, for example C(http://127.0.0.1:9090) (a port-forward to C(prometheus-server)).
    type: str
    required: true
  namespace:
    description: The shop's namespace.
    type: str
    default: boutique
  start:
    description: Start of the load test's window, epoch seconds (or an ISO 8601 UTC time such as C(2026-11-29T17:50:00Z)).
    type: raw
    required: true
  end:
    description: End of the window, after O(start), same forms.
    type: raw
    required: true
  breaking_point:
    description: When the shop broke, within the window, same forms. Empty or null for none.
    type: raw
  step_s:
    description: Resolution of the range queries, in seconds.
    type: int
    default: 15
  rate_window_s:
    description:
      - Window of every C(rate()), in seconds. It must hold at least two scrapes (the prometheus chart scrapes every 60 s).
    type: int
    default: 120
  lookback_s:
    description: Seconds before the breaking point the figures are averaged over.
    type: int
    default: 60
  timeout_s:
    description: Deadline for the whole analysis, in seconds.
    type: float
    default: 120
  query_timeout_s:
    description: Timeout of each query, in seconds (never beyond the deadline).
    type: float
    default: 20
  max_response_bytes:
    description: Largest answer read from Prometheus for one query; a larger one fails the module.
    type: int
    default: 16777216
  grafana_url:
    description: Grafana's base URL; when set, the run start, breaking point and end are posted as annotations.
    type: str
  grafana_user:
    description: Grafana user (basic authentication), with O(grafana_password).
    type: str
  grafana_password:
    description: Password of O(grafana_user).
    type: str
  grafana_token:
    description: A Grafana service-account token (bearer), instead of a user and password.
    type: str
  annotation_tags:
    description: Tags of the annotations.
    type: list
    elements: str
    default: [boutique-loadtest]

notes:
  - Runs on the control node; needs nothing beyond the Python standard library and ansible-core (its C(open_url)).
"""

EXAMPLES = r"""
- name: Analyse a stress run through a port-forward to the monitoring stage's Prometheus
  boutique.ops.load_analysis:
    prometheus_url: http://127.0.0.1:19090
    namespace: boutique
    start: 1795974000
    end: 1795974600
    breaking_point: 1795974420
  register: analysis

- name: Say what broke
  ansible.builtin.debug:
    msg: "{{ analysis.verdict }}"
"""

RETURN = r"""
services:
  description: One entry per service, most saturated first, with its figures at the breaking point (mean over the lookback) or at the run's peak.
  returned: success
  type: list
  elements: dict
  sample:
    - service: currencyservice
      pods: [currencyservice-7d9c6f5b8-x2x9k]
      nodes: [node-a]
      replicas: 1
      container: server
      cpu_usage_cores: 0.198
      cpu_limit_cores: 0.2
      cpu_request_cores: 0.1
      cpu_throttling_ratio: 0.62
      cpu_limit_ratio: 0.99
      memory_working_set_bytes: 52428800
      memory_limit_bytes: 134217728
      memory_limit_ratio: 0.39
      restarts: 0
      oom_killed: false
      requests_per_s: 120.5
      error_ratio_5xx: 0.08
      p95_ms: 480
      resource: cpu_throttling
      saturation: 2.48
nodes:
  description: One entry per node (node-exporter's C(node) label, else its instance), most saturated first.
  returned: success
  type: list
  elements: dict
  sample:
    - {node: node-a, cpu_busy_ratio: 0.41, memory_used_ratio: 0.55, listen_overflows_per_s: 0, listen_drops_per_s: 0,
       retransmits_per_s: 1.2, retransmit_ratio: 0.001, receive_drops_per_s: 0, services: [cartservice, frontend],
       network_signals: [], resource: node_cpu, saturation: 0.456}
bottleneck:
  description:
    - The most saturated service or node past its threshold, null when nothing crossed one.
    - C(resource) is one of C(cpu_throttling), C(cpu_limit), C(memory_limit), C(restarts), C(node_cpu), C(node_memory),
      C(network). C(value) is the ratio (a dict of the network signals for C(network), a count for C(restarts)).
      C(evidence) holds the figures, the interval and the PromQL to reproduce them.
  returned: success
  type: dict
  sample:
    service: currencyservice
    node: null
    resource: cpu_throttling
    value: 0.62
    saturation: 2.48
    evidence: {from: "2026-11-29T17:55:14Z", to: "2026-11-29T17:56:14Z", figure: mean, threshold: 0.25, cpu_limit_cores: 0.2}
ranking:
  description: Services ordered by saturation score, with their worst resource and its value.
  returned: success
  type: list
  elements: dict
  sample:
    - {service: currencyservice, resource: cpu_throttling, saturation: 2.48, value: 0.62}
verdict:
  description: One sentence for a lab report.
  returned: success
  type: str
  sample: "currencyservice was CPU-throttled 62 % of the time from 1 minute before the breaking point (limit 200m); no other service passed 10 %."
window:
  description: The window, the breaking point and the focus interval, as ISO 8601 UTC and epoch seconds.
  returned: success
  type: dict
series:
  description: For the top 3 services, their worst resource over the window as [epoch, value] points (at most 400), for plots.
  returned: success
  type: list
  elements: dict
thresholds:
  description: The thresholds used.
  returned: success
  type: dict
annotations:
  description: What was posted to Grafana (C(ids)) or why not (C(error)).
  returned: when O(grafana_url) is set
  type: dict
  sample: {ids: [101, 102, 103], error: null}
"""

import base64
import calendar
import json
import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import open_url
from ansible_collections.boutique.ops.plugins.module_utils.load_analysis import (
    NAMESPACE_RE,
    AnalysisError,
    analyse,
    iso_utc,
    parse_matrix,
    queries as build_queries,
)

MAX_POINTS = 11000  # Prometheus refuses range queries of more points per series


class QueryError(Exception):
    pass


def to_epoch(value, name):
    """Epoch seconds from a number or an ISO 8601 UTC string; None for empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("%s=%r is not a time" % (name, value))
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    for form in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S+00:00"):
        try:
            return float(calendar.timegm(time.strptime(text, form)))
        except ValueError:
            continue
    raise ValueError("%s=%r is neither epoch seconds nor an ISO 8601 UTC time like 2026-11-29T17:56:14Z" % (name, value))


def read_capped(response, limit):
    data = response.read(limit + 1)
    if len(data) > limit:
        raise QueryError("the answer is larger than max_response_bytes=%d" % limit)
    return data


def query_range(base, expr, start, end, step, timeout, limit):
    body = urlencode({"query": expr, "start": "%.3f" % start, "end": "%.3f" % end, "step": "%ds" % step,
                      "timeout": "%ds" % max(1, int(timeout))}).encode()
    try:
        with open_url(base + "/api/v1/query_range", data=body, method="POST", timeout=timeout,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
            data = read_capped(response, limit)
    except HTTPError as error:
        # Prometheus answers 400/422/503 with a JSON body that says why.
        try:
            detail = json.loads(read_capped(error, 65536).decode("utf-8", "replace")).get("error") or ""
        except (ValueError, QueryError, AttributeError):
            detail = ""
        raise QueryError("HTTP %s %s%s" % (error.code, error.reason, (": " + detail) if detail else "")) from None
    except (URLError, socket.timeout, OSError) as error:
        reason = getattr(error, "reason", error)
        raise QueryError("cannot reach it (%s)" % reason) from None
    try:
        answer = json.loads(data.decode("utf-8"))
    except ValueError:
        raise QueryError("the answer is not JSON: is this Prometheus's URL?") from None
    if not isinstance(answer, dict) or answer.get("status") != "success":
        raise QueryError("status %s: %s" % (answer.get("status") if isinstance(answer, dict) else "?",
                                            answer.get("error") if isinstance(answer, dict) else answer))
    return answer.get("data")


def post_annotations(base, auth_header, events, tags, timeout):
    """POST /api/annotations once per (epoch, text); returns (ids, error)."""
    ids = []
    for epoch, text in events:
        body = json.dumps({"time": int(epoch * 1000), "tags": tags, "text": text}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth_header:
            headers["Authorization"] = auth_header
        try:
            with open_url(base + "/api/annotations", data=body, method="POST", headers=headers, timeout=timeout) as response:
                answer = json.loads(read_capped(response, 65536).decode("utf-8"))
        except HTTPError as error:
            return ids, "Grafana at %s answered HTTP %s %s" % (base, error.code, error.reason)
        except (URLError, socket.timeout, OSError, ValueError, QueryError) as error:
            return ids, "cannot post to Grafana at %s: %s" % (base, getattr(error, "reason", error))
        ids.append(answer.get("id") if isinstance(answer, dict) else None)
    return ids, None


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            prometheus_url=dict(type="str", required=True),
            namespace=dict(type="str", default="boutique"),
            start=dict(type="raw", required=True),
            end=dict(type="raw", required=True),
            breaking_point=dict(type="raw"),
            step_s=dict(type="int", default=15),
            rate_window_s=dict(type="int", default=120),
            lookback_s=dict(type="int", default=60),
            timeout_s=dict(type="float", default=120.0),
            query_timeout_s=dict(type="float", default=20.0),
            max_response_bytes=dict(type="int", default=16 * 2 ** 20),
            grafana_url=dict(type="str"),
            grafana_user=dict(type="str"),
            grafana_password=dict(type="str", no_log=True),
            grafana_token=dict(type="str", no_log=True),
            annotation_tags=dict(type="list", elements="str", default=["boutique-loadtest"]),
        ),
        required_together=[["grafana_user", "grafana_password"]],
        mutually_exclusive=[["grafana_user", "grafana_token"]],
        supports_check_mode=True,
    )
    deadline = time.monotonic() + module.params["timeout_s"]
    params = module.params
    base = params["prometheus_url"].rstrip("/")
    if not base.startswith(("http://", "https://")):
        module.fail_json(msg="prometheus_url=%r is not an http(s) URL, e.g. http://127.0.0.1:9090" % params["prometheus_url"])
    if not NAMESPACE_RE.match(params["namespace"]):
        module.fail_json(msg="namespace=%r is not a Kubernetes namespace name, e.g. boutique" % params["namespace"])
    for name, low in (("step_s", 1), ("rate_window_s", 1), ("lookback_s", 1), ("max_response_bytes", 1024)):
        if params[name] < low:
            module.fail_json(msg="%s=%s must be at least %s" % (name, params[name], low))
    for name in ("timeout_s", "query_timeout_s"):
        if params[name] <= 0:
            module.fail_json(msg="%s=%s must be > 0 seconds" % (name, params[name]))
    try:
        start = to_epoch(params["start"], "start")
        end = to_epoch(params["end"], "end")
        breaking_point = to_epoch(params["breaking_point"], "breaking_point")
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if start is None or end is None:
        module.fail_json(msg="start and end are required: the load test's window, epoch seconds")
    if end <= start:
        module.fail_json(msg="end=%s (%s) is not after start=%s (%s): the window is empty; pass the run's start and end"
                         % (end, iso_utc(end), start, iso_utc(start)))
    if breaking_point is not None and not start <= breaking_point <= end:
        module.fail_json(msg="breaking_point=%s (%s) is outside the window %s .. %s" % (
            breaking_point, iso_utc(breaking_point), iso_utc(start), iso_utc(end)))
    if (end - start) / params["step_s"] > MAX_POINTS:
        module.fail_json(msg="the window of %d s at step_s=%d needs more than %d points per series: raise step_s to %d"
                         % (end - start, params["step_s"], MAX_POINTS, int((end - start) / MAX_POINTS) + 1))

    planned = build_queries(params["namespace"], params["rate_window_s"])
    matrices = {}
    for name, expr in planned.items():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            module.fail_json(msg="the analysis ran out of its %s s (timeout_s) before query %s; raise timeout_s" % (params["timeout_s"], name))
        try:
            data = query_range(base, expr, start, end, params["step_s"], min(params["query_timeout_s"], remaining),
                               params["max_response_bytes"])
            matrices[name] = parse_matrix(data)
        except (QueryError, AnalysisError) as exc:
            module.fail_json(msg="Prometheus at %s, query %s: %s" % (base, name, exc), query=expr)
    try:
        result = analyse(matrices, start, end, breaking_point, params["lookback_s"], used_queries=planned)
    except AnalysisError as exc:
        module.fail_json(msg="namespace %s: %s" % (params["namespace"], exc))

    changed = False
    if params["grafana_url"]:
        auth = None
        if params["grafana_token"]:
            auth = "Bearer " + params["grafana_token"]
        elif params["grafana_user"]:
            auth = "Basic " + base64.b64encode(("%s:%s" % (params["grafana_user"], params["grafana_password"])).encode()).decode()
        events = [(start, "Load test start")]
        if breaking_point is not None:
            events.append((breaking_point, "Breaking point: " + result["verdict"]))
        events.append((end, "Load test end"))
        if module.check_mode:
            result["annotations"] = {"ids": [], "error": None, "would_post": len(events)}
        else:
            remaining = max(1.0, min(params["query_timeout_s"], deadline - time.monotonic()))
            ids, error = post_annotations(params["grafana_url"].rstrip("/"), auth, events, params["annotation_tags"], remaining)
            result["annotations"] = {"ids": ids, "error": error}
            changed = bool(ids)
    module.exit_json(changed=changed, **result)


def main():
    run_module()


if __name__ == "__main__":
    main()
