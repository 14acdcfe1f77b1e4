# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The analysis rules of module_utils/load_analysis.py: service names, thresholds, ranking, verdicts.

Matrices are built here as the module receives them from Prometheus (parse_matrix of a range
query's data); tests/integration/test_load_analysis.py runs the same code on a real Prometheus.
"""

from __future__ import annotations

import math

import pytest

from ansible_collections.boutique.ops.plugins.module_utils import load_analysis as la

START = 1_800_000_000
END = START + 600
BREAK = START + 420
STEP = 15
TIMES = list(range(START, END + 1, STEP))


def matrix(*series):
    """A range query's data: series of (labels, value or function of t)."""
    result = []
    for labels, value in series:
        values = [[t, repr(float(value(t) if callable(value) else value))] for t in TIMES]
        result.append({"metric": labels, "values": values})
    return la.parse_matrix({"resultType": "matrix", "result": result})


def shop(**changes):
    """Two services of one container each on node-a, every figure ordinary, then ``changes`` ({name: matrix})."""
    pods = {"cartservice-65cf55954f-wv6xq": "node-a", "currencyservice-7d9c6f5b8-x2x9k": "node-a"}

    def per_pod(value):
        return matrix(*[({"pod": pod, "container": "server"}, value) for pod in pods])

    matrices = {
        "pod_labels": matrix(*[({"pod": pod}, 1) for pod in pods]),
        "pod_node": matrix(*[({"pod": pod, "node": node}, 1) for pod, node in pods.items()]),
        "cpu_usage": per_pod(0.05), "cpu_limit": per_pod(0.2), "cpu_request": per_pod(0.1),
        "cpu_throttled": per_pod(0.0), "cpu_periods": per_pod(10.0),
        "memory_working_set": per_pod(50 * 2 ** 20), "memory_limit": per_pod(128 * 2 ** 20),
        "restarts": per_pod(0), "oom_killed": [],
        "node_cpu": matrix(({"node": "node-a"}, 0.3)), "node_memory": matrix(({"node": "node-a"}, 0.5)),
        "listen_overflows": matrix(({"node": "node-a"}, 0)), "listen_drops": matrix(({"node": "node-a"}, 0)),
        "retransmits": matrix(({"node": "node-a"}, 1)), "out_segments": matrix(({"node": "node-a"}, 1000)),
        "receive_drops": matrix(({"node": "node-a"}, 0)),
    }
    matrices.update(changes)
    return matrices


CURRENCY = "currencyservice-7d9c6f5b8-x2x9k"
CART = "cartservice-65cf55954f-wv6xq"


def with_pods(values):
    """A per-container matrix: {pod: value}."""
    return matrix(*[({"pod": pod, "container": "server"}, value) for pod, value in values.items()])


# ---------------------------------------------------------------------------------------------
# Service names


@pytest.mark.parametrize("pod,label,service", [
    ("cartservice-65cf55954f-wv6xq", None, "cartservice"),
    ("redis-cart-5b6f8c7d9-bcdfg", None, "redis-cart"),
    ("frontend-v2-7c8d9f6b5-qwrt5", None, "frontend-v2"),
    ("redis-0", None, "redis"),
    ("node-exporter-x7k2p", None, "node-exporter"),
    ("loadgenerator", None, "loadgenerator"),
    ("frontend-1234567890-bcdfg", None, "frontend"),
    ("frontend-v2-7c8d9f6b5-qwrt5", "frontend", "frontend"),
    ("whatever-abc", "currencyservice", "currencyservice"),
])
def test_service_of(pod, label, service):
    assert la.service_of(pod, label) == service


def test_the_app_label_names_the_service():
    matrices = shop(pod_labels=matrix(({"pod": CURRENCY, "label_app": "money"}, 1), ({"pod": CART}, 1)))
    names = sorted(item["service"] for item in la.analyse(matrices, START, END, BREAK)["services"])
    assert names == ["cartservice", "money"]


# ---------------------------------------------------------------------------------------------
# Thresholds, each at and just under its value


@pytest.mark.parametrize("name,key,at,under", [
    ("cpu_throttling", "cpu_throttled", 2.5, 2.4),           # 25 % of 10 periods/s
    ("cpu_limit", "cpu_usage", 0.18, 0.178),                 # 90 % of 0.2 cores
    ("memory_limit", "memory_working_set", 0.9 * 128 * 2 ** 20, 0.89 * 128 * 2 ** 20),
])
def test_service_thresholds(name, key, at, under):
    crossed = la.analyse(shop(**{key: with_pods({CURRENCY: at, CART: 0.0 if key != "memory_working_set" else 1e6})}),
                         START, END, BREAK)
    assert crossed["bottleneck"]["service"] == "currencyservice"
    assert crossed["bottleneck"]["resource"] == name
    assert crossed["bottleneck"]["saturation"] == pytest.approx(1.0, abs=1e-3)
    below = la.analyse(shop(**{key: with_pods({CURRENCY: under, CART: 0.0 if key != "memory_working_set" else 1e6})}),
                       START, END, BREAK)
    assert below["bottleneck"] is None
    assert below["ranking"][0]["service"] == "currencyservice" and below["ranking"][0]["resource"] == name


def test_one_restart_is_a_bottleneck_and_an_oom_kill_is_memory():
    restarting = with_pods({CURRENCY: lambda t: 1 if t >= BREAK - 30 else 0, CART: 0})
    result = la.analyse(shop(restarts=restarting), START, END, BREAK)
    assert result["bottleneck"]["resource"] == "restarts" and result["bottleneck"]["value"] == 1
    assert "currencyservice restarted 1 time during the run (not OOM-killed" in result["verdict"]
    oom = matrix(({"pod": CURRENCY, "container": "server", "reason": "OOMKilled"}, 1))
    result = la.analyse(shop(restarts=restarting, oom_killed=oom), START, END, BREAK)
    assert result["bottleneck"]["resource"] == "memory_limit" and result["bottleneck"]["evidence"]["oom_killed"]
    assert result["verdict"].startswith("currencyservice was OOM-killed and restarted 1 time during the run (memory limit 128Mi")


def test_an_old_oom_kill_without_a_restart_in_the_run_does_not_count():
    oom = matrix(({"pod": CURRENCY, "container": "server", "reason": "OOMKilled"}, 1))
    result = la.analyse(shop(restarts=with_pods({CURRENCY: 3, CART: 0}), oom_killed=oom), START, END, BREAK)
    assert result["bottleneck"] is None


def test_restarts_long_after_the_breaking_point_are_consequences():
    late = with_pods({CURRENCY: lambda t: 1 if t >= BREAK + 120 else 0, CART: 0})
    assert la.analyse(shop(restarts=late), START, END, BREAK)["bottleneck"] is None
    # Without a breaking point the whole run counts.
    assert la.analyse(shop(restarts=late), START, END, None)["bottleneck"]["resource"] == "restarts"


@pytest.mark.parametrize("key,value,resource", [
    ("node_cpu", 0.9, "node_cpu"),
    ("node_memory", 0.9, "node_memory"),
    ("listen_overflows", 1.0, "network"),
    ("listen_drops", 1.0, "network"),
    ("retransmits", 50.0, "network"),        # 5 % of 1000 segments/s
    ("receive_drops", 100.0, "network"),
])
def test_node_thresholds(key, value, resource):
    result = la.analyse(shop(**{key: matrix(({"node": "node-a"}, value))}), START, END, BREAK)
    assert result["bottleneck"]["node"] == "node-a" and result["bottleneck"]["resource"] == resource
    assert result["bottleneck"]["service"] is None
    assert result["bottleneck"]["evidence"]["services"] == ["cartservice", "currencyservice"]
    under = la.analyse(shop(**{key: matrix(({"node": "node-a"}, value * 0.98))}), START, END, BREAK)
    assert under["bottleneck"] is None


# ---------------------------------------------------------------------------------------------
# Ranking and focus


def test_high_usage_under_a_high_limit_is_not_a_bottleneck():
    result = la.analyse(shop(cpu_usage=with_pods({CURRENCY: 3.0, CART: 0.19}),
                             cpu_limit=with_pods({CURRENCY: 8.0, CART: 0.2})), START, END, BREAK)
    assert result["bottleneck"]["service"] == "cartservice" and result["bottleneck"]["resource"] == "cpu_limit"
    assert result["verdict"].startswith("cartservice used 95 % of its CPU limit (200m) from 1 minute before the breaking point")


def test_ranking_by_score_not_by_raw_value():
    # Throttled 30 % (score 1.2) beats 95 % of the CPU limit (score 1.06).
    result = la.analyse(shop(cpu_throttled=with_pods({CURRENCY: 3.0, CART: 0.0}),
                             cpu_usage=with_pods({CURRENCY: 0.1, CART: 0.19})), START, END, BREAK)
    assert [item["service"] for item in result["ranking"]] == ["currencyservice", "cartservice"]
    assert result["ranking"][0]["saturation"] == pytest.approx(1.2)
    assert result["ranking"][1]["saturation"] == pytest.approx(0.95 / 0.9, abs=1e-3)


def test_a_service_outranks_a_node_only_by_score():
    saturated_node = matrix(({"node": "node-a"}, 0.99))
    throttled = with_pods({CURRENCY: 2.6, CART: 0.0})
    assert la.analyse(shop(node_cpu=saturated_node, cpu_throttled=throttled), START, END, BREAK)["bottleneck"]["resource"] == "node_cpu"
    throttled = with_pods({CURRENCY: 3.0, CART: 0.0})
    assert la.analyse(shop(node_cpu=saturated_node, cpu_throttled=throttled), START, END, BREAK)["bottleneck"]["service"] == "currencyservice"


def test_the_hottest_container_speaks_for_the_service():
    usage = matrix(({"pod": CURRENCY, "container": "server"}, 0.05), ({"pod": CURRENCY, "container": "istio-proxy"}, 0.095),
                   ({"pod": CART, "container": "server"}, 0.05))
    limit = matrix(({"pod": CURRENCY, "container": "server"}, 0.2), ({"pod": CURRENCY, "container": "istio-proxy"}, 0.1),
                   ({"pod": CART, "container": "server"}, 0.2))
    result = la.analyse(shop(cpu_usage=usage, cpu_limit=limit), START, END, BREAK)
    assert result["bottleneck"]["service"] == "currencyservice"
    assert result["bottleneck"]["evidence"]["container"] == "istio-proxy"
    assert "(100m)" in result["verdict"]


def test_focus_is_the_minute_before_the_breaking_point_or_the_peak():
    # Throttled 80 % only during the last 2 minutes of the run, after the breaking point.
    late = with_pods({CURRENCY: lambda t: 8.0 if t >= END - 120 else 0.0, CART: 0.0})
    assert la.analyse(shop(cpu_throttled=late), START, END, BREAK)["bottleneck"] is None
    peak = la.analyse(shop(cpu_throttled=late), START, END, None)
    assert peak["bottleneck"]["value"] == pytest.approx(0.8)
    assert peak["window"]["focus"] == "peak"
    # Throttled half of the minute before the breaking point: the mean says 40 % (of 5 points: 0, 0, 0.8...).
    half = with_pods({CURRENCY: lambda t: 8.0 if t >= BREAK - 30 else 0.0, CART: 0.0})
    result = la.analyse(shop(cpu_throttled=half), START, END, BREAK)
    assert result["bottleneck"]["value"] == pytest.approx(0.8 * 3 / 5)
    assert result["window"]["focus_from"] == la.iso_utc(BREAK - 60)


def test_nothing_saturated():
    result = la.analyse(shop(), START, END, BREAK)
    assert result["bottleneck"] is None
    assert result["verdict"].startswith("No service or node crossed a saturation threshold from 1 minute before the breaking point: "
                                        "the pods' resources do not explain the failures")


def test_containers_without_limits_or_throttling_series_are_analysed():
    # A cluster whose containers set no limits (or whose exporter has no CFS metrics): the usage
    # alone says nothing saturated, instead of failing the analysis (found on the local cluster).
    result = la.analyse(shop(cpu_limit=[], cpu_throttled=[], cpu_periods=[], memory_limit=[]), START, END, BREAK)
    assert result["bottleneck"] is None
    cart = [item for item in result["services"] if item["service"] == "cartservice"][0]
    assert cart["cpu_usage_cores"] == pytest.approx(0.05)
    assert cart["cpu_limit_cores"] is None and cart["cpu_throttling_ratio"] is None


def test_no_series_is_an_error():
    with pytest.raises(la.AnalysisError, match="no container series"):
        la.analyse({name: [] for name in shop()}, START, END, BREAK)


def test_verdict_names_the_next_service():
    result = la.analyse(shop(cpu_throttled=with_pods({CURRENCY: 6.2, CART: 0.95})), START, END, BREAK)
    assert result["verdict"] == ("currencyservice was CPU-throttled 62 % of the time from 1 minute before the breaking point "
                                 "(limit 200m); no other service passed 10 %.")


def test_restart_counter_reset():
    points = {float(t): v for t, v in zip(range(0, 75, 15), [2, 3, 0, 1, 1])}
    # Like Prometheus's increase(): a drop is a reset, the value after it counts from zero.
    assert la._restart_count(points, 0, 60) == 2  # pylint: disable=protected-access


def test_parse_matrix_drops_nan_and_rejects_vectors():
    series = la.parse_matrix({"resultType": "matrix", "result": [{"metric": {"a": "1"}, "values": [[1, "NaN"], [2, "0.5"], [3, "+Inf"]]}]})
    assert series == [({"a": "1"}, {2.0: 0.5})]
    with pytest.raises(la.AnalysisError):
        la.parse_matrix({"resultType": "vector", "result": []})


def test_queries_refuse_a_bad_namespace_and_filter_by_it():
    with pytest.raises(ValueError):
        la.queries('boutique"}) or vector(1', 60)
    planned = la.queries("shop", 120)
    assert all('namespace="shop"' in expr or "node_" in expr or 'destination_workload_namespace="shop"' in expr
               for expr in planned.values())
    assert all("[120s]" in expr for name, expr in planned.items() if "rate(" in expr)


def test_series_are_capped():
    assert len(la._downsample({float(t): 1.0 for t in range(5000)})) <= la.MAX_SERIES_POINTS  # pylint: disable=protected-access
    assert not math.isnan(la.THRESHOLDS["cpu_throttling"])
