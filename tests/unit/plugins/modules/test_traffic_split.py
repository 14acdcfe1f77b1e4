# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""traffic_split against a real HTTP server on 127.0.0.1 (a free port, stopped after each test).

The server answers deterministically (request i goes to v2 when i % 4 == 0, and so on), so the
counts are exact and the verdicts follow from the statistics, not from luck.
"""

from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.boutique.ops.plugins.modules import traffic_split
from ansible_collections.boutique.ops.tests.unit.plugins.modules import utils


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):  # pylint: disable=invalid-name
        server = self.server
        with server.lock:
            index = next(server.counter)
            server.queries.append(parse_qs(urlsplit(self.path).query))
            server.hosts.append(self.headers.get("Host"))
        version, status = server.plan(index)
        body = ("<title>Online Boutique</title>%s" % ("<div>Online Boutique v2</div>" if version == "v2" else "")).encode()
        self.send_response(status)
        if version and server.with_header:
            self.send_header("x-boutique-version", version)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet."""


@pytest.fixture(name="server")
def fixture_server():
    """A keep-alive HTTP server; set .plan(index) -> (version or None, status)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 64
    httpd.lock = threading.Lock()
    httpd.counter = itertools.count()
    httpd.queries = []
    httpd.hosts = []
    httpd.with_header = True
    httpd.plan = lambda index: ("v2" if index % 4 == 0 else "v1", 200)
    httpd.url = "http://127.0.0.1:%d/" % httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def run_module(args, capsys, check_mode=False):
    """Run the module's main() with args; return (failed, result)."""
    return utils.run_module(traffic_split, args, capsys, check_mode)


def test_exact_split_passes(server, capsys):
    failed, result = run_module({"url": server.url, "expected": {"v1": 75, "v2": 25}, "concurrency": 8}, capsys)
    assert not failed, result["msg"]
    assert result["verdict"] == "pass"
    assert result["sample_size"] == 801
    assert result["requests"] == 801
    assert result["counts"] == {"v1": 600, "v2": 201}
    assert result["test"] == "binomial"
    assert result["intervals"]["v2"][0] < 25 < result["intervals"]["v2"][1]
    assert result["errors"]["count"] == 0
    assert result["rps"] > 0
    assert result["changed"] is False


def test_every_request_is_cache_busted_and_unique(server, capsys):
    run_module({"url": server.url + "home?lang=en", "expected": {"v1": 75, "v2": 25}, "requests": 40,
                "headers": {"Host": "shop.example.com"}}, capsys)
    nonces = [query["split_nonce"][0] for query in server.queries]
    assert len(set(nonces)) == 40
    assert all(query["lang"] == ["en"] for query in server.queries)
    assert set(server.hosts) == {"shop.example.com"}


def test_wrong_split_fails_with_the_observed_shares(server, capsys):
    server.plan = lambda index: ("v2" if index % 2 == 0 else "v1", 200)
    failed, result = run_module({"url": server.url, "expected": {"v1": 75, "v2": 25}}, capsys)
    assert failed
    assert result["verdict"] == "fail"
    assert result["p_value"] < 1e-10
    assert "v2 50.1% (expected 25%)" in result["msg"]


def test_bypass_without_header_fails(server, capsys):
    server.with_header = False
    failed, result = run_module({"url": server.url, "expected": {"v1": 75, "v2": 25}}, capsys)
    assert failed
    assert result["counts"]["unclassified"] == 801
    assert result["verdict"] == "fail"


def test_small_sample_is_inconclusive(server, capsys):
    server.plan = lambda index: ("v2" if index % 5 in (0, 1) else "v1", 200)   # 40 %
    args = {"url": server.url, "expected": {"v1": 75, "v2": 25}, "requests": 20}
    failed, result = run_module(args, capsys)
    assert failed and result["verdict"] == "inconclusive"
    failed, result = run_module(dict(args, fail_on_inconclusive=False), capsys)
    assert not failed and result["verdict"] == "inconclusive"


def test_body_patterns_classify_by_page(server, capsys):
    server.with_header = False
    failed, result = run_module({"url": server.url, "expected": {"v1": 75, "v2": 25},
                                 "body_patterns": {"v2": "Online Boutique v2", "v1": "Online Boutique"}}, capsys)
    assert not failed, result["msg"]
    assert result["counts"] == {"v1": 600, "v2": 201}


def test_errors_above_the_ratio_fail_and_stop_early(server, capsys):
    server.plan = lambda index: ("v1", 503 if index % 10 == 0 else 200)
    failed, result = run_module({"url": server.url, "expected": {"v1": 100, "v2": 0}, "requests": 1000,
                                 "concurrency": 4}, capsys)
    assert failed
    assert result["verdict"] == "fail"
    assert result["errors"]["kinds"] == {"http_503": result["errors"]["count"]}
    # 1 % of 1000 is 10: the 11th error stops new sends. Up to concurrency - 1 requests are already in
    # flight then and are counted when they return, so a busy machine may see one to three more.
    assert 11 <= result["errors"]["count"] <= 11 + 3
    assert result["requests"] < 200                # every 10th fails, so the budget is spent near 110


def test_errors_within_the_ratio_are_reported(server, capsys):
    server.plan = lambda index: ("v1", 500 if index == 3 else 200)
    failed, result = run_module({"url": server.url, "expected": {"v1": 100, "v2": 0}, "requests": 200,
                                 "max_error_ratio": 0.05}, capsys)
    assert not failed, result["msg"]
    assert result["errors"]["count"] == 1
    assert result["errors"]["ratio"] == 0.005


def test_connection_refused_is_an_error(capsys):
    with ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as closed:
        port = closed.server_address[1]
    failed, result = run_module({"url": "http://127.0.0.1:%d/" % port, "expected": {"v1": 50, "v2": 50},
                                 "timeout": 1}, capsys)
    assert failed
    assert "connection_refused" in result["errors"]["kinds"]
    assert "connection refused" in result["msg"]


def test_check_mode_sends_nothing(server, capsys):
    failed, result = run_module({"url": server.url, "expected": {"v1": 50, "v2": 50}}, capsys, check_mode=True)
    assert not failed
    assert result["verdict"] == "planned"
    assert result["sample_size"] == 1068
    assert result["requests"] == 0
    assert "nothing was sent" in result["msg"]
    assert not server.queries


@pytest.mark.parametrize("args, message", [
    ({"expected": {"v1": 75, "v2": 20}}, "add up to 100"),
    ({"expected": {"v1": 101, "v2": -1}}, "between 0 and 100"),
    ({"expected": {"v1": "many", "v2": 25}}, "must be a number"),
    ({"expected": {}}, "at least one version"),
    ({"url": "ftp://127.0.0.1/"}, "http:// or https://"),
    ({"tolerance": 0}, "tolerance"),
    ({"confidence": 1.5}, "confidence"),
    ({"requests": 0}, "requests must be at least 1"),
    ({"concurrency": 0}, "concurrency"),
    ({"timeout": 0}, "timeout"),
    ({"max_error_ratio": 2}, "max_error_ratio"),
    ({"body_patterns": {"v1": "Online"}}, "no pattern for expected version(s) v2"),
    ({"body_patterns": {"v1": "(", "v2": "x"}}, "not a valid regular expression"),
])
def test_bad_arguments_are_rejected_before_sending(server, capsys, args, message):
    full = dict({"url": server.url, "expected": {"v1": 75, "v2": 25}}, **args)
    failed, result = run_module(full, capsys)
    assert failed
    assert message in result["msg"]
    assert not server.queries
