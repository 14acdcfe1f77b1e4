# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""traffic_split against hostile servers on 127.0.0.1: every run ends by its deadline with `fail`.

Each server is a raw TCP listener on a free port whose connection handler misbehaves in one way
(drips its body or its headers, answers garbage, resets, never answers, streams an endless chunked
body, sends 150 headers). The module runs as a separate process, the way Ansible runs it, so the
test measures its wall-clock time and its peak resident memory (its own VmHWM, at its exit).
Every server loop is bounded in time and stopped (sockets closed, threads joined) after each test.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.boutique.ops.tests.helpers import REPO_ROOT

# The limit the issue sets for the module's peak resident memory.
MAX_RSS_MB = 200
# Longest life of a server connection, whatever the client does.
HANDLER_LIFETIME = 30

# The module's own peak resident memory is its VmHWM, written when it exits (exit_json exits).
# wait4's ru_maxrss would not do: it keeps the peak of the process before exec, i.e. of the
# forking pytest worker, which passes 200 MB after some tests.
RUNNER = """
import atexit, json, sys
def _write_peak_rss():
    with open('/proc/self/status') as status:
        peak_kb = [line.split()[1] for line in status if line.startswith('VmHWM:')][0]
    with open(sys.argv[2], 'w') as out:
        out.write(peak_kb)
atexit.register(_write_peak_rss)
from ansible.module_utils.testing import patch_module_args
from ansible_collections.boutique.ops.plugins.modules import traffic_split
with open(sys.argv[1]) as handle:
    args = json.load(handle)
with patch_module_args(args):
    traffic_split.main()
"""


class HostileServer:
    """A TCP listener that hands each connection to ``handler(conn, stop)`` in its own thread."""

    def __init__(self, handler):
        self.handler = handler
        self.stop = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.url = "http://127.0.0.1:%d/" % self.listener.getsockname()[1]
        self.connections = []
        self.threads = []
        self.accepted = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop.is_set() and self.accepted < 500:
            try:
                conn, _addr = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            self.connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn):
        conn.settimeout(2)
        try:
            self.handler(conn, self.stop)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.listener.close()
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass
        for thread in self.threads:
            thread.join(5)


def _read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return False
        data += chunk
    return True


def _for_a_while(stop, seconds=HANDLER_LIFETIME):
    """Yields until the server stops or ``seconds`` have passed (every hostile loop is bounded)."""
    end = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < end:
        yield


def drip_body(conn, stop):
    if _read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nx-boutique-version: v1\r\nContent-Length: 100000\r\n\r\n")
        for _tick in _for_a_while(stop):
            conn.sendall(b"x")
            stop.wait(1)


def drip_headers(conn, stop):
    # A header line every second: each read gets a byte well within the client's timeout=2, so only
    # the deadline on the whole answer can end it (a 2 s drip raced the per-read timeout).
    if _read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for number, _tick in enumerate(_for_a_while(stop)):
            conn.sendall(b"x-drip-%d: yes\r\n" % number)
            stop.wait(1)


def header_byte_by_byte(conn, stop):
    if _read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nx-trickle: ")
        for _tick in _for_a_while(stop):
            conn.sendall(b"a")
            stop.wait(0.2)


def endless_chunked(conn, stop):
    chunk = b"%x\r\n%s\r\n" % (65536, b"<p>Online Boutique</p>" * 2978 + b"x" * 20)
    while _read_request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nx-boutique-version: v1\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _tick in _for_a_while(stop):
            conn.sendall(chunk)


def never_answers(conn, stop):
    _read_request(conn)
    stop.wait(HANDLER_LIFETIME)


def connection_reset(conn, _stop):
    _read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def garbage(conn, _stop):
    if _read_request(conn):
        conn.sendall(b"\x00\xff\xfeSSH-2.0-not-http garbage\r\n\r\n")


def many_headers(conn, _stop):
    while _read_request(conn):
        head = b"".join(b"x-filler-%d: %d\r\n" % (number, number) for number in range(150))
        conn.sendall(b"HTTP/1.1 200 OK\r\nx-boutique-version: v1\r\n" + head + b"Content-Length: 2\r\n\r\nok")


@pytest.fixture(name="hostile")
def fixture_hostile():
    """Call with a handler; every server made is stopped at the end of the test."""
    servers = []

    def make(handler):
        server = HostileServer(handler)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def run_module_process(args, hard_limit):
    """Run the module in its own Python process; returns (result, seconds, peak RSS in MB)."""
    environ = dict(os.environ, PYTHONPATH=os.path.join(REPO_ROOT, "collections"))
    with tempfile.TemporaryDirectory() as folder:
        args_path = os.path.join(folder, "args.json")
        out_path = os.path.join(folder, "out.json")
        peak_path = os.path.join(folder, "peak_kb")
        with open(args_path, "w", encoding="utf-8") as handle:
            json.dump(args, handle)
        with open(out_path, "w", encoding="utf-8") as out:
            start = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-c", RUNNER, args_path, peak_path], stdout=out,  # pylint: disable=consider-using-with
                                    stderr=subprocess.DEVNULL, env=environ)
            timer = threading.Timer(hard_limit, proc.kill)
            timer.start()
            try:
                proc.wait()
            finally:
                timer.cancel()
            seconds = time.monotonic() - start
        with open(out_path, encoding="utf-8") as handle:
            text = handle.read()
        assert text, "the module printed nothing: killed after %.1f s?" % seconds
        with open(peak_path, encoding="utf-8") as handle:
            peak_mb = int(handle.read()) / 1024.0
    return json.loads(text), seconds, peak_mb


# (handler, extra module args, words the message must contain)
CASES = {
    "drip_body": (drip_body, {}, ["response_deadline", "did not arrive within timeout=2"]),
    "drip_headers": (drip_headers, {}, ["response_deadline", "did not arrive within timeout=2"]),
    "header_byte_by_byte": (header_byte_by_byte, {}, ["response_deadline", "did not arrive within timeout=2"]),
    "never_answers": (never_answers, {}, ["arrive", "within timeout=2"]),
    "connection_reset": (connection_reset, {}, ["connection_reset", "reset the connection"]),
    "garbage": (garbage, {}, ["not_http", "is not HTTP"]),
    "150_headers": (many_headers, {}, ["too_many_headers", "more than 100 headers"]),
    "endless_chunked": (endless_chunked, {}, ["v2 0.0% (expected 25%)", "longer than body_bytes=65536"]),
    "endless_chunked_body_patterns": (
        endless_chunked, {"body_patterns": {"v2": "Online Boutique v2", "v1": "Online Boutique"}},
        ["v2 0.0% (expected 25%)", "prefix was read and searched"]),
    # Every request fails and errors are tolerated: the check's own deadline ends it.
    "check_deadline": (drip_headers, {"max_error_ratio": 1.0}, ["deadline timeout_s=6 s passed"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_server_fails_within_the_deadline(hostile, name):
    handler, extra, words = CASES[name]
    server = hostile(handler)
    timeout_s = 6
    args = dict({"url": server.url, "expected": {"v1": 75, "v2": 25}, "requests": 40, "concurrency": 4,
                 "timeout": 2, "timeout_s": timeout_s}, **extra)
    result, seconds, rss_mb = run_module_process(args, hard_limit=timeout_s + 20)
    assert result.get("failed"), result
    assert result["verdict"] == "fail", result
    for word in words:
        assert word in result["msg"], result["msg"]
    assert "HTTPException" not in result["msg"]
    # The deadline plus Python's and Ansible's start-up on a busy 2-core machine.
    assert seconds < timeout_s + 4, "took %.1f s: %s" % (seconds, result["msg"])
    print("%s: %.1f s, peak RSS %.0f MB" % (name, seconds, rss_mb))
    assert rss_mb < MAX_RSS_MB, "peak RSS %.0f MB" % rss_mb
    assert result["deadline"] == timeout_s
    assert result["deadline_passed"] is (name == "check_deadline")


def test_default_deadline_follows_the_sample_size():
    from ansible_collections.boutique.ops.plugins.modules.traffic_split import default_deadline  # pylint: disable=import-outside-toplevel
    assert default_deadline(801, 16) == 30 + 0.5 * 51
    assert default_deadline(10, 16) == 30.5          # 10 workers, one request each
    assert default_deadline(1068, 1) == 30 + 534
