# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The Online Boutique shopper journey and the load shapes of boutique.ops.

Standalone:  locust -f locustfile.py --headless -H http://SHOP -u 10 -r 5 -t 10s
With a shape: LOCUST_PROFILE=stress|spike|endurance|recovery picks one of the shapes below;
it is then the shape, not -u/-r/-t, that drives users and decides when the run ends.

Environment (all optional):
  BOUTIQUE_WAIT_MIN / BOUTIQUE_WAIT_MAX   think time in seconds between tasks (1 / 10; 0 / 0 = none)
  BOUTIQUE_USERS          endurance and spike: users; spike: the peak (10)
  BOUTIQUE_BASE_USERS     spike and recovery: baseline users (1)
  BOUTIQUE_DURATION_S     endurance: run length; others: hard cap on the run (60)
  BOUTIQUE_RAMP_RATE      stress/recovery: users added per second, on average (1)
  BOUTIQUE_STEP_S         stress/recovery: seconds per ramp step (5); a step adds RAMP_RATE * STEP_S users
  BOUTIQUE_MAX_USERS      stress/recovery: the ramp never goes above this (100)
  BOUTIQUE_FAIL_RATIO     stress/recovery: failure ratio that marks the breaking point (0.05)
  BOUTIQUE_WINDOW_S       stress/recovery: sliding window for that ratio, in seconds (3)
  BOUTIQUE_SPIKE_AT_S     spike: when the jump happens (DURATION_S / 4)
  BOUTIQUE_HOLD_S         spike: how long the peak lasts (DURATION_S / 2); recovery: time at the top (STEP_S)
  BOUTIQUE_OVERSHOOT      recovery: steps ramped past the breaking point before going down (2)
  BOUTIQUE_HOST_HEADER    Host header of every request (the Istio gateway answers only its VirtualService's hosts)

Per version: responses that carry the canary's x-boutique-version header are counted per version
(requests, failures, response times) from the responses the journey gets anyway; with --csv the
master writes PREFIX_versions.json: {"v1": {"requests", "failures", "p95_ms"}, ...}.

Shape parameters do not use the LOCUST_ prefix on purpose: locust reads LOCUST_USERS and friends as
its own command-line options.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import sys
import time
import uuid
import zlib
from urllib.parse import urlsplit

import gevent
import locust.contrib.fasthttp
import locust.runners
import locust.stats
from geventhttpclient import URL, HTTPClient, HTTPParseError
from geventhttpclient.header import Headers
from locust import FastHttpUser, LoadTestShape, between, constant, events, task
from locust.exception import CatchResponseError

try:
    # The locust role ships plugins/module_utils/breaking_point.py next to this file.
    import breaking_point
except ImportError:  # run from the collection's source tree (roles/locust/files/)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "plugins", "module_utils"))
    import breaking_point

# Workers report to the master every 3 s by default; 1 s gives the shapes and the CSV history a
# finer view of the failure ratio (the breaking point is found within a second, not three).
locust.runners.WORKER_REPORT_INTERVAL = 1.0
# A profile's end waits this long after the workers report no users (their report of no users
# carries their last requests; a report comes every second), and at most the stop timeout plus
# DRAIN_BOUND_S in all (_BoutiqueShape._drain).
DRAIN_REPORTS_S = 1.5
DRAIN_BOUND_S = 10.0

LOG = logging.getLogger("boutique")

# The 9 product ids of Online Boutique v0.10.6 (src/productcatalogservice/products.json).
PRODUCTS = (
    "OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM", "2ZYFJ3GM2N",
    "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ",
)
CURRENCIES = ("EUR", "USD", "JPY", "CAD", "GBP", "TRY")

# Content markers, searched as bytes in the body: no decoding, no HTML parsing.
# The home page links every product; the product page carries its id (add-to-cart form); the cart
# page shows the checkout form when it holds items, else says it is empty; checkout renders
# "Your order is complete!".
HOME_MARKER = b"/product/"
CART_FULL_MARKER = b"/cart/checkout"
CART_EMPTY_MARKER = b"shopping cart is empty"
ORDER_MARKER = b"order is complete"

# Built once: the form bodies are pre-encoded, so a task does no urlencoding of its own. Each
# user's headers are built once per currency (see _set_cookies). Identity encoding: the frontend
# sends plain HTML, and a proxy that could gzip would only make the client decompress.
CURRENCY_BODIES = tuple(("currency_code=%s" % code).encode() for code in CURRENCIES)
PRODUCT_PATHS = tuple("/product/" + pid for pid in PRODUCTS)
PRODUCT_MARKERS = tuple(pid.encode() for pid in PRODUCTS)
CART_BODIES = tuple(tuple(("product_id=%s&quantity=%d" % (pid, qty)).encode() for qty in range(1, 11)) for pid in PRODUCTS)


def _checkout_body():
    """A checkout form as the frontend's cart page posts it (its field names, plausible values)."""
    year = time.gmtime().tm_year + 1
    return (
        "email=someone%40example.com&street_address=1600+Amphitheatre+Parkway&zip_code=94043"
        "&city=Mountain+View&state=CA&country=United+States&credit_card_number=4432-8015-6152-0454"
        "&credit_card_expiration_month={month}&credit_card_expiration_year={year}&credit_card_cvv={cvv}"
    ).format(month=random.randint(1, 12), year=random.randint(year, year + 5), cvv=random.randint(100, 999)).encode()


CHECKOUT_BODIES = tuple(_checkout_body() for dummy in range(16))


HOST_HEADER = os.environ.get("BOUTIQUE_HOST_HEADER", "").strip()
HOST_HEADERS = {"Host": HOST_HEADER} if HOST_HEADER else {}
VERSION_HEADER = "x-boutique-version"


def _env_float(name, default):
    value = os.environ.get(name, "")
    return float(value) if value.strip() else float(default)


def _wait_time():
    low = _env_float("BOUTIQUE_WAIT_MIN", 1)
    high = _env_float("BOUTIQUE_WAIT_MAX", 10)
    if low < 0 or high < low:
        raise ValueError("BOUTIQUE_WAIT_MIN=%s / BOUTIQUE_WAIT_MAX=%s: need 0 <= MIN <= MAX, e.g. 1 and 10" % (low, high))
    return constant(0) if high == 0 else between(low, high)


# A 3xx with a Location is followed, as FastHttpSession and a browser do: 301/302/303 become a GET
# without the form, 307/308 resend the request as it was.
REDIRECTS = frozenset((301, 302, 303, 307, 308))
# "No answer" (refused, reset, timeout, a broken HTTP message): the exceptions FastHttpSession
# itself reports as failures; the tuple after `or` stands in should locust (pinned) drop its list.
NO_ANSWER = getattr(locust.contrib.fasthttp, "FAILURE_EXCEPTIONS", None) or (OSError, gevent.Timeout, HTTPParseError, zlib.error)


class BoutiqueShopper(FastHttpUser):
    """A shopper: lands on the home page, then browses, changes currency, fills the cart, checks out.

    The task weights are upstream's loadgenerator (src/loadgenerator/locustfile.py).
    """

    wait_time = _wait_time()
    # One keep-alive connection per user is what a browser tab does; it also spares the client
    # a TCP handshake per request.
    concurrency = 1

    def on_start(self):
        # The frontend keys the cart on the shop_session-id cookie and takes the one the browser
        # sends; the currency lives in shop_currency. Sending both from here, instead of running
        # every response through http.cookiejar, is the same conversation for the shop and a good
        # part of the client's CPU per request.
        self.session_id = str(uuid.uuid4())
        self._set_cookies("USD")
        self.http = self._http_client()
        # Read a page in one or two recv calls instead of 4 kB steps (the real home page is 10.5 kB).
        self.http.block_size = 64 * 1024
        base = urlsplit(self.host)
        self.base_path, self.netloc = base.path.rstrip("/"), base.netloc
        self.request_event = self.environment.events.request
        self.index()

    def _http_client(self):
        """The keep-alive HTTP/1.1 client (geventhttpclient) that the journey's requests go through.

        It is the FastHttpUser's own, with its settings (timeouts, TLS, pool of `concurrency`):
        self.client (FastHttpSession) sends through it as well, but wraps each request in URL
        parsing, header copies, a response wrapper and a context manager, about a third of the
        client's CPU per request; _send does what the journey needs of them itself. Should locust's
        layout change (it is pinned to locust_version), the journey builds one from the same settings.
        """
        pool = getattr(getattr(self.client, "client", None), "clientpool", None)
        if hasattr(pool, "get_client"):
            return pool.get_client(URL(self.host))
        return HTTPClient.from_url(self.host, concurrency=self.concurrency, network_timeout=self.network_timeout,
                                   connection_timeout=self.connection_timeout, insecure=self.insecure)

    def _set_cookies(self, currency):
        # geventhttpclient's own Headers, built once per currency: the client merges them into each
        # request as they are stored, where a dict would be lower-cased again field by field.
        cookie = "shop_session-id=%s; shop_currency=%s" % (self.session_id, currency)
        self.get_headers = Headers(dict(HOST_HEADERS, **{"Accept-Encoding": "identity", "Cookie": cookie}))
        self.form_headers = Headers(dict(HOST_HEADERS, **{"Content-Type": "application/x-www-form-urlencoded",
                                                          "Accept-Encoding": "identity", "Cookie": cookie}))

    def on_stop(self):
        # A shopper who leaves closes the connection, so the shop sees the load go away at once
        # (recovery relies on it) instead of when the idle connection times out.
        self.http.close()

    def _send(self, method, path, marker, alt=None, name=None, body=None, headers=None):
        """One request of the journey, reported to locust as one request (a followed redirect included).

        It passes only on a 2xx whose body holds the page's marker (or alt); anything else is a
        failure with a reason: "HTTP <status>" (so that failures group by endpoint, not by URL),
        "content marker ... missing", or "no answer: <error>". The response's x-boutique-version
        header, if any, counts it for that version.
        """
        start_time = time.time()
        started = time.perf_counter()
        resp, content, failure = None, b"", None
        sent_method, target, sent_headers = method, self.base_path + path, headers or self.get_headers
        try:
            for _hop in range(self.max_redirects + 1):
                resp = self.http.request(sent_method, target, body=body, headers=sent_headers)
                content = resp.read()  # the whole body, so the connection goes back to the pool
                location = resp.get("location") if resp.status_code in REDIRECTS else None
                if not location:
                    break
                target = self._redirect_path(location)
                if target is None:
                    failure = "redirect to another host, not followed: %s" % location
                    break
                if resp.status_code < 307:
                    # With the cookies, as a browser's GET: without the session the frontend would
                    # show a new, empty cart.
                    sent_method, body, sent_headers = "GET", None, self.get_headers
            if resp.get("content-encoding") in ("gzip", "deflate"):  # despite "identity": a proxy's doing
                content = zlib.decompress(content, 47)
        except NO_ANSWER as error:
            failure = "no answer: %r" % error
        response_time = (time.perf_counter() - started) * 1000
        if failure is None:
            if not 200 <= resp.status_code < 300:
                failure = "HTTP %s" % resp.status_code
            elif marker not in content and (alt is None or alt not in content):
                failure = "content marker %r missing" % marker.decode()
            version = resp.get(VERSION_HEADER)
            if version:
                VERSIONS.add(str(version), response_time, failure is not None)
        # locust's documented way for a client of one's own: its request event, which its statistics listen to.
        self.request_event.fire(
            request_type=method, name=name or path, context=self.context(), response=resp,
            exception=CatchResponseError(failure) if failure else None, start_time=start_time,
            url=self.host + path, response_length=len(content), response_time=response_time,
        )

    def _redirect_path(self, location):
        """The path a Location leads to on the shop; None for another host (the frontend never sends one)."""
        parts = urlsplit(location)
        if parts.netloc and parts.netloc != self.netloc:
            return None
        return parts.path + ("?" + parts.query if parts.query else "")

    @task(1)
    def index(self):
        self._send("GET", "/", HOME_MARKER)

    @task(2)
    def set_currency(self):
        # The frontend answers 302 to the referring page; the client follows it to the home page.
        index = random.randrange(len(CURRENCIES))
        form_headers = self.form_headers
        # What the frontend's Set-Cookie on that 302 says: the chosen currency from now on, the
        # page it redirects to included.
        self._set_cookies(CURRENCIES[index])
        self._send("POST", "/setCurrency", HOME_MARKER, body=CURRENCY_BODIES[index], headers=form_headers)

    def _product(self, index):
        self._send("GET", PRODUCT_PATHS[index], PRODUCT_MARKERS[index], name="/product/[id]")

    @task(10)
    def browse_product(self):
        self._product(random.randrange(len(PRODUCTS)))

    @task(2)
    def add_to_cart(self):
        index = random.randrange(len(PRODUCTS))
        self._product(index)
        body = CART_BODIES[index][random.randrange(10)]
        # 302 to /cart, which then lists the item and the checkout form.
        self._send("POST", "/cart", CART_FULL_MARKER, body=body, headers=self.form_headers)

    @task(3)
    def view_cart(self):
        self._send("GET", "/cart", CART_FULL_MARKER, CART_EMPTY_MARKER)

    @task(1)
    def checkout(self):
        self.add_to_cart()
        self._send("POST", "/cart/checkout", ORDER_MARKER, body=random.choice(CHECKOUT_BODIES), headers=self.form_headers)


# Listeners fed each Aggregated row the master writes into the CSV history, as (t, users, requests,
# failures): the very samples the summary reads back, so the shapes and summary.json find the same
# breaking point. Installed on locust's CSV writer (locust is pinned to locust_version).
_HISTORY_LISTENERS = []


def _hook_csv_history():
    writer = getattr(locust.stats, "StatsCSVFileWriter", None)
    original = getattr(writer, "_stats_history_data_rows", None)
    if original is None:
        return False
    if getattr(original, "boutique_hook", False):
        return True

    def rows(self, csv_writer, now):
        original(self, csv_writer, now)
        # No gevent switch since the rows were written: these are the numbers in the file.
        runner = self.environment.runner
        total = self.environment.stats.total
        sample = (int(now), runner.user_count if runner is not None else 0, total.num_requests, total.num_failures)
        for listener in list(_HISTORY_LISTENERS):
            listener(*sample)

    rows.boutique_hook = True
    writer._stats_history_data_rows = rows  # pylint: disable=protected-access
    return True


CSV_HOOKED = _hook_csv_history()


class _BoutiqueShape(LoadTestShape):
    """Shared parameters; each profile below is one shape."""

    abstract = True

    def __init__(self):
        super().__init__()
        self.users = int(_env_float("BOUTIQUE_USERS", 10))
        self.base_users = int(_env_float("BOUTIQUE_BASE_USERS", 1))
        self.duration_s = _env_float("BOUTIQUE_DURATION_S", 60)
        self.ramp_rate = _env_float("BOUTIQUE_RAMP_RATE", 1)
        self.step_s = _env_float("BOUTIQUE_STEP_S", 5)
        self.max_users = int(_env_float("BOUTIQUE_MAX_USERS", 100))
        self.detector = breaking_point.Detector(_env_float("BOUTIQUE_FAIL_RATIO", 0.05), _env_float("BOUTIQUE_WINDOW_S", 3))
        # With --csv, the master's history rows feed the detector (from its first row, as the
        # summary reads them); without, the shape samples the runner itself at each tick.
        self._from_csv = None
        if CSV_HOOKED:
            _HISTORY_LISTENERS.append(self._sample)
        if self.users <= 0 or self.ramp_rate <= 0 or self.step_s <= 0 or self.duration_s < 0 or self.max_users <= 0:
            raise ValueError("BOUTIQUE_USERS, BOUTIQUE_RAMP_RATE, BOUTIQUE_STEP_S and BOUTIQUE_MAX_USERS must be > 0, BOUTIQUE_DURATION_S >= 0")
        self.step_users = max(1, int(math.ceil(self.ramp_rate * self.step_s)))
        # Spawn a step's users within about a second, then hold: runner.start() blocks while
        # spawning, so a slow spawn would delay the shape's own ticks.
        self.step_spawn_rate = float(max(self.step_users, self.ramp_rate))
        self._drain_started = None  # time.monotonic() when the profile ended and its users began to stop
        self._drained_at = None  # since when the workers report no users

    def planned_tick(self):
        """The profile's (users, spawn rate) now, or None when it is over."""
        raise NotImplementedError

    def tick(self):
        """The profile's plan, then, once it is over, the drain (``_drain``) before the run ends."""
        if self._drain_started is None:
            planned = self.planned_tick()
            if planned is not None:
                return planned
        return self._drain()

    def _drain(self):
        """(0 users, at once) until the workers report no users for DRAIN_REPORTS_S, then None (the end).

        A headless run ends when the shape returns None, and locust's master then waits only 0.5 s
        for the workers' last stats reports, while the workers first give their users up to
        --stop-timeout to finish. On a busy machine the requests of the last seconds reached the
        shop but not the summary. Stopping the users first, while the master still listens, keeps
        them; the drain is bounded by the stop timeout plus DRAIN_BOUND_S.
        """
        now = time.monotonic()
        if self._drain_started is None:
            self._drain_started = now
            LOG.info("Profile done: stopping the users, then ending once the workers have reported their last requests")
        if self.runner.user_count > 0:
            self._drained_at = None
        elif self._drained_at is None:
            self._drained_at = now
        drained = self._drained_at is not None and now - self._drained_at >= DRAIN_REPORTS_S
        if drained or now - self._drain_started > (self.runner.environment.stop_timeout or 0) + DRAIN_BOUND_S:
            return None
        return (0, float(max(self.users, self.max_users, 1)))

    def _ramp_target(self, run_time):
        return min(self.max_users, self.step_users * (int(run_time // self.step_s) + 1))

    @property
    def breaking_users(self):
        """Users at the breaking point, once found (module_utils/breaking_point.py's rule)."""
        return self.detector.point["users"] if self.detector.point else None

    def _sample(self, t, users, requests, failures):
        if self.detector.add(t, users, requests, failures):
            LOG.info("%s", breaking_point.log_line(self.detector.point, self.detector))

    def _check_breaking_point(self, run_time):  # pylint: disable=unused-argument
        if self._from_csv is None:
            options = self.runner.environment.parsed_options
            self._from_csv = CSV_HOOKED and bool(getattr(options, "csv_prefix", None))
        if not self._from_csv:
            total = self.runner.stats.total
            self._sample(time.time(), self.runner.user_count, total.num_requests, total.num_failures)


class StressShape(_BoutiqueShape):
    """Ramp up in steps until the failure ratio passes the threshold, or MAX_USERS is held a step."""

    abstract = True

    def planned_tick(self):
        run_time = self.get_run_time()
        self._check_breaking_point(run_time)
        if self.breaking_users is not None or run_time > self.duration_s:
            return None
        target = self._ramp_target(run_time)
        if target >= self.max_users and run_time >= self.step_s * math.ceil(self.max_users / self.step_users) + self.step_s:
            LOG.info("Stress ramp reached BOUTIQUE_MAX_USERS=%d without breaking", self.max_users)
            return None
        return (target, self.step_spawn_rate)


class SpikeShape(_BoutiqueShape):
    """BASE_USERS, a jump to USERS at SPIKE_AT_S held for HOLD_S, back to BASE_USERS until DURATION_S."""

    abstract = True

    def planned_tick(self):
        run_time = self.get_run_time()
        spike_at = _env_float("BOUTIQUE_SPIKE_AT_S", self.duration_s / 4)
        hold = _env_float("BOUTIQUE_HOLD_S", self.duration_s / 2)
        if run_time > self.duration_s:
            return None
        if spike_at <= run_time < spike_at + hold:
            # A spike arrives at once: all new users within a second.
            return (self.users, float(max(self.users, 1)))
        return (self.base_users, float(max(self.users, 1)))


class EnduranceShape(_BoutiqueShape):
    """USERS for DURATION_S."""

    abstract = True

    def planned_tick(self):
        if self.get_run_time() > self.duration_s:
            return None
        return (self.users, float(max(self.ramp_rate, self.users)))


class RecoveryShape(_BoutiqueShape):
    """Ramp as stress does, OVERSHOOT steps past the breaking point, hold, ramp down to BASE_USERS, hold.

    The tail at BASE_USERS shows whether the shop recovers once the load is gone.
    """

    abstract = True

    def __init__(self):
        super().__init__()
        self.overshoot = int(_env_float("BOUTIQUE_OVERSHOOT", 2))
        self.hold_s = _env_float("BOUTIQUE_HOLD_S", self.step_s)
        self.peak = None
        self.down_at = None

    def planned_tick(self):
        run_time = self.get_run_time()
        self._check_breaking_point(run_time)
        if run_time > self.duration_s:
            return None
        if self.down_at is None:
            target = self._ramp_target(run_time)
            if self.peak is None and (target >= self.max_users or self.breaking_users is not None):
                limit = self.max_users if self.breaking_users is None else self.breaking_users + self.overshoot * self.step_users
                self.peak = min(self.max_users, max(target, limit))
            if self.peak is not None and self.get_current_user_count() >= self.peak:
                self.down_at = run_time + self.hold_s
                LOG.info("Recovery: %d users reached, holding %.0f s, then ramping down", self.peak, self.hold_s)
            return (min(target, self.peak) if self.peak is not None else target, self.step_spawn_rate)
        if run_time < self.down_at:
            return (self.peak, self.step_spawn_rate)
        steps_down = int((run_time - self.down_at) // self.step_s) + 1
        return (max(self.base_users, self.peak - steps_down * self.step_users), self.step_spawn_rate)


SHAPES = {"stress": StressShape, "spike": SpikeShape, "endurance": EnduranceShape, "recovery": RecoveryShape}
PROFILE = os.environ.get("LOCUST_PROFILE", "").strip()
if PROFILE:
    if PROFILE not in SHAPES:
        raise ValueError("LOCUST_PROFILE=%s is unknown: use one of %s, or leave it unset for -u/-r/-t" % (PROFILE, ", ".join(sorted(SHAPES))))
    # Only this class is concrete, so locust finds exactly one shape (and none without a profile).
    BoutiqueShape = type("BoutiqueShape", (SHAPES[PROFILE],), {"abstract": False})


def _rounded_ms(value):
    """Response times bucketed as locust does (exact below 100 ms, 2 significant digits above)."""
    value = int(round(value))
    if value < 100:
        return value
    digits = len(str(value)) - 2
    return int(round(value, -digits))


class VersionStats:
    """Requests, failures and a response-time histogram per x-boutique-version value."""

    def __init__(self):
        self.data = {}

    def add(self, version, response_time, failed):
        entry = self.data.setdefault(version, {"requests": 0, "failures": 0, "times": {}})
        entry["requests"] += 1
        entry["failures"] += 1 if failed else 0
        key = str(_rounded_ms(response_time))
        entry["times"][key] = entry["times"].get(key, 0) + 1

    def merge(self, data):
        for version, other in (data or {}).items():
            entry = self.data.setdefault(version, {"requests": 0, "failures": 0, "times": {}})
            entry["requests"] += other["requests"]
            entry["failures"] += other["failures"]
            for key, count in other["times"].items():
                entry["times"][key] = entry["times"].get(key, 0) + count

    def take(self):
        data, self.data = self.data, {}
        return data

    def summary(self):
        result = {}
        for version, entry in sorted(self.data.items()):
            times = sorted((int(key), count) for key, count in entry["times"].items())
            rank, seen, p95 = 0.95 * sum(pair[1] for pair in times), 0, None
            for value, count in times:
                seen += count
                if seen >= rank:
                    p95 = value
                    break
            result[version] = {"requests": entry["requests"], "failures": entry["failures"], "p95_ms": p95}
        return result


VERSIONS = VersionStats()


@events.report_to_master.add_listener
def _send_versions(data, **_kwargs):
    data["boutique_versions"] = VERSIONS.take()


@events.worker_report.add_listener
def _merge_versions(data, **_kwargs):
    VERSIONS.merge(data.get("boutique_versions"))


@events.quitting.add_listener
def _write_versions(environment, **_kwargs):
    """The master (or a standalone run) writes PREFIX_versions.json next to the CSVs."""
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if isinstance(environment.runner, locust.runners.WorkerRunner) or not prefix or not VERSIONS.data:
        return
    with open(prefix + "_versions.json.tmp", "w", encoding="utf-8") as handle:
        json.dump(VERSIONS.summary(), handle, indent=2, sort_keys=True)
    os.replace(prefix + "_versions.json.tmp", prefix + "_versions.json")


@events.init.add_listener
def _log_setup(environment, **_kwargs):
    """Say once, on the master or a standalone run, what drives this run."""
    if not isinstance(environment.runner, locust.runners.WorkerRunner):
        LOG.info(
            "Boutique journey, profile=%s, think time %s to %s s", PROFILE or "(none: -u/-r/-t)",
            os.environ.get("BOUTIQUE_WAIT_MIN", "1"), os.environ.get("BOUTIQUE_WAIT_MAX", "10"),
        )
