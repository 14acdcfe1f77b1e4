# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A stand-in for the Online Boutique frontend, for load tests on 127.0.0.1.

It answers the routes the journey uses with small pages that carry the same content markers as
the real frontend, counts every request, and can be told to fail:
  --fail-above N   answer 503 to everything while more than N client connections are open
                   (each locust user keeps one keep-alive connection: N users is the capacity)
  --fail-after S   answer 503 to everything from S seconds after start (a dying shop)
  --versions v1=3,v2=1   answer each request from one version, picked by weight, named in the
                   x-boutique-version header as the canary's routes do (counted per version)
  --blank          answer every page without the journey's content markers (a wrong page)
  (the Host header of every request is counted under counts["hosts"])

  python standin_shop.py --port-file /tmp/port [--fail-above 10] [--fail-after 20] [--stats-file f.json]

Cookies as the frontend's: a request without shop_session-id gets one in a Set-Cookie (counted
under counts["no_session"]: after the first request of a shopper, each one is a request the real
frontend would serve from a new, empty cart), and POST /setCurrency sets shop_currency; the page
its redirect leads to is counted under counts["stale_currency"] unless it carries that currency.

POST /cart remembers the product in the session's cart and GET /cart lists it as "SKU #<id>",
as the frontend's cart page does (the shop's smoke test checks for it).

GET /__stats returns the counters as JSON (not counted). The counters are also written to
--stats-file on SIGTERM/SIGINT and every second, so they survive a restart of the process.
Redirect targets carry `?_redirect=1`, so a followed redirect is counted apart: locust reports a
POST and the GET it is redirected to as one request, and so do the `journey` counters here.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import socket
import threading
import time
import uuid
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PRODUCTS = ("OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ")
MAX_CARTS = 10000
PAD = b"<!-- " + b"x" * 2000 + b" -->"
HOME = b"<html><title>Online Boutique</title><body>" + b"".join(b'<a href="/product/%s">p</a>' % p.encode() for p in PRODUCTS) + PAD + b"</body></html>"
CART = b'<html><title>Online Boutique</title><body><form action="/cart/checkout" method="POST"></form>' + PAD + b"</body></html>"
ORDER = b"<html><title>Online Boutique</title><body><h3>Your order is complete!</h3>" + PAD + b"</body></html>"


class Shop:
    """Counters and failure rules, shared by the handler threads."""

    def __init__(self, fail_above=0, fail_after=0.0, stats_file="", versions=None, blank=False):
        self.lock = threading.Lock()
        self.blank = blank
        self.started = time.time()
        self.fail_above = fail_above
        self.fail_after = fail_after
        self.stats_file = stats_file
        self.open_connections = 0
        self.versions = versions or []
        self.max_connections = 0
        # Each session's cart, as the frontend keeps it (the smoke test looks for "SKU #<id>" on
        # /cart); bounded: the oldest sessions are forgotten past MAX_CARTS.
        self.carts = collections.OrderedDict()
        self.counts = {"total": 0, "journey": 0, "redirect_follow": 0, "failed": 0, "no_session": 0, "stale_currency": 0, "routes": {}}
        if stats_file and os.path.exists(stats_file):
            # A restart continues counting where the previous process stopped.
            with open(stats_file, encoding="utf-8") as handle:
                self.counts = json.load(handle)["counts"]

    def failing(self):
        if self.fail_above and self.open_connections > self.fail_above:
            return True
        return bool(self.fail_after) and time.time() - self.started >= self.fail_after

    def snapshot(self):
        with self.lock:
            return {
                "counts": json.loads(json.dumps(self.counts)),
                "open_connections": self.open_connections,
                "max_connections": self.max_connections,
                "fail_above": self.fail_above,
                "fail_after": self.fail_after,
                "pid": os.getpid(),
            }

    def save(self):
        if self.stats_file:
            tmp = self.stats_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(self.snapshot(), handle)
            os.replace(tmp, self.stats_file)


def make_handler(shop):
    """The request handler class, bound to one Shop."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        currency = None  # the currency this connection's last POST /setCurrency chose

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with shop.lock:
                shop.open_connections += 1
                shop.max_connections = max(shop.max_connections, shop.open_connections)

        def finish(self):
            try:
                super().finish()
            finally:
                with shop.lock:
                    shop.open_connections -= 1

        def log_message(self, *_args):  # pylint: disable=arguments-differ
            return

        def _send(self, status, body=b"", location=None, cookies=()):
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if location:
                self.send_header("Location", location)
            for cookie in cookies:
                self.send_header("Set-Cookie", cookie + "; Max-Age=172800")
            if getattr(self, "version", ""):
                self.send_header("x-boutique-version", self.version)
            # Headers and body in one write: two small writes would stall on Nagle's algorithm.
            self._headers_buffer.append(b"\r\n")
            self.wfile.write(b"".join(self._headers_buffer) + body)
            self._headers_buffer = []

        def _route(self):
            path = self.path.partition("?")[0]
            method = self.command
            if method == "GET" and path == "/":
                return "GET /", 200, HOME, None
            if method == "GET" and path.startswith("/product/") and path[9:] in PRODUCTS:
                return "GET /product/[id]", 200, HOME[:40] + b'<input name="product_id" value="' + path[9:].encode() + b'">' + PAD, None
            if method == "GET" and path == "/cart":
                return "GET /cart", 200, self._cart_page(), None
            if method == "POST" and path == "/setCurrency":
                return "POST /setCurrency", 302, b"", "/?_redirect=1"
            if method == "POST" and path == "/cart":
                return "POST /cart", 302, b"", "/cart?_redirect=1"
            if method == "POST" and path == "/cart/checkout":
                return "POST /cart/checkout", 200, ORDER, None
            if method == "GET" and path == "/_healthz":
                return "GET /_healthz", 200, b"ok", None
            return "%s other" % method, 404, b"not found", None

        def _session(self):
            jar = SimpleCookie(self.headers.get("Cookie", ""))
            return jar["shop_session-id"].value if "shop_session-id" in jar else None

        def _cart_page(self):
            with shop.lock:
                items = list(shop.carts.get(self._session(), ()))
            if not items:
                return CART
            rows = b"".join(b"<div>SKU #%s</div>" % item.encode() for item in items)
            return CART.replace(b"<form", rows + b"<form", 1)

        def _remember(self, form):
            session, product = self._session(), (form.get("product_id") or [""])[0]
            if session is None or product not in PRODUCTS:
                return
            with shop.lock:
                cart = shop.carts.pop(session, [])
                if product not in cart:
                    cart.append(product)
                shop.carts[session] = cart
                while len(shop.carts) > MAX_CARTS:
                    shop.carts.popitem(last=False)

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("latin-1")) if length else {}
            if self.path == "/__stats":
                self._send(200, json.dumps(shop.snapshot()).encode())
                return
            if self.command == "POST" and self.path.partition("?")[0] == "/cart":
                self._remember(form)
            name, status, body, location = self._route()
            follow = "_redirect=1" in self.path
            # The frontend's cookies: a session for a request without one, the currency a shopper picks.
            jar = SimpleCookie(self.headers.get("Cookie", ""))
            no_session = "shop_session-id" not in jar
            cookies = ["shop_session-id=%s" % uuid.uuid4()] if no_session else []
            carried = jar["shop_currency"].value if "shop_currency" in jar else None
            stale = follow and self.currency is not None and carried != self.currency
            self.currency = None
            if name == "POST /setCurrency" and form.get("currency_code"):
                self.currency = form["currency_code"][0]  # what the page it redirects to must carry
                cookies.append("shop_currency=%s" % self.currency)
            with shop.lock:
                counts = shop.counts
                counts["total"] += 1
                counts["no_session"] = counts.get("no_session", 0) + no_session
                counts["stale_currency"] = counts.get("stale_currency", 0) + stale
                if follow:
                    counts["redirect_follow"] += 1
                else:
                    counts["journey"] += 1
                    counts["routes"][name] = counts["routes"].get(name, 0) + 1
                host = self.headers.get("Host", "")
                counts.setdefault("hosts", {})[host] = counts.setdefault("hosts", {}).get(host, 0) + 1
                version = random.choices([pair[0] for pair in shop.versions], [pair[1] for pair in shop.versions])[0] if shop.versions else ""
                if version:
                    counts.setdefault("versions", {})[version] = counts.setdefault("versions", {}).get(version, 0) + 1
                failing = shop.failing()
                if failing:
                    counts["failed"] += 1
            self.version = version
            if failing:
                self._send(503, b"overloaded")
            else:
                self._send(status, b"<html><body>Down for maintenance</body></html>" if shop.blank and body else body, location, cookies)

        do_GET = _handle
        do_POST = _handle

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", default="", help="write the bound port here once listening")
    parser.add_argument("--fail-above", type=int, default=0)
    parser.add_argument("--fail-after", type=float, default=0.0)
    parser.add_argument("--stats-file", default="")
    parser.add_argument("--versions", default="", help="e.g. v1=3,v2=1")
    parser.add_argument("--blank", action="store_true", help="pages without the content markers")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop by itself after this long")
    args = parser.parse_args()

    versions = [(item.partition("=")[0], float(item.partition("=")[2])) for item in args.versions.split(",") if item]
    shop = Shop(args.fail_above, args.fail_after, args.stats_file, versions, args.blank)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(shop))
    server.daemon_threads = True
    stop = threading.Event()

    def _stop(*_args):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(str(server.server_address[1]))
        os.replace(args.port_file + ".tmp", args.port_file)
    deadline = time.time() + args.max_seconds
    while not stop.wait(1.0) and time.time() < deadline:
        shop.save()
    server.shutdown()
    shop.save()


if __name__ == "__main__":
    main()
