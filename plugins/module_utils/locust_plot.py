# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""report.html and its PNG plots for one locust run (matplotlib, headless; optional).

Without matplotlib, report.html is still written: the tables, a link to locust's own
locust.html, and a note on how to get the plots.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import importlib.util
import io
import os
import traceback

# matplotlib is imported only when plots are drawn (load_pyplot): a progress poll must not pay for it.
try:
    HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
except (ImportError, ValueError):
    HAS_MATPLOTLIB = False
MATPLOTLIB_IMPORT_ERROR = None if HAS_MATPLOTLIB else "matplotlib is not installed"
pyplot = None  # pylint: disable=invalid-name


def load_pyplot():
    """matplotlib.pyplot on the Agg backend, or None when matplotlib cannot be imported (see MATPLOTLIB_IMPORT_ERROR)."""
    global pyplot, HAS_MATPLOTLIB, MATPLOTLIB_IMPORT_ERROR  # pylint: disable=global-statement,invalid-name
    if pyplot is None and HAS_MATPLOTLIB:
        try:
            import matplotlib  # pylint: disable=import-outside-toplevel
            matplotlib.use("Agg")
            from matplotlib import pyplot as loaded  # pylint: disable=import-outside-toplevel
            pyplot = loaded
        except ImportError:
            HAS_MATPLOTLIB = False
            MATPLOTLIB_IMPORT_ERROR = traceback.format_exc()
    return pyplot


PLOTS = (
    ("users_rps.png", "Users and requests per second"),
    ("latency.png", "Latency p50 / p95 over time"),
    ("failure_ratio.png", "Failure ratio over time"),
    ("endpoints.png", "Latency by endpoint"),
)
PHASE_TITLES = {"before": "Before the spike", "during": "During the spike", "after": "After the spike"}
# 2x the old 80 dpi: 1280 x 560 pixels for an 8 x 3.5 inch figure.
DPI = 160
HOW_TO_GET_PLOTS = (
    "The plots need matplotlib on the host that made this report, which it does not have. Install it "
    "(pip install matplotlib, or pip install -r requirements.txt from the collection) and run the load test's "
    "report again, or summarise these files with the boutique.ops.locust_report module."
)


# ---------------------------------------------------------------------------------------------
# Readable values


def fmt_duration(seconds):
    """750 -> '12 min 30 s', 45 -> '45 s', 3725 -> '1 h 2 min 5 s', None -> '-'."""
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append("%d h" % hours)
    if minutes:
        parts.append("%d min" % minutes)
    if secs or not parts:
        parts.append("%d s" % secs)
    return " ".join(parts)


def fmt_ms(value):
    """210.0 -> '210 ms', 1.25 -> '1.2 ms', None -> '-'."""
    if value is None:
        return "-"
    return ("%.0f ms" % value) if value >= 10 else ("%.1f ms" % value).replace(".0 ms", " ms")


def fmt_pct(value):
    """0.474576 -> '47.5%', 0.0004 -> '0.04%', 0 -> '0%'."""
    if value is None:
        return "-"
    percent = 100.0 * value
    if percent == 0:
        return "0%"
    if percent < 0.1:
        return "%.2f%%" % percent
    return ("%.1f%%" % percent).replace(".0%", "%")


def fmt_int(value):
    """1234567 -> '1,234,567'."""
    return "-" if value is None else "{:,}".format(int(value))


def fmt_time(iso):
    """'2026-11-29T18:05:58Z' -> '2026-11-29 18:05:58 UTC'."""
    return "-" if not iso else iso.replace("T", " ").replace("Z", " UTC")


def fmt_rps(value):
    return "-" if value is None else "%.1f req/s" % value


def _yes_no(value):
    return "yes" if value else "no"


# ---------------------------------------------------------------------------------------------
# Plots


def _time_axis(seconds):
    """(scaled values, unit label, divisor) so that the x axis reads in s, min or h."""
    span = seconds[-1] if seconds else 0
    if span > 3 * 3600:
        return [value / 3600.0 for value in seconds], "time since start (h)", 3600.0
    if span > 600:
        return [value / 60.0 for value in seconds], "time since start (min)", 60.0
    return list(seconds), "time since start (s)", 1.0


def _none_to_nan(values, scale=1.0):
    return [float("nan") if value is None else value * scale for value in values]


def _mark_events(axis, summary, divisor, phases=True):
    """Breaking point, lost workers and the spike's start and end, each a labelled vertical line."""
    if summary.get("breaking_point_after_s") is not None:
        axis.axvline(summary["breaking_point_after_s"] / divisor, color="tab:red", linestyle="--", linewidth=1.2,
                     label="breaking point (%s users)" % summary.get("breaking_point_users"))
    labelled = False
    for worker, after in sorted((summary.get("workers", {}).get("lost_after_s") or {}).items()):
        if after is None:
            continue
        axis.axvline(after / divisor, color="tab:purple", linestyle=":", linewidth=1.5,
                     label=None if labelled else "worker lost (%s)" % worker[:16])
        labelled = True
    if phases:
        during = [phase for phase in summary.get("spike_phases", []) if phase["phase"] == "during"]
        if during:
            axis.axvline(during[0]["start_s"] / divisor, color="tab:gray", linestyle="-.", linewidth=1.2, label="spike start")
            axis.axvline(during[0]["end_s"] / divisor, color="black", linestyle="-.", linewidth=1.2, label="spike end")


def _span(axis, x_values):
    """The same time span on every time plot, even where a series is empty (NaN) at the start."""
    if len(x_values) > 1:
        axis.set_xlim(x_values[0], x_values[-1])


def _legend(axis, *others):
    """One legend for every line of the axes (twin axes included), below the plot so it hides no line."""
    handles, labels = axis.get_legend_handles_labels()
    for other in others:
        more_handles, more_labels = other.get_legend_handles_labels()
        handles += more_handles
        labels += more_labels
    axis.figure.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize="small",
                       frameon=False)


def _figure(rows=1, cols=1, height=3.8):
    return pyplot.subplots(rows, cols, figsize=(8, height * rows if rows > 1 else height), layout="constrained",
                           squeeze=False)


def _save(figure, path, changed):
    # No version metadata: the same run gives byte-identical PNGs, so a re-run changes nothing.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    pyplot.close(figure)
    changed.append(write_if_changed(path, buffer.getvalue()))


def plot_all(summary, series, dest, window_s):
    """Write the PNGs into ``dest`` from the plot series (locust_stats.Series.columns());
    return (file names, whether any file changed)."""
    if load_pyplot() is None:
        raise ImportError("matplotlib is needed for the plots: %s" % MATPLOTLIB_IMPORT_ERROR)
    changed = []
    names = []
    seconds = [t - series["t"][0] for t in series["t"]] if series["t"] else []
    x_values, x_label, divisor = _time_axis(seconds)
    averaged = ", one point per %d s" % series["rows_per_point"] if series.get("rows_per_point", 1) > 1 else ""

    figure, axes = _figure()
    axis = axes[0][0]
    axis.plot(x_values, series["users"], color="tab:blue", label="users")
    axis.set_xlabel(x_label + averaged)
    axis.set_ylabel("users", color="tab:blue")
    axis.set_ylim(bottom=0)
    other = axis.twinx()
    other.plot(x_values, series["rps"], color="tab:green", label="req/s (%g s window)" % window_s)
    other.set_ylabel("req/s", color="tab:green")
    other.set_ylim(bottom=0)
    _mark_events(axis, summary, divisor)
    _legend(axis, other)
    _span(axis, x_values)
    axis.set_title("Users and requests per second")
    _save(figure, os.path.join(dest, PLOTS[0][0]), changed)
    names.append(PLOTS[0][0])

    figure, axes = _figure()
    axis = axes[0][0]
    axis.plot(x_values, _none_to_nan(series["p50_ms"]), color="tab:blue", label="p50")
    axis.plot(x_values, _none_to_nan(series["p95_ms"]), color="tab:orange", label="p95")
    axis.set_xlabel(x_label + averaged)
    axis.set_ylabel("response time (ms)")
    axis.set_ylim(bottom=0)
    _mark_events(axis, summary, divisor)
    _legend(axis)
    _span(axis, x_values)
    axis.set_title("Latency (locust's current window)")
    _save(figure, os.path.join(dest, PLOTS[1][0]), changed)
    names.append(PLOTS[1][0])

    figure, axes = _figure()
    axis = axes[0][0]
    axis.plot(x_values, _none_to_nan(series["failure_ratio"], 100.0), color="tab:red",
              label="failures (%% of requests, %g s window)" % window_s)
    threshold = summary.get("failure_ratio_threshold")
    if threshold is not None:
        axis.axhline(100.0 * threshold, color="tab:orange", linestyle="--", linewidth=1.2,
                     label="threshold %s" % fmt_pct(threshold))
    axis.set_ylim(-2, 102)
    axis.set_xlabel(x_label + averaged)
    axis.set_ylabel("failed requests (%)")
    _mark_events(axis, summary, divisor)
    _legend(axis)
    _span(axis, x_values)
    axis.set_title("Failure ratio over time")
    _save(figure, os.path.join(dest, PLOTS[2][0]), changed)
    names.append(PLOTS[2][0])

    endpoints = summary["endpoints"]
    figure, axes = _figure(height=max(3.5, 0.9 + 0.45 * len(endpoints)))
    axis = axes[0][0]
    labels = ["%s %s" % (entry["method"], entry["name"]) for entry in endpoints]
    positions = list(range(len(endpoints)))
    axis.barh([pos - 0.2 for pos in positions], [entry["p50_ms"] or 0 for entry in endpoints], height=0.4, label="p50")
    axis.barh([pos + 0.2 for pos in positions], [entry["p95_ms"] or 0 for entry in endpoints], height=0.4, label="p95")
    axis.set_yticks(positions)
    axis.set_yticklabels(labels)
    axis.invert_yaxis()
    axis.set_xlabel("response time over the whole run (ms)")
    axis.legend(loc="lower right", fontsize="small")
    axis.set_title("Latency by endpoint")
    _save(figure, os.path.join(dest, PLOTS[3][0]), changed)
    names.append(PLOTS[3][0])

    for phase in summary.get("spike_phases", []):
        name = "phase_%s.png" % phase["phase"]
        _plot_phase(summary, series, seconds, phase, os.path.join(dest, name), window_s, changed)
        names.append(name)
    return names, any(changed)


def _plot_phase(summary, series, seconds, phase, path, window_s, changed):
    """One spike phase: users, req/s, p95 and failure % stacked, over that phase's time only."""
    index = [i for i, value in enumerate(seconds) if phase["start_s"] <= value < phase["end_s"]]
    x_values = [seconds[i] for i in index]
    figure, axes = _figure(rows=4, height=1.7)
    panels = (
        ("users", [series["users"][i] for i in index], "tab:blue", "users"),
        ("req/s", [series["rps"][i] for i in index], "tab:green", "req/s (%g s window)" % window_s),
        ("p95 (ms)", _none_to_nan([series["p95_ms"][i] for i in index]), "tab:orange", "p95"),
        ("failed (%)", _none_to_nan([series["failure_ratio"][i] for i in index], 100.0), "tab:red", "failures"),
    )
    for row, (ylabel, values, color, label) in enumerate(panels):
        axis = axes[row][0]
        axis.plot(x_values, values, color=color, label=label)
        axis.set_ylabel(ylabel)
        axis.set_ylim(bottom=0, top=(105 if row == 3 else None))
        if row == 3 and summary.get("failure_ratio_threshold") is not None:
            axis.axhline(100.0 * summary["failure_ratio_threshold"], color="tab:orange", linestyle="--",
                         label="threshold %s" % fmt_pct(summary["failure_ratio_threshold"]))
        _mark_events(axis, summary, 1.0, phases=False)
        axis.legend(loc="best", fontsize="x-small")
        if row < 3:
            axis.tick_params(labelbottom=False)
    axes[3][0].set_xlabel("time since start (s)")
    figure.suptitle("%s: %s to %s, up to %d users, %s failed" % (
        PHASE_TITLES.get(phase["phase"], phase["phase"]), fmt_duration(phase["start_s"]), fmt_duration(phase["end_s"]),
        phase["users_max"], fmt_pct(phase["failure_ratio"])))
    _save(figure, path, changed)


# ---------------------------------------------------------------------------------------------
# HTML


def _table(rows, header=None):
    esc = html.escape
    out = ["<table>"]
    if header:
        out.append("<tr>%s</tr>" % "".join("<th>%s</th>" % esc(cell) for cell in header))
    for row in rows:
        out.append("<tr>%s</tr>" % "".join("<td>%s</td>" % esc("%s" % cell) for cell in row))
    out.append("</table>")
    return "".join(out)


def headline_rows(summary):
    """[(label, readable value)] for the report's first table."""
    rows = [("Profile", summary["profile"]),
            ("Result", "partial: " + "; ".join(summary.get("partial_reasons") or []) if summary.get("partial") else "complete"),
            ("Started", fmt_time(summary.get("started"))),
            ("Ended", fmt_time(summary.get("ended"))),
            ("Duration", fmt_duration(summary.get("duration_s"))),
            ("Peak users", fmt_int(summary.get("users_max"))),
            ("Requests", fmt_int(summary["requests"])),
            ("Failures", "%s (%s)" % (fmt_int(summary["failures"]), fmt_pct(summary["failure_ratio"]))),
            ("Peak rate", fmt_rps(summary.get("rps_peak"))),
            ("Mean rate", fmt_rps(summary.get("rps_mean"))),
            ("Latency p50 / p95 / p99", " / ".join(fmt_ms(summary.get(key)) for key in ("p50_ms", "p95_ms", "p99_ms")))]
    if "breaking_point_users" in summary:
        rule = summary.get("breaking_rule") or {}
        rows.append(("Failure threshold", "%s over %s" % (fmt_pct(rule.get("failure_ratio_above")), fmt_duration(rule.get("window_s")))))
        if summary["breaking_point_users"] is None:
            rows.append(("Breaking point", "none: the failure ratio stayed under the threshold"))
        else:
            rows.append(("Breaking point", "%d users at %s (after %s, %s failed)" % (
                summary["breaking_point_users"], fmt_time(summary["breaking_point_at"]),
                fmt_duration(summary["breaking_point_after_s"]), fmt_pct(summary["breaking_point_failure_ratio"]))))
    if "recovered" in summary:
        rows.append(("Recovered", "%s (last window: %s failed)" % (_yes_no(summary["recovered"]), fmt_pct(summary.get("final_failure_ratio")))))
    workers = summary.get("workers") or {}
    text = "%s connected" % workers.get("connected", 0)
    if workers.get("expected") is not None:
        text += " of %s expected" % workers["expected"]
    if workers.get("lost_count"):
        text += ", %d lost (%s)" % (workers["lost_count"], ", ".join(workers.get("lost") or []))
    rows.append(("Workers", text))
    return rows


def plot_names(summary):
    """The PNGs plot_all writes for this summary."""
    return [name for name, _title in PLOTS] + ["phase_%s.png" % phase["phase"] for phase in summary.get("spike_phases", [])]


def render_html(summary, plots="auto"):
    """report.html. ``plots``: the PNG names written next to it, None when there are none (no matplotlib);
    "auto": the names plot_all writes when matplotlib is there."""
    esc = html.escape
    if plots == "auto":
        plots = plot_names(summary) if HAS_MATPLOTLIB else None
    parts = ["<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Load test: %s</title>" % esc(summary["profile"]),
             "<style>body{font-family:sans-serif;margin:2em;max-width:1300px}table{border-collapse:collapse;margin-bottom:1em}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}td.n{text-align:right}img{max-width:100%}"
             ".note{background:#fff6d5;padding:.5em 1em;border-left:4px solid #e0b000}</style></head><body>",
             "<h1>Load test: %s%s</h1>" % (esc(summary["profile"]), " (partial)" if summary.get("partial") else "")]
    parts.append("<table>%s</table>" % "".join("<tr><th>%s</th><td>%s</td></tr>" % (esc(label), esc(value))
                                               for label, value in headline_rows(summary)))
    if summary.get("notes"):
        parts.append("<ul>%s</ul>" % "".join("<li>%s</li>" % esc(note) for note in summary["notes"]))
    versions = summary.get("versions")
    if versions:
        names = sorted(versions)
        parts.append("<h2>Versions side by side</h2>")
        rows = []
        for label, key, fmt in (("Requests", "requests", fmt_int), ("Failures", "failures", fmt_int),
                                ("Failed", None, None), ("Latency p95", "p95_ms", fmt_ms)):
            cells = []
            for name in names:
                data = versions[name] or {}
                if key is None:
                    cells.append(fmt_pct(data["failures"] / float(data["requests"])) if data.get("requests") else "-")
                else:
                    cells.append(fmt(data.get(key)))
            rows.append([label] + cells)
        parts.append(_table(rows, header=[""] + names))
    if summary.get("spike_phases"):
        parts.append("<h2>Spike phases</h2>")
        parts.append(_table([[phase["phase"], "%s to %s" % (fmt_duration(phase["start_s"]), fmt_duration(phase["end_s"])),
                              fmt_int(phase["users_max"]), fmt_int(phase["requests"]), fmt_rps(phase["rps_mean"]),
                              "%s (%s)" % (fmt_int(phase["failures"]), fmt_pct(phase["failure_ratio"])), fmt_ms(phase["p95_ms_max"])]
                             for phase in summary["spike_phases"]],
                            header=["phase", "time", "peak users", "requests", "mean rate", "failures", "highest p95"]))
    if plots is None:
        parts.append("<p class=\"note\">%s Meanwhile, locust's own report with its charts is "
                     "<a href=\"locust.html\">locust.html</a>.</p>" % esc(HOW_TO_GET_PLOTS))
    else:
        titles = dict(PLOTS)
        for name in plots:
            title = titles.get(name) or PHASE_TITLES.get(name[len("phase_"):-len(".png")], name)
            parts.append('<h2>%s</h2><img src="%s" alt="%s">' % (esc(title), esc(name), esc(title)))
    parts.append("<h2>Endpoints</h2>")
    parts.append(_table([[entry["method"], entry["name"], fmt_int(entry["requests"]),
                          "%s (%s)" % (fmt_int(entry["failures"]), fmt_pct(entry["failure_ratio"])),
                          fmt_ms(entry["p50_ms"]), fmt_ms(entry["p95_ms"]), fmt_ms(entry["p99_ms"])]
                         for entry in summary["endpoints"]],
                        header=["method", "endpoint", "requests", "failures", "p50", "p95", "p99"]))
    grouped = summary.get("failures_grouped") or []
    parts.append("<h2>Failures by endpoint and status</h2>")
    if grouped:
        parts.append(_table([[group["method"], group["name"], group["kind"], fmt_int(group["occurrences"]),
                              group["errors"], group["example"][:160]] for group in grouped],
                            header=["method", "endpoint", "status", "count", "distinct messages", "example"]))
    else:
        parts.append("<p>No request failed.</p>")
    parts.append("<p>locust's own report: <a href=\"locust.html\">locust.html</a>; raw data: the CSV files next to "
                 "this page; every figure above: summary.json.</p></body></html>\n")
    return "".join(parts)


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
