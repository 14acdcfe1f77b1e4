# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Known values for the traffic-split statistics, and a simulation of honest splits.

Reference values come from R (binom.test, prop.test's Wilson form, pchisq) and scipy
(binomtest, chi2.sf); they are written out here because scipy is not a dependency.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from ansible_collections.boutique.ops.plugins.module_utils import split_stats


@pytest.mark.parametrize("expected, tolerance, confidence, size", [
    ({"v1": 75, "v2": 25}, 3, 0.95, 801),
    ({"v1": 50, "v2": 50}, 3, 0.95, 1068),
    ({"v1": 25, "v2": 75}, 3, 0.95, 801),
    ({"v1": 90, "v2": 10}, 3, 0.95, 385),
    ({"v1": 50, "v2": 50}, 5, 0.95, 385),
    ({"v1": 50, "v2": 50}, 3, 0.99, 1844),
    # Three versions: the share closest to 50 decides.
    ({"v1": 60, "v2": 30, "v3": 10}, 3, 0.95, 1025),
    # No variance at 0/100: the floor sees a 3 % leak with 95 % probability.
    ({"v1": 100, "v2": 0}, 3, 0.95, 99),
    ({"v1": 0, "v2": 100}, 3, 0.95, 99),
])
def test_sample_size(expected, tolerance, confidence, size):
    assert split_stats.sample_size(expected, tolerance, confidence) == size


@pytest.mark.parametrize("kwargs", [
    {"expected": {"v1": 50, "v2": 50}, "tolerance": 0},
    {"expected": {"v1": 50, "v2": 50}, "tolerance": 100},
    {"expected": {"v1": 50, "v2": 50}, "confidence": 1.0},
    {"expected": {"v1": 50, "v2": 50}, "confidence": 0},
    {"expected": {}},
])
def test_sample_size_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        split_stats.sample_size(**kwargs)


def test_z_score():
    assert split_stats.z_score(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert split_stats.z_score(0.99) == pytest.approx(2.575829, abs=1e-6)


def test_inverse_normal_fallback_matches_statistics():
    # The fallback only runs on Python without statistics.NormalDist; keep it honest anyway.
    assert split_stats._inv_norm_cdf(0.975) == pytest.approx(1.959964, abs=1e-6)  # pylint: disable=protected-access


@pytest.mark.parametrize("successes, trials, low, high", [
    (25, 100, 0.175452, 0.343045),   # R: prop.test(25, 100, correct=FALSE)$conf.int
    (50, 100, 0.403832, 0.596168),
    (0, 10, 0.0, 0.277533),
    (10, 10, 0.722467, 1.0),
])
def test_wilson_interval(successes, trials, low, high):
    got_low, got_high = split_stats.wilson_interval(successes, trials, 0.95)
    assert got_low == pytest.approx(low, abs=1e-6)
    assert got_high == pytest.approx(high, abs=1e-6)


def test_wilson_interval_without_trials_is_uninformative():
    assert split_stats.wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize("successes, trials, prob, p_value", [
    (682, 925, 0.75, 0.3824916),     # R: binom.test(682, 925, p = 0.75)
    (3, 10, 0.5, 0.34375),
    (7, 20, 0.5, 0.2631760),
    (5, 10, 0.5, 1.0),
    (0, 5, 0.0, 1.0),
    (1, 5, 0.0, 0.0),
    (5, 5, 1.0, 1.0),
])
def test_binom_test(successes, trials, prob, p_value):
    assert split_stats.binom_test(successes, trials, prob) == pytest.approx(p_value, rel=1e-4, abs=1e-9)


@pytest.mark.parametrize("successes, trials, prob", [(0, 20, 0.25), (9, 40, 0.1), (130, 300, 0.4), (201, 801, 0.25)])
def test_binom_test_matches_exact_rational_arithmetic(successes, trials, prob):
    """An independent computation with fractions: sum of every outcome no likelier than k."""
    p_exact = Fraction(prob).limit_denominator(1000)
    pmf = [math.comb(trials, k) * p_exact ** k * (1 - p_exact) ** (trials - k) for k in range(trials + 1)]
    exact = sum(value for value in pmf if value <= pmf[successes] * Fraction(10000001, 10000000))
    assert split_stats.binom_test(successes, trials, prob) == pytest.approx(float(exact), rel=1e-9)


@pytest.mark.parametrize("statistic, dof, p_value", [
    (3.841459, 1, 0.05),
    (10.0, 2, 0.006737947),
    (10.0, 3, 0.018566135),
    (0.5, 4, 0.973500),
    (0.0, 2, 1.0),
    (float("inf"), 2, 0.0),
])
def test_chi2_sf(statistic, dof, p_value):
    assert split_stats.chi2_sf(statistic, dof) == pytest.approx(p_value, rel=1e-5, abs=1e-12)


def test_chi2_gof_impossible_cell_is_infinitely_significant():
    statistic, dof, p_value = split_stats.chi2_gof([50, 40, 10], [0.5, 0.5, 0.0])
    assert statistic == float("inf")
    assert dof == 1
    assert p_value == 0.0


def test_evaluate_pass():
    result = split_stats.evaluate({"v1": 600, "v2": 201}, {"v1": 75, "v2": 25})
    assert result["verdict"] == "pass"
    assert result["test"] == "binomial"
    assert result["shares"] == {"v1": pytest.approx(74.906, abs=1e-3), "v2": pytest.approx(25.094, abs=1e-3)}
    low, high = result["intervals"]["v2"]
    assert low < 25.094 < high


def test_evaluate_fail_when_half_goes_to_v2():
    result = split_stats.evaluate({"v1": 400, "v2": 401}, {"v1": 75, "v2": 25})
    assert result["verdict"] == "fail"
    assert result["p_value"] < 1e-40
    assert result["max_deviation"] == pytest.approx(25.062, abs=1e-3)


def test_evaluate_inconclusive_on_a_small_sample():
    # 4 of 10 is 15 points off 25 %, but 10 requests cannot tell that from chance.
    result = split_stats.evaluate({"v1": 6, "v2": 4}, {"v1": 75, "v2": 25})
    assert result["verdict"] == "inconclusive"
    assert result["p_value"] > 0.05


def test_evaluate_bypass_everything_to_v1():
    result = split_stats.evaluate({"v1": 801}, {"v1": 75, "v2": 25})
    assert result["verdict"] == "fail"
    assert result["shares"]["v2"] == 0.0


def test_evaluate_unclassified_responses_use_chi_square():
    result = split_stats.evaluate({"v1": 500, "v2": 200, split_stats.UNCLASSIFIED: 101}, {"v1": 75, "v2": 25})
    assert result["test"] == "chi-square"
    assert result["expected"][split_stats.UNCLASSIFIED] == 0.0
    assert result["verdict"] == "fail"
    assert result["p_value"] == 0.0


def test_evaluate_boundary_is_within_tolerance():
    # 28 % exactly against 25 +/- 3.
    result = split_stats.evaluate({"v1": 72, "v2": 28}, {"v1": 75, "v2": 25})
    assert result["verdict"] == "pass"


def test_evaluate_without_responses_is_inconclusive():
    result = split_stats.evaluate({}, {"v1": 75, "v2": 25})
    assert result["verdict"] == "inconclusive"
    assert result["p_value"] is None


@pytest.mark.parametrize("share", [25, 50, 10])
def test_false_failure_rate_of_honest_splits(share):
    """Honest splits at the planned sample size fail the check about 1 - confidence of the time.

    Each trial draws n responses from a proxy that really sends ``share`` percent to v2 and
    counts a trial as a false failure when the verdict is not ``pass`` (an inconclusive one
    fails the play too). The sample size is computed for exactly this (normal approximation),
    so the rate must stay near 5 %; 1500 trials give a standard error of about 0.6 points.
    """
    confidence, tolerance = 0.95, 3.0
    expected = {"v1": 100 - share, "v2": share}
    size = split_stats.sample_size(expected, tolerance, confidence)
    rng = random.Random(20261129 + share)
    trials = 1500
    failures = 0
    for _dummy in range(trials):
        hits = sum(1 for _i in range(size) if rng.random() * 100 < share)
        verdict = split_stats.evaluate({"v1": size - hits, "v2": hits}, expected, tolerance, confidence)["verdict"]
        failures += verdict != "pass"
    rate = failures / trials
    assert 0.025 <= rate <= 0.075, "false-failure rate %.3f at %s %%" % (rate, share)


def test_a_real_shift_is_caught():
    """The same sample size catches a proxy that sends 30 % instead of 25 % most of the time."""
    expected = {"v1": 75, "v2": 25}
    size = split_stats.sample_size(expected)
    rng = random.Random(7)
    caught = 0
    for _dummy in range(300):
        hits = sum(1 for _i in range(size) if rng.random() < 0.33)
        caught += split_stats.evaluate({"v1": size - hits, "v2": hits}, expected)["verdict"] == "fail"
    assert caught / 300 > 0.9
