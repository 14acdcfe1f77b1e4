# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Cost of locust_report's summary and of one progress poll on long histories.

A benchmark, not a test: it measures and prints, it asserts nothing, and `make test` does not run it.

    .venv/bin/python benchmarks/report_scale.py [--hours 1 6 24] [--keep DIR]

For each length it writes a history of N hours in locust's exact format (--csv-full-history:
the 24 columns, CRLF line ends, 6 endpoints plus the Aggregated row every second, N/A
percentiles for empty windows), with the matching _stats.csv, _failures.csv and --json-file
output, and then measures, each in a fresh process (so one run's memory does not hide the
next's): the summary with report.html and the plots, and one progress poll. It prints wall
time, CPU time and peak memory (ru_maxrss of that process, which includes Python itself and
matplotlib) and, from a second untimed run under tracemalloc, the peak of Python allocations.
Then (--polls N) one progress poll on the longest history, N times: the module's own work as
ansible runs it (its code compiled from source, AnsibleModule, the read), and the whole
`ansible localhost -m boutique.ops.locust_report -a '... progress=true'` next to
`ansible localhost -m ansible.builtin.ping` (ansible's own start-up), min and median.

write_run() is also used by the unit tests to make a 6-hour history.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))

HEADER = ("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
          "Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
          "Total Min Response Time,Total Max Response Time,Total Average Content Size")
STATS_HEADER = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
                "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
                "99.99%,100%")
# (method, name, share of the requests): the journey's weights.
ENDPOINTS = (("GET", "/", 0.08), ("GET", "/cart", 0.12), ("POST", "/cart", 0.12), ("POST", "/cart/checkout", 0.04),
             ("GET", "/product/[id]", 0.56), ("POST", "/setCurrency", 0.08))
START = 1795975558


def steady(users=50):
    """Endurance: ``users`` from the third second on."""
    return lambda second: users if second >= 2 else 0


def spike(base, peak, at_s, hold_s):
    """BASE users, PEAK from ``at_s`` for ``hold_s`` seconds, BASE again."""
    return lambda second: peak if at_s <= second < at_s + hold_s else base


def _percentiles(rng, median):
    values = sorted(max(1, int(median * factor)) for factor in (1, 1.2, 1.4, 1.6, 2, 3, 4, 5, 8, 10, 12))
    return ",".join(str(value) for value in values)


def write_run(prefix, seconds, users=None, fail_above=None, seed=1):
    """Write PREFIX_stats_history.csv (``seconds`` seconds), PREFIX_stats.csv, PREFIX_failures.csv, PREFIX.json.

    ``users(second)``: the user count of each second (default: 50 steady). Each user makes about
    2 requests a second; with ``fail_above``, requests over that many users fail with HTTP 503.
    Returns the totals: {"requests", "failures", "per_endpoint": {(method, name): (requests, failures)}}.
    """
    users = users or steady()
    rng = random.Random(seed)
    totals = dict(((method, name), [0, 0]) for method, name, _share in ENDPOINTS)
    times = dict(((method, name), {}) for method, name, _share in ENDPOINTS)
    with open(prefix + "_stats_history.csv", "w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for second in range(seconds):
            t = START + second
            count = users(second)
            agg_rps = agg_fps = 0.0
            lines = []
            for method, name, share in ENDPOINTS:
                rps = 2.0 * count * share * rng.uniform(0.9, 1.1)
                failing = fail_above is not None and count > fail_above
                fps = rps * (count - fail_above) / count if failing else 0.0
                made = int(round(rps))
                totals[(method, name)][0] += made
                totals[(method, name)][1] += int(round(fps))
                agg_rps += rps
                agg_fps += fps
                median = 20 + count // 5
                if made:
                    times[(method, name)][median] = times[(method, name)].get(median, 0) + made
                requests, failures = totals[(method, name)]
                pct = _percentiles(rng, median) if requests else ",".join(["N/A"] * 11)
                lines.append("%d,%d,%s,%s,%.6f,%.6f,%s,%d,%d,%d,%.13f,%.13f,%.13f,%.1f\r\n" % (
                    t, count, method, name, rps, fps, pct, requests, failures, median, median * 1.1, 0.5, median * 12.0, 2100.0))
            requests = sum(value[0] for value in totals.values())
            failures = sum(value[1] for value in totals.values())
            pct = _percentiles(rng, 20 + count // 5) if requests else ",".join(["N/A"] * 11)
            lines.append("%d,%d,,Aggregated,%.6f,%.6f,%s,%d,%d,%d,%.13f,%.13f,%.13f,%.1f\r\n" % (
                t, count, agg_rps, agg_fps, pct, requests, failures, 20, 22.0, 0.5, 240.0, 2100.0))
            out.write("".join(lines))
    requests = sum(value[0] for value in totals.values())
    failures = sum(value[1] for value in totals.values())
    with open(prefix + "_stats.csv", "w", encoding="utf-8", newline="") as out:
        out.write(STATS_HEADER + "\r\n")
        for (method, name), (count, failed) in sorted(totals.items(), key=lambda item: item[0][1]):
            out.write("%s,%s,%d,%d,20,22.0,0.5,240.0,2100.0,%.6f,%.6f,20,24,28,32,40,60,80,100,160,200,240\r\n"
                      % (method, name, count, failed, count / max(seconds, 1), failed / max(seconds, 1)))
        out.write(",Aggregated,%d,%d,20,22.0,0.5,240.0,2100.0,%.6f,%.6f,20,24,28,32,40,60,80,100,160,200,240\r\n"
                  % (requests, failures, requests / max(seconds, 1), failures / max(seconds, 1)))
    with open(prefix + "_failures.csv", "w", encoding="utf-8", newline="") as out:
        out.write("Method,Name,Error,Occurrences,First Seen,Last Seen\r\n")
        for (method, name), (count, failed) in sorted(totals.items()):
            if failed:
                # One line per product URL, as locust writes them: grouping must add them up.
                parts = [failed // 3, failed // 3, failed - 2 * (failed // 3)] if name == "/product/[id]" else [failed]
                for index, part in enumerate(parts):
                    out.write("%s,%s,CatchResponseError('HTTP 503: URL http://127.0.0.1:8080%s: code=503'),%d,%d,%d\r\n"
                              % (method, name, name.replace("[id]", "P%d" % index), part, START, START + seconds))
    # locust's --json-file output: one entry per endpoint, with the per-second dicts it carries.
    entries = []
    for (method, name), (count, failed) in totals.items():
        entries.append({"name": name, "method": method, "last_request_timestamp": START + seconds, "start_time": START,
                        "num_requests": count, "num_none_requests": 0, "num_failures": failed,
                        "total_response_time": sum(key * value for key, value in times[(method, name)].items()),
                        "max_response_time": 240, "min_response_time": 1, "total_content_length": 2100 * count,
                        "response_times": dict((str(key), value) for key, value in times[(method, name)].items()),
                        "num_reqs_per_sec": dict((str(START + s), 1) for s in range(seconds)),
                        "num_fail_per_sec": {}})
    with open(prefix + ".json", "w", encoding="utf-8") as out:
        json.dump(entries, out, indent=4)
    return {"requests": requests, "failures": failures,
            "per_endpoint": dict((key, tuple(value)) for key, value in totals.items())}


_CHILD = r'''
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from ansible_collections.boutique.ops.plugins.module_utils import locust_plot, locust_stats
what, prefix, traced = sys.argv[2], sys.argv[3], sys.argv[5] == "traced"
if traced:
    tracemalloc.start()
wall, cpu = time.perf_counter(), time.process_time()
if what == "summary":
    summary, series = locust_stats.summarize_with_series(prefix, "endurance", window_s=5.0)
    names, _ = locust_plot.plot_all(summary, series, sys.argv[4], 5.0)
    locust_plot.write_if_changed(sys.argv[4] + "/report.html", locust_plot.render_html(summary, names))
else:
    line = locust_stats.progress_line(locust_stats.progress(prefix, 86400), 86400)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "traced_peak_mb": tracemalloc.get_traced_memory()[1] / 1e6 if traced else None,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
'''


# The module as ansible runs it on a poll: its payload carries sources, so the collection's code is
# compiled in each run (a copy without __pycache__, no bytecode written). ansible.module_utils.basic,
# which every module pays for (ping too), is timed apart from the module's own imports and work.
_MODULE_CHILD = r'''
import contextlib, io, json, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
cpu = time.process_time()
import ansible.module_utils.basic
basic_cpu, cpu = time.process_time() - cpu, time.process_time()
from ansible_collections.boutique.ops.plugins.modules import locust_report
sys.argv = [sys.argv[0], sys.argv[2]]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        locust_report.main()
    except SystemExit:
        pass
own_cpu = time.process_time() - cpu
assert '"progress_line"' in out.getvalue(), out.getvalue()[-2000:]
loaded = sorted(name.rpartition(".")[2] for name in sys.modules if name.split(".")[0] == "matplotlib"
                or name.endswith((".locust_plot", ".load_analysis_report")))
print(json.dumps({"basic_cpu_s": basic_cpu, "own_cpu_s": own_cpu, "loaded": sorted(set(loaded))}))
'''


def _run_timed(command, cwd=None, env=None):
    """(wall s, CPU s of the command and its children, stdout) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    out = subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, out


def _spread(values):
    return "min %.3f median %.3f" % (min(values), statistics.median(values))


def measure_polls(collections, prefix, hours, count):
    """One progress poll, ``count`` times each: the module's own work, and through ansible (start-up included)."""
    copy = tempfile.mkdtemp(prefix="report-scale-src-")
    try:
        shutil.copytree(os.path.join(ROOT, "plugins"), os.path.join(copy, "ansible_collections", "boutique", "ops", "plugins"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        args = os.path.join(copy, "args.json")
        with open(args, "w", encoding="utf-8") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": {"csv_prefix": prefix, "profile": "endurance", "progress": True,
                                               "planned_s": hours * 3600}}, handle)
        print("\none progress poll on the %g-hour history, %d runs each (load average %.1f %.1f %.1f):" % ((hours, count) + os.getloadavg()))
        own = [json.loads(_run_timed([sys.executable, "-c", _MODULE_CHILD, copy, args])[2]) for _run in range(count)]
        print("  module's own work (its imports compiled from source, as in ansible's payload, and the poll): "
              "%s s CPU; ansible.module_utils.basic %s s CPU; report code loaded: %s"
              % (_spread([run["own_cpu_s"] for run in own]), _spread([run["basic_cpu_s"] for run in own]),
                 ", ".join(sorted(set(sum((run["loaded"] for run in own), [])))) or "none"))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections)
        ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
        for label, module_args in (("boutique.ops.locust_report", ["-a", "csv_prefix=%s profile=endurance progress=true planned_s=%d"
                                                                   % (prefix, hours * 3600)]),
                                   ("ansible.builtin.ping", [])):
            runs = [_run_timed([ansible, "localhost", "-m", label] + module_args, cwd=ROOT, env=env)[:2] for _run in range(count)]
            print("  ansible localhost -m %-26s %s s wall, %s s CPU (ansible and the module)"
                  % (label + ":", _spread([run[0] for run in runs]), _spread([run[1] for run in runs])))
        print("  load average after: %.1f %.1f %.1f" % os.getloadavg())
    finally:
        shutil.rmtree(copy)


def _collections_path():
    """A folder holding ansible_collections/boutique/ops -> this checkout."""
    folder = tempfile.mkdtemp(prefix="report-scale-coll-")
    os.makedirs(os.path.join(folder, "ansible_collections", "boutique"))
    os.symlink(ROOT, os.path.join(folder, "ansible_collections", "boutique", "ops"))
    return folder


def _measure(collections, what, prefix, dest):
    """Time and rss from a plain run; the peak of Python allocations from a second run under tracemalloc
    (which slows Python down several times, so it is not timed)."""
    runs = []
    for mode in ("plain", "traced"):
        out = subprocess.run([sys.executable, "-c", _CHILD, collections, what, prefix, dest, mode], check=True,
                             capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    return dict(runs[0], traced_peak_mb=runs[1]["traced_peak_mb"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1, 6, 24])
    parser.add_argument("--keep", help="write the runs here and keep them (default: a temporary folder)")
    parser.add_argument("--polls", type=int, default=10, help="then time this many progress polls on the longest history, "
                        "the module alone and through `ansible localhost -m boutique.ops.locust_report` (0: none)")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="report-scale-")
    collections = _collections_path()
    print("%-6s %9s %10s | %-34s | %-34s" % ("hours", "rows", "history", "summary+report+plots", "one progress poll"))
    try:
        for hours in args.hours:
            folder = os.path.join(work, "%gh" % hours)
            os.makedirs(folder, exist_ok=True)
            prefix = os.path.join(folder, "locust")
            seconds = int(hours * 3600)
            write_run(prefix, seconds)
            size = os.path.getsize(prefix + "_stats_history.csv")
            summary = _measure(collections, "summary", prefix, folder)
            poll = _measure(collections, "poll", prefix, folder)
            print("%-6g %9d %7.0f MB | %5.2f s wall %5.2f s CPU %4.0f MB rss %4.1f MB py | %5.3f s wall %4.0f MB rss %4.2f MB py"
                  % (hours, seconds * (len(ENDPOINTS) + 1), size / 1e6, summary["wall_s"], summary["cpu_s"],
                     summary["maxrss_mb"], summary["traced_peak_mb"], poll["wall_s"], poll["maxrss_mb"], poll["traced_peak_mb"]))
            sys.stdout.flush()
        if args.polls > 0:
            longest = max(args.hours)
            measure_polls(collections, os.path.join(work, "%gh" % longest, "locust"), longest, args.polls)
    finally:
        shutil.rmtree(collections)
        if not args.keep:
            shutil.rmtree(work)
    print("peak rss: this process %.0f MB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))


if __name__ == "__main__":
    main()
