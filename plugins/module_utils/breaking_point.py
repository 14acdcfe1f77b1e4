# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The one breaking-point rule of boutique.ops.

The breaking point is the first sample at which the failure ratio over a sliding window passes a
threshold, while users are running and the window holds at least ``min_requests`` requests.

A sample is what locust's ``--csv-full-history`` writes for the Aggregated row once a second:
(t: whole epoch seconds, users, cumulative requests, cumulative failures). The window's base is
the latest earlier sample at least ``window_s`` seconds older (the first sample while there is
none), so the ratio is (failures - base failures) / (requests - base requests).

Used by the locustfile's stress and recovery shapes while the run goes on (fed the same samples
the master writes into the CSV history) and by the summary afterwards (fed the CSV history), so
the master's log line and summary.json name the same time, user count and ratio.

Standard library only: this file is shipped next to the locustfile to the load generators.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import datetime
import re

# The master's log line, written by the shapes with log_line() and read back by parse_log().
LOG_RE = re.compile(
    r"Breaking point: (?P<users>\d+) users at (?P<at>\S+) \(after (?P<after_s>\d+) s\), failure ratio (?P<ratio>[0-9.]+)"
)


def iso_utc(epoch):
    """Epoch seconds -> 2026-01-31T12:00:00Z."""
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Detector:
    """Streaming detector: feed samples in time order with add(); the first crossing is kept in .point."""

    def __init__(self, threshold, window_s, min_requests=10):
        threshold = float(threshold)
        window_s = float(window_s)
        if not 0 <= threshold <= 1:
            raise ValueError("breaking-point threshold %s is out of range: need 0 <= threshold <= 1" % threshold)
        if window_s <= 0:
            raise ValueError("breaking-point window %s s must be > 0" % window_s)
        self.threshold = threshold
        self.window_s = window_s
        self.min_requests = int(min_requests)
        self.samples = collections.deque()
        self.first_t = None
        self.point = None

    def window_ratio(self, t, requests, failures):
        """Record a sample; return (ratio or None, requests in the window)."""
        if self.first_t is None:
            self.first_t = t
        self.samples.append((t, requests, failures))
        while len(self.samples) > 1 and self.samples[1][0] <= t - self.window_s:
            self.samples.popleft()
        base_t, base_requests, base_failures = self.samples[0]
        delta = requests - base_requests
        if base_t == t or delta <= 0:
            return None, max(delta, 0)
        return (failures - base_failures) / float(delta), delta

    def add(self, t, users, requests, failures):
        """Feed one sample; returns the breaking point the first time it is found, else None."""
        value, delta = self.window_ratio(int(t), int(requests), int(failures))
        if self.point is not None:
            return None
        if value is not None and delta >= self.min_requests and value > self.threshold and int(users) > 0:
            self.point = {
                "users": int(users),
                "t": int(t),
                "at": iso_utc(int(t)),
                "after_s": int(t) - self.first_t,
                "failure_ratio": round(value, 4),
                "window_requests": delta,
            }
            return self.point
        return None

    def rule(self):
        """The rule's parameters, as summary.json records them."""
        return {"failure_ratio_above": self.threshold, "window_s": self.window_s, "min_requests": self.min_requests}


def find(samples, threshold, window_s, min_requests=10):
    """The breaking point of a whole series of dicts with t, users, requests, failures; None if none."""
    detector = Detector(threshold, window_s, min_requests)
    for sample in samples:
        if detector.add(sample["t"], sample["users"], sample["requests"], sample["failures"]):
            break
    return detector.point


def log_line(point, detector):
    """The line the shapes write into the master's log."""
    return "Breaking point: %d users at %s (after %d s), failure ratio %.4f over %g s > %g (%d requests in the window)" % (
        point["users"], point["at"], point["after_s"], point["failure_ratio"], detector.window_s, detector.threshold,
        point["window_requests"],
    )


def parse_log(text):
    """The breaking point a master's log names ({users, at, after_s, failure_ratio}), or None."""
    match = LOG_RE.search(text or "")
    if not match:
        return None
    return {
        "users": int(match.group("users")),
        "at": match.group("at"),
        "after_s": int(match.group("after_s")),
        "failure_ratio": float(match.group("ratio")),
    }
