# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The breaking-point rule on hand-made samples."""

from __future__ import annotations

import pytest

from ansible_collections.boutique.ops.plugins.module_utils import breaking_point


def _series(rows):
    return [{"t": t, "users": users, "requests": req, "failures": fail} for t, users, req, fail in rows]


def test_first_window_above_threshold():
    rows = _series([(100, 0, 0, 0), (101, 2, 10, 0), (102, 4, 30, 0), (103, 6, 60, 1), (104, 8, 90, 10), (105, 10, 120, 40)])
    point = breaking_point.find(rows, 0.05, 2)
    # At 104 the window's base is 102 (the latest sample at least 2 s older): 10 of 60 failed.
    assert point == {"users": 8, "t": 104, "at": "1970-01-01T00:01:44Z", "after_s": 4, "failure_ratio": 0.1667, "window_requests": 60}


def test_no_point_below_min_requests_or_without_users():
    assert breaking_point.find(_series([(1, 1, 0, 0), (2, 1, 5, 5), (3, 0, 50, 50)]), 0.05, 5) is None


def test_streaming_equals_batch_and_log_round_trip():
    rows = _series([(t, t, t * 10, max(0, t - 5) * 5) for t in range(20)])
    detector = breaking_point.Detector(0.2, 3)
    found = [detector.add(row["t"], row["users"], row["requests"], row["failures"]) for row in rows]
    assert [point for point in found if point] == [breaking_point.find(rows, 0.2, 3)]
    logged = breaking_point.parse_log("INFO/boutique: " + breaking_point.log_line(detector.point, detector))
    assert logged == {key: detector.point[key] for key in ("users", "at", "after_s", "failure_ratio")}


@pytest.mark.parametrize("threshold, window", [(1.5, 3), (-0.1, 3), (0.05, 0)])
def test_bad_rule_refused(threshold, window):
    with pytest.raises(ValueError):
        breaking_point.Detector(threshold, window)
