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
    canary_plan,
    canary_routes,
)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"canary_plan", "canary_expected", "canary_routes", "canary_analysis"}


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
    assert canary_plan(100, promote=True)["problems"] == []
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
