# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""boutique.ops.load_analysis against a real Prometheus (Debian package) holding synthetic series.

tests/load_series.py writes cadvisor-, kube-state-metrics-, node-exporter- and Istio-shaped series
for 11 services over 3 nodes, one scenario per hour in the past; promtool backfills them and one
prometheus per test session (per xdist worker) serves them. The module runs in-process, exactly
as Ansible runs it, against that Prometheus. Bad inputs use the same Prometheus, a wrong path on it,
a second one started with a small --query.max-samples, and a closed port.
"""

from __future__ import annotations

import base64
import html
import json
import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ansible_collections.boutique.ops.plugins.modules import load_analysis, locust_report
from ansible_collections.boutique.ops.tests import load_series
from ansible_collections.boutique.ops.tests.helpers import free_port
from ansible_collections.boutique.ops.tests.unit.plugins.modules.utils import run_module


@pytest.fixture(scope="session", name="shop_prometheus")
def fixture_shop_prometheus(tmp_path_factory):
    """(URL, {scenario name: Scenario}) of a Prometheus holding every scenario."""
    text, chosen = load_series.build()
    try:
        with load_series.prometheus_on(text, str(tmp_path_factory.mktemp("prometheus"))) as url:
            yield url, chosen
    except RuntimeError as exc:
        pytest.skip(str(exc))


def analyse(capsys, url, scenario, **extra):
    args = {"prometheus_url": url, "start": scenario.start, "end": scenario.end, "breaking_point": scenario.breaking_point,
            "rate_window_s": 60, "timeout_s": 60}
    args.update(extra)
    return run_module(load_analysis, args, capsys)


@pytest.fixture(scope="session", name="results")
def fixture_results():
    """Module results per scenario, computed once per session (capsys is function-scoped, so tests fill it)."""
    return {}


def result_of(results, capsys, shop_prometheus, name):
    if name not in results:
        url, chosen = shop_prometheus
        failed, result = analyse(capsys, url, chosen[name])
        assert not failed, result["msg"]
        results[name] = result
    return results[name]


def test_every_service_is_found_with_its_name(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "healthy")
    assert sorted(item["service"] for item in result["services"]) == sorted(load_series.SHOP)
    frontend = next(item for item in result["services"] if item["service"] == "frontend")
    assert frontend["replicas"] == 2 and len(frontend["nodes"]) == 2
    # The pod of the monitoring namespace, throttled 95 %, is not the shop's.
    assert all(item["service"] != "prometheus-server" for item in result["services"])
    assert sorted(node["node"] for node in result["nodes"]) == sorted(load_series.NODES)


def test_throttled_service_is_the_bottleneck(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "throttled")
    bottleneck = result["bottleneck"]
    assert bottleneck["service"] == "currencyservice" and bottleneck["resource"] == "cpu_throttling"
    assert bottleneck["value"] == pytest.approx(0.62, abs=0.02)
    assert bottleneck["evidence"]["cpu_limit_cores"] == pytest.approx(0.2)
    assert result["ranking"][0]["service"] == "currencyservice"
    assert result["verdict"].startswith(
        "currencyservice was CPU-throttled 62 % of the time from 1 minute before the breaking point (limit 200m); "
        "no other service was throttled"), result["verdict"]
    # The evidence carries the PromQL, runnable as is.
    assert "container_cpu_cfs_throttled_periods_total" in bottleneck["evidence"]["queries"]["cpu_throttled"]


def test_oom_killed_service_is_a_memory_bottleneck(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "oom")
    bottleneck = result["bottleneck"]
    assert bottleneck["service"] == "cartservice" and bottleneck["resource"] == "memory_limit"
    assert bottleneck["evidence"]["oom_killed"] is True
    # One kill before the breaking point, one 45 s after it (inside the minute counted after it).
    assert bottleneck["evidence"]["restarts"] == 2
    assert "cartservice was OOM-killed and restarted 2 times" in result["verdict"]
    # The working set climbed to 93 % of the limit at the last scrape before each kill.
    assert "(memory limit 128Mi, working set up to 93 % of it)" in result["verdict"], result["verdict"]
    assert bottleneck["evidence"]["memory_peak_ratio"] == pytest.approx(0.9275, abs=0.001)


def test_saturated_node_with_pods_under_their_limits(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "node_cpu")
    bottleneck = result["bottleneck"]
    assert bottleneck["resource"] == "node_cpu" and bottleneck["node"] == load_series.NODES[1]
    assert bottleneck["service"] is None
    assert bottleneck["value"] == pytest.approx(0.97, abs=0.01)
    assert all((item["cpu_limit_ratio"] or 0) < 0.9 for item in result["services"])
    assert "cartservice" in bottleneck["evidence"]["services"]
    assert result["verdict"].startswith("Node %s was CPU-saturated (97 %% busy)" % load_series.NODES[1]), result["verdict"]


def test_listen_overflows_are_a_network_bottleneck(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "network")
    bottleneck = result["bottleneck"]
    assert bottleneck["resource"] == "network" and bottleneck["node"] == load_series.NODES[0]
    assert bottleneck["value"]["listen_overflows_per_s"] == pytest.approx(25, rel=0.05)
    assert "listen_overflows_per_s" in bottleneck["evidence"]["network_signals"]
    assert "listen-queue overflows/s" in result["verdict"]
    assert "frontend" in result["verdict"] and "currencyservice" in result["verdict"]


def test_nothing_saturated_gives_no_bottleneck_and_says_so(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "healthy")
    assert result["bottleneck"] is None
    assert "the pods' resources do not explain the failures" in result["verdict"]
    assert all(item["saturation"] < 1 for item in result["ranking"])
    # The mesh figures are there: the frontend answered 5xx (the failures the resources do not explain).
    frontend = next(item for item in result["services"] if item["service"] == "frontend")
    assert frontend["requests_per_s"] == pytest.approx(28.0, rel=0.05)
    assert frontend["error_ratio_5xx"] == pytest.approx(8.0 / 28.0, rel=0.05)
    assert 50 < frontend["p95_ms"] <= 1000


def test_busy_service_under_a_high_limit_is_not_blamed(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "decoy")
    bottleneck = result["bottleneck"]
    assert bottleneck["service"] == "productcatalogservice" and bottleneck["resource"] == "cpu_throttling"
    decoy = next(item for item in result["services"] if item["service"] == "recommendationservice")
    assert decoy["cpu_usage_cores"] == pytest.approx(1.6, rel=0.02)
    assert decoy["cpu_limit_ratio"] == pytest.approx(0.4, rel=0.02)
    assert decoy["saturation"] < 1
    assert result["ranking"][0]["service"] == "productcatalogservice"
    assert decoy["cpu_usage_cores"] > max(item["cpu_usage_cores"] for item in result["services"] if item is not decoy)


def test_without_a_breaking_point_the_peak_is_used(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "no_break")
    assert result["window"]["focus"] == "peak" and result["window"]["breaking_point"] is None
    assert result["bottleneck"]["service"] == "shippingservice"
    assert result["bottleneck"]["value"] == pytest.approx(0.5, abs=0.02)
    assert "at the peak of a run without breaking point" in result["verdict"]


def test_series_hold_the_top_three_for_the_plot(results, capsys, shop_prometheus):
    result = result_of(results, capsys, shop_prometheus, "throttled")
    assert [item["service"] for item in result["series"]] == [item["service"] for item in result["ranking"][:3]]
    top = result["series"][0]
    assert top["resource"] == "cpu_throttling" and top["threshold"] == 0.25
    scenario = shop_prometheus[1]["throttled"]
    assert scenario.start <= top["points"][0][0] and top["points"][-1][0] <= scenario.end
    assert max(point[1] for point in top["points"]) == pytest.approx(0.62, abs=0.02)
    assert len(json.dumps(result)) < 200000


def test_times_as_iso_strings(capsys, shop_prometheus):
    url, chosen = shop_prometheus
    scenario = chosen["throttled"]
    failed, result = analyse(capsys, url, scenario, start=load_analysis.iso_utc(scenario.start),
                             end=load_analysis.iso_utc(scenario.end), breaking_point=load_analysis.iso_utc(scenario.breaking_point))
    assert not failed, result
    assert result["bottleneck"]["service"] == "currencyservice"


def test_check_mode_runs_the_analysis(capsys, shop_prometheus):
    url, chosen = shop_prometheus
    scenario = chosen["oom"]
    args = {"prometheus_url": url, "start": scenario.start, "end": scenario.end, "breaking_point": scenario.breaking_point,
            "rate_window_s": 60}
    failed, result = run_module(load_analysis, args, capsys, check_mode=True)
    assert not failed and result["changed"] is False
    assert result["bottleneck"]["service"] == "cartservice"


# ---------------------------------------------------------------------------------------------
# Bad inputs: each a clear failure


def test_unreachable_prometheus(capsys, shop_prometheus):
    scenario = shop_prometheus[1]["healthy"]
    failed, result = analyse(capsys, "http://127.0.0.1:%d" % free_port(), scenario, timeout_s=10)
    assert failed
    assert "cannot reach it" in result["msg"] and "Connection refused" in result["msg"], result["msg"]


def test_a_wrong_path_answers_an_error(capsys, shop_prometheus):
    url, chosen = shop_prometheus
    failed, result = analyse(capsys, url + "/not-prometheus", chosen["healthy"])
    assert failed and "HTTP 404" in result["msg"], result["msg"]


def test_prometheus_refusing_the_query(capsys, tmp_path):
    """A real Prometheus error (422, JSON body): one that may not load enough samples for the query."""
    text, chosen = load_series.build(names=["healthy"])
    try:
        with load_series.prometheus_on(text, str(tmp_path), extra_args=["--query.max-samples=50"]) as url:
            failed, result = analyse(capsys, url, chosen["healthy"])
    except RuntimeError as exc:
        pytest.skip(str(exc))
    assert failed
    assert "HTTP 422" in result["msg"] and "too many samples" in result["msg"], result["msg"]
    assert result["query"].startswith("max by (pod, label_app)")


def test_a_silent_prometheus_meets_the_deadline(capsys, shop_prometheus):
    """A port that accepts connections and never answers: the module gives up at its deadline."""
    scenario = shop_prometheus[1]["healthy"]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(50)
        started = time.monotonic()
        failed, result = analyse(capsys, "http://127.0.0.1:%d" % silent.getsockname()[1], scenario, timeout_s=2, query_timeout_s=20)
        took = time.monotonic() - started
    assert failed and ("timed out" in result["msg"] or "ran out of its 2.0 s" in result["msg"]), result["msg"]
    assert took < 5


def test_an_answer_over_the_size_cap_is_refused(capsys, shop_prometheus):
    url, chosen = shop_prometheus
    failed, result = analyse(capsys, url, chosen["healthy"], max_response_bytes=2048)
    assert failed and "larger than max_response_bytes=2048" in result["msg"], result["msg"]


def test_empty_window(capsys, shop_prometheus):
    url, chosen = shop_prometheus
    scenario = chosen["healthy"]
    # A day before any series.
    failed, result = run_module(load_analysis, {"prometheus_url": url, "start": scenario.start - 86400,
                                                "end": scenario.end - 86400}, capsys)
    assert failed and "no container series for the namespace" in result["msg"], result["msg"]


def test_other_namespace_has_no_series(capsys, shop_prometheus):
    url, chosen = shop_prometheus
    scenario = chosen["healthy"]
    failed, result = analyse(capsys, url, scenario, namespace="shop")
    assert failed and result["msg"].startswith("namespace shop: no container series"), result["msg"]


@pytest.mark.parametrize("args,message", [
    ({"start": 2000, "end": 1000}, "is not after start"),
    ({"start": 1000, "end": 1000}, "is not after start"),
    ({"start": 1000, "end": 2000, "breaking_point": 3000}, "is outside the window"),
    ({"start": "yesterday", "end": 2000}, "start='yesterday' is neither epoch seconds nor an ISO 8601"),
    ({"start": 0, "end": 10 ** 6, "step_s": 15}, "raise step_s to"),
    ({"start": 1000, "end": 2000, "namespace": "Bad_NS"}, "namespace='Bad_NS' is not a Kubernetes namespace"),
    ({"start": 1000, "end": 2000, "prometheus_url": "127.0.0.1:9090"}, "is not an http(s) URL"),
    ({"start": 1000, "end": 2000, "step_s": 0}, "step_s=0 must be at least 1"),
])
def test_bad_inputs_are_refused_before_any_query(capsys, args, message):
    # A closed port: a query would fail differently, so the message proves nothing was asked.
    full = dict({"prometheus_url": "http://127.0.0.1:%d" % free_port()}, **args)
    failed, result = run_module(load_analysis, full, capsys)
    assert failed and message in result["msg"], result["msg"]


# ---------------------------------------------------------------------------------------------
# Grafana annotations, against a recording server that checks the shape of POST /api/annotations


class _Grafana(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # pylint: disable=invalid-name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        problems = []
        if self.path != "/api/annotations":
            problems.append("path %s" % self.path)
        if self.headers.get("Content-Type") != "application/json":
            problems.append("content type %s" % self.headers.get("Content-Type"))
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"admin:s3cret").decode():
            problems.append("authorization")
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
            problems.append("not JSON")
        if isinstance(doc, dict):
            allowed = {"dashboardUID", "dashboardId", "panelId", "time", "timeEnd", "tags", "text"}
            problems += ["unknown field %s" % key for key in doc if key not in allowed]
            if not isinstance(doc.get("time"), int) or doc["time"] < 10 ** 12:
                problems.append("time must be epoch milliseconds")
            if not isinstance(doc.get("text"), str) or not doc["text"]:
                problems.append("text")
            if not isinstance(doc.get("tags"), list) or not all(isinstance(tag, str) for tag in doc["tags"]):
                problems.append("tags")
        status, answer = (400, {"message": "; ".join(problems)}) if problems else (200, {"message": "Annotation added",
                                                                                         "id": len(self.received) + 1})
        if not problems:
            self.received.append(doc)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture(name="grafana")
def fixture_grafana():
    _Grafana.received = []
    server = HTTPServer(("127.0.0.1", 0), _Grafana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_grafana_annotations(capsys, shop_prometheus, grafana):
    url, chosen = shop_prometheus
    scenario = chosen["throttled"]
    failed, result = analyse(capsys, url, scenario, grafana_url=grafana, grafana_user="admin", grafana_password="s3cret",
                             annotation_tags=["boutique-loadtest", "stress"])
    assert not failed, result
    assert result["annotations"] == {"ids": [1, 2, 3], "error": None} and result["changed"] is True
    assert [doc["time"] for doc in _Grafana.received] == [scenario.start * 1000, scenario.breaking_point * 1000, scenario.end * 1000]
    assert all(doc["tags"] == ["boutique-loadtest", "stress"] for doc in _Grafana.received)
    assert _Grafana.received[1]["text"].startswith("Breaking point: currencyservice was CPU-throttled")
    assert "s3cret" not in json.dumps(result)


def test_grafana_refusing_does_not_fail_the_analysis(capsys, shop_prometheus, grafana):
    url, chosen = shop_prometheus
    failed, result = analyse(capsys, url, chosen["healthy"], grafana_url=grafana, grafana_user="admin", grafana_password="wrong")
    assert not failed
    assert result["annotations"]["ids"] == [] and "HTTP 400" in result["annotations"]["error"]
    assert result["changed"] is False


def test_grafana_in_check_mode_posts_nothing(capsys, shop_prometheus, grafana):
    url, chosen = shop_prometheus
    scenario = chosen["healthy"]
    args = {"prometheus_url": url, "start": scenario.start, "end": scenario.end, "grafana_url": grafana, "rate_window_s": 60}
    failed, result = run_module(load_analysis, args, capsys, check_mode=True)
    assert not failed and result["annotations"]["would_post"] == 2
    assert not _Grafana.received


# ---------------------------------------------------------------------------------------------
# Into the run's summary and report: locust_report's `analysis` option


def test_report_section_and_plot(capsys, shop_prometheus, tmp_path, results):
    run_dir = tmp_path / "run"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "fixtures", "locust", "stress"), str(run_dir))
    analysis = result_of(results, capsys, shop_prometheus, "throttled")
    # What the role hands on: the module's documented return values, not ansible's own keys (warnings hold
    # typed objects that a module's parameters cannot carry).
    analysis = {key: value for key, value in analysis.items() if key not in ("changed", "invocation", "warnings", "deprecations")}
    args = {"csv_prefix": str(run_dir / "locust"), "profile": "stress", "window_s": 3.0, "analysis": analysis}
    failed, result = run_module(locust_report, args, capsys)
    assert not failed, result
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["analysis"]["bottleneck"]["service"] == "currencyservice"
    assert summary["analysis"]["verdict"] == analysis["verdict"]
    page = (run_dir / "report.html").read_text()
    assert "<h2>Bottleneck analysis</h2>" in page and html.escape(analysis["verdict"]) in page
    # The top services table lists the throttled service first, with its throttling.
    table = page.split("<h3>Top services</h3>")[1].split("</table>")[0]
    assert table.index("currencyservice") < table.index("frontend")
    assert "<td>62 %</td>" in table
    assert (run_dir / "saturation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'src="saturation.png"' in page and str(run_dir / "saturation.png") in result["files"]
    # A second run with the same analysis changes nothing (the plot is byte-identical).
    failed, result = run_module(locust_report, args, capsys)
    assert not failed and result["changed"] is False
    if os.environ.get("BOUTIQUE_DOCS_PLOT"):
        shutil.copy(str(run_dir / "saturation.png"), os.environ["BOUTIQUE_DOCS_PLOT"])


def test_report_keeps_the_run_when_the_analysis_failed(capsys, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "fixtures", "locust", "stress"), str(run_dir))
    reason = "Prometheus at http://127.0.0.1:19090, query cpu_usage: cannot reach it (<Connection refused>)"
    args = {"csv_prefix": str(run_dir / "locust"), "profile": "stress", "window_s": 3.0,
            "analysis": {"status": "failed", "reason": reason}}
    failed, result = run_module(locust_report, args, capsys)
    assert not failed
    assert json.loads((run_dir / "summary.json").read_text())["analysis"] == {"status": "failed", "reason": reason}
    page = (run_dir / "report.html").read_text()
    assert "Analysis failed: " + html.escape(reason) in page
    assert not (run_dir / "saturation.png").exists()
