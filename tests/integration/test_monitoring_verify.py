# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The monitoring role's verification (roles/monitoring/tasks/verify.yml), run for real: kubernetes.core
and kubectl talk to a stand-in Kubernetes API on 127.0.0.1, whose service proxy forwards
Prometheus queries to a real Prometheus (Debian package) started by the test.

The stand-in serves discovery for core/v1 and apps/v1, the two Deployments (rolled out or not),
Grafana's /api/health through the service proxy (Grafana itself is not available offline), and a
/metrics page shaped like cAdvisor's for the shop's pods, which the real Prometheus scrapes. So
"Prometheus answers up and scrapes the shop's pods" is checked against a Prometheus that really
scraped them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from ansible_collections.boutique.ops.tests.helpers import free_port, stop_process, write_kubeconfig

PROMETHEUS = shutil.which("prometheus")
KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(PROMETHEUS is None or KUBECTL is None, reason="needs prometheus (Debian package) and kubectl")
PROXY = "/api/v1/namespaces/monitoring/services/"
CADVISOR = textwrap.dedent("""\
    # TYPE container_cpu_usage_seconds_total counter
    container_cpu_usage_seconds_total{namespace="boutique",pod="frontend-7b9c6d5f4-abcde",container="server"} 12.5
    container_cpu_usage_seconds_total{namespace="boutique",pod="cartservice-5d8f7c6b9-fghij",container="server"} 3.25
    container_cpu_usage_seconds_total{namespace="monitoring",pod="grafana-6c5b4d7f8-klmno",container="grafana"} 1.5
    """)


def deployment(name, ready):
    replicas = 1
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "monitoring", "generation": 2, "resourceVersion": "7", "uid": "uid-" + name},
        "spec": {"replicas": replicas},
        "status": {"observedGeneration": 2, "replicas": replicas, "updatedReplicas": replicas,
                   "availableReplicas": replicas if ready else 0, "unavailableReplicas": 0 if ready else replicas,
                   "conditions": [{"type": "Available", "status": "True" if ready else "False"}]},
    }


DISCOVERY = {
    "/version": {"major": "1", "minor": "34", "gitVersion": "v1.34.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]},
    "/api/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": [
        {"name": "services", "singularName": "service", "namespaced": True, "kind": "Service", "verbs": ["get", "list"]},
        {"name": "services/proxy", "singularName": "", "namespaced": True, "kind": "ServiceProxyOptions", "verbs": ["get"]}]},
    "/apis/apps/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": [
        {"name": "deployments", "singularName": "deployment", "namespaced": True, "kind": "Deployment",
         "verbs": ["get", "list", "watch"]}]},
}


class StandIn(BaseHTTPRequestHandler):
    """Discovery, Deployments, the service proxy and a cAdvisor-like /metrics page."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Keep the test output quiet."""

    def _send(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # pylint: disable=invalid-name
        state = self.server.state
        path = self.path.split("?")[0]
        if path == "/metrics":
            self._send(200, CADVISOR, "text/plain; version=0.0.4")
        elif path in DISCOVERY:
            self._send(200, DISCOVERY[path])
        elif path.startswith("/apis/apps/v1/namespaces/monitoring/deployments/"):
            name = path.rsplit("/", 1)[1]
            if name in state["deployments"]:
                self._send(200, deployment(name, state["deployments"][name]))
            else:
                self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
        elif self.path.startswith(PROXY + "grafana:80/proxy/api/health"):
            healthy = state["grafana_healthy"]
            self._send(200 if healthy else 503, {"database": "ok" if healthy else "failing", "version": "13.1.0"})
        elif self.path.startswith(PROXY + "prometheus-server:80/proxy/"):
            upstream = state["prometheus"] + self.path[len(PROXY + "prometheus-server:80/proxy"):]
            try:
                with urllib.request.urlopen(upstream, timeout=10) as response:  # nosec - 127.0.0.1 only
                    self._send(response.status, response.read().decode())
            except urllib.error.HTTPError as error:
                self._send(error.code, error.read().decode())
        else:
            self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})


def wait_for(check, seconds, what):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


@pytest.fixture(scope="module", name="standin")
def fixture_standin(tmp_path_factory):
    """The stand-in API and a real Prometheus that scrapes itself and the stand-in's /metrics."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    work = tmp_path_factory.mktemp("verify")
    port = free_port()
    server.state = {"prometheus": "http://127.0.0.1:%d" % port, "grafana_healthy": True,
                    "deployments": {"prometheus-server": True, "grafana": True}}
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "scrape_configs": [
        {"job_name": "prometheus", "static_configs": [{"targets": ["127.0.0.1:%d" % port]}]},
        # honor_labels keeps the exported namespace/pod labels, as the chart's kubelet jobs do.
        {"job_name": "kubernetes-nodes-cadvisor", "honor_labels": True,
         "static_configs": [{"targets": ["127.0.0.1:%d" % server.server_address[1]]}]}]}
    (work / "prometheus.yml").write_text(yaml.safe_dump(config))
    (work / "data").mkdir()
    with open(work / "prometheus.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped in the finally below
            [PROMETHEUS, "--config.file=%s" % (work / "prometheus.yml"), "--storage.tsdb.path=%s" % (work / "data"),
             "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
    try:
        def shop_scraped():
            url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, "count(container_cpu_usage_seconds_total)")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # nosec - 127.0.0.1 only
                    return bool(json.loads(response.read().decode())["data"]["result"])
            except (urllib.error.URLError, OSError, ValueError):
                return False
        wait_for(shop_scraped, 60, "Prometheus did not start or scrape: " + (work / "prometheus.log").read_text())
        yield server
    finally:
        stop_process(proc)
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(name="verify")
def fixture_verify(standin, tmp_path, run_playbook):
    """Run verify.yml as the role does in apply mode, against the stand-in; returns a run function."""
    standin.state.update({"grafana_healthy": True, "deployments": {"prometheus-server": True, "grafana": True}})
    kubeconfig = write_kubeconfig(tmp_path, "http://127.0.0.1:%d" % standin.server_address[1])
    playbook = tmp_path / "verify.yml"
    playbook.write_text(textwrap.dedent("""\
        - name: Verify the monitoring stack against the stand-in API
          hosts: control
          gather_facts: false
          module_defaults:
            group/kubernetes.core.k8s: {kubeconfig: "%s"}
          tasks:
            - name: Verify
              ansible.builtin.include_role:
                name: boutique.ops.monitoring
                tasks_from: verify.yml
        """ % kubeconfig))

    def run(*args):
        return run_playbook(str(playbook), "-e", "ops_kubeconfig=%s" % kubeconfig, "-e", "ops_kube_context=",
                            "-e", "ops_kube_timeout=10", *args, env={"HOME": str(tmp_path)})

    return run


def test_a_healthy_stack_verifies(verify):
    run = verify()
    assert run.returncode == 0, run.output[-3000:]
    assert run.changed_count() == 0
    for task in ("Wait until Prometheus and Grafana are ready", "Ask Grafana for its health",
                 "Ask Prometheus for the up series and the shop's pods"):
        assert "TASK [boutique.ops.monitoring : %s]" % task in run.output
    # Through the service proxy: both questions asked and answered (the URL variants are skipped).
    for item in ("the up series", "the shop's pods"):
        assert "ok: [localhost] => (item=%s)" % item in run.output, run.output[-3000:]


def test_the_same_checks_ask_the_urls_when_given(verify, standin):
    # monitoring_prometheus_url / monitoring_grafana_url: plain HTTP to those URLs instead of
    # `kubectl get --raw` (here the stand-in's proxy paths, so the same answers come back).
    proxy = "http://127.0.0.1:%d/api/v1/namespaces/monitoring/services" % standin.server_address[1]
    run = verify("-e", "monitoring_prometheus_url=%s/prometheus-server:80/proxy" % proxy,
                 "-e", "monitoring_grafana_url=%s/grafana:80/proxy/" % proxy)
    assert run.returncode == 0, run.output[-3000:]
    assert "TASK [boutique.ops.monitoring : Ask Grafana for its health at %s/grafana:80/proxy/]" % proxy in run.output
    for item in ("the up series", "the shop's pods"):
        assert "ok: [localhost] => (item=%s)" % item in run.output, run.output[-3000:]
    failing = verify("-e", "monitoring_prometheus_url=%s/prometheus-server:80/proxy" % proxy, "-e", "monitoring_grafana_url=%s/grafana:80/proxy" % proxy,
                     "-e", "monitoring_dashboard_namespace=nowhere", "-e", "monitoring_verify_timeout=5")
    assert failing.returncode != 0
    assert "failed: [localhost] (item=the shop's pods)" in failing.output, failing.output[-3000:]


def test_a_shop_prometheus_does_not_scrape_fails(verify):
    run = verify("-e", "monitoring_dashboard_namespace=nowhere", "-e", "monitoring_verify_timeout=5")
    assert run.returncode != 0
    last_task = run.output.split("failed: [localhost]")[0].rsplit("TASK [", 1)[-1]
    assert "Ask Prometheus for the up series and the shop's pods" in last_task
    assert "ok: [localhost] => (item=the up series)" in run.output
    assert "failed: [localhost] (item=the shop's pods)" in run.output, run.output[-3000:]


def test_an_unhealthy_grafana_fails(verify, standin):
    standin.state["grafana_healthy"] = False
    run = verify("-e", "monitoring_verify_timeout=5")
    assert run.returncode != 0
    assert "Ask Grafana for its health" in run.output.split("fatal:")[0].rsplit("TASK [", 1)[-1]


def test_a_deployment_not_rolled_out_fails(verify, standin):
    standin.state["deployments"]["grafana"] = False
    run = verify("-e", "monitoring_wait_timeout=3")
    assert run.returncode != 0
    assert "Wait until Prometheus and Grafana are ready" in run.output.split("fatal:")[0].rsplit("TASK [", 1)[-1]
