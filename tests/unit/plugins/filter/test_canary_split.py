# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The canary's weight arithmetic, input checks and metric analysis."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.boutique.ops.plugins.filter.canary_split import (
    FilterModule,
    canary_analysis,
    canary_expected,
    canary_frontend_v2,
    canary_mesh_status,
    canary_metrics,
    canary_plan,
    canary_queries,
    canary_routes,
)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"canary_plan", "canary_expected", "canary_routes", "canary_analysis", "canary_mesh_status",
                                             "canary_frontend_v2", "canary_queries", "canary_metrics"}


@pytest.mark.parametrize("weight, weights", [(0, [0]), ("25", [25]), (" 100 ", [100]), (100, [100])])
def test_plan_accepts_integer_weights(weight, weights):
    plan = canary_plan(weight)
    assert plan["problems"] == []
    assert plan["weights"] == weights


@pytest.mark.parametrize("weight", [-1, 101, 12.5, "12.5", "abc", "-1", "101", True, [25]])
def test_plan_rejects_bad_weights(weight):
    plan = canary_plan(weight)
    assert plan["weights"] == []
    assert len(plan["problems"]) == 1
    assert "weight=" in plan["problems"][0] and "e.g. -e weight=25" in plan["problems"][0]


@pytest.mark.parametrize("weight", [None, ""])
def test_plan_needs_a_weight_or_steps(weight):
    assert "weight is not set" in canary_plan(weight)["problems"][0]


@pytest.mark.parametrize("steps, weights", [
    ([10, 25, 50, 100], [10, 25, 50, 100]),
    ("[10,25,50,100]", [10, 25, 50, 100]),
    ("10, 25, 50", [10, 25, 50]),
    (["5", "100"], [5, 100]),
])
def test_plan_accepts_increasing_steps(steps, weights):
    plan = canary_plan("", steps)
    assert plan["problems"] == []
    assert plan["weights"] == weights


@pytest.mark.parametrize("steps, message", [
    ([10, 50, 25], "does not increase"),
    ([10, 10, 50], "does not increase"),
    ([10, 25, 150], "150"),
    ([-5, 25], "-5"),
    ("[10,abc]", "abc"),
    ([10, 12.5], "12.5"),
    (42, "is not a list"),
])
def test_plan_rejects_bad_steps(steps, message):
    plan = canary_plan(None, steps)
    assert plan["weights"] == []
    assert message in plan["problems"][0]
    assert "canary_steps" in plan["problems"][0]


def test_plan_rejects_weight_and_steps_together():
    assert "both set" in canary_plan(25, [10, 100])["problems"][0]


@pytest.mark.parametrize("expected, message", [
    ({"v1": 80, "v2": 25}, "add up to 105"),
    ({"v1": 75, "v3": 25}, "unknown version(s) v3"),
    ({"v1": 75, "v2": "lots"}, "not a percent"),
    ({"v1": 120, "v2": -20}, "not a percent"),
    ("75/25", "not a mapping"),
])
def test_plan_rejects_bad_expected(expected, message):
    problems = canary_plan(25, expected=expected)["problems"]
    assert any(message in problem for problem in problems), problems


def test_plan_keeps_a_good_expected():
    plan = canary_plan(25, expected={"v1": 70, "v2": "30"})
    assert plan["problems"] == []
    assert plan["expected"] == {"v1": 70.0, "v2": 30.0}


def test_promote_needs_weight_100():
    assert "canary_promote=true needs the final weight to be 100" in canary_plan(50, promote=True)["problems"][0]
    plan = canary_plan(100, promote=True)
    assert plan["problems"] == []
    assert plan["targets"] == [{"weight": 100, "promoted": False}, {"weight": 100, "promoted": True}]
    assert canary_plan(25)["targets"] == [{"weight": 25, "promoted": False}]
    assert canary_plan(None, [50, 100], promote=True)["problems"] == []


@pytest.mark.parametrize("weight, split", [(0, {"v1": 100, "v2": 0}), (25, {"v1": 75, "v2": 25}), ("100", {"v1": 0, "v2": 100})])
def test_expected(weight, split):
    assert canary_expected(weight) == split


def test_expected_rejects_bad_weight():
    with pytest.raises(AnsibleFilterError):
        canary_expected(12.5)


def test_routes_split_and_set_the_version_header():
    routes = canary_routes(25)
    assert [(r["destination"]["subset"], r["weight"]) for r in routes] == [("v1", 75), ("v2", 25)]
    assert sum(r["weight"] for r in routes) == 100
    assert routes[1]["headers"] == {"response": {"set": {"x-boutique-version": "v2"}}}
    assert routes[0]["destination"] == {"host": "frontend", "subset": "v1", "port": {"number": 80}}


def test_routes_promoted_send_everything_to_v2():
    routes = canary_routes(100, promoted=True)
    assert len(routes) == 1
    assert routes[0]["destination"]["subset"] == "v2"
    assert "weight" not in routes[0]


GOOD = {"requests": 500, "error_ratio": 0.001, "p95_ms": 120}


def test_analysis_passes_a_healthy_canary():
    result = canary_analysis({"v1": GOOD, "v2": {"requests": 150, "error_ratio": 0.002, "p95_ms": 130}})
    assert result["passed"], result["summary"]


@pytest.mark.parametrize("v2, failed", [
    ({"requests": 150, "error_ratio": 0.05, "p95_ms": 120}, ["5xx ratio"]),
    ({"requests": 150, "error_ratio": 0.0, "p95_ms": 200}, ["p95 latency (ms)"]),
    ({"requests": 3, "error_ratio": 0.0, "p95_ms": 100}, ["v2 traffic"]),
    ({"requests": None, "error_ratio": None, "p95_ms": "NaN"}, ["v2 traffic", "p95 latency (ms)"]),
])
def test_analysis_fails_with_evidence(v2, failed):
    result = canary_analysis({"v1": GOOD, "v2": v2})
    assert not result["passed"]
    assert result["failed"] == failed
    assert "FAILED" in result["summary"]


def test_analysis_without_v1_uses_the_absolute_ceiling():
    metrics = {"v1": {"requests": 0, "error_ratio": None, "p95_ms": None}, "v2": GOOD}
    assert canary_analysis(metrics, max_p95_ms=200)["passed"]
    assert not canary_analysis(metrics, max_p95_ms=100)["passed"]


def _pod(name, deployment, template_hash, sidecar=None, ready=True, terminating=False):
    containers = [{"name": "server"}]
    init = []
    if sidecar == "container":
        containers.append({"name": "istio-proxy"})
    elif sidecar == "native":
        init.append({"name": "istio-proxy", "restartPolicy": "Always"})
    statuses = [{"name": c["name"], "ready": ready} for c in containers]
    meta = {"name": name, "labels": {"pod-template-hash": template_hash},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "%s-%s" % (deployment, template_hash)}]}
    if terminating:
        meta["deletionTimestamp"] = "2026-11-29T18:00:00Z"
    return {"metadata": meta, "spec": {"containers": containers, "initContainers": init},
            "status": {"containerStatuses": statuses}}


def test_mesh_status_lists_deployments_to_restart():
    pods = [
        _pod("frontend-abc12-x", "frontend", "abc12"),
        _pod("cart-service-9f8-y", "cart-service", "9f8", sidecar="container"),
        _pod("redis-cart-77-z", "redis-cart", "77", sidecar="native", ready=False),
        _pod("frontend-old-q", "frontend", "old", terminating=True),
        {"metadata": {"name": "job-pod", "ownerReferences": [{"kind": "Job", "name": "j"}]}, "spec": {"containers": []}},
    ]
    status = canary_mesh_status(pods)
    assert status["deployments_to_restart"] == ["frontend"]
    assert status["pods_without_sidecar"] == ["frontend-abc12-x"]
    assert status["pods_not_ready"] == ["redis-cart-77-z"]
    assert status["meshed"] is False


def test_mesh_status_meshed_when_every_pod_has_a_ready_sidecar():
    status = canary_mesh_status([_pod("a-1-x", "a", "1", sidecar="container"), _pod("b-2-y", "b", "2", sidecar="native")])
    assert status == {"deployments_to_restart": [], "pods_without_sidecar": [], "pods_not_ready": [], "meshed": True}


FRONTEND = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "frontend", "namespace": "boutique",
                 "labels": {"app": "frontend", "version": "v1", "app.kubernetes.io/managed-by": "boutique.ops"}},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "frontend"}},
             "template": {"metadata": {"labels": {"app": "frontend", "version": "v1"}},
                          "spec": {"containers": [{"name": "server", "image": "registry/frontend:v0.10.6",
                                                   "env": [{"name": "PORT", "value": "8080"},
                                                           {"name": "FRONTEND_MESSAGE", "value": "old"}]}]}}},
}


def test_frontend_v2_is_derived_from_v1():
    v2 = canary_frontend_v2(FRONTEND)
    assert v2["metadata"]["name"] == "frontend-v2"
    assert v2["metadata"]["labels"]["version"] == "v2"
    assert v2["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "boutique.ops.canary"
    assert v2["spec"]["selector"] == {"matchLabels": {"app": "frontend", "version": "v2"}}
    assert v2["spec"]["template"]["metadata"]["labels"] == {"app": "frontend", "version": "v2"}
    server = v2["spec"]["template"]["spec"]["containers"][0]
    assert server["image"] == "registry/frontend:v0.10.6"
    assert server["env"] == [{"name": "PORT", "value": "8080"}, {"name": "FRONTEND_MESSAGE", "value": "Online Boutique v2"}]
    # The source is not modified.
    assert FRONTEND["metadata"]["name"] == "frontend"
    assert FRONTEND["spec"]["template"]["metadata"]["labels"]["version"] == "v1"


def test_frontend_v2_image_replicas_and_no_banner():
    v2 = canary_frontend_v2(FRONTEND, image="registry/frontend:v2", message="", replicas="3")
    server = v2["spec"]["template"]["spec"]["containers"][0]
    assert server["image"] == "registry/frontend:v2"
    assert [e["name"] for e in server["env"]] == ["PORT"]
    assert v2["spec"]["replicas"] == 3


def test_frontend_v2_needs_a_deployment():
    with pytest.raises(AnsibleFilterError):
        canary_frontend_v2({"kind": "Service"})


def test_analysis_reads_prometheus_vectors():
    def vector(value):
        return [{"metric": {}, "value": [1764440000.0, value]}]
    metrics = {"v1": {"requests": vector("900"), "error_ratio": vector("0"), "p95_ms": vector("80")},
               "v2": {"requests": vector("300"), "error_ratio": [], "p95_ms": vector("NaN")}}
    result = canary_analysis(metrics)
    assert result["checks"][0]["v2"] == 300.0
    assert result["checks"][1]["v2"] is None
    assert result["failed"] == ["p95 latency (ms)"]


def test_queries_and_metrics_round_trip():
    queries = canary_queries("boutique", "2m")
    assert [(q["version"], q["metric"]) for q in queries] == [
        ("v1", "requests"), ("v1", "error_ratio"), ("v1", "p95_ms"), ("v2", "requests"), ("v2", "error_ratio"), ("v2", "p95_ms")]
    assert 'destination_version="v2"' in queries[3]["query"]
    assert "[2m]" in queries[0]["query"]
    assert 'response_code=~"5.."' in queries[1]["query"] and "or vector(0)" in queries[1]["query"]
    assert queries[2]["query"].startswith("histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{")
    answer = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "1"]}]}}
    results = [{"item": q, "json": answer} for q in queries]
    metrics = canary_metrics(results)
    assert set(metrics) == {"v1", "v2"}
    assert canary_analysis(metrics, min_requests=1)["passed"]


def test_metrics_read_a_named_loop_var():
    """The role loops with loop_var: _canary_query; each result names its loop variable."""
    queries = canary_queries("boutique", "2m")
    answer = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "1"]}]}}
    results = [{"_canary_query": q, "ansible_loop_var": "_canary_query", "json": answer} for q in queries]
    assert set(canary_metrics(results)) == {"v1", "v2"}
