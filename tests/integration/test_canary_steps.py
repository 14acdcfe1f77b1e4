# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Step mode's Prometheus analysis against a real Prometheus.

A tiny exporter serves Istio's standard metrics (istio_requests_total and
istio_request_duration_milliseconds, reporter=destination, labelled by destination_version) for
a frontend v1 and v2; the real `prometheus` (Debian package) scrapes it every second. canary.yml
then runs step mode in render mode with canary_prometheus_url pointing at it: a healthy v2 passes
every step; a v2 answering 5 % 5xx fails the first step, rolls back to weight 0 and says why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from ansible_collections.boutique.ops.tests.helpers import free_port, stop_process

PROMETHEUS = shutil.which("prometheus")
BUCKETS = (25, 50, 100, 250, 500, 1000, 2500)
# Cumulative share of requests at or under each bucket: p95 falls between 100 and 250 ms.
HEALTHY_LATENCY = (0.2, 0.5, 0.9, 0.99, 1.0, 1.0, 1.0)


class _Exporter(BaseHTTPRequestHandler):
    """Counters grow with time at fixed rates, so every scrape sees a consistent history."""

    def do_GET(self):  # pylint: disable=invalid-name
        elapsed = time.monotonic() - self.server.started
        lines = ["# TYPE istio_requests_total counter", "# TYPE istio_request_duration_milliseconds histogram"]
        for version, (rate, error_ratio) in sorted(self.server.versions.items()):
            labels = ('reporter="destination",destination_workload_namespace="boutique",destination_app="frontend",'
                      'destination_version="%s"' % version)
            total = rate * elapsed
            errors = total * error_ratio
            lines.append('istio_requests_total{%s,response_code="200"} %.3f' % (labels, total - errors))
            lines.append('istio_requests_total{%s,response_code="500"} %.3f' % (labels, errors))
            for bucket, share in zip(BUCKETS, HEALTHY_LATENCY):
                lines.append('istio_request_duration_milliseconds_bucket{%s,le="%d"} %.3f' % (labels, bucket, total * share))
            lines.append('istio_request_duration_milliseconds_bucket{%s,le="+Inf"} %.3f' % (labels, total))
            lines.append('istio_request_duration_milliseconds_sum{%s} %.3f' % (labels, total * 90))
            lines.append('istio_request_duration_milliseconds_count{%s} %.3f' % (labels, total))
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet."""


@pytest.fixture(name="prometheus")
def fixture_prometheus(tmp_path, request):
    """Exporter with request.param = {version: (requests/s, 5xx ratio)}, and a Prometheus
    scraping it every second; yields Prometheus' URL. Both stop at teardown; Prometheus runs
    under `timeout`, so it never outlives a killed test run for long."""
    if PROMETHEUS is None:
        pytest.skip("prometheus not installed (Debian package prometheus, see Makefile TEST_DEBS)")
    exporter = ThreadingHTTPServer(("127.0.0.1", 0), _Exporter)
    exporter.daemon_threads = True
    exporter.started = time.monotonic()
    exporter.versions = request.param
    threading.Thread(target=exporter.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    port = free_port()
    config = {"global": {"scrape_interval": "1s"},
              "scrape_configs": [{"job_name": "istio", "static_configs": [{"targets": ["127.0.0.1:%d" % exporter.server_address[1]]}]}]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "data").mkdir()
    with open(tmp_path / "prometheus.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped in the finally below
            ["timeout", "600", PROMETHEUS, "--config.file=%s" % (tmp_path / "prometheus.yml"),
             "--storage.tsdb.path=%s" % (tmp_path / "data"), "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "Prometheus not ready in 60 s: " + (tmp_path / "prometheus.log").read_text()
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.3)
        yield url
    finally:
        stop_process(proc, timeout=20)
        exporter.shutdown()
        exporter.server_close()


def steps(run_playbook, render, prometheus_url):
    """canary.yml in step mode, render mode, analysis against prometheus_url (no split check:
    the split check of each step is the single-weight path the molecule scenario covers)."""
    return run_playbook("canary.yml", "-e", "ops_render_dir=%s" % render, "-e", "canary_steps=[10,25]",
                        "-e", "canary_verify=false", "-e", "canary_prometheus_url=%s" % prometheus_url,
                        "-e", "canary_analysis_delay=3", "-e", "canary_analysis_window=30s")


def error_ratios(text):
    """(v1, v2) 5xx ratios of every analysis the run printed."""
    return [(float(v1), float(v2)) for v1, v2 in re.findall(r"5xx ratio: v1=([0-9.e+-]+) v2=([0-9.e+-]+)", text)]


def weights(render):
    with open(os.path.join(render, "canary", "virtualservice.yml"), encoding="utf-8") as handle:
        virtualservice = next(yaml.safe_load_all(handle))
    return dict((d["destination"]["subset"], d["weight"]) for d in virtualservice["spec"]["http"][0]["route"])


@pytest.mark.parametrize("prometheus", [{"v1": (20.0, 0.001), "v2": (10.0, 0.002)}], indirect=True)
def test_healthy_v2_passes_every_step(run_playbook, tmp_path, prometheus):
    run = steps(run_playbook, tmp_path / "render", prometheus)
    assert run.returncode == 0, run.output[-3000:]
    text = " ".join(run.output.split())
    assert "Analysis at 10 % passed" in text and "Analysis at 25 % passed" in text
    ratios = error_ratios(text)
    assert ratios and all(v1 == pytest.approx(0.001, rel=0.05) and v2 == pytest.approx(0.002, rel=0.05) for v1, v2 in ratios), ratios
    assert weights(tmp_path / "render") == {"v1": 75, "v2": 25}


@pytest.mark.parametrize("prometheus", [{"v1": (20.0, 0.001), "v2": (10.0, 0.05)}], indirect=True)
def test_failing_v2_stops_at_the_first_step_and_rolls_back(run_playbook, tmp_path, prometheus):
    run = steps(run_playbook, tmp_path / "render", prometheus)
    assert run.returncode != 0
    text = " ".join(run.output.split())
    assert "Prometheus analysis of v2 at 10 % over 30s failed (5xx ratio)" in text, run.output[-3000:]
    ratios = error_ratios(text)
    assert ratios and ratios[0][0] == pytest.approx(0.001, rel=0.05) and ratios[0][1] == pytest.approx(0.05, rel=0.05), \
        re.findall(r"5xx ratio[^;]*", text)
    assert "Rolled back: weight 0" in text
    assert "Analysis at 25 %" not in text
    assert weights(tmp_path / "render") == {"v1": 100, "v2": 0}
