# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Client-side throughput of the boutique journey: requests per second per core.

A benchmark, not a test: it measures and prints, it asserts nothing, and `make test` does not run it.

    .venv/bin/python benchmarks/locust_throughput.py [--seconds 15] [--users 20] [--rounds 1]

On one local nginx (started here on free 127.0.0.1 ports, serving the journey's routes with its
content markers and the frontend's cookies: shop_session-id to a request without one, shop_currency
on /setCurrency), for each page shape (VARIANTS: the real frontend's page sizes with its 302
redirects, and pages of 2 kB and 30 kB, each with and without the 302s), it measures:
  1. the journey (roles/locust/files/locustfile.py, FastHttpUser) with no think time,
  2. the same journey written as a plain HttpUser (python-requests), as most locustfiles are,
  3. wrk, as the ceiling of what one core can send.
Each locust run is one process (one core); wrk runs one thread. The figures are req/s per core:
locust's own count divided by the CPU seconds its process used (user + system) in its steady
state (start-up and shutdown left out, see run_locust), so a busy machine shared with other work
does not make the client look slower than it is. wrk's figure is wall-clock req/s, so on a busy
machine it is lower than wrk can do. With --rounds N each locust variant runs N times, the two
taking turns to go first, and the table shows the median of each.
Target: the journey >= 4x the HttpUser version and >= 0.1x wrk, on every page shape. It ends
with a Markdown table of the variants for the README.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LOCUSTFILE = os.path.join(HERE, "..", "roles", "locust", "files", "locustfile.py")
VENV_BIN = os.path.dirname(sys.executable)
PRODUCTS = ("OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ")

# The journey as a plain HttpUser: the same tasks, weights, forms and checks, written the usual
# way (form dicts, response.text, a fresh header merge per request, the session's cookie jar
# keeping the shop's cookies).
HTTPUSER_LOCUSTFILE = '''
import random
from locust import HttpUser, constant, task

PRODUCTS = %r
CURRENCIES = ("EUR", "USD", "JPY", "CAD", "GBP", "TRY")


def check(resp, marker, alt=None):
    if not resp.ok:
        resp.failure("HTTP %%s" %% resp.status_code)
    elif marker in resp.text or (alt and alt in resp.text):
        resp.success()
    else:
        resp.failure("content marker missing")


class BoutiqueHttpUser(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.index()

    @task(1)
    def index(self):
        with self.client.get("/", catch_response=True) as resp:
            check(resp, "/product/")

    @task(2)
    def set_currency(self):
        with self.client.post("/setCurrency", {"currency_code": random.choice(CURRENCIES)}, catch_response=True) as resp:
            check(resp, "/product/")

    def product(self, pid):
        with self.client.get("/product/" + pid, name="/product/[id]", catch_response=True) as resp:
            check(resp, pid)

    @task(10)
    def browse_product(self):
        self.product(random.choice(PRODUCTS))

    @task(2)
    def add_to_cart(self):
        pid = random.choice(PRODUCTS)
        self.product(pid)
        with self.client.post("/cart", {"product_id": pid, "quantity": random.randint(1, 10)}, catch_response=True) as resp:
            check(resp, "/cart/checkout")

    @task(3)
    def view_cart(self):
        with self.client.get("/cart", catch_response=True) as resp:
            check(resp, "/cart/checkout", "shopping cart is empty")

    @task(1)
    def checkout(self):
        self.add_to_cart()
        form = {"email": "someone@example.com", "street_address": "1600 Amphitheatre Parkway", "zip_code": "94043",
                "city": "Mountain View", "state": "CA", "country": "United States",
                "credit_card_number": "4432-8015-6152-0454", "credit_card_expiration_month": random.randint(1, 12),
                "credit_card_expiration_year": 2030, "credit_card_cvv": "672"}
        with self.client.post("/cart/checkout", form, catch_response=True) as resp:
            check(resp, "order is complete")
''' % (PRODUCTS,)


def _page(marker, size):
    body = "<!DOCTYPE html><html><head><title>Online Boutique</title></head><body>%s" % marker
    return body + "<!-- " + "x" * max(0, size - len(body) - 20) + " --></body></html>"


# Page shapes: (name, {page: size in bytes}, whether /setCurrency and POST /cart answer 302 as the real frontend does).
REAL_SIZES = {"home": 10500, "product": 5900, "cart": 5000, "order": 5000}
VARIANTS = (
    ("real sizes, 302s", REAL_SIZES, True),
    ("2 kB, 302s", dict.fromkeys(REAL_SIZES, 2000), True),
    ("2 kB, no 302", dict.fromkeys(REAL_SIZES, 2000), False),
    ("30 kB, 302s", dict.fromkeys(REAL_SIZES, 30000), True),
    ("30 kB, no 302", dict.fromkeys(REAL_SIZES, 30000), False),
)


def write_pages(root, sizes):
    """The journey's pages with their content markers, each padded to its size."""
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    files = {"home.html": _page("".join('<a href="/product/%s">p</a>' % pid for pid in PRODUCTS), sizes["home"]),
             "cart.html": _page('<form action="/cart/checkout" method="POST"></form>', sizes["cart"]),
             "order.html": _page("<h3>Your order is complete!</h3>", sizes["order"])}
    for pid in PRODUCTS:
        files["product-%s.html" % pid] = _page('<input type="hidden" name="product_id" value="%s">' % pid, sizes["product"])
    for name, text in files.items():
        with open(os.path.join(root, name), "w", encoding="utf-8") as handle:
            handle.write(text)


def server_block(root, port, redirects):
    """One nginx server for one page shape: the journey's routes, with or without the frontend's 302s."""
    set_currency = "return 302 /;" if redirects else "try_files /home.html =404;"
    cart_post = "if ($request_method = POST) {{ return 302 /cart; }}" if redirects else ""
    return """
  server {{
    listen 127.0.0.1:{port};
    root {root};
    # The frontend's cookies (see the maps above); its redirects are relative, as Go's http.Redirect sends them.
    add_header Set-Cookie $boutique_session_cookie;
    add_header Set-Cookie $boutique_currency_cookie;
    absolute_redirect off;
    # POSTs get the page they would land on; static files refuse POST, so answer 200 via error_page.
    error_page 405 =200 $uri;
    location = / {{ try_files /home.html =404; }}
    location = /setCurrency {{ {set_currency} }}
    location ~ ^/product/(?<product>[A-Z0-9]+)$ {{ try_files /product-$product.html =404; }}
    location = /cart {{
      {cart_post}
      try_files /cart.html =404;
    }}
    location = /cart/checkout {{ try_files /order.html =404; }}
  }}""".format(root=root, port=port, set_currency=set_currency, cart_post=cart_post.format())


def nginx_conf(workdir, servers):
    """nginx (one worker) with one server block per page shape: servers = [(root, port, redirects)]."""
    return """
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path {workdir}/tmp; proxy_temp_path {workdir}/tmp; fastcgi_temp_path {workdir}/tmp;
  uwsgi_temp_path {workdir}/tmp; scgi_temp_path {workdir}/tmp;
  default_type text/html;
  # As the frontend does: a session cookie for a request that comes without one, and the currency
  # cookie on /setCurrency (a fixed currency: nginx does not read the form). An empty value sends
  # no header.
  map $http_cookie $boutique_session_cookie {{
    "~shop_session-id=" "";
    default "shop_session-id=$request_id; Max-Age=172800";
  }}
  map $request_uri $boutique_currency_cookie {{
    /setCurrency "shop_currency=EUR; Max-Age=172800";
    default "";
  }}
{servers}
}}
""".format(workdir=workdir, servers="".join(server_block(root, port, redirects) for root, port, redirects in servers))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds(pid):
    """User + system CPU seconds of a running process (/proc/PID/stat fields 14 and 15), None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def run_locust(locustfile, url, users, seconds, workdir, name):
    """One locust process, headless; returns (requests, failures, cpu seconds, wall seconds) of its steady state.

    The CPU time of the process is sampled every 0.2 s and matched with locust's own history
    (cumulative requests each second): requests and CPU are counted from 2 s after the first
    request to the last second with requests, so that start-up (about 1.5 CPU s of imports) and
    shutdown are left out. On a machine shared with other work this still counts only the CPU
    that locust itself used.
    """
    env = dict(os.environ, BOUTIQUE_WAIT_MIN="0", BOUTIQUE_WAIT_MAX="0")
    env.pop("LOCUST_PROFILE", None)
    prefix = os.path.join(workdir, name)
    command = [os.path.join(VENV_BIN, "locust"), "-f", locustfile, "--headless", "-H", url, "-u", str(users), "-r", str(users),
               "-t", "%ds" % seconds, "--csv", prefix, "--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # pylint: disable=consider-using-with
    samples = []
    deadline = time.time() + seconds + 60
    while proc.poll() is None and time.time() < deadline:
        cpu = _cpu_seconds(proc.pid)
        if cpu is not None:
            samples.append((time.time(), cpu))
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    with open(prefix + "_stats_history.csv", encoding="utf-8") as handle:
        rows = [(int(row["Timestamp"]), int(row["Total Request Count"]), int(row["Total Failure Count"]))
                for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]
    with open(prefix + "_failures.csv", encoding="utf-8") as handle:
        for row in list(csv.DictReader(handle))[:3]:
            print("  failure: %s %s %s x%s" % (row["Method"], row["Name"], row["Error"], row["Occurrences"]))
    loaded = [row for row in rows if row[1] > 0]
    first, last = loaded[min(2, len(loaded) - 1)], max(loaded, key=lambda row: row[1])
    last = next(row for row in loaded if row[1] == last[1])  # the first second that reached the final count

    def cpu_at(stamp):
        # A history row for second T is written during second T: compare with the middle of it.
        return min(samples, key=lambda sample: abs(sample[0] - (stamp + 0.5)))

    begin, end = cpu_at(first[0]), cpu_at(last[0])
    return last[1] - first[1], last[2] - first[2], end[1] - begin[1], end[0] - begin[0]


def run_wrk(url, seconds):
    """wrk, one thread, 20 connections, on a product page; returns req/s (one core)."""
    out = subprocess.run(["wrk", "-t1", "-c20", "-d%ds" % seconds, url + "/product/OLJCESPC7Z"], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--variants", nargs="*", help="only these page shapes (by name), e.g. '2 kB, no 302'")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each locust variant per shape; the table shows medians")
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):  # nginx lives in sbin
            sys.exit("%s is not installed (Debian package %s)" % (tool, tool))
    variants = [variant for variant in VARIANTS if not args.variants or variant[0] in args.variants]
    workdir = tempfile.mkdtemp(prefix="locust-bench-")
    # nginx's worker runs as an unprivileged user when started as root: it must read the pages.
    os.chmod(workdir, 0o755)
    os.makedirs(os.path.join(workdir, "tmp"))
    servers = []
    for index, (_name, sizes, redirects) in enumerate(variants):
        root = os.path.join(workdir, "shape%d" % index)
        write_pages(root, sizes)
        servers.append((root, free_port(), redirects))
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(nginx_conf(workdir, servers))
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p", workdir])  # pylint: disable=consider-using-with
    try:
        deadline = time.time() + 10
        for _root, port, _redirects in servers:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if nginx.poll() is not None or time.time() > deadline:
                        sys.exit("nginx did not start, see its messages above")
                    time.sleep(0.1)
        httpuser_file = os.path.join(workdir, "httpuser_locustfile.py")
        with open(httpuser_file, "w", encoding="utf-8") as handle:
            handle.write(HTTPUSER_LOCUSTFILE)
        table = []
        for (name, _sizes, _redirects), (_root, port, _r) in zip(variants, servers):
            url = "http://127.0.0.1:%d" % port
            print("== %s (%s)" % (name, url))
            runs = {"journey (FastHttpUser)": [], "journey as HttpUser": []}
            pair = (("journey (FastHttpUser)", LOCUSTFILE), ("journey as HttpUser", httpuser_file))
            for round_index in range(max(1, args.rounds)):
                # Taking turns to go first: neither variant always gets the quieter moment.
                for label, locustfile in pair if round_index % 2 == 0 else pair[::-1]:
                    requests, failures, cpu, wall = run_locust(locustfile, url, args.users, args.seconds, workdir, label.split()[-1].strip("()"))
                    runs[label].append(requests / cpu if cpu else 0.0)
                    print("%-24s %8d requests %5d failures in %5.1f s wall, %5.1f CPU s: %8.0f req/s per core (%.0f req/s wall)"
                          % (label, requests, failures, wall, cpu, runs[label][-1], requests / wall))
            results = {label: statistics.median(values) for label, values in runs.items()}
            wrk = run_wrk(url, args.seconds)
            fast, slow = results["journey (FastHttpUser)"], results["journey as HttpUser"]
            table.append((name, fast, slow, fast / slow if slow else 0.0, wrk, fast / wrk if wrk else 0.0))
            print("%-24s %8.0f req/s (1 thread, 20 connections)" % ("wrk", wrk))
            sys.stdout.flush()
        print("\n| page shape | journey req/s per core | HttpUser req/s per core | journey / HttpUser (target >= 4x) "
              "| wrk req/s | journey / wrk (target >= 0.1x) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, fast, slow, times, wrk, share in table:
            print("| %s | %.0f | %.0f | %.1fx%s | %.0f | %.2fx |" % (name, fast, slow, times, "" if times >= 4 else " (under 4x)", wrk, share))
    finally:
        nginx.terminate()
        nginx.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
