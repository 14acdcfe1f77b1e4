# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Read locust's output (``--csv PREFIX --csv-full-history``, ``--json-file PREFIX``) and summarise a run.

Files read, for a prefix P: P.json (locust's final statistics, when locust wrote it) or else
P_stats.csv (the final per-endpoint table and its Aggregated row), P_stats_history.csv (one row
a second per endpoint and one Aggregated row), P_failures.csv, and optionally the master's log
(worker losses) and the run record written by the load-test role.

Cost does not grow with the run beyond one pass over the history: the history is streamed,
only running state is kept (sliding windows of ``window_s`` seconds, counters) plus a series
downsampled to at most ``MAX_POINTS`` points for the plots. A progress poll reads only the
head and the tail of the history, so it costs the same at any run length.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import csv
import datetime
import io
import json
import math
import os
import re
import time

from ansible_collections.boutique.ops.plugins.module_utils.breaking_point import find as find_breaking_point

AGGREGATED = "Aggregated"
# The plots need no more points than this per series; longer runs are averaged into buckets.
MAX_POINTS = 2000
# Plausible epoch seconds for a history row (2000-01-01 .. 2100-01-01).
_T_MIN, _T_MAX = 946684800, 4102444800
# A progress poll reads at most this much of the end of the history.
_TAIL_BYTES = 64 * 1024
_TAIL_MAX_BYTES = 1024 * 1024

HISTORY_COLUMNS = ("Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "50%", "95%",
                   "Total Request Count", "Total Failure Count")
STATS_COLUMNS = ("Type", "Name", "Request Count", "Failure Count", "50%", "95%", "99%")
FAILURE_COLUMNS = ("Method", "Name", "Error", "Occurrences")

# "[2026-11-29 18:16:52,103] vm/INFO/locust.runners: ..." (locust's default log format, local time)
_LOG_TIME_RE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
# "Worker vm_1234abcd failed to send heartbeat, setting state to missing." (locust 2.x runners.py)
_MISSING_RE = re.compile(r"Worker (\S+) failed to send heartbeat, setting state to missing")
# "Worker 'vm_1234abcd' (index 0) quit. 1 workers ready." and "vm_1234abcd (index 0) reported as ready."
_QUIT_RE = re.compile(r"Worker '?([^'\s]+)'? \(index \d+\) quit")
_READY_RE = re.compile(r"(\S+) \(index \d+\) reported as ready")
_SELF_HEALED_RE = re.compile(r"Worker (\S+) self-healed")
# The locustfile reports a failed response as "HTTP 503"; python-requests style errors carry "code=503".
_STATUS_RE = re.compile(r"\bHTTP (\d{1,3})\b|\bcode=(\d{3})\b")
_URL_RE = re.compile(r"https?://[^\s'\"]+")


class LocustCsvError(Exception):
    """A results file is missing, unreadable or not what locust writes; the message names the file."""


def ratio(part, whole):
    """part / whole, 0.0 for an empty whole."""
    return float(part) / whole if whole else 0.0


def iso_utc(epoch):
    """Epoch seconds -> 2026-01-31T12:00:00Z."""
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _round(value, digits=1):
    return None if value is None else round(value, digits)


def _number(value, path, line, column, default=None, integer=False):
    """A numeric cell; locust writes N/A for percentiles of an empty window. Bad cells raise, naming the file."""
    value = (value or "").strip()
    if value in ("", "N/A"):
        return default
    try:
        number = float(value)
    except ValueError:
        raise LocustCsvError("%s line %d: column %r is %r, not a number" % (path, line, column, value[:40]))
    if math.isnan(number):
        return default
    if math.isinf(number) or abs(number) > 1e15:
        raise LocustCsvError("%s line %d: column %r is %r, not a finite number" % (path, line, column, value[:40]))
    return int(number) if integer else number


def _timestamp(value, path, line):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not _T_MIN <= number <= _T_MAX:  # also refuses inf and nan
        raise LocustCsvError("%s line %d: Timestamp %r is not a time (epoch seconds between 2000 and 2100)"
                             % (path, line, (value or "")[:40]))
    return int(number)


def _open_csv(path, required):
    """(handle, reader, column index) for a locust CSV; raises LocustCsvError naming the file."""
    if not os.path.exists(path):
        raise LocustCsvError("%s does not exist: was locust run with --csv?" % path)
    if os.path.isdir(path):
        raise LocustCsvError("%s is a folder, not a locust CSV file" % path)
    handle = io.open(path, encoding="utf-8", newline="")
    try:
        reader = csv.reader(handle)
        header = next(reader, None)
    except UnicodeDecodeError as exc:
        handle.close()
        raise LocustCsvError("%s is not UTF-8 text (%s): not a file locust wrote" % (path, exc.reason))
    except csv.Error as exc:
        handle.close()
        raise LocustCsvError("%s line 1: unreadable CSV header (%s)" % (path, exc))
    if not header:
        handle.close()
        raise LocustCsvError("%s is empty: locust writes a header line first; the run may not have started" % path)
    missing = [column for column in required if column not in header]
    if missing:
        handle.close()
        raise LocustCsvError("%s is not a locust CSV: columns %s are missing" % (path, ", ".join(missing)))
    return handle, reader, dict((name, index) for index, name in enumerate(header))


def _rows(path, required):
    """Yield (line number, row as list, column index) of a locust CSV, checking each row's width.

    A short last row without its line end is a row locust was still writing (the run was cut
    short): it is skipped and reported through the ``notes`` list of the caller (see HistoryReader).
    """
    handle, reader, columns = _open_csv(path, required)
    width = len(columns)
    pending = None
    try:
        with handle:
            for row in reader:
                if pending is not None:
                    raise LocustCsvError("%s line %d: truncated row (%d of %d fields)" % (path, pending[0], pending[1], width))
                if len(row) != width:
                    if not row:
                        continue
                    pending = (reader.line_num, len(row))
                    continue
                yield reader.line_num, row, columns
    except UnicodeDecodeError as exc:
        raise LocustCsvError("%s is not UTF-8 text after line %d (%s): not a file locust wrote"
                             % (path, reader.line_num, exc.reason))
    except csv.Error as exc:
        raise LocustCsvError("%s line %d: unreadable CSV (%s)" % (path, reader.line_num, exc))
    if pending is not None:
        yield pending[0], None, columns


def _entry_from_stats_row(row, columns, path, line):
    def cell(name, default=None, integer=False):
        if name not in columns:
            return default
        return _number(row[columns[name]], path, line, name, default, integer)

    entry = {
        "method": row[columns["Type"]],
        "name": row[columns["Name"]],
        "requests": cell("Request Count", 0, True),
        "failures": cell("Failure Count", 0, True),
        "avg_ms": cell("Average Response Time"),
        "min_ms": cell("Min Response Time"),
        "max_ms": cell("Max Response Time"),
        "p50_ms": cell("50%"),
        "p95_ms": cell("95%"),
        "p99_ms": cell("99%"),
        "rps": cell("Requests/s", 0.0),
    }
    entry["failure_ratio"] = ratio(entry["failures"], entry["requests"])
    return entry


def read_stats(path):
    """P_stats.csv -> (endpoints, aggregated); each a dict with numbers in milliseconds."""
    endpoints = []
    aggregated = None
    for line, row, columns in _rows(path, STATS_COLUMNS):
        if row is None:
            raise LocustCsvError("%s line %d: truncated row" % (path, line))
        entry = _entry_from_stats_row(row, columns, path, line)
        if entry["name"] == AGGREGATED and not entry["method"]:
            aggregated = entry
        else:
            endpoints.append(entry)
    if aggregated is None:
        raise LocustCsvError("%s has no Aggregated row: locust writes one last; the file is cut short" % path)
    return endpoints, aggregated


def _percentile(response_times, count, percent):
    """locust.stats.calculate_response_time_percentile, on the JSON's {"ms": count} histogram."""
    wanted = int(count * percent)
    processed = 0
    for value in sorted(response_times, reverse=True):
        processed += response_times[value]
        if count - processed <= wanted:
            return value
    return 0


def _drop_per_second(pairs):
    # num_reqs_per_sec / num_fail_per_sec hold one key per second of the run (epoch seconds):
    # the summary does not use them, so they are not kept (a 24-hour run has 86,400 of each).
    if pairs and pairs[0][0].isdigit() and len(pairs[0][0]) >= 9:
        return None
    return dict(pairs)


def read_stats_json(path):
    """locust's --json-file output (P.json) -> (endpoints, aggregated), like read_stats."""
    try:
        with io.open(path, encoding="utf-8") as handle:
            data = json.load(handle, object_pairs_hook=_drop_per_second)
    except UnicodeDecodeError as exc:
        raise LocustCsvError("%s is not UTF-8 text (%s): not a file locust wrote" % (path, exc.reason))
    except ValueError as exc:
        raise LocustCsvError("%s is not valid JSON (%s): locust may have been killed while writing it" % (path, exc))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LocustCsvError("%s is not locust's --json-file output: a list of statistics entries is expected" % path)
    merged = {"requests": 0, "failures": 0, "none": 0, "total_ms": 0.0, "min_ms": None, "max_ms": None, "times": {}}
    endpoints = []
    for item in data:
        try:
            times = dict((float(key), int(value)) for key, value in (item.get("response_times") or {}).items())
            entry = {"method": item.get("method") or "", "name": item["name"], "requests": int(item["num_requests"]),
                     "failures": int(item["num_failures"]), "none": int(item.get("num_none_requests") or 0),
                     "total_ms": float(item.get("total_response_time") or 0),
                     "min_ms": item.get("min_response_time"), "max_ms": item.get("max_response_time"), "times": times}
        except (KeyError, TypeError, ValueError) as exc:
            raise LocustCsvError("%s: an entry lacks or mangles %s: not locust's --json-file output" % (path, exc))
        endpoints.append(_json_entry(entry))
        merged["requests"] += entry["requests"]
        merged["failures"] += entry["failures"]
        merged["none"] += entry["none"]
        merged["total_ms"] += entry["total_ms"]
        for key in ("min_ms", "max_ms"):
            if entry[key] is not None:
                pick = min if key == "min_ms" else max
                merged[key] = entry[key] if merged[key] is None else pick(merged[key], entry[key])
        for value, count in times.items():
            merged["times"][value] = merged["times"].get(value, 0) + count
    aggregated = _json_entry(dict(merged, method="", name=AGGREGATED))
    return endpoints, aggregated


def _json_entry(entry):
    # As locust's StatsEntry: percentiles over num_requests, the mean over the requests that had a time.
    count = entry["requests"]
    times = entry["times"]
    timed = count - entry["none"]

    def pct(percent):
        return float(_percentile(times, count, percent)) if count else None

    return {
        "method": entry["method"], "name": entry["name"], "requests": count, "failures": entry["failures"],
        "avg_ms": entry["total_ms"] / timed if timed > 0 else None, "min_ms": entry["min_ms"], "max_ms": entry["max_ms"],
        "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "rps": 0.0,
        "failure_ratio": ratio(entry["failures"], count),
    }


def final_stats(prefix):
    """Final totals: from locust's --json-file output (P.json) when present, else from P_stats.csv."""
    if os.path.exists(prefix + ".json"):
        endpoints, aggregated = read_stats_json(prefix + ".json")
        return endpoints, aggregated, "json"
    endpoints, aggregated = read_stats(prefix + "_stats.csv")
    return endpoints, aggregated, "csv"


def _point(row, columns, path, line):
    return {
        "t": _timestamp(row[columns["Timestamp"]], path, line),
        "users": _number(row[columns["User Count"]], path, line, "User Count", 0, True),
        "rps": _number(row[columns["Requests/s"]], path, line, "Requests/s", 0.0),
        "fps": _number(row[columns["Failures/s"]], path, line, "Failures/s", 0.0),
        "p50_ms": _number(row[columns["50%"]], path, line, "50%"),
        "p95_ms": _number(row[columns["95%"]], path, line, "95%"),
        "requests": _number(row[columns["Total Request Count"]], path, line, "Total Request Count", 0, True),
        "failures": _number(row[columns["Total Failure Count"]], path, line, "Total Failure Count", 0, True),
    }


def iter_history(path, notes=None):
    """Stream P_stats_history.csv: yield its Aggregated rows as points, in file order.

    A point: t (epoch seconds), users, rps, fps, p50_ms, p95_ms (locust's current-window
    percentiles, None while empty), requests and failures (cumulative). Every row is checked
    (width, timestamp); per-endpoint rows are not kept. A half-written last row is skipped with
    a note appended to ``notes``.
    """
    last_t = None
    for line, row, columns in _rows(path, HISTORY_COLUMNS):
        if row is None:
            if notes is not None:
                notes.append("%s line %d: a half-written last row was ignored (the run was cut short)" % (path, line))
            continue
        if row[columns["Name"]] != AGGREGATED or row[columns["Type"]]:
            _timestamp(row[columns["Timestamp"]], path, line)
            continue
        point = _point(row, columns, path, line)
        # One clock step backwards (NTP) must not make windows negative.
        if last_t is not None and point["t"] < last_t:
            point["t"] = last_t
        last_t = point["t"]
        yield point


class _Window:
    """Rows of the last ``window_s`` seconds: (t, requests, failures)."""

    def __init__(self, window_s):
        self.window_s = window_s
        self.rows = collections.deque()

    def push(self, point):
        """Add a point; return the oldest earlier row within the window (None when there is none)."""
        while self.rows and self.rows[0][0] < point["t"] - self.window_s:
            self.rows.popleft()
        base = self.rows[0] if self.rows else None
        self.rows.append((point["t"], point["requests"], point.get("failures", 0)))
        return base


def breaking_point(points, threshold, window_s, min_requests=10):
    """The breaking point of the CSV history: module_utils/breaking_point.py's one rule.

    The locustfile's shapes feed the same rule the same rows while the run goes on, so summary.json
    and the master's log agree. ``points`` is any iterable of history points (a list, or the stream
    of iter_history); it is read only up to the breaking point. Returns {users, at, after_s,
    failure_ratio} or None.
    """
    point = find_breaking_point(points, threshold, window_s, min_requests)
    if point is None:
        return None
    return {key: point[key] for key in ("users", "at", "after_s", "failure_ratio")}


def failure_ratio_series(points, window_s):
    """The failure ratio of each point over the preceding ``window_s`` seconds.

    Returns [(t, ratio or None, requests in the window)]; None when the window holds no request.
    """
    window = _Window(window_s)
    series = []
    for point in points:
        base = window.push(point)
        requests = point["requests"] - base[1] if base else 0
        failures = point["failures"] - base[2] if base else 0
        series.append((point["t"], ratio(failures, requests) if requests > 0 else None, requests))
    return series


def rate_series(points, window_s):
    """Requests per second of each point over the preceding ``window_s`` seconds (0 at first)."""
    window = _Window(window_s)
    rates = []
    for point in points:
        base = window.push(point) or (point["t"], point["requests"], 0)
        span = point["t"] - base[0]
        rates.append((point["requests"] - base[1]) / float(span) if span > 0 else 0.0)
    return rates


def peak_rps(points, window_s):
    """The highest request rate: locust's own current rate, or the rate over any full ``window_s`` window."""
    window = _Window(window_s)
    best = 0.0
    for point in points:
        best = max(best, point.get("rps") or 0.0)
        base = window.push(point)
        if base and point["t"] - base[0] >= window_s:
            best = max(best, (point["requests"] - base[1]) / float(point["t"] - base[0]))
    return best


def run_duration(points):
    """Seconds from the first row with users to the last row in which the request count grew."""
    started = last = None
    previous = None
    for point in points:
        if started is None and (point["users"] > 0 or point["requests"] > 0):
            started = last = point["t"]
        if started is not None and previous is not None and point["requests"] > previous:
            last = point["t"]
        previous = point["requests"]
    return 0 if started is None else last - started


class Series:
    """The run's time series for the plots, at most ``max_points`` buckets long.

    Each bucket covers ``width`` consecutive rows: t (first row), users (max), rps (mean of the
    windowed rate), p50_ms (mean), p95_ms (max), failure_ratio (max of the windowed ratio, so a
    short burst of failures stays visible), requests and failures (cumulative, at the bucket's end).
    When the buckets reach twice ``max_points``, neighbours are merged and ``width`` doubles.
    """

    FIELDS = ("t", "users", "rps", "p50_ms", "p95_ms", "failure_ratio", "requests", "failures")

    def __init__(self, window_s, max_points=MAX_POINTS):
        self.window = _Window(window_s)
        self.max_points = max_points
        self.width = 1
        self.buckets = []
        self.start = None

    def add(self, point):
        base = self.window.push(point)
        rate_base = base or (point["t"], point["requests"], point["failures"])
        span = point["t"] - rate_base[0]
        rps = (point["requests"] - rate_base[1]) / float(span) if span > 0 else 0.0
        requests = point["requests"] - base[1] if base else 0
        value = ratio(point["failures"] - base[2], requests) if requests > 0 else None
        if self.start is None:
            self.start = (point["t"], point["requests"], point["failures"])
        if self.buckets and self.buckets[-1]["n"] < self.width:
            self._merge(self.buckets[-1], self._bucket(point, rps, value))
        else:
            self.buckets.append(self._bucket(point, rps, value))
            if len(self.buckets) >= 2 * self.max_points:
                self._halve()

    @staticmethod
    def _bucket(point, rps, value):
        return {"t": point["t"], "t_end": point["t"], "users": point["users"], "rps_sum": rps,
                "p50_sum": point["p50_ms"] or 0.0, "p50_n": 0 if point["p50_ms"] is None else 1,
                "p95_ms": point["p95_ms"], "failure_ratio": value, "requests": point["requests"],
                "failures": point["failures"], "n": 1}

    @staticmethod
    def _merge(into, other):
        into["t_end"] = other["t_end"]
        into["users"] = max(into["users"], other["users"])
        into["rps_sum"] += other["rps_sum"]
        into["p50_sum"] += other["p50_sum"]
        into["p50_n"] += other["p50_n"]
        for key in ("p95_ms", "failure_ratio"):
            if other[key] is not None:
                into[key] = other[key] if into[key] is None else max(into[key], other[key])
        into["requests"] = other["requests"]
        into["failures"] = other["failures"]
        into["n"] += other["n"]

    def _halve(self):
        merged = []
        for index in range(0, len(self.buckets), 2):
            bucket = self.buckets[index]
            if index + 1 < len(self.buckets):
                self._merge(bucket, self.buckets[index + 1])
            merged.append(bucket)
        self.buckets = merged
        self.width *= 2

    def columns(self):
        """{"t": [...], "users": [...], ...}: one list per field, ``step_s`` the rows a point stands for."""
        out = dict((field, []) for field in self.FIELDS)
        for bucket in self.buckets:
            out["t"].append(bucket["t"])
            out["users"].append(bucket["users"])
            out["rps"].append(bucket["rps_sum"] / bucket["n"])
            out["p50_ms"].append(bucket["p50_sum"] / bucket["p50_n"] if bucket["p50_n"] else None)
            out["p95_ms"].append(bucket["p95_ms"])
            out["failure_ratio"].append(bucket["failure_ratio"])
            out["requests"].append(bucket["requests"])
            out["failures"].append(bucket["failures"])
        out["rows_per_point"] = self.width
        out["start"] = self.start
        return out


def read_history(path, window_s=3.0, max_points=MAX_POINTS):
    """P_stats_history.csv -> the plot series (Series.columns()), in one streaming pass."""
    series = Series(window_s, max_points)
    for point in iter_history(path):
        series.add(point)
    return series.columns()


def read_failures(path):
    """P_failures.csv -> [{method, name, error, occurrences}], most frequent first; [] when absent."""
    if not os.path.exists(path):
        return []
    failures = []
    for line, row, columns in _rows(path, FAILURE_COLUMNS):
        if row is None:
            raise LocustCsvError("%s line %d: truncated row" % (path, line))
        failures.append({"method": row[columns["Method"]], "name": row[columns["Name"]], "error": row[columns["Error"]],
                         "occurrences": _number(row[columns["Occurrences"]], path, line, "Occurrences", 0, True)})
    return sorted(failures, key=lambda item: -item["occurrences"])


def failure_kind(error):
    """'HTTP 503' for a status, else the error without its URLs (which vary per product), shortened."""
    match = _STATUS_RE.search(error)
    if match:
        code = match.group(1) or match.group(2)
        return "HTTP %s" % code if code != "0" else "no answer"
    kind = _URL_RE.sub("URL", error).strip()
    return kind if len(kind) <= 120 else kind[:117] + "..."


def group_failures(failures):
    """Failures grouped by locust's endpoint name, method and status: [{method, name, kind, occurrences, errors}]."""
    groups = collections.OrderedDict()
    for item in failures:
        key = (item["method"], item["name"], failure_kind(item["error"]))
        group = groups.setdefault(key, {"method": key[0], "name": key[1], "kind": key[2], "occurrences": 0, "errors": 0,
                                        "example": item["error"]})
        group["occurrences"] += item["occurrences"]
        group["errors"] += 1
    return sorted(groups.values(), key=lambda group: (-group["occurrences"], group["name"], group["kind"]))


def failures_line(groups, limit=3):
    """The most frequent failure groups in one line, for a message: 'GET /product/[id] HTTP 503 x41; POST /cart ...'."""
    parts = ["%s %s %s x%d" % (group["method"], group["name"], group["kind"], group["occurrences"]) for group in groups[:limit]]
    if len(groups) > limit:
        more = len(groups) - limit
        parts.append("%d other kind%s in locust_failures.csv" % (more, "" if more == 1 else "s"))
    return "; ".join(parts)


def _log_time(line):
    match = _LOG_TIME_RE.match(line)
    if not match:
        return None
    # locust logs in the master's local time; the report is normally made on that same host.
    return int(time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")))


def read_worker_events(path):
    """The master's log -> {connected: [...], lost: [...], quit: [...], lost_at: {worker: epoch}} worker ids, each once."""
    events = {"connected": [], "lost": [], "quit": [], "lost_at": {}}
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
                        if key == "lost":
                            events["lost_at"][worker] = _log_time(line)
            healed = _SELF_HEALED_RE.search(line)
            if healed and healed.group(1) in events["lost"]:
                events["lost"].remove(healed.group(1))
                events["lost_at"].pop(healed.group(1), None)
    return events


def read_run_info(path):
    """The run record the load-test role writes (run.json); {} when absent. Bad content names the file."""
    if not path or not os.path.exists(path):
        return {}
    try:
        with io.open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise LocustCsvError("run_info %s is not UTF-8 text (%s): not the run record the load-test role writes" % (path, exc.reason))
    if not text.strip():
        raise LocustCsvError("run_info %s is empty: the run wrapper writes it when locust starts; was the run started?" % path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LocustCsvError("run_info %s is not valid JSON (%s)" % (path, exc))
    if not isinstance(data, dict):
        raise LocustCsvError("run_info %s holds a %s, not the run record (a JSON object with rc and interrupted)"
                             % (path, type(data).__name__))
    return data


def read_versions(path):
    """Per-version results the locustfile wrote (PREFIX_versions.json) during a canary:
    {"v1": {"requests", "failures", "p95_ms"}, ...}; {} when absent. Bad content names the file."""
    if not os.path.exists(path):
        return {}
    try:
        with io.open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return dict((str(version), {"requests": int(entry["requests"]), "failures": int(entry["failures"]),
                                    "p95_ms": entry.get("p95_ms")})
                    for version, entry in sorted(data.items()))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LocustCsvError("%s is not the per-version results the locustfile writes "
                             "({\"v1\": {\"requests\": N, \"failures\": N, \"p95_ms\": X}}): %s" % (path, exc))


def spike_phases(columns):
    """Before / during / after the spike, from the plot series: the spike is the span with users above the
    midpoint between the first row's users and the peak. [] when there is no such span."""
    users = columns["users"]
    if not users:
        return []
    base, peak = users[0], max(users)
    if peak <= base:
        return []
    middle = base + (peak - base) / 2.0
    above = [index for index, value in enumerate(users) if value > middle]
    first, last = above[0], above[-1]
    bounds = (("before", 0, first), ("during", first, last + 1), ("after", last + 1, len(users)))
    phases = []
    for name, start, end in bounds:
        if end <= start:
            continue
        # Everything up to the spike counts as before it, including the first row's requests.
        before_req = columns["requests"][start - 1] if start else 0
        before_fail = columns["failures"][start - 1] if start else 0
        requests = columns["requests"][end - 1] - before_req
        failures = columns["failures"][end - 1] - before_fail
        t_start = columns["t"][start]
        t_end = columns["t"][end] if end < len(users) else columns["t"][end - 1] + columns["rows_per_point"]
        p95 = [value for value in columns["p95_ms"][start:end] if value is not None]
        phases.append({"phase": name, "start_s": t_start - columns["t"][0], "end_s": t_end - columns["t"][0],
                       "users_max": max(users[start:end]), "requests": requests, "failures": failures,
                       "failure_ratio": round(ratio(failures, requests), 6),
                       "rps_mean": round(ratio(requests, t_end - t_start), 2), "p95_ms_max": _round(max(p95) if p95 else None)})
    return phases


def summarize_with_series(prefix, profile, master_log=None, run_info=None, threshold=0.05, window_s=3.0,
                          min_requests=10, expected_workers=None, max_points=MAX_POINTS):
    """(summary, plot series) from one streaming pass over the history.

    ``run_info``: a dict (see read_run_info); its ``interrupted`` or ``rc`` > 1 marks the run partial.
    """
    run_info = run_info or {}
    endpoints, aggregated, source = final_stats(prefix)
    history_path = prefix + "_stats_history.csv"
    notes = []
    series = Series(window_s, max_points)
    state = {"first": None, "last": None, "users_max": 0, "peak": 0.0, "final_ratio": None,
             "started": None, "last_growth": None, "previous": None}
    peak_window = _Window(window_s)

    def observe(stream):
        for point in stream:
            if state["first"] is None:
                state["first"] = point["t"]
            state["last"] = point["t"]
            state["users_max"] = max(state["users_max"], point["users"])
            if state["started"] is None and (point["users"] > 0 or point["requests"] > 0):
                state["started"] = state["last_growth"] = point["t"]
            elif state["started"] is not None and state["previous"] is not None and point["requests"] > state["previous"]:
                state["last_growth"] = point["t"]
            state["previous"] = point["requests"]
            state["peak"] = max(state["peak"], point["rps"] or 0.0)
            base = peak_window.push(point)
            if base and point["t"] - base[0] >= window_s:
                state["peak"] = max(state["peak"], (point["requests"] - base[1]) / float(point["t"] - base[0]))
            if base and point["requests"] > base[1]:
                state["final_ratio"] = ratio(point["failures"] - base[2], point["requests"] - base[1])
            series.add(point)
            yield point

    stream = observe(iter_history(history_path, notes))
    point = None
    if profile in ("stress", "recovery"):
        point = breaking_point(stream, threshold, window_s, min_requests)
    # Read the rest (all of it when there is no breaking point to look for).
    collections.deque(stream, maxlen=0)

    workers = read_worker_events(master_log)
    duration = state["last_growth"] - state["started"] if state["started"] is not None else 0
    partial_reasons = []
    if run_info.get("interrupted"):
        partial_reasons.append("interrupted (%s)" % run_info.get("signal", "signal"))
    elif run_info.get("rc") not in (None, 0, 1):
        partial_reasons.append("locust exited with code %s" % run_info.get("rc"))
    failures = read_failures(prefix + "_failures.csv")
    start = state["first"]
    summary = {
        "profile": profile,
        "partial": bool(partial_reasons),
        "partial_reasons": partial_reasons,
        "totals_from": "locust.json (--json-file)" if source == "json" else "locust_stats.csv",
        "started": iso_utc(start) if start is not None else None,
        "ended": iso_utc(state["last"]) if start is not None else None,
        "duration_s": duration,
        "users_max": state["users_max"],
        "requests": aggregated["requests"],
        "failures": aggregated["failures"],
        "failure_ratio": round(aggregated["failure_ratio"], 6),
        "failure_ratio_threshold": threshold,
        "window_s": window_s,
        "rps_peak": _round(state["peak"], 2),
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
        "top_failures": failures[:10],
        "failures_grouped": group_failures(failures),
        "workers": {
            "expected": expected_workers,
            "connected": len(workers["connected"]),
            "lost": workers["lost"],
            "lost_count": len(workers["lost"]),
            "lost_after_s": dict((worker, at - start if at is not None and start is not None else None)
                                 for worker, at in workers["lost_at"].items()),
        },
        "notes": notes,
    }
    if workers["lost"]:
        summary["notes"].append(
            "%d worker(s) stopped answering mid-run (%s); the run went on with the remaining workers"
            % (len(workers["lost"]), ", ".join(workers["lost"]))
        )
    if profile in ("stress", "recovery"):
        summary["breaking_point_users"] = point["users"] if point else None
        summary["breaking_point_at"] = point["at"] if point else None
        summary["breaking_point_after_s"] = point["after_s"] if point else None
        summary["breaking_point_failure_ratio"] = point["failure_ratio"] if point else None
        summary["breaking_rule"] = {"failure_ratio_above": threshold, "window_s": window_s, "min_requests": min_requests}
        if point is None:
            summary["notes"].append("no breaking point: the failure ratio never passed %s over %s s" % (threshold, window_s))
    if profile == "recovery" and start is not None:
        # Recovered: the last window with requests (at the lowest load) is back under the threshold.
        summary["recovered"] = state["final_ratio"] is not None and state["final_ratio"] <= threshold
        summary["final_failure_ratio"] = _round(state["final_ratio"], 4)
    columns = series.columns()
    if profile == "spike":
        summary["spike_phases"] = spike_phases(columns)
    versions = read_versions(prefix + "_versions.json")
    if versions:
        summary["versions"] = versions
    if partial_reasons:
        summary["notes"].append("partial run: " + "; ".join(partial_reasons) + "; the CSVs hold what ran until then")
    return summary, columns


def summarize(prefix, profile, **kwargs):
    """Everything summary.json holds, from the files of one run (see summarize_with_series)."""
    return summarize_with_series(prefix, profile, **kwargs)[0]


# ---------------------------------------------------------------------------------------------
# Progress: the head and the tail of the history, never the whole file.

def _read_head(path):
    with io.open(path, "rb") as handle:
        head = handle.read(8192)
    lines = head.split(b"\n")
    return [line.rstrip(b"\r") for line in lines[:-1]] if len(lines) > 1 else []


def _parse_line(raw, columns, path):
    try:
        row = next(csv.reader([raw.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    if len(row) != len(columns) or row[columns["Name"]] != AGGREGATED or row[columns["Type"]]:
        return None
    try:
        return _point(row, columns, path, 0)
    except LocustCsvError:
        return None


def progress(prefix, planned_s=None):
    """The latest Aggregated history row, for progress lines while a run goes on; {} before the first.

    Reads the first lines (header, start time) and the last ``_TAIL_BYTES`` of the history (more
    only when no Aggregated row is found there, up to ``_TAIL_MAX_BYTES``): the cost does not
    grow with the run. A row still being written is skipped.
    """
    path = prefix + "_stats_history.csv"
    if not os.path.isfile(path):
        return {}
    head = _read_head(path)
    if len(head) < 2:
        return {}
    try:
        header = next(csv.reader([head[0].decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise LocustCsvError("%s: the header is not UTF-8 CSV text; not a file locust wrote" % path)
    columns = dict((name, index) for index, name in enumerate(header))
    missing = [column for column in HISTORY_COLUMNS if column not in columns]
    if missing:
        raise LocustCsvError("%s is not a locust CSV: columns %s are missing" % (path, ", ".join(missing)))
    try:
        first_t = _timestamp(next(csv.reader([head[1].decode("utf-8")]))[columns["Timestamp"]], path, 2)
    except (UnicodeDecodeError, csv.Error, StopIteration, IndexError):
        return {}
    last = _last_aggregated(path, columns)
    if last is None:
        return {}
    last["elapsed_s"] = max(0, last["t"] - first_t)
    last["failure_ratio"] = round(ratio(last["failures"], last["requests"]), 4)
    last["line"] = "t=%ds users=%d req/s=%.1f requests=%d failures=%d (%.2f%%) p50=%sms p95=%sms" % (
        last["elapsed_s"], last["users"], last["rps"], last["requests"], last["failures"], 100 * last["failure_ratio"],
        _ms(last["p50_ms"]), _ms(last["p95_ms"]),
    )
    if planned_s:
        last["planned_s"] = planned_s
    return last


def _last_aggregated(path, columns):
    size = os.path.getsize(path)
    want = _TAIL_BYTES
    while True:
        offset = max(0, size - want)
        with io.open(path, "rb") as handle:
            handle.seek(offset)
            tail = handle.read(size - offset)
        lines = tail.split(b"\n")
        # The last piece has no line end yet (being written, or empty); the first may be cut.
        complete = lines[1:-1]  # line 0 is the header or a cut line
        for raw in reversed(complete):
            point = _parse_line(raw.rstrip(b"\r"), columns, path)
            if point is not None:
                return point
        if offset == 0 or want >= _TAIL_MAX_BYTES:
            return None
        want *= 4


def short_duration(seconds):
    """125 -> '2m05s', 600 -> '10m', 3725 -> '1h02m05s', 7200 -> '2h', 45 -> '45s'."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        if not minutes and not secs:
            return "%dh" % hours
        return "%dh%02dm%s" % (hours, minutes, "%02ds" % secs if secs else "")
    if minutes:
        return "%dm%s" % (minutes, "%02ds" % secs if secs else "")
    return "%ds" % secs


def progress_line(last, planned_s=None, finished=False):
    """'t=2m10s/10m users=50 rps=123.4 fail=0.3% p95=210 ms, 7m50s left' for one progress row."""
    if not last:
        return "waiting for the workers and the first statistics"
    elapsed = last["elapsed_s"]
    clock = short_duration(elapsed)
    if planned_s:
        clock += "/" + short_duration(planned_s)
    text = "t=%s users=%d rps=%.1f fail=%s%% p95=%s" % (
        clock, last["users"], last["rps"], _percent(last["failure_ratio"]), "-" if last["p95_ms"] is None else "%g ms" % last["p95_ms"])
    if finished:
        text += ", finished"
    elif planned_s:
        text += ", %s left" % short_duration(planned_s - elapsed) if planned_s >= elapsed else ", past the plan"
    return text


def _percent(value):
    value = 100.0 * value
    return "%.1f" % value if value >= 0.1 or value == 0 else "%.2f" % value


def _ms(value):
    return "-" if value is None else "%g" % value
