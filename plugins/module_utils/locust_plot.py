# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""report.html and its PNG plots for one locust run (matplotlib, headless)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import io
import json
import os
import traceback

from ansible_collections.boutique.ops.plugins.module_utils.locust_stats import failure_ratio_series, rate_series

MATPLOTLIB_IMPORT_ERROR = None
try:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    HAS_MATPLOTLIB = True
except ImportError:
    HAS_MATPLOTLIB = False
    MATPLOTLIB_IMPORT_ERROR = traceback.format_exc()

PLOTS = (
    ("users_rps.png", "Users and requests per second"),
    ("latency.png", "Latency p50 / p95 over time"),
    ("failure_ratio.png", "Failure ratio over time"),
    ("endpoints.png", "Latency by endpoint"),
)


def _seconds(points):
    start = points[0]["t"] if points else 0
    return [point["t"] - start for point in points]


def _save(figure, path, changed):
    # No version metadata: the same run gives byte-identical PNGs, so a re-run changes nothing.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    pyplot.close(figure)
    changed.append(write_if_changed(path, buffer.getvalue()))


def plot_all(summary, history, dest, window_s):
    """Write the four PNGs into ``dest``; return (file names, whether any file changed)."""
    changed = []
    points = history["aggregated"]
    seconds = _seconds(points)

    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    axis.plot(seconds, [point["users"] for point in points], color="tab:blue", label="users")
    axis.set_xlabel("seconds")
    axis.set_ylabel("users", color="tab:blue")
    other = axis.twinx()
    other.plot(seconds, rate_series(points, window_s), color="tab:green", label="req/s")
    other.set_ylabel("req/s (%g s window)" % window_s, color="tab:green")
    if summary.get("breaking_point_after_s") is not None:
        axis.axvline(summary["breaking_point_after_s"], color="tab:red", linestyle="--", label="breaking point")
        axis.legend(loc="upper left")
    axis.set_title("Users and requests per second")
    _save(figure, os.path.join(dest, PLOTS[0][0]), changed)

    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    axis.plot(seconds, [point["p50_ms"] for point in points], label="p50")
    axis.plot(seconds, [point["p95_ms"] for point in points], label="p95")
    axis.set_xlabel("seconds")
    axis.set_ylabel("ms")
    axis.legend(loc="upper left")
    axis.set_title("Latency (locust's current window)")
    _save(figure, os.path.join(dest, PLOTS[1][0]), changed)

    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    series = failure_ratio_series(points, window_s)
    axis.plot(seconds, [item[1] if item[1] is not None else float("nan") for item in series], color="tab:red")
    axis.set_ylim(-0.02, 1.02)
    axis.set_xlabel("seconds")
    axis.set_ylabel("failure ratio (%g s window)" % window_s)
    axis.set_title("Failure ratio over time")
    _save(figure, os.path.join(dest, PLOTS[2][0]), changed)

    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    endpoints = summary["endpoints"]
    labels = ["%s %s" % (entry["method"], entry["name"]) for entry in endpoints]
    positions = list(range(len(endpoints)))
    axis.barh([pos - 0.2 for pos in positions], [entry["p50_ms"] or 0 for entry in endpoints], height=0.4, label="p50")
    axis.barh([pos + 0.2 for pos in positions], [entry["p95_ms"] or 0 for entry in endpoints], height=0.4, label="p95")
    axis.set_yticks(positions)
    axis.set_yticklabels(labels)
    axis.set_xlabel("ms")
    axis.legend(loc="best")
    axis.set_title("Latency by endpoint")
    figure.tight_layout()
    _save(figure, os.path.join(dest, PLOTS[3][0]), changed)
    return [plot[0] for plot in PLOTS], any(changed)


def render_html(summary):
    """report.html: the headline figures, the plots and the per-endpoint table."""
    esc = html.escape
    keys = ("profile", "partial", "duration_s", "users_max", "requests", "failures", "failure_ratio", "rps_peak",
            "p50_ms", "p95_ms", "p99_ms", "breaking_point_users", "breaking_point_at", "recovered")
    head = "".join("<tr><th>%s</th><td>%s</td></tr>" % (esc(key), esc(json.dumps(summary[key]))) for key in keys if key in summary)
    rows = "".join(
        "<tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td></tr>"
        % (esc(entry["method"]), esc(entry["name"]), entry["requests"], entry["failures"], entry["p50_ms"], entry["p95_ms"], entry["p99_ms"])
        for entry in summary["endpoints"]
    )
    notes = "".join("<li>%s</li>" % esc(note) for note in summary.get("notes", []))
    images = "".join('<h2>%s</h2><img src="%s" alt="%s">' % (esc(title), name, esc(title)) for name, title in PLOTS)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Load test: %s</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>"
        "</head><body><h1>Load test: %s</h1><table>%s</table><ul>%s</ul>%s"
        "<h2>Endpoints</h2><table><tr><th>method</th><th>name</th><th>requests</th><th>failures</th>"
        "<th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>%s</table>"
        "<p>locust's own report: <a href=\"locust.html\">locust.html</a>; raw data: the CSV files next to this page.</p>"
        "</body></html>\n"
    ) % (esc(summary["profile"]), esc(summary["profile"]), head, notes, images, rows)


def write_if_changed(path, data):
    """Write bytes or text when different; return True when the file changed."""
    if not isinstance(data, bytes):
        data = data.encode("utf-8")
    if os.path.exists(path):
        with io.open(path, "rb") as handle:
            if handle.read() == data:
                return False
    tmp = path + ".tmp"
    with io.open(tmp, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True
