# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The boutique role's shopper smoke test (roles/boutique/tasks/smoke.yml), run for real
against a small stand-in for the Online Boutique frontend on 127.0.0.1, and the port-forward
path around it (roles/boutique/tasks/verify_smoke.yml) with a stand-in kubectl that serves
the stand-in frontend where kubectl would forward.

The stand-in answers the routes the smoke test visits the way the v0.10.6 frontend does: a
session cookie (shop_session-id) keys the cart, POST /cart redirects to /cart, and the cart page
lists each item as "SKU #<id>". Broken variants prove that the smoke test fails when a shopper
would notice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PRODUCTS = {"OLJCESPC7Z": "Sunglasses", "66VCHSJNUP": "Tank Top"}


class StandInFrontend(BaseHTTPRequestHandler):
    """Answers like the frontend; ``server.fault`` breaks one behaviour on purpose."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Keep the test output quiet."""

    def _session(self):
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == "shop_session-id" and value:
                return value, False
        return str(uuid.uuid4()), True

    def _reply(self, status, body="", headers=None):
        session, new = self._session()
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if new:
            self.send_header("Set-Cookie", "shop_session-id=%s; Max-Age=172800" % session)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # pylint: disable=invalid-name
        fault = self.server.fault
        session, _new = self._session()
        if self.path == "/_healthz":
            self._reply(200, "unhealthy" if fault == "health" else "ok")
        elif self.path == "/":
            self._reply(200, "<title>%s</title><h1>Hot Products</h1>" % ("Other Shop" if fault == "title" else "Online Boutique"))
        elif self.path.startswith("/product/"):
            product = self.path[len("/product/"):]
            if product in PRODUCTS and fault != "product":
                self._reply(200, "<h2>%s</h2>" % PRODUCTS[product])
            else:
                self._reply(500 if fault == "product" else 404, "could not retrieve product")
        elif self.path == "/cart":
            items = self.server.carts.get(session, [])
            rows = "".join('<div class="row cart-summary-item-row"><h4>%s</h4>\n  SKU #%s\n</div>' % (PRODUCTS[item], item)
                           for item in items)
            self._reply(200, "<title>Online Boutique</title>" + (rows or "<h3>Your shopping cart is empty!</h3>"))
        else:
            self._reply(404, "not found")

    def do_POST(self):  # pylint: disable=invalid-name
        session, _new = self._session()
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if self.path == "/cart/checkout":
            self._checkout(session, form)
            return
        if self.path != "/cart":
            self._reply(404, "not found")
            return
        product = (form.get("product_id") or [""])[0]
        quantity = (form.get("quantity") or ["0"])[0]
        if product not in PRODUCTS or not quantity.isdigit() or int(quantity) < 1:
            self._reply(422, "invalid form")
            return
        if self.server.fault == "cart":
            self._reply(500, "failed to add to cart")
            return
        if self.server.fault != "forgetful-cart":
            self.server.carts.setdefault(session, []).append(product)
        self._reply(302, "", {"Location": "/cart"})

    def _checkout(self, session, form):
        """Upstream's placeOrderHandler: every form field required, the cart emptied, the order page rendered."""
        missing = [name for name in CHECKOUT_FIELDS if not (form.get(name) or [""])[0]]
        items = self.server.carts.get(session, [])
        if missing or not items:
            self._reply(422, "invalid form: missing %s" % ", ".join(missing) if missing else "failed to complete the order: empty cart")
            return
        if self.server.fault == "checkout":
            self._reply(500, "failed to complete the order")
            return
        self.server.orders.append(self.server.carts.pop(session))
        self._reply(200, "<title>Online Boutique</title><h3>Your order is complete!</h3>")


# The fields of upstream's checkout form (src/frontend/templates/cart.html, handlers.go placeOrderHandler).
CHECKOUT_FIELDS = ("email", "street_address", "zip_code", "city", "state", "country", "credit_card_number",
                   "credit_card_expiration_month", "credit_card_expiration_year", "credit_card_cvv")


@pytest.fixture(name="shop")
def fixture_shop():
    """A stand-in frontend on a free port of 127.0.0.1, stopped after the test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInFrontend)
    server.fault = None
    server.carts = {}
    server.orders = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def flat(text):
    """Text with whitespace runs folded, as the yaml callback may wrap long lines."""
    return " ".join(text.split())


def run_tasks(tmp_path, tasks_from, task_vars, path_prefix=""):
    """Run one of the role's task files through include_role in a throwaway playbook."""
    playbook = tmp_path / "smoke.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Smoke-test a shop",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{
            "name": "Visit the shop like a shopper",
            "ansible.builtin.include_role": {"name": "boutique.ops.boutique", "tasks_from": tasks_from},
            "vars": task_vars,
        }],
    }]))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               PATH=path_prefix + os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook),
                           "-e", json.dumps({})],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False)


def run_smoke(tmp_path, url):
    # Short retries: the stand-in is up before the play starts.
    return run_tasks(tmp_path, "smoke.yml", {"boutique_smoke_url": url, "boutique_smoke_retries": 2, "boutique_smoke_delay": 1})


def test_smoke_passes_against_a_working_shop(tmp_path, shop):
    url = "http://127.0.0.1:%d/" % shop.server_address[1]
    result = run_smoke(tmp_path, url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed the smoke test" in flat(result.stdout)
    # Exactly one shopper session put exactly the product in its cart, and ordered it.
    assert shop.orders == [["OLJCESPC7Z"]]
    assert not shop.carts


@pytest.mark.parametrize("fault, line", [
    ("health", "GET /_healthz -> 200 'unhealthy' (want 200 'ok')"),
    ("title", 'GET / -> 200, without "Online Boutique"'),
    ("product", "GET /product/OLJCESPC7Z -> 500 (want 200)"),
    ("cart", "POST /cart -> 500 (want 302)"),
    ("forgetful-cart", "GET /cart -> 200, without OLJCESPC7Z in the cart"),
    ("checkout", "POST /cart/checkout -> 500, without \"Your order is complete!\""),
])
def test_smoke_fails_when_a_shopper_would_notice(tmp_path, shop, fault, line):
    shop.fault = fault
    result = run_smoke(tmp_path, "http://127.0.0.1:%d" % shop.server_address[1])
    assert result.returncode == 2, result.stdout + result.stderr
    assert "failed the smoke test" in flat(result.stdout)
    assert flat(line) in flat(result.stdout), result.stdout


def test_smoke_fails_when_nothing_answers(tmp_path, shop):
    port = shop.server_address[1]
    shop.shutdown()
    shop.server_close()
    result = run_smoke(tmp_path, "http://127.0.0.1:%d" % port)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "GET /_healthz -> -1 '' (want 200 'ok')" in flat(result.stdout), result.stdout


# A stand-in kubectl: records its arguments and pid, then does what `kubectl port-forward ... :80`
# does for the smoke test: listens on a free 127.0.0.1 port, logs "Forwarding from ...", and
# serves (here: the stand-in frontend) until it is stopped.
FAKE_KUBECTL = """\
#!{python}
import json, os, sys
sys.path.insert(0, {tests!r})
from http.server import ThreadingHTTPServer
from test_boutique_smoke import StandInFrontend
with open({record!r}, "w") as handle:
    json.dump({{"argv": sys.argv[1:], "pid": os.getpid()}}, handle)
server = ThreadingHTTPServer(("127.0.0.1", 0), StandInFrontend)
server.fault = None
server.carts = {{}}
server.orders = []
print("Forwarding from 127.0.0.1:%d -> 8080" % server.server_address[1], flush=True)
server.serve_forever()
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_port_forward_path_runs_the_smoke_test_and_stops_kubectl(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "kubectl.json"
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(textwrap.dedent(FAKE_KUBECTL).format(
        python=sys.executable, tests=os.path.dirname(os.path.abspath(__file__)), record=str(record)))
    kubectl.chmod(0o755)
    result = run_tasks(tmp_path, "verify_smoke.yml", {
        "_boutique_external": "ClusterIP", "boutique_namespace": "shop",
        "ops_kubeconfig": str(tmp_path / "kubeconfig"), "ops_kube_context": "kind-test",
        "boutique_smoke_retries": 2, "boutique_smoke_delay": 1,
    }, path_prefix=str(bin_dir) + os.pathsep)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed the smoke test" in flat(result.stdout)
    called = json.loads(record.read_text())
    assert called["argv"] == ["--kubeconfig", str(tmp_path / "kubeconfig"), "--context", "kind-test", "--namespace", "shop",
                              "port-forward", "--address", "127.0.0.1", "svc/frontend", ":80"]
    # The always section stopped the port-forward: it does not outlive the play.
    deadline = time.monotonic() + 10
    while alive(called["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(called["pid"]), "the port-forward outlived the play"
