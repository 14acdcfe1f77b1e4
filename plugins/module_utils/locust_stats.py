# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Read locust's CSV output (``--csv PREFIX --csv-full-history``) and summarise a run.

Files read, for a prefix P: P_stats.csv (final per-endpoint table and the Aggregated row),
P_stats_history.csv (one row a second per endpoint and Aggregated), P_failures.csv, and
optionally the master's log (worker losses) and the run record written by the load-test role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import datetime
import io
import json
import os
import re

from ansible_collections.boutique.ops.plugins.module_utils.breaking_point import find as find_breaking_point

AGGREGATED = "Aggregated"

# "Worker vm_1234abcd failed to send heartbeat, setting state to missing." (locust 2.x runners.py)
_MISSING_RE = re.compile(r"Worker (\S+) failed to send heartbeat, setting state to missing")
# "Worker 'vm_1234abcd' (index 0) quit. 1 workers ready." and "vm_1234abcd (index 0) reported as ready."
_QUIT_RE = re.compile(r"Worker '?([^'\s]+)'? \(index \d+\) quit")
_READY_RE = re.compile(r"(\S+) \(index \d+\) reported as ready")
_SELF_HEALED_RE = re.compile(r"Worker (\S+) self-healed")


class LocustCsvError(Exception):
    """The CSV files are missing or are not locust's."""


def _number(value, default=None):
    """locust writes N/A for percentiles of an empty window."""
    if value is None:
        return default
    value = value.strip()
    if value in ("", "N/A", "nan"):
        return default
    try:
        return float(value)
    except ValueError:
        return default


def _read_rows(path, required):
    if not os.path.exists(path):
        raise LocustCsvError("%s does not exist: was locust run with --csv?" % path)
    with io.open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise LocustCsvError("%s is not a locust CSV: columns %s are missing" % (path, ", ".join(missing)))
        return list(reader)


def read_stats(path):
    """P_stats.csv -> (endpoints, aggregated); each a dict with numbers in milliseconds."""
    rows = _read_rows(path, ("Type", "Name", "Request Count", "Failure Count", "50%", "95%", "99%"))
    endpoints = []
    aggregated = None
    for row in rows:
        entry = {
            "method": row["Type"],
            "name": row["Name"],
            "requests": int(_number(row["Request Count"], 0)),
            "failures": int(_number(row["Failure Count"], 0)),
            "avg_ms": _number(row.get("Average Response Time")),
            "min_ms": _number(row.get("Min Response Time")),
            "max_ms": _number(row.get("Max Response Time")),
            "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]),
            "p99_ms": _number(row["99%"]),
            "rps": _number(row.get("Requests/s"), 0.0),
        }
        entry["failure_ratio"] = ratio(entry["failures"], entry["requests"])
        if row["Name"] == AGGREGATED and not row["Type"]:
            aggregated = entry
        else:
            endpoints.append(entry)
    if aggregated is None:
        raise LocustCsvError("%s has no Aggregated row" % path)
    return endpoints, aggregated


def read_history(path):
    """P_stats_history.csv -> {"aggregated": [...], "endpoints": {"GET /": [...]}}, rows in time order.

    A row: t (epoch seconds), users, rps, fps, p50_ms, p95_ms (locust's current-window
    percentiles), requests and failures (cumulative).
    """
    rows = _read_rows(path, ("Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "50%", "95%",
                             "Total Request Count", "Total Failure Count"))
    history = {"aggregated": [], "endpoints": {}}
    for row in rows:
        point = {
            "t": int(_number(row["Timestamp"], 0)),
            "users": int(_number(row["User Count"], 0)),
            "rps": _number(row["Requests/s"], 0.0),
            "fps": _number(row["Failures/s"], 0.0),
            "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]),
            "requests": int(_number(row["Total Request Count"], 0)),
            "failures": int(_number(row["Total Failure Count"], 0)),
        }
        if row["Name"] == AGGREGATED and not row["Type"]:
            history["aggregated"].append(point)
        else:
            history["endpoints"].setdefault("%s %s" % (row["Type"], row["Name"]), []).append(point)
    history["aggregated"].sort(key=lambda point: point["t"])
    return history


def read_failures(path):
    """P_failures.csv -> [{method, name, error, occurrences}], most frequent first; [] when absent."""
    if not os.path.exists(path):
        return []
    rows = _read_rows(path, ("Method", "Name", "Error", "Occurrences"))
    failures = [
        {"method": row["Method"], "name": row["Name"], "error": row["Error"], "occurrences": int(_number(row["Occurrences"], 0))}
        for row in rows
    ]
    return sorted(failures, key=lambda item: -item["occurrences"])


def ratio(part, whole):
    """part / whole, 0.0 for an empty whole."""
    return float(part) / whole if whole else 0.0


def failure_ratio_series(points, window_s):
    """The failure ratio of each history row over the preceding ``window_s`` seconds.

    Returns [(t, ratio or None, requests in the window)]; None when the window holds no request.
    """
    series = []
    start = 0
    for index, point in enumerate(points):
        while start < index and points[start]["t"] < point["t"] - window_s:
            start += 1
        base = points[start] if start < index else None
        if base is None:
            series.append((point["t"], None, 0))
            continue
        requests = point["requests"] - base["requests"]
        failures = point["failures"] - base["failures"]
        series.append((point["t"], ratio(failures, requests) if requests > 0 else None, requests))
    return series


def breaking_point(points, threshold, window_s, min_requests=10):
    """The breaking point of the CSV history: module_utils/breaking_point.py's one rule.

    The locustfile's shapes feed the same rule the same rows while the run goes on, so summary.json
    and the master's log agree. Returns {users, at, after_s, failure_ratio} or None.
    """
    point = find_breaking_point(points, threshold, window_s, min_requests)
    if point is None:
        return None
    return {key: point[key] for key in ("users", "at", "after_s", "failure_ratio")}


def run_duration(points):
    """Seconds from the first row with users to the last row in which the request count grew."""
    started = next((point["t"] for point in points if point["users"] > 0 or point["requests"] > 0), None)
    if started is None:
        return 0
    last = started
    for previous, point in zip(points, points[1:]):
        if point["requests"] > previous["requests"]:
            last = point["t"]
    return last - started


def rate_series(points, window_s):
    """Requests per second of each history row over the preceding ``window_s`` seconds (0 at first).

    From the cumulative counts, so it follows the load as it is, where locust's own current rate
    trails by several seconds.
    """
    rates = []
    start = 0
    for point in points:
        while points[start]["t"] < point["t"] - window_s:
            start += 1
        span = point["t"] - points[start]["t"]
        rates.append((point["requests"] - points[start]["requests"]) / float(span) if span > 0 else 0.0)
    return rates


def peak_rps(points, window_s):
    """The highest request rate: locust's own current rate, or the rate over any ``window_s`` window.

    Workers report to the master in batches, so the second-by-second rate is lumpy; a window
    evens that out.
    """
    best = max([point["rps"] for point in points] or [0.0])
    start = 0
    for point in points:
        while points[start]["t"] < point["t"] - window_s:
            start += 1
        span = point["t"] - points[start]["t"]
        if span >= window_s:
            best = max(best, (point["requests"] - points[start]["requests"]) / float(span))
    return best


def iso_utc(epoch):
    """Epoch seconds -> 2026-01-31T12:00:00Z."""
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_worker_events(path):
    """The master's log -> {connected: [...], lost: [...], quit: [...]} worker ids, each once."""
    events = {"connected": [], "lost": [], "quit": []}
    if not path or not os.path.exists(path):
        return events
    with io.open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            for key, pattern in (("connected", _READY_RE), ("lost", _MISSING_RE), ("quit", _QUIT_RE)):
                match = pattern.search(line)
                if match:
                    worker = next(group for group in match.groups() if group)
                    if worker not in events[key]:
                        events[key].append(worker)
            healed = _SELF_HEALED_RE.search(line)
            if healed and healed.group(1) in events["lost"]:
                events["lost"].remove(healed.group(1))
    return events


def read_run_info(path):
    """The run record the load-test role writes (run.json); {} when absent."""
    if not path or not os.path.exists(path):
        return {}
    with io.open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_versions(path):
    """Per-version results the locustfile wrote (PREFIX_versions.json): {"v1": {requests, failures, p95_ms}}; {} when absent."""
    if not os.path.exists(path):
        return {}
    with io.open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return {str(version): {"requests": int(entry["requests"]), "failures": int(entry["failures"]), "p95_ms": entry.get("p95_ms")}
            for version, entry in sorted(data.items())}


def _round(value, digits=1):
    return None if value is None else round(value, digits)


def summarize(prefix, profile, master_log=None, run_info=None, threshold=0.05, window_s=3.0, min_requests=10,
              expected_workers=None):
    """Everything summary.json holds, from the CSVs of one run.

    ``run_info``: a dict (see read_run_info); its ``interrupted`` or ``rc`` > 1 marks the run partial.
    """
    run_info = run_info or {}
    endpoints, aggregated = read_stats(prefix + "_stats.csv")
    history = read_history(prefix + "_stats_history.csv")
    points = history["aggregated"]
    duration = run_duration(points)
    workers = read_worker_events(master_log)
    partial_reasons = []
    if run_info.get("interrupted"):
        partial_reasons.append("interrupted (%s)" % run_info.get("signal", "signal"))
    elif run_info.get("rc") not in (None, 0, 1):
        partial_reasons.append("locust exited with code %s" % run_info.get("rc"))
    summary = {
        "profile": profile,
        "partial": bool(partial_reasons),
        "partial_reasons": partial_reasons,
        "started": iso_utc(points[0]["t"]) if points else None,
        "ended": iso_utc(points[-1]["t"]) if points else None,
        "duration_s": duration,
        "users_max": max([point["users"] for point in points] or [0]),
        "requests": aggregated["requests"],
        "failures": aggregated["failures"],
        "failure_ratio": round(aggregated["failure_ratio"], 6),
        "rps_peak": _round(peak_rps(points, window_s), 2),
        "rps_mean": _round(ratio(aggregated["requests"], duration) if duration else aggregated["rps"], 2),
        "p50_ms": _round(aggregated["p50_ms"]),
        "p95_ms": _round(aggregated["p95_ms"]),
        "p99_ms": _round(aggregated["p99_ms"]),
        "endpoints": [
            {
                "method": entry["method"],
                "name": entry["name"],
                "requests": entry["requests"],
                "failures": entry["failures"],
                "failure_ratio": round(entry["failure_ratio"], 6),
                "p50_ms": _round(entry["p50_ms"]),
                "p95_ms": _round(entry["p95_ms"]),
                "p99_ms": _round(entry["p99_ms"]),
                "avg_ms": _round(entry["avg_ms"], 2),
            }
            for entry in sorted(endpoints, key=lambda item: (item["name"], item["method"]))
        ],
        "top_failures": read_failures(prefix + "_failures.csv")[:10],
        "workers": {
            "expected": expected_workers,
            "connected": len(workers["connected"]),
            "lost": workers["lost"],
            "lost_count": len(workers["lost"]),
        },
        "notes": [],
    }
    if workers["lost"]:
        summary["notes"].append(
            "%d worker(s) stopped answering mid-run (%s); the run went on with the remaining workers"
            % (len(workers["lost"]), ", ".join(workers["lost"]))
        )
    if profile in ("stress", "recovery"):
        point = breaking_point(points, threshold, window_s, min_requests)
        summary["breaking_point_users"] = point["users"] if point else None
        summary["breaking_point_at"] = point["at"] if point else None
        summary["breaking_point_after_s"] = point["after_s"] if point else None
        summary["breaking_point_failure_ratio"] = point["failure_ratio"] if point else None
        summary["breaking_rule"] = {"failure_ratio_above": threshold, "window_s": window_s, "min_requests": min_requests}
        if point is None:
            summary["notes"].append("no breaking point: the failure ratio never passed %s over %s s" % (threshold, window_s))
    if profile == "recovery" and points:
        # Recovered: the last window (at the lowest load) is back under the threshold.
        series = [item for item in failure_ratio_series(points, window_s) if item[1] is not None]
        summary["recovered"] = bool(series) and series[-1][1] <= threshold
        summary["final_failure_ratio"] = round(series[-1][1], 4) if series else None
    versions = read_versions(prefix + "_versions.json")
    if versions:
        summary["versions"] = versions
    if partial_reasons:
        summary["notes"].append("partial run: " + "; ".join(partial_reasons) + "; the CSVs hold what ran until then")
    return summary


def progress(prefix):
    """The latest Aggregated history row, for progress lines while a run goes on; {} before the first."""
    path = prefix + "_stats_history.csv"
    if not os.path.exists(path):
        return {}
    try:
        points = read_history(path)["aggregated"]
    except (LocustCsvError, ValueError, KeyError):
        # The file is being written: a half row is not an error, just no news yet.
        return {}
    if not points:
        return {}
    last = points[-1]
    last["elapsed_s"] = last["t"] - points[0]["t"]
    last["failure_ratio"] = round(ratio(last["failures"], last["requests"]), 4)
    last["line"] = "t=%ds users=%d req/s=%.1f requests=%d failures=%d (%.2f%%) p50=%sms p95=%sms" % (
        last["elapsed_s"], last["users"], last["rps"], last["requests"], last["failures"], 100 * last["failure_ratio"],
        _ms(last["p50_ms"]), _ms(last["p95_ms"]),
    )
    return last


def _ms(value):
    return "-" if value is None else "%g" % value
