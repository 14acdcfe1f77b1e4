# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The Grafana admin password (roles/monitoring/tasks/admin.yml), run for real with kubernetes.core
against a small stand-in for the Kubernetes API on 127.0.0.1.

The stand-in serves API discovery for core/v1 and keeps Secrets in memory: GET, POST (create,
409 when present) and PATCH (JSON merge, which for a flat Secret is what strategic merge does).
It is enough for k8s_info and k8s to behave as with a cluster, so the test sees what a user
would: a password generated once, kept in the Secret and in a 0600 file, never printed unless
asked, and stable across runs, lost files and lost Secrets.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import stat
import threading
import textwrap
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.boutique.ops.tests.helpers import write_kubeconfig

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/?]+))?(?:\?.*)?$")
V1_RESOURCES = {
    "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1",
    "resources": [
        {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
         "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]},
        {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret",
         "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]},
    ],
}


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class StandInApi(BaseHTTPRequestHandler):
    """Discovery plus Secrets; every request is recorded in ``server.requests``."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Keep the test output quiet."""

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self, what):
        self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                         "message": "%s not found" % what, "code": 404})

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length).decode() or "{}")

    def _record(self):
        self.server.requests.append((self.command, self.path))

    def do_GET(self):  # pylint: disable=invalid-name
        self._record()
        path = self.path.split("?")[0]
        discovery = {
            "/version": {"major": "1", "minor": "34", "gitVersion": "v1.34.0"},
            "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
            "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
            "/api/v1": V1_RESOURCES,
        }
        if path in discovery:
            self._send(200, discovery[path])
            return
        match = SECRET_PATH.match(self.path)
        if not match:
            self._not_found(path)
            return
        namespace, name = match.groups()
        secrets = self.server.secrets
        if name is None:
            items = [s for (ns, _n), s in sorted(secrets.items()) if ns == namespace]
            self._send(200, {"kind": "SecretList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items})
        elif (namespace, name) in secrets:
            self._send(200, secrets[(namespace, name)])
        else:
            self._not_found('secrets "%s"' % name)

    def do_POST(self):  # pylint: disable=invalid-name
        self._record()
        match = SECRET_PATH.match(self.path)
        body = self._body()
        if not match or body.get("kind") != "Secret":
            self._not_found(self.path)
            return
        namespace = match.group(1)
        key = (namespace, body["metadata"]["name"])
        if key in self.server.secrets:
            self._send(409, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "AlreadyExists", "code": 409})
            return
        body["metadata"].update({"namespace": namespace, "uid": "uid-%d" % len(self.server.requests), "resourceVersion": "1"})
        self.server.secrets[key] = body
        self._send(201, body)

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._record()
        match = SECRET_PATH.match(self.path)
        if not match or not match.group(2) or (match.group(1), match.group(2)) not in self.server.secrets:
            self._not_found(self.path)
            return
        key = (match.group(1), match.group(2))
        old = self.server.secrets[key]
        new = merge_patch(old, self._body())
        if new != old:
            new["metadata"]["resourceVersion"] = str(int(old["metadata"]["resourceVersion"]) + 1)
        self.server.secrets[key] = new
        self._send(200, new)


@pytest.fixture(name="api")
def fixture_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInApi)
    server.secrets = {}
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(name="admin")
def fixture_admin(api, tmp_path, run_playbook):
    """Run admin.yml as apply.yml does; returns (run function, secrets dir)."""
    kubeconfig = write_kubeconfig(tmp_path, "http://127.0.0.1:%d" % api.server_address[1])
    playbook = tmp_path / "admin.yml"
    playbook.write_text(textwrap.dedent("""\
        - name: Grafana admin password against the stand-in API
          hosts: control
          gather_facts: false
          module_defaults:
            group/kubernetes.core.k8s: {kubeconfig: "%s"}
          tasks:
            - name: Provide the Grafana admin password
              ansible.builtin.include_role:
                name: boutique.ops.monitoring
                tasks_from: admin.yml
        """ % kubeconfig))
    secrets_dir = tmp_path / "project" / ".secrets"

    def run(*args):
        # The kubernetes client caches discovery per server in $HOME/.kube: keep it in the test's folder.
        return run_playbook(str(playbook), "-e", "ops_secrets_dir=%s" % secrets_dir, *args, env={"HOME": str(tmp_path)})

    return run, secrets_dir


def secret_password(api, namespace="monitoring"):
    secret = api.secrets[(namespace, "grafana-admin")]
    return base64.b64decode(secret["data"]["admin-password"]).decode(), base64.b64decode(secret["data"]["admin-user"]).decode()


def test_first_run_generates_and_stores_the_password(api, admin):
    run, secrets_dir = admin
    first = run()
    assert first.returncode == 0, first.output[-3000:]
    password_file = secrets_dir / "grafana-admin"
    password = password_file.read_text().rstrip("\n")
    assert re.fullmatch(r"[A-Za-z0-9]{32}", password)
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    assert secret_password(api) == (password, "admin")
    assert password not in first.output
    assert first.changed_count() >= 1  # the Secret (the password lookup itself wrote the file)

    second = run()
    assert second.returncode == 0, second.output[-3000:]
    assert second.changed_count() == 0, second.output[-3000:]
    assert password_file.read_text().rstrip("\n") == password
    assert secret_password(api) == (password, "admin")
    assert [method for method, path in api.requests if method == "POST" and "/secrets" in path] == ["POST"]


def test_the_cluster_secret_wins_and_restores_a_lost_file(api, admin):
    run, secrets_dir = admin
    assert run().returncode == 0
    password = secret_password(api)[0]
    (secrets_dir / "grafana-admin").unlink()
    again = run()
    assert again.returncode == 0, again.output[-3000:]
    assert (secrets_dir / "grafana-admin").read_text().rstrip("\n") == password
    assert stat.S_IMODE((secrets_dir / "grafana-admin").stat().st_mode) == 0o600


def test_a_lost_secret_is_recreated_from_the_file(api, admin):
    run, secrets_dir = admin
    assert run().returncode == 0
    password = (secrets_dir / "grafana-admin").read_text().rstrip("\n")
    api.secrets.clear()
    again = run()
    assert again.returncode == 0, again.output[-3000:]
    assert secret_password(api)[0] == password


def test_the_password_is_printed_only_when_asked(api, admin):
    run, secrets_dir = admin
    quiet = run()
    assert quiet.returncode == 0
    password = (secrets_dir / "grafana-admin").read_text().rstrip("\n")
    assert password not in quiet.output
    asked = run("-e", "monitoring_grafana_show_password=true")
    assert asked.returncode == 0
    assert "Grafana admin password: %s" % password in asked.output


def test_other_namespace_and_user(api, admin):
    run, _secrets_dir = admin
    result = run("-e", "monitoring_namespace=observability", "-e", "monitoring_grafana_admin_user=ops")
    assert result.returncode == 0, result.output[-3000:]
    assert secret_password(api, "observability")[1] == "ops"
