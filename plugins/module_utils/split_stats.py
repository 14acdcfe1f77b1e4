# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Statistics for checking an observed traffic split against the expected weights.

Pure Python (math and statistics only): this runs inside modules on any managed host, where
scipy cannot be assumed. Shares, tolerances and deviations are in percent (points), like the
weights of an Istio VirtualService; confidence is a fraction (0.95).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

try:
    from statistics import NormalDist
except ImportError:  # pragma: no cover - Python < 3.8 has no NormalDist
    NormalDist = None

# Versions a response could not be attributed to (no header, no body pattern matched).
UNCLASSIFIED = "unclassified"

# Relative tolerance scipy uses when it gathers outcomes "as extreme as" the observed one in the
# two-sided exact binomial test; without it, rounding splits ties such as k and n - k at p = 0.5.
_BINOM_RTOL = 1 + 1e-7


def z_score(confidence):
    """Two-sided standard normal quantile for ``confidence`` (0.95 -> 1.959964...)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1, got %r" % (confidence,))
    quantile = 1 - (1 - confidence) / 2
    if NormalDist is not None:
        return NormalDist().inv_cdf(quantile)
    return _inv_norm_cdf(quantile)  # pragma: no cover


def _inv_norm_cdf(prob):  # pragma: no cover - only for Python without statistics.NormalDist
    """Normal quantile by bisection on the CDF (erfc): slow but exact to 1e-12, no constants."""
    low, high = -40.0, 40.0
    for _dummy in range(200):
        mid = (low + high) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < prob:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def worst_case_share(expected):
    """The expected share (percent) whose estimate varies most: the one closest to 50."""
    shares = [float(value) for value in expected.values()]
    if not shares:
        raise ValueError("expected needs at least one version")
    return min(shares, key=lambda share: abs(share - 50.0))


def sample_size(expected, tolerance=3.0, confidence=0.95):
    """Requests needed so that every observed share lands within ``tolerance`` points of its
    expected share with probability ``confidence`` (normal approximation, worst-case weight).

    ``n = z^2 p (1 - p) / e^2``: 801 at 25 % +/- 3 points and 1068 at 50 % (95 %). A split of
    0/100 has no variance, so the floor is the size that would see at least one response from a
    version that really takes ``tolerance`` percent: ``(1 - e)^n <= 1 - confidence``.
    """
    if tolerance <= 0 or tolerance >= 100:
        raise ValueError("tolerance must lie between 0 and 100 percentage points, got %r" % (tolerance,))
    share = worst_case_share(expected) / 100.0
    error = tolerance / 100.0
    z = z_score(confidence)
    # Round before ceil so that 800.0000000001 from float noise does not become 801.
    normal = math.ceil(round(z * z * share * (1 - share) / (error * error), 6))
    floor = math.ceil(round(math.log(1 - confidence) / math.log(1 - error), 6))
    return int(max(normal, floor, 1))


def wilson_interval(successes, trials, confidence=0.95):
    """Wilson score interval for a proportion, as fractions (low, high)."""
    if trials <= 0:
        return (0.0, 1.0)
    if successes < 0 or successes > trials:
        raise ValueError("successes must lie between 0 and trials")
    z = z_score(confidence)
    phat = successes / trials
    z2n = z * z / trials
    centre = (phat + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(phat * (1 - phat) / trials + z * z / (4 * trials * trials))
    # The bounds at 0 and n are exactly 0 and 1; the formula would leave float noise there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def _log_binom_pmf(k, n, p):
    if p <= 0:
        return 0.0 if k == 0 else float("-inf")
    if p >= 1:
        return 0.0 if k == n else float("-inf")
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def binom_test(successes, trials, prob):
    """Two-sided exact binomial test p-value (same definition as scipy.stats.binomtest):
    the probability of every outcome no more likely than the observed one."""
    if trials <= 0:
        return 1.0
    if not 0 <= prob <= 1:
        raise ValueError("prob must lie between 0 and 1, got %r" % (prob,))
    if prob in (0, 1):
        return 1.0 if successes == (0 if prob == 0 else trials) else 0.0
    observed = _log_binom_pmf(successes, trials, prob)
    limit = observed + math.log(_BINOM_RTOL)
    total = 0.0
    for k in range(trials + 1):
        log_pmf = _log_binom_pmf(k, trials, prob)
        if log_pmf <= limit:
            total += math.exp(log_pmf)
    return min(1.0, total)


def _gamma_p_series(a, x):
    term = total = 1.0 / a
    denom = a
    for _dummy in range(10000):
        denom += 1
        term *= x / denom
        total += term
        if abs(term) < abs(total) * 1e-15:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_q_fraction(a, x):
    # Modified Lentz continued fraction for the upper incomplete gamma (Numerical Recipes 6.2).
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi2_sf(statistic, dof):
    """Survival function of the chi-square distribution (upper tail p-value)."""
    if dof <= 0:
        raise ValueError("degrees of freedom must be positive")
    if math.isinf(statistic):
        return 0.0
    if statistic <= 0:
        return 1.0
    a, x = dof / 2.0, statistic / 2.0
    if x < a + 1:
        return max(0.0, 1.0 - _gamma_p_series(a, x))
    return min(1.0, _gamma_q_fraction(a, x))


def chi2_gof(counts, probs):
    """Pearson's goodness-of-fit test. ``counts`` and ``probs`` are parallel lists.
    Returns (statistic, dof, p_value). A count in a cell with probability 0 is impossible
    under the null hypothesis: the statistic is infinite and the p-value 0."""
    total = sum(counts)
    statistic = 0.0
    cells = 0
    for count, prob in zip(counts, probs):
        expected = total * prob
        if expected <= 0:
            if count > 0:
                statistic = float("inf")
            continue
        cells += 1
        statistic += (count - expected) ** 2 / expected
    dof = max(cells - 1, 1)
    return statistic, dof, chi2_sf(statistic, dof)


def evaluate(counts, expected, tolerance=3.0, confidence=0.95):
    """Compare observed ``counts`` (version -> responses) with ``expected`` (version -> percent).

    A version observed but not expected (including UNCLASSIFIED) counts as expected at 0 %.
    The verdict is ``pass`` when every observed share is within ``tolerance`` points of its
    expected share; ``fail`` when one is outside it and the deviation is significant
    (p-value below 1 - confidence); otherwise ``inconclusive`` (too few responses to tell).
    """
    versions = list(expected) + sorted(v for v in counts if v not in expected and counts[v] > 0)
    total = sum(int(counts.get(v, 0)) for v in versions)
    alpha = 1 - confidence
    result = {
        "total": total,
        "counts": dict((v, int(counts.get(v, 0))) for v in versions),
        "shares": {},
        "deviations": {},
        "intervals": {},
        "expected": dict((v, float(expected.get(v, 0))) for v in versions),
    }
    if total == 0:
        result.update(p_value=None, test=None, max_deviation=None, verdict="inconclusive",
                      reason="no response could be classified, so nothing can be compared")
        return result
    for version in versions:
        count = result["counts"][version]
        share = 100.0 * count / total
        low, high = wilson_interval(count, total, confidence)
        result["shares"][version] = round(share, 3)
        result["deviations"][version] = round(share - result["expected"][version], 3)
        result["intervals"][version] = [round(100 * low, 3), round(100 * high, 3)]
    if len(versions) <= 2:
        # Two categories: the exact test on the first version decides for both.
        first = versions[0]
        p_value = binom_test(result["counts"][first], total, result["expected"][first] / 100.0)
        test = "binomial"
    else:
        _stat, _dof, p_value = chi2_gof([result["counts"][v] for v in versions],
                                        [result["expected"][v] / 100.0 for v in versions])
        test = "chi-square"
    max_deviation = max(abs(d) for d in result["deviations"].values())
    # Rounded to 1e-9 so that a share of exactly 28.0 against 25 +/- 3 counts as within.
    within = round(max_deviation - tolerance, 9) <= 0
    if within:
        verdict = "pass"
        reason = "every share is within %s points of its expected share" % _fmt(tolerance)
    elif p_value < alpha:
        verdict = "fail"
        reason = ("a share is %s points off its expected share (tolerance %s) and the deviation is "
                  "significant (p=%.3g < %.3g)" % (_fmt(max_deviation), _fmt(tolerance), p_value, alpha))
    else:
        verdict = "inconclusive"
        reason = ("a share is %s points off its expected share (tolerance %s) but the deviation is not "
                  "significant (p=%.3g >= %.3g): send more requests" % (_fmt(max_deviation), _fmt(tolerance), p_value, alpha))
    result.update(p_value=p_value, test=test, max_deviation=round(max_deviation, 3), verdict=verdict, reason=reason)
    return result


def _fmt(number):
    return ("%.2f" % number).rstrip("0").rstrip(".")
