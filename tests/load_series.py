# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Synthetic Prometheus series of a loaded shop, and a real Prometheus serving them.

Shaped as the prometheus chart's scrape jobs label them: cadvisor (kubernetes-nodes-cadvisor:
container, pod, namespace, image, id, instance = the node), kube-state-metrics (honor_labels: its
own namespace, pod, container, node, resource, unit, reason), node-exporter (kubernetes-service-
endpoints: instance IP:9100, namespace monitoring, node = the node it runs on) and Istio's
destination-side metrics. 11 services of Online Boutique over 3 nodes, one pod of another namespace.

Each scenario occupies its own hour in the past (``Scenario.start``), so one Prometheus holds
them all. Used by tests/integration/test_load_analysis.py and the loadtest molecule scenario.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

from ansible_collections.boutique.ops.tests.helpers import free_port, stop_process

STEP_S = 15
RUN_S = 600
BREAK_AFTER_S = 420
LEAD_S = 300  # series start this long before the run (rate windows need history)
TAIL_S = 120
NODES = ("gke-shop-pool-1a2b", "gke-shop-pool-3c4d", "gke-shop-pool-5e6f")
NODE_IPS = {node: "10.128.0.%d" % (index + 11) for index, node in enumerate(NODES)}
# service: (replicas, node indexes, cpu limit cores, cpu request, memory limit bytes, app label exported)
SHOP = {
    "frontend": (2, (0, 1), 0.2, 0.1, 128 * 2 ** 20, True),
    "cartservice": (1, (1,), 0.3, 0.2, 128 * 2 ** 20, True),
    "productcatalogservice": (1, (2,), 0.2, 0.1, 128 * 2 ** 20, False),
    "currencyservice": (1, (0,), 0.2, 0.1, 128 * 2 ** 20, False),
    "paymentservice": (1, (2,), 0.2, 0.1, 128 * 2 ** 20, True),
    "shippingservice": (1, (1,), 0.2, 0.1, 128 * 2 ** 20, False),
    "emailservice": (1, (2,), 0.2, 0.1, 128 * 2 ** 20, True),
    "checkoutservice": (1, (0,), 0.2, 0.1, 128 * 2 ** 20, False),
    "recommendationservice": (1, (1,), 0.2, 0.1, 450 * 2 ** 20, True),
    "adservice": (1, (2,), 0.3, 0.2, 300 * 2 ** 20, False),
    "redis-cart": (1, (0,), 0.125, 0.07, 256 * 2 ** 20, True),
}
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def pod_names(service, replicas, seed):
    """Deployment pod names: NAME-<pod-template-hash>-<5 chars>, deterministic."""
    digits = "".join(_ALPHABET[(seed * 7 + ord(c)) % len(_ALPHABET)] for c in (service * 2)[:10])
    hashed = "".join(c for c in digits if c in "456789bcdf").ljust(10, "b")[:10]
    return ["%s-%s-%s" % (service, hashed, "".join(_ALPHABET[(seed + i * 5 + j * 3) % len(_ALPHABET)] for j in range(5)))
            for i in range(replicas)]


class Scenario:
    """What is saturated, when; ``overrides`` change the baseline shop from ``from_s`` (seconds into the run)."""

    def __init__(self, name, index, breaking=True):
        self.name = name
        self.index = index
        self.breaking = breaking
        self.start = None  # set by build()
        self.throttle = {}  # service: (from_s, usage cores, throttled ratio)
        self.cpu_usage = {}  # service: (from_s, usage cores) without throttling
        self.cpu_limit = {}  # service: limit cores
        self.oom = {}  # service: [restart times (s into the run)]
        self.node_busy = {}  # node index: (from_s, busy ratio)
        self.listen_overflows = {}  # node index: (from_s, per second)

    @property
    def end(self):
        return self.start + RUN_S

    @property
    def breaking_point(self):
        return self.start + BREAK_AFTER_S if self.breaking else None


def scenarios():
    """The six scenarios of issue 11, by name."""
    result = {}

    def add(scenario):
        result[scenario.name] = scenario
        return scenario

    add(Scenario("throttled", 0)).throttle["currencyservice"] = (BREAK_AFTER_S - 150, 0.199, 0.62)
    oom = add(Scenario("oom", 1))
    oom.oom["cartservice"] = [BREAK_AFTER_S - 30, BREAK_AFTER_S + 45]
    add(Scenario("node_cpu", 2)).node_busy[1] = (BREAK_AFTER_S - 150, 0.97)
    add(Scenario("network", 3)).listen_overflows[0] = (BREAK_AFTER_S - 150, 25.0)
    add(Scenario("healthy", 4))
    decoy = add(Scenario("decoy", 5))
    decoy.cpu_limit["recommendationservice"] = 4.0
    decoy.cpu_usage["recommendationservice"] = (BREAK_AFTER_S - 200, 1.6)
    decoy.throttle["productcatalogservice"] = (BREAK_AFTER_S - 150, 0.195, 0.45)
    add(Scenario("no_break", 6, breaking=False)).throttle["shippingservice"] = (200, 0.2, 0.5)
    return result


class _Writer:
    def __init__(self):
        self.families = {}

    def add(self, name, labels, samples):
        # The same series in several scenarios: one series, samples in time order (scenarios are added oldest first).
        text = ",".join('%s="%s"' % item for item in sorted(labels.items()))
        self.families.setdefault(name, {}).setdefault(text, []).extend(samples)

    def text(self):
        lines = []
        for name, series in self.families.items():
            for labels, samples in series.items():
                for stamp, value in samples:
                    lines.append("%s{%s} %r %d" % (name, labels, float(value), stamp))
        lines.append("# EOF")
        return "\n".join(lines) + "\n"


def _counter(times, rate_at):
    total, out = 0.0, []
    for stamp in times:
        total += rate_at(stamp) * STEP_S
        out.append((stamp, total))
    return out


def _gauge(times, value_at):
    return [(stamp, value_at(stamp)) for stamp in times]


def add_scenario(writer, scenario):
    run0 = scenario.start
    times = list(range(run0 - LEAD_S, run0 + RUN_S + TAIL_S + 1, STEP_S))

    def after(offset):
        return lambda t: t >= run0 + offset

    for seed, (service, (replicas, node_ids, limit, request, memory_limit, labelled)) in enumerate(sorted(SHOP.items())):
        limit = scenario.cpu_limit.get(service, limit)
        for replica, pod in enumerate(pod_names(service, replicas, seed)):
            node = NODES[node_ids[replica % len(node_ids)]]
            base_usage = 0.04 + 0.002 * seed

            def usage(t, service=service, base=base_usage):
                if service in scenario.throttle and after(scenario.throttle[service][0])(t):
                    return scenario.throttle[service][1]
                if service in scenario.cpu_usage and after(scenario.cpu_usage[service][0])(t):
                    return scenario.cpu_usage[service][1]
                return base

            def throttled(t, service=service):
                if service in scenario.throttle and after(scenario.throttle[service][0])(t):
                    return scenario.throttle[service][2]
                return 0.0

            restarts_at = [run0 + s for s in scenario.oom.get(service, [])]

            def memory(t, service=service, memory_limit=memory_limit, restarts_at=tuple(restarts_at)):
                if not restarts_at:
                    return 0.4 * memory_limit
                # Grows to the limit before each kill, starts low again after it.
                last = max([run0 - LEAD_S] + [r for r in restarts_at if r <= t])
                nxt = min([r for r in restarts_at if r > t] or [t + 1e9])
                if nxt - t < 120:
                    return memory_limit * (0.99 - (nxt - t) / 120.0 * 0.5)
                return 0.35 * memory_limit + (t - last) * 1000.0

            cadvisor = {"namespace": "boutique", "pod": pod, "container": "server", "image": "example/%s:v0.10.6" % service,
                        "id": "/kubepods/burstable/pod%s/%s" % (seed, service), "instance": node, "job": "kubernetes-nodes-cadvisor",
                        "name": "k8s_server_%s" % pod}
            writer.add("container_cpu_usage_seconds_total", dict(cadvisor, cpu="total"), _counter(times, usage))
            writer.add("container_cpu_cfs_periods_total", cadvisor, _counter(times, lambda t: 10.0))
            writer.add("container_cpu_cfs_throttled_periods_total", cadvisor, _counter(times, lambda t, f=throttled: 10.0 * f(t)))
            writer.add("container_memory_working_set_bytes", cadvisor, _gauge(times, memory))
            # The pause container and the pod-level cgroup (container="") must not count.
            writer.add("container_cpu_usage_seconds_total", dict(cadvisor, container="POD", cpu="total", name="k8s_POD"),
                       _counter(times, lambda t: 0.9))
            writer.add("container_memory_working_set_bytes", dict(cadvisor, container="", name=""), _gauge(times, lambda t: 9e9))
            ksm = {"namespace": "boutique", "pod": pod, "container": "server", "job": "kubernetes-service-endpoints",
                   "instance": "10.4.0.9:8080", "service": "prometheus-kube-state-metrics"}
            for kind, cpu, mem in (("limits", limit, memory_limit), ("requests", request, memory_limit // 2)):
                writer.add("kube_pod_container_resource_" + kind, dict(ksm, node=node, resource="cpu", unit="core"),
                           _gauge(times, lambda t, v=cpu: v))
                writer.add("kube_pod_container_resource_" + kind, dict(ksm, node=node, resource="memory", unit="byte"),
                           _gauge(times, lambda t, v=mem: float(v)))
            writer.add("kube_pod_container_status_restarts_total", ksm,
                       _gauge(times, lambda t, r=tuple(restarts_at): float(sum(1 for x in r if x <= t))))
            if restarts_at:
                oom_times = [t for t in times if t >= restarts_at[0]]
                writer.add("kube_pod_container_status_last_terminated_reason", dict(ksm, reason="OOMKilled"),
                           _gauge(oom_times, lambda t: 1.0))
            pod_labels = {"namespace": "boutique", "pod": pod, "job": "kubernetes-service-endpoints"}
            if labelled:
                pod_labels["label_app"] = service
            writer.add("kube_pod_labels", pod_labels, _gauge(times, lambda t: 1.0))
            writer.add("kube_pod_info", {"namespace": "boutique", "pod": pod, "node": node, "created_by_kind": "ReplicaSet",
                                         "job": "kubernetes-service-endpoints"}, _gauge(times, lambda t: 1.0))
        mesh = {"reporter": "destination", "destination_workload_namespace": "boutique", "destination_app": service,
                "destination_workload": service, "destination_version": "v1"}
        errors = 0.4 if scenario.breaking and service == "frontend" else 0.0
        writer.add("istio_requests_total", dict(mesh, response_code="200"), _counter(times, lambda t: 20.0))
        writer.add("istio_requests_total", dict(mesh, response_code="503"),
                   _counter(times, lambda t, e=errors: 20.0 * e if t >= run0 + BREAK_AFTER_S - 150 else 0.0))
        cumulative = 0.0
        for bound, share in (("10", 0.3), ("50", 0.4), ("250", 0.2), ("1000", 0.08), ("+Inf", 0.02)):
            cumulative += share
            writer.add("istio_request_duration_milliseconds_bucket", dict(mesh, response_code="200", le=bound),
                       _counter(times, lambda t, c=cumulative: 20.0 * c))
    # Another namespace's pod, throttled all along: it must never be blamed.
    other = {"namespace": "monitoring", "pod": "prometheus-server-6c5b4d7f9c-klmno", "container": "prometheus-server",
             "instance": NODES[0], "job": "kubernetes-nodes-cadvisor"}
    writer.add("container_cpu_cfs_periods_total", other, _counter(times, lambda t: 10.0))
    writer.add("container_cpu_cfs_throttled_periods_total", other, _counter(times, lambda t: 9.5))
    writer.add("container_cpu_usage_seconds_total", dict(other, cpu="total"), _counter(times, lambda t: 0.5))
    for index, node in enumerate(NODES):
        target = {"instance": "%s:9100" % NODE_IPS[node], "job": "kubernetes-service-endpoints", "namespace": "monitoring",
                  "node": node, "service": "prometheus-prometheus-node-exporter"}
        busy_from, busy = scenario.node_busy.get(index, (None, None))

        def busy_at(t, busy_from=busy_from, busy=busy):
            return busy if busy_from is not None and t >= run0 + busy_from else 0.35

        for cpu in ("0", "1", "2", "3"):
            writer.add("node_cpu_seconds_total", dict(target, cpu=cpu, mode="idle"), _counter(times, lambda t, f=busy_at: 1 - f(t)))
            writer.add("node_cpu_seconds_total", dict(target, cpu=cpu, mode="user"), _counter(times, busy_at))
        writer.add("node_memory_MemAvailable_bytes", target, _gauge(times, lambda t: 9e9))
        writer.add("node_memory_MemTotal_bytes", target, _gauge(times, lambda t: 16e9))
        over_from, overflows = scenario.listen_overflows.get(index, (None, None))

        def overflow_at(t, over_from=over_from, overflows=overflows):
            return overflows if over_from is not None and t >= run0 + over_from else 0.0

        writer.add("node_netstat_TcpExt_ListenOverflows", target, _counter(times, overflow_at))
        writer.add("node_netstat_TcpExt_ListenDrops", target, _counter(times, overflow_at))
        writer.add("node_netstat_Tcp_RetransSegs", target, _counter(times, lambda t: 2.0))
        writer.add("node_netstat_Tcp_OutSegs", target, _counter(times, lambda t: 2000.0))
        for device in ("eth0", "lo"):
            writer.add("node_network_receive_drop_total", dict(target, device=device), _counter(times, lambda t: 0.0))


def build(now=None, names=None, starts=None):
    """OpenMetrics text holding the chosen scenarios (all by default); returns (text, {name: Scenario}).

    ``starts`` ({name: epoch}) places a scenario elsewhere, e.g. around a run about to start (the
    loadtest molecule scenario): its series then reach into the future, which Prometheus serves.
    """
    now = int(now or time.time())
    chosen = scenarios()
    if names:
        chosen = {name: chosen[name] for name in names}
    writer = _Writer()
    for scenario in sorted(chosen.values(), key=lambda item: -item.index):
        # Each in its own hour, the newest two hours back: inside the default 15 d retention, older than the head.
        scenario.start = (now - (scenario.index + 2) * 3600) // STEP_S * STEP_S
        if starts and scenario.name in starts:
            scenario.start = int(starts[scenario.name]) // STEP_S * STEP_S
        add_scenario(writer, scenario)
    return writer.text(), chosen


def _get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # nosec - 127.0.0.1 only
        return response.read().decode()


@contextlib.contextmanager
def prometheus_on(openmetrics_text, workdir, extra_args=(), ready_s=60):
    """Backfill ``openmetrics_text`` with promtool, serve it with a real prometheus on 127.0.0.1; yields its URL.

    The process is always stopped. Raises RuntimeError when the tools are missing (the caller skips).
    """
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        raise RuntimeError("prometheus/promtool not installed (Debian package prometheus, see Makefile TEST_DEBS)")
    storage = os.path.join(workdir, "data")
    os.makedirs(storage, exist_ok=True)
    series = os.path.join(workdir, "series.om")
    with open(series, "w", encoding="utf-8") as handle:
        handle.write(openmetrics_text)
    backfill = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", series, storage],
                              capture_output=True, text=True, check=False, timeout=300)
    if backfill.returncode != 0:
        raise AssertionError("promtool backfill failed: " + backfill.stdout + backfill.stderr)
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w", encoding="utf-8") as handle:
        json.dump({"global": {"scrape_interval": "15s"}}, handle)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    log_path = os.path.join(workdir, "prometheus.log")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped in the finally below
            ["timeout", "1800", prometheus, "--config.file=" + config, "--storage.tsdb.path=" + storage,
             "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"] + list(extra_args),
            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + ready_s
        while True:
            try:
                if "Ready" in _get(base + "/-/ready"):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log_path, encoding="utf-8") as handle:
                    raise AssertionError("Prometheus did not get ready in %d s: %s" % (ready_s, handle.read()[-3000:]))
            time.sleep(0.3)
        yield base
    finally:
        stop_process(proc)


def main():
    """python tests/load_series.py DIR: write the scenarios' OpenMetrics and their windows (JSON) into DIR."""
    import sys  # pylint: disable=import-outside-toplevel
    folder = sys.argv[1]
    text, chosen = build()
    with open(os.path.join(folder, "series.om"), "w", encoding="utf-8") as handle:
        handle.write(text)
    print(json.dumps({name: [s.start, s.end, s.breaking_point] for name, s in chosen.items()}))


if __name__ == "__main__":
    main()
