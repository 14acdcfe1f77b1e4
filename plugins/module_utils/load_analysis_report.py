# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The bottleneck analysis in report.html: a section (verdict, top services) and saturation.png.

``analysis`` is what boutique.ops.load_analysis returned (summary.json's `analysis`), or
``{"status": "skipped"|"failed", "reason": "..."}`` when there is none; locust_report calls
``add_section`` after writing its own page.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import io
import os

try:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    HAS_MATPLOTLIB = True
except ImportError:
    pyplot = None
    HAS_MATPLOTLIB = False

PLOT = "saturation.png"
TOP_ROWS = 10


def _pct(value):
    return "" if value is None else "%d %%" % round(value * 100)


def _cell(value):
    return "" if value is None else html.escape(str(value))


def has_plot(analysis):
    return bool(isinstance(analysis, dict) and analysis.get("series"))


def plot_saturation(analysis):
    """Draw the top services' worst resource over the run (1 = its threshold), the breaking point marked; PNG bytes."""
    window = analysis.get("window") or {}
    start = window.get("start_epoch") or 0
    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    for item in analysis["series"]:
        points = item["points"]
        axis.plot([point[0] - start for point in points], [point[1] / item["threshold"] for point in points],
                  label="%s (%s)" % (item["service"], item["resource"].replace("_", " ")))
    axis.axhline(1.0, color="grey", linestyle=":", label="threshold")
    if window.get("breaking_point_epoch") is not None:
        axis.axvline(window["breaking_point_epoch"] - start, color="tab:red", linestyle="--", label="breaking point")
    axis.set_xlabel("seconds since the run started")
    axis.set_ylabel("saturation (1 = threshold)")
    axis.set_ylim(bottom=0)
    axis.legend(loc="upper left", fontsize="small")
    axis.set_title("Saturation of the top services")
    figure.tight_layout()
    buffer = io.BytesIO()
    # No version metadata: the same analysis gives the same bytes, so a re-run changes nothing.
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    pyplot.close(figure)
    return buffer.getvalue()


def section(analysis):
    """The report's HTML section for ``analysis``."""
    esc = html.escape
    if not isinstance(analysis, dict):
        return ""
    if analysis.get("status") in ("skipped", "failed"):
        return '<h2>Bottleneck analysis</h2><p class="analysis-%s">Analysis %s: %s</p>' % (
            esc(analysis["status"]), esc(analysis["status"]), esc(str(analysis.get("reason", ""))))
    bottleneck = analysis.get("bottleneck")
    rows = []
    for item in (analysis.get("services") or [])[:TOP_ROWS]:
        rows.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            esc(item["service"]), esc(item["resource"].replace("_", " ")), _cell(item.get("saturation")),
            _pct(item.get("cpu_throttling_ratio")), _pct(item.get("cpu_limit_ratio")), _cell(item.get("cpu_limit_cores")),
            _pct(item.get("memory_limit_ratio")), _cell(item.get("restarts")), _pct(item.get("error_ratio_5xx"))))
    nodes = []
    for item in (analysis.get("nodes") or [])[:TOP_ROWS]:
        nodes.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            esc(item["node"]), _cell(item.get("saturation")), _pct(item.get("cpu_busy_ratio")), _pct(item.get("memory_used_ratio")),
            _cell(item.get("listen_overflows_per_s")), _pct(item.get("retransmit_ratio"))))
    window = analysis.get("window") or {}
    named = ""
    if bottleneck:
        named = "<p>Bottleneck: <b>%s</b> &mdash; %s (saturation %s, figures from %s to %s)</p>" % (
            esc(bottleneck.get("service") or "node " + str(bottleneck.get("node"))), esc(bottleneck["resource"]),
            _cell(bottleneck.get("saturation")), esc(str(window.get("focus_from"))), esc(str(window.get("focus_to"))))
    image = '<img src="%s" alt="Saturation of the top services">' % PLOT if has_plot(analysis) and HAS_MATPLOTLIB else ""
    return (
        '<h2>Bottleneck analysis</h2><p class="verdict"><b>%s</b></p>%s%s'
        "<h3>Top services</h3><table><tr><th>service</th><th>worst resource</th><th>saturation</th><th>CPU throttled</th>"
        "<th>CPU / limit</th><th>CPU limit (cores)</th><th>memory / limit</th><th>restarts</th><th>5xx</th></tr>%s</table>"
        "<h3>Nodes</h3><table><tr><th>node</th><th>saturation</th><th>CPU busy</th><th>memory used</th>"
        "<th>listen overflows/s</th><th>retransmitted</th></tr>%s</table>"
        "<p>Saturation is a signal divided by its threshold (1 = at the threshold); the thresholds and the PromQL are in "
        "summary.json (analysis.thresholds, analysis.bottleneck.evidence).</p>"
    ) % (esc(analysis.get("verdict", "")), named, image, "".join(rows), "".join(nodes))


def add_section(page, analysis):
    """``page`` (report.html) with the analysis section inserted before </body>."""
    marker = "</body>"
    text = section(analysis)
    if marker in page:
        head, tail = page.rsplit(marker, 1)
        return head + text + marker + tail
    return page + text


def write_plot(analysis, dest, write_if_changed):
    """Write saturation.png into ``dest`` when there are series (and matplotlib); returns (file names, changed)."""
    if not has_plot(analysis) or not HAS_MATPLOTLIB:
        return [], False
    return [PLOT], write_if_changed(os.path.join(dest, PLOT), plot_saturation(analysis))
