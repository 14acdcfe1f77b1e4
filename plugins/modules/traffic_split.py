#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


DOCUMENTATION = r"""
module: traffic_split

short_description: Measure how an HTTP endpoint splits traffic between versions and test it against the expected weights

version_added: 0.1.0

author:
  - boutique.ops maintainers (!UNKNOWN)

description:
  - Sends a planned number of GET requests to O(url) and classifies every answer by the version that served it,
    from a response header (O(version_header)) or from the body (O(body_patterns)).
  - Compares the observed shares with O(expected) (version to percent), for example the weights of an Istio
    VirtualService, and decides C(pass), C(fail) or C(inconclusive).
  - The sample size is O(requests), or computed from O(tolerance) and O(confidence) for the worst-case expected
    weight (the one closest to 50 %), so that an honest split fails the check only about 1 - O(confidence) of the time.
  - Statistics per version are a Wilson score interval; the deviation is tested with an exact two-sided binomial
    test, or Pearson's chi-square test when more than two versions are involved (answers that could not be
    classified count as a version expected at 0 %).
  - Every request carries a cache-busting query parameter, so that no cache between this module and the proxy
    can answer for the proxy.
  - Requests are sent by O(concurrency) threads, each holding one keep-alive connection.
  - Answers that are not 2xx and connection errors are counted as errors; above O(max_error_ratio) the check
    fails, and sending stops as soon as that outcome is certain.
  - Every wait is bounded. Each request must be answered in full (connection, status line, headers and the body
    it reads) within O(timeout) seconds, however slowly the server drips its bytes; the whole check must end
    within O(timeout_s) seconds, or the verdict is C(fail) with the reason. Only the first O(body_bytes) of each
    body are read, and an answer with more than 100 headers or a header line over 64 kB is an error that says so.
  - Supports check mode, in which it sends nothing and reports the planned sample size.
  - Pure Python (standard library only) on the managed host.

notes:
  - "Performance, measured on the project's 2-core shared test machine through a local Envoy 1.40 (Istio's data plane)
    with static C(weighted_clusters) at 75/25 in front of two Python stand-in frontends on 127.0.0.1, deciding 25 %
    +/- 3 points at 95 % (801 requests); re-measured by C(benchmarks/traffic_split.py)."
  - "Stand-ins taking 10 ms per page (the lab report measured a 55 ms median on GKE):
    concurrency 1 took 8.72 s of sending (92 requests/s, 10.4 s wall clock with ansible's start-up);
    concurrency 16 (the default) 0.57 s (1402/s, 1.3 s wall), 15x faster; concurrency 32 0.31 s (2577/s, 1.1 s wall), 28x faster."
  - "Stand-ins answering at once: about 0.22 s of sending (3500 requests/s) at concurrency 1 and 16 alike, 1.9 to 2.1 s
    wall clock; on loopback the run is CPU-bound (Envoy, the stand-ins and the workers share two cores), so threads
    cannot help there. Concurrency pays off when each answer has real latency, as through a real gateway."
  - The verdict is C(pass) when every observed share is within O(tolerance) points of its expected share,
    C(fail) when a share is outside it and the deviation is significant at 1 - O(confidence), and
    C(inconclusive) otherwise (too few answers to tell); C(inconclusive) fails unless O(fail_on_inconclusive=false).
  - Istio weights traffic in the proxy that sends the request. Point O(url) at the ingress gateway (or call it
    from a pod with a sidecar); a LoadBalancer Service straight to the pods bypasses the split and this check
    then fails, which is what it is for.

options:
  url:
    description:
      - The URL to send GET requests to, C(http://) or C(https://), for example the ingress gateway's address.
      - A query parameter named O(cache_bust_param) with a unique value is appended to every request.
    type: str
    required: true
  expected:
    description:
      - The expected split, version name to percent. The percents must add up to 100.
      - "Example: C({v1: 75, v2: 25})."
    type: dict
    required: true
  version_header:
    description:
      - Response header that names the version which served the answer.
      - Ignored when O(body_patterns) is set.
    type: str
    default: x-boutique-version
  body_patterns:
    description:
      - Classify by body instead of by header, version name to regular expression (Python C(re), searched in the body).
      - "Patterns are tried in the order given and the first match wins, so list the most specific first,
        for example C({v2: 'Online Boutique v2', v1: 'Online Boutique'})."
      - Every version in O(expected) needs a pattern.
    type: dict
  requests:
    description:
      - Number of requests to send. When unset, it is computed from O(tolerance) and O(confidence).
    type: int
  tolerance:
    description:
      - Allowed deviation of each observed share from its expected share, in percentage points.
    type: float
    default: 3.0
  confidence:
    description:
      - Confidence level of the sample size, the intervals and the significance test (between 0 and 1).
    type: float
    default: 0.95
  concurrency:
    description:
      - Number of parallel workers, each with its own keep-alive connection (1 to 512).
    type: int
    default: 16
  timeout:
    description:
      - Deadline of each request, in seconds, for the whole exchange (connection, request, status line, headers
        and the part of the body that is read), not per socket operation, so a server that drips bytes cannot
        stretch it. A request past it counts as an error of kind C(response_deadline).
    type: float
    default: 5.0
  timeout_s:
    description:
      - Deadline of the whole check, in seconds. Past it, requests in flight are abandoned and the verdict is
        C(fail) with the reason, whatever the answers so far say.
      - "When unset: 30 s plus 0.5 s per request each worker has to send, that is
        C(30 + 0.5 * ceil(sample size / concurrency)); 55 s for the default 801 requests over 16 workers."
    type: float
  body_bytes:
    description:
      - Bytes of each answer's body that are read at most (1024 to 16 MiB). O(body_patterns) are searched in
        this prefix only; with O(version_header) the body is read only to reuse the connection.
      - An answer with a longer body is classified on its prefix and its connection is closed rather than drained,
        so an endless body costs neither time nor memory.
    type: int
    default: 65536
  headers:
    description:
      - "Extra request headers, for example C({Host: shop.example.com}) when the gateway routes by host."
    type: dict
    default: {}
  cache_bust_param:
    description:
      - Name of the cache-busting query parameter. An empty string sends the URL unchanged.
    type: str
    default: split_nonce
  max_error_ratio:
    description:
      - Largest tolerated fraction of requests that end in a non-2xx answer or a connection error (0 to 1).
    type: float
    default: 0.01
  fail_on_inconclusive:
    description:
      - Whether an C(inconclusive) verdict fails the task.
    type: bool
    default: true
  validate_certs:
    description:
      - Whether to verify the server certificate for C(https://) URLs.
    type: bool
    default: true

attributes:
  check_mode:
    support: full
    description: Sends no request and returns the planned sample size.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: Check that the gateway splits 75/25 within 3 points at 95 % confidence
  boutique.ops.traffic_split:
    url: http://34.117.1.2/
    expected:
      v1: 75
      v2: 25

- name: Classify by page title, with a fixed number of requests, and report without failing
  boutique.ops.traffic_split:
    url: http://127.0.0.1:8080/
    headers:
      Host: shop.example.com
    body_patterns:
      v2: "Online Boutique v2"
      v1: "Online Boutique"
    expected:
      v1: 50
      v2: 50
    requests: 2000
    concurrency: 32
    fail_on_inconclusive: false
  register: split
  failed_when: split.verdict == 'fail'
"""

RETURN = r"""
verdict:
  description: C(pass), C(fail) or C(inconclusive); C(planned) in check mode.
  returned: always
  type: str
  sample: pass
msg:
  description: The verdict, its reason and the observed shares in one message; in check mode, says that nothing was sent.
  returned: always
  type: str
  sample: "pass: every share is within 3 points of its expected share. Observed over 801 answers: v1 74.7% (expected 75%), v2 25.3% (expected 25%)."
reason:
  description: One sentence explaining the verdict.
  returned: always
  type: str
  sample: every share is within 3 points of its expected share
sample_size:
  description: Number of requests planned.
  returned: always
  type: int
  sample: 801
requests:
  description: Number of requests sent (fewer than planned only when the error budget was exhausted).
  returned: always
  type: int
  sample: 801
responses:
  description: Number of 2xx answers, each counted for one version.
  returned: always
  type: int
  sample: 801
counts:
  description: 2xx answers per version; C(unclassified) counts answers without a recognisable version.
  returned: always
  type: dict
  sample: {v1: 598, v2: 203}
shares:
  description: Observed share per version, in percent of the 2xx answers.
  returned: always
  type: dict
  sample: {v1: 74.657, v2: 25.343}
expected:
  description: Expected share per version, in percent (0 for versions observed but not expected).
  returned: always
  type: dict
  sample: {v1: 75.0, v2: 25.0}
deviations:
  description: Observed minus expected share per version, in percentage points.
  returned: always
  type: dict
  sample: {v1: -0.343, v2: 0.343}
max_deviation:
  description: Largest absolute deviation, in percentage points.
  returned: when any answer was classified
  type: float
  sample: 0.343
intervals:
  description: Wilson score interval of each share at O(confidence), in percent, as [low, high].
  returned: always
  type: dict
  sample: {v1: [71.531, 77.551], v2: [22.449, 28.469]}
p_value:
  description: p-value of the exact binomial test (two versions) or the chi-square test (more).
  returned: when any answer was classified
  type: float
  sample: 0.8327
test:
  description: Which test produced RV(p_value), C(binomial) or C(chi-square).
  returned: when any answer was classified
  type: str
  sample: binomial
errors:
  description: Non-2xx answers and connection errors.
  returned: always
  type: dict
  contains:
    count:
      description: Number of failed requests.
      type: int
      sample: 0
    ratio:
      description: Failed requests over requests sent.
      type: float
      sample: 0.0
    max_ratio:
      description: The tolerated ratio, O(max_error_ratio).
      type: float
      sample: 0.01
    kinds:
      description:
        - Failed requests by kind, C(http_<status>) or one of C(response_deadline), C(timeout),
          C(connection_refused), C(connection_reset), C(closed_without_answer), C(not_http), C(too_many_headers),
          C(header_line_too_long), C(incomplete_body), C(ssl_error), or the exception's name for anything else.
      type: dict
      sample: {http_503: 2}
    details:
      description: Failed requests by kind in words, with the first message seen for each kind.
      type: dict
      sample: {response_deadline: "the whole answer did not arrive within timeout=5.0 s"}
  sample: {count: 0, ratio: 0.0, max_ratio: 0.01, kinds: {}, details: {}}
deadline:
  description: The deadline of the whole check, O(timeout_s) or the one derived from the sample size, in seconds.
  returned: always
  type: float
  sample: 55.0
deadline_passed:
  description: Whether the check was stopped by its deadline.
  returned: always
  type: bool
  sample: false
truncated:
  description: Number of answers whose body was longer than O(body_bytes) (only that prefix was read).
  returned: when requests were sent
  type: int
  sample: 0
elapsed:
  description: Seconds spent sending requests.
  returned: always
  type: float
  sample: 0.412
rps:
  description: Requests per second achieved.
  returned: always
  type: float
  sample: 1944.2
tolerance:
  description: The tolerance used, in percentage points.
  returned: always
  type: float
  sample: 3.0
confidence:
  description: The confidence used.
  returned: always
  type: float
  sample: 0.95
concurrency:
  description: Number of workers used.
  returned: always
  type: int
  sample: 16
"""

import http.client as http_client
import math
import re
import socket
import ssl
import threading
import time
import uuid
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.boutique.ops.plugins.module_utils.split_stats import (
    UNCLASSIFIED,
    evaluate,
    sample_size,
)

# How often the watchdog looks for requests past their deadline, in seconds.
_WATCH_INTERVAL = 0.05


class _Tally(object):
    """Counts shared by the workers; one lock, held only to update."""

    def __init__(self, total, error_budget, deadline=None):
        self.lock = threading.Lock()
        self.total = total
        self.error_budget = error_budget
        self.deadline = deadline
        self.next_index = 0
        self.sent = 0
        self.counts = {}
        self.errors = {}
        self.details = {}
        self.error_count = 0
        self.truncated = 0
        self.stopped = False

    def take(self):
        """The index of the next request, or None when the plan is done, the budget is spent or time is up."""
        with self.lock:
            if self.stopped or self.next_index >= self.total or self.error_count > self.error_budget:
                return None
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.stopped = True
                return None
            self.next_index += 1
            return self.next_index - 1

    def record(self, version=None, error=None, detail=None, truncated=False):
        with self.lock:
            self.sent += 1
            self.truncated += int(truncated)
            if error is None:
                self.counts[version] = self.counts.get(version, 0) + 1
            else:
                self.errors[error] = self.errors.get(error, 0) + 1
                self.details.setdefault(error, detail or error)
                self.error_count += 1


class _Watchdog(object):
    """Ends requests past their deadline by shutting their socket down, which wakes the blocked worker.

    A socket timeout bounds each read only; a server dripping one byte per second would never trip it.
    This thread bounds the whole exchange: each worker registers its connection with a deadline, and
    the watchdog shuts the socket of any connection past it (and of every connection once the check's
    own deadline has passed).
    """

    def __init__(self, deadline):
        self.deadline = deadline
        self.lock = threading.Lock()
        self.active = {}
        self.expired = set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch)
        self.thread.daemon = True

    def start(self):
        self.thread.start()

    def stop(self):
        self.done.set()
        self.thread.join(1)

    def arm(self, key, conn, deadline):
        with self.lock:
            self.expired.discard(key)
            self.active[key] = (conn, min(deadline, self.deadline))

    def disarm(self, key):
        """Forget the request; True when the watchdog ended it."""
        with self.lock:
            self.active.pop(key, None)
            if key in self.expired:
                self.expired.discard(key)
                return True
            return False

    def _watch(self):
        while not self.done.wait(_WATCH_INTERVAL):
            now = time.monotonic()
            with self.lock:
                overdue = [(key, conn) for key, (conn, deadline) in self.active.items() if now >= deadline]
                for key, conn in overdue:
                    del self.active[key]
                    self.expired.add(key)
                    _abort(conn)


def _abort(conn):
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass


def _describe(exc, timeout):
    """(kind, sentence) for an exception raised while sending a request or reading its answer."""
    text = str(exc)
    if isinstance(exc, http_client.LineTooLong):
        return "header_line_too_long", "the answer has a %s longer than %d bytes" % (text or "line", http_client._MAXLINE)
    if isinstance(exc, http_client.RemoteDisconnected):
        return "closed_without_answer", "the server closed the connection without answering"
    if isinstance(exc, http_client.BadStatusLine):
        return "not_http", "the answer is not HTTP (status line %s)" % text[:80]
    if isinstance(exc, http_client.IncompleteRead):
        return "incomplete_body", "the server closed the connection in the middle of the body (%s)" % text[:80]
    if isinstance(exc, http_client.HTTPException) and "headers" in text:
        return "too_many_headers", "the answer has more than %d headers (%s)" % (http_client._MAXHEADERS, text[:80])
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused", "connection refused: nothing listens there"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "connection_reset", "the server reset the connection (%s)" % text[:80]
    if isinstance(exc, socket.timeout):
        return "timeout", "no byte arrived within timeout=%s s" % timeout
    if isinstance(exc, ssl.SSLError):
        return "ssl_error", "TLS failed: %s" % text[:120]
    if isinstance(exc, socket.gaierror):
        return "dns_error", "the host name does not resolve: %s" % text[:80]
    return type(exc).__name__, "%s: %s" % (type(exc).__name__, text[:120])


class _Prober(object):
    """Sends the planned requests over keep-alive connections and classifies the answers."""

    def __init__(self, module, deadline):
        params = module.params
        parts = urlsplit(params["url"])
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port
        self.base_path = parts.path or "/"
        self.query = parts.query
        self.timeout = params["timeout"]
        self.body_bytes = params["body_bytes"]
        self.headers = dict((str(k), str(v)) for k, v in params["headers"].items())
        self.cache_bust_param = params["cache_bust_param"]
        self.run_id = uuid.uuid4().hex[:12]
        self.version_header = params["version_header"]
        self.patterns = None
        if params["body_patterns"]:
            self.patterns = [(str(version), re.compile(pattern)) for version, pattern in params["body_patterns"].items()]
        self.context = None
        if self.https:
            self.context = ssl.create_default_context()
            if not params["validate_certs"]:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE
        self.watchdog = _Watchdog(deadline)

    def _connect(self):
        if self.https:
            return http_client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        return http_client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _path(self, index):
        query = self.query
        if self.cache_bust_param:
            nonce = urlencode({self.cache_bust_param: "%s-%d" % (self.run_id, index)})
            query = "%s&%s" % (query, nonce) if query else nonce
        return "%s?%s" % (self.base_path, query) if query else self.base_path

    def classify(self, response, body):
        if self.patterns is None:
            value = (response.getheader(self.version_header) or "").strip()
            return value or UNCLASSIFIED
        text = body.decode("utf-8", "replace")
        for version, pattern in self.patterns:
            if pattern.search(text):
                return version
        return UNCLASSIFIED

    def _once(self, conn, index):
        """One exchange; returns (response, body prefix, whether the connection can be reused)."""
        if conn.sock is None:
            conn.connect()
        conn.request("GET", self._path(index), headers=self.headers)
        response = conn.getresponse()
        body = response.read(self.body_bytes)
        # More body than the cap (or an endless one): classify on the prefix and drop the connection.
        truncated = not response.isclosed()
        reusable = not truncated and not response.will_close
        return response, body, reusable, truncated

    def worker(self, tally, key):
        conn = None
        used = 0
        while True:
            index = tally.take()
            if index is None:
                break
            attempts = 0
            while True:
                attempts += 1
                if conn is None:
                    conn = self._connect()
                    used = 0
                self.watchdog.arm(key, conn, time.monotonic() + self.timeout)
                try:
                    response, body, reusable, truncated = self._once(conn, index)
                    failure = None
                except (http_client.HTTPException, OSError) as exc:
                    failure = exc
                expired = self.watchdog.disarm(key)
                if expired or failure is not None:
                    conn.close()
                    conn = None
                if expired:
                    # Whatever the socket said after the watchdog shut it (often a clean-looking end), the
                    # request ran past its deadline.
                    if time.monotonic() >= self.watchdog.deadline:
                        tally.record(error="check_deadline", detail="still running when the check's deadline passed")
                    else:
                        tally.record(error="response_deadline",
                                     detail="the whole answer did not arrive within timeout=%s s" % self.timeout)
                    break
                if failure is not None:
                    # A keep-alive connection the server closed while idle is not an error of the
                    # endpoint: retry once on a fresh connection.
                    if used > 0 and attempts == 1:
                        continue
                    kind, detail = _describe(failure, self.timeout)
                    tally.record(error=kind, detail=detail)
                    break
                used += 1
                if not reusable:
                    conn.close()
                    conn = None
                if 200 <= response.status < 300:
                    tally.record(version=self.classify(response, body), truncated=truncated)
                else:
                    tally.record(error="http_%d" % response.status, detail="answered HTTP %d" % response.status,
                                 truncated=truncated)
                break
        if conn is not None:
            conn.close()

    def run(self, total, concurrency, error_budget):
        """Send; returns (tally, seconds, whether the check's deadline stopped it)."""
        tally = _Tally(total, error_budget, self.watchdog.deadline)
        threads = [threading.Thread(target=self.worker, args=(tally, key)) for key in range(max(1, min(concurrency, total)))]
        started = time.monotonic()
        self.watchdog.start()
        for thread in threads:
            thread.daemon = True
            thread.start()
        stuck = False
        for thread in threads:
            # The watchdog ends every request by the deadline; the grace covers a worker stuck where no socket
            # shutdown can wake it (a name lookup). Such a daemon thread is left behind and dies with the module.
            thread.join(max(0.0, self.watchdog.deadline - time.monotonic()) + 1.0)
            stuck = stuck or thread.is_alive()
        self.watchdog.stop()
        with tally.lock:
            tally.stopped = True
            snapshot = _Tally(total, error_budget)
            snapshot.next_index, snapshot.sent, snapshot.error_count = tally.next_index, tally.sent, tally.error_count
            snapshot.counts, snapshot.errors, snapshot.details = dict(tally.counts), dict(tally.errors), dict(tally.details)
            snapshot.truncated = tally.truncated
        passed = stuck or "check_deadline" in snapshot.errors or (
            snapshot.sent < total and snapshot.error_count <= error_budget)
        return snapshot, time.monotonic() - started, passed


def default_deadline(planned, concurrency):
    """The check's deadline when timeout_s is unset: 30 s plus 0.5 s per request each worker sends."""
    return 30.0 + 0.5 * math.ceil(planned / float(max(1, min(concurrency, planned))))


def _validate(module):
    params = module.params
    parts = urlsplit(params["url"])
    if parts.scheme not in ("http", "https") or not parts.hostname:
        module.fail_json(msg="url must be an http:// or https:// URL with a host, got %r" % params["url"])
    expected = {}
    for version, share in params["expected"].items():
        try:
            share = float(share)
        except (TypeError, ValueError):
            module.fail_json(msg="expected[%s] must be a number of percent, got %r" % (version, share))
        if not 0 <= share <= 100:
            module.fail_json(msg="expected[%s] must lie between 0 and 100 percent, got %s" % (version, share))
        expected[str(version)] = share
    if not expected:
        module.fail_json(msg="expected needs at least one version, e.g. {v1: 75, v2: 25}")
    if abs(sum(expected.values()) - 100) > 1e-6:
        module.fail_json(msg="expected shares must add up to 100, got %s (%s)" % (
            sum(expected.values()), ", ".join("%s=%s" % item for item in expected.items())))
    if not 0 < params["tolerance"] < 100:
        module.fail_json(msg="tolerance must lie between 0 and 100 percentage points, got %s" % params["tolerance"])
    if not 0 < params["confidence"] < 1:
        module.fail_json(msg="confidence must lie strictly between 0 and 1, got %s" % params["confidence"])
    if params["requests"] is not None and params["requests"] < 1:
        module.fail_json(msg="requests must be at least 1, got %s" % params["requests"])
    if not 1 <= params["concurrency"] <= 512:
        module.fail_json(msg="concurrency must lie between 1 and 512, got %s" % params["concurrency"])
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be positive, got %s" % params["timeout"])
    if params["timeout_s"] is not None and params["timeout_s"] <= 0:
        module.fail_json(msg="timeout_s must be positive, got %s" % params["timeout_s"])
    if not 1024 <= params["body_bytes"] <= 16 * 1024 * 1024:
        module.fail_json(msg="body_bytes must lie between 1024 and 16777216, got %s" % params["body_bytes"])
    if not 0 <= params["max_error_ratio"] <= 1:
        module.fail_json(msg="max_error_ratio must lie between 0 and 1, got %s" % params["max_error_ratio"])
    if params["body_patterns"]:
        missing = sorted(set(expected) - set(str(v) for v in params["body_patterns"]))
        if missing:
            module.fail_json(msg="body_patterns has no pattern for expected version(s) %s" % ", ".join(missing))
        for version, pattern in params["body_patterns"].items():
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                module.fail_json(msg="body_patterns[%s] is not a valid regular expression: %s" % (version, exc))
    return expected


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            expected=dict(type="dict", required=True),
            version_header=dict(type="str", default="x-boutique-version"),
            body_patterns=dict(type="dict"),
            requests=dict(type="int"),
            tolerance=dict(type="float", default=3.0),
            confidence=dict(type="float", default=0.95),
            concurrency=dict(type="int", default=16),
            timeout=dict(type="float", default=5.0),
            timeout_s=dict(type="float"),
            body_bytes=dict(type="int", default=65536),
            headers=dict(type="dict", default={}),
            cache_bust_param=dict(type="str", default="split_nonce"),
            max_error_ratio=dict(type="float", default=0.01),
            fail_on_inconclusive=dict(type="bool", default=True),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    expected = _validate(module)
    planned = params["requests"] or sample_size(expected, params["tolerance"], params["confidence"])
    deadline = params["timeout_s"] or default_deadline(planned, params["concurrency"])
    result = dict(
        changed=False,
        deadline=deadline,
        deadline_passed=False,
        sample_size=planned,
        tolerance=params["tolerance"],
        confidence=params["confidence"],
        concurrency=min(params["concurrency"], planned),
        expected=expected,
    )
    if module.check_mode:
        result.update(
            verdict="planned", requests=0, responses=0, counts={}, shares={}, deviations={}, intervals={},
            errors=dict(count=0, ratio=0.0, max_ratio=params["max_error_ratio"], kinds={}, details={}), elapsed=0.0,
            rps=0.0, reason="check mode: would send %d requests to %s" % (planned, params["url"]),
            msg="Check mode: nothing was sent and nothing was measured; a real run would send %d requests to %s "
                "within %g s." % (planned, params["url"], deadline),
        )
        module.exit_json(**result)

    # More errors than this and the ratio is over the limit whatever the remaining requests do.
    error_budget = int(params["max_error_ratio"] * planned)
    tally, elapsed, deadline_passed = _Prober(module, time.monotonic() + deadline).run(
        planned, params["concurrency"], error_budget)
    stats = evaluate(tally.counts, expected, params["tolerance"], params["confidence"])
    error_ratio = tally.error_count / tally.sent if tally.sent else 0.0
    result.update(
        requests=tally.sent,
        responses=stats["total"],
        counts=stats["counts"],
        shares=stats["shares"],
        expected=stats["expected"],
        deviations=stats["deviations"],
        intervals=stats["intervals"],
        errors=dict(count=tally.error_count, ratio=round(error_ratio, 4), max_ratio=params["max_error_ratio"],
                    kinds=dict(tally.errors), details=dict(tally.details)),
        elapsed=round(elapsed, 3),
        rps=round(tally.sent / elapsed, 1) if elapsed > 0 else 0.0,
        verdict=stats["verdict"],
        reason=stats["reason"],
        deadline_passed=deadline_passed,
        truncated=tally.truncated,
    )
    if stats["p_value"] is not None:
        result.update(p_value=stats["p_value"], test=stats["test"], max_deviation=stats["max_deviation"])

    failures = "; ".join("%d %s: %s" % (count, kind, tally.details.get(kind, kind))
                         for kind, count in sorted(tally.errors.items()))
    if deadline_passed:
        result["verdict"] = "fail"
        result["reason"] = "the check's deadline timeout_s=%g s passed after %d of %d requests%s" % (
            deadline, tally.sent, planned, " (failures: %s)" % failures if failures else "")
    elif tally.error_count > error_budget:
        result["verdict"] = "fail"
        result["reason"] = "%d of %d requests failed (%s), more than max_error_ratio=%s allows" % (
            tally.error_count, tally.sent, failures, params["max_error_ratio"])
    shares = ", ".join("%s %.1f%% (expected %g%%)" % (v, result["shares"][v], result["expected"][v]) for v in result["shares"])
    summary = "%s: %s. Observed over %d answers: %s." % (result["verdict"], result["reason"], stats["total"], shares or "nothing")
    if tally.truncated:
        summary += " %d answers had a body longer than body_bytes=%d: only that prefix was read%s." % (
            tally.truncated, params["body_bytes"], " and searched" if params["body_patterns"] else "")
    if result["verdict"] == "fail" or (result["verdict"] == "inconclusive" and params["fail_on_inconclusive"]):
        module.fail_json(msg=summary, **result)
    module.exit_json(msg=summary, **result)


if __name__ == "__main__":
    main()
