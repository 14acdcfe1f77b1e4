#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


DOCUMENTATION = r"""
module: locust_report

short_description: Summarise a locust run from its CSV files into summary.json and an HTML report with plots

version_added: 0.1.0

author:
  - boutique.ops maintainers (!UNKNOWN)

description:
  - Reads the files locust writes with C(--csv PREFIX --csv-full-history) (C(PREFIX_stats.csv),
    C(PREFIX_stats_history.csv), C(PREFIX_failures.csv)) and, when present, the final statistics locust writes with
    C(--json-file PREFIX) (C(PREFIX.json)), and writes C(summary.json) into O(dest).
  - The summary holds the profile, the duration, the peak user count, request and failure totals (from C(PREFIX.json)
    when there is one, else from C(PREFIX_stats.csv)), the failure ratio, the peak requests per second, p50/p95/p99
    latency, a per-endpoint table, and the failures grouped by endpoint name and status with counts.
  - The history is streamed in one pass with only running state kept, so memory does not grow with the run; the
    plots get a series downsampled to at most 2000 points.
  - For O(profile=stress) and O(profile=recovery) it finds the breaking point, the first moment the failure ratio
    over a sliding window of O(window_s) seconds passes O(failure_ratio_threshold) (the same rule as the
    locustfile's stress shape), and reports the user count then and when it happened. For C(recovery) it also says
    whether the last window is back under the threshold. For C(spike) it splits the run into before, during and
    after the spike.
  - Reads the master's log (O(master_log)) for workers that stopped answering mid-run, and the run record
    (O(run_info)) written by the load-test role, which marks an interrupted run as partial.
  - With O(report=true), also writes C(report.html) with readable values and, when matplotlib is installed, PNG
    plots (2x resolution) marking the failure threshold, the breaking point, lost workers and the spike. Without
    matplotlib, C(report.html) holds the tables, a link to locust's C(locust.html) and a note on how to get the plots.
  - A file that is not what locust (or the run wrapper) writes, for example a non-numeric or infinite timestamp, a
    truncated row, non-UTF-8 bytes or an empty run record, fails the task with a message naming the file and the fault.
  - With O(progress=true), writes nothing and returns the latest row of the history, reading only the file's first
    and last few kilobytes, so a poll costs the same at any run length.
  - Files are only rewritten when their content changes. Supports check mode (computes, writes nothing).

options:
  csv_prefix:
    description:
      - The value given to locust's C(--csv), for example C(/srv/results/20260101T000000Z-stress/locust).
    type: path
    required: true
  dest:
    description:
      - Folder for C(summary.json), C(report.html) and the plots. Defaults to the folder of O(csv_prefix).
    type: path
  profile:
    description:
      - The load profile that ran. C(none) is a plain C(-u/-r/-t) run.
    type: str
    required: true
    choices: [stress, spike, endurance, recovery, none]
  master_log:
    description:
      - The master's C(--logfile), read for lost workers.
    type: path
  run_info:
    description:
      - The run record (JSON) written by the load-test role, with C(rc), C(interrupted) and C(signal).
    type: path
  expected_workers:
    description:
      - How many workers the master expected, reported as is.
    type: int
  failure_ratio_threshold:
    description:
      - Failure ratio above which the shop is considered broken (stress and recovery).
    type: float
    default: 0.05
  window_s:
    description:
      - Sliding window for that ratio, in seconds.
    type: float
    default: 3.0
  min_requests:
    description:
      - A window with fewer requests than this is not judged.
    type: int
    default: 10
  report:
    description:
      - Also write C(report.html) and, when matplotlib is installed, the PNG plots.
    type: bool
    default: true
  progress:
    description:
      - Only return the latest history row as RV(progress) and a line to print as RV(progress_line); write nothing else.
        A missing history is not an error; an unreadable one is a warning.
    type: bool
    default: false
  planned_s:
    description:
      - With O(progress=true), the planned length of the run in seconds; RV(progress_line) then shows elapsed and
        planned time and the time left (C(t=2m10s/10m ...)).
    type: float
  finished:
    description:
      - With O(progress=true), the run has ended; RV(progress_line) says so instead of showing the time left.
    type: bool
    default: false
  wait_s:
    description:
      - With O(progress=true), sleep up to this many seconds before reading, so that one task paces a polling loop;
        with O(run_info), return as soon as that run record says locust has ended (RV(run_ended)).
    type: float
    default: 0
  heartbeat:
    description:
      - With O(progress=true), touch this file first; the run wrapper interrupts the run when it goes stale
        (the playbook was stopped, for example with Ctrl-C). Not reported as a change.
    type: path
  analysis:
    description:
      - The result of M(boutique.ops.load_analysis) with C(status=done), or a dict with C(status) (C(skipped) or
        C(failed)) and C(reason) when there is none.
        Stored in C(summary.json) under C(analysis); C(report.html) gets a section with the verdict, the top services
        and C(saturation.png).
    type: dict

requirements:
  - matplotlib for the plots of O(report=true); without it report.html has the tables and no plots

notes:
  - Runs on the host that holds the CSV files, normally the control node after the results are collected.
"""

EXAMPLES = r"""
- name: Summarise a stress run
  boutique.ops.locust_report:
    csv_prefix: "{{ results }}/locust"
    profile: stress
    master_log: "{{ results }}/master.log"
    run_info: "{{ results }}/run.json"
    failure_ratio_threshold: 0.05
    window_s: 3

- name: Progress line while the run goes on
  boutique.ops.locust_report:
    csv_prefix: "{{ results }}/locust"
    profile: endurance
    progress: true
  register: now

- name: Show it
  ansible.builtin.debug:
    msg: "{{ now.progress_line }}"
"""

RETURN = r"""
summary:
  description: What summary.json holds.
  returned: unless O(progress=true)
  type: dict
  sample:
    profile: stress
    partial: false
    totals_from: locust.json (--json-file)
    duration_s: 14
    users_max: 12
    requests: 160
    failures: 73
    failure_ratio: 0.45625
    rps_peak: 40.2
    p50_ms: 1
    p95_ms: 3
    p99_ms: 5
    endpoints:
      - {method: GET, name: /, requests: 12, failures: 5, failure_ratio: 0.4167, p50_ms: 2, p95_ms: 4, p99_ms: 4, avg_ms: 1.89}
    breaking_point_users: 8
    breaking_point_at: "2026-11-29T17:56:14Z"
    failures_grouped:
      - {method: GET, name: "/product/[id]", kind: HTTP 503, occurrences: 41, errors: 9, example: "HTTP 503"}
    workers: {expected: 2, connected: 2, lost: [], lost_count: 0, lost_after_s: {}}
    notes: []
run_ended:
  description: With O(progress=true) and O(run_info), whether the run record says locust has exited.
  returned: when O(progress=true)
  type: bool
  sample: false
progress:
  description: The latest Aggregated row of the history (empty before the first one).
  returned: when O(progress=true)
  type: dict
  sample:
    t: 1795974972
    elapsed_s: 6
    users: 4
    rps: 20.5
    fps: 0.0
    p50_ms: 1
    p95_ms: 3
    requests: 120
    failures: 0
    failure_ratio: 0.0
    line: "t=6s users=4 req/s=20.5 requests=120 failures=0 (0.00%) p50=1ms p95=3ms"
progress_line:
  description: A ready-to-print progress line; with O(planned_s), elapsed and planned time and the time left.
  returned: when O(progress=true)
  type: str
  sample: "t=2m10s/10m users=50 rps=123.4 fail=0.3% p95=210 ms, 7m50s left"
files:
  description: The files written or that would be written.
  returned: unless O(progress=true)
  type: list
  elements: path
failures_line:
  description: The three most frequent kinds of failure (endpoint, status or error, count) in one line, for a message; empty without failures.
  returned: unless O(progress=true)
  type: str
  sample: "GET /product/[id] HTTP 503 x41; POST /cart HTTP 503 x12; GET / no answer: ConnectionRefusedError x3"
plots:
  description: Whether the PNG plots were drawn (false when matplotlib is missing; report.html says how to get them).
  returned: when O(report=true) and not O(progress=true)
  type: bool
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.boutique.ops.plugins.module_utils.locust_stats import (
    LocustCsvError,
    failures_line,
    progress as read_progress,
    progress_line,
    read_run_info,
    summarize_with_series,
)


def _progress(module):
    params = module.params
    if params["heartbeat"] and not module.check_mode:
        with open(params["heartbeat"], "a"):
            os.utime(params["heartbeat"], None)
    # Wait up to wait_s, but return as soon as the run record says locust has ended, so that a
    # poll loop ends within moments of the master.
    deadline = time.time() + max(0.0, params["wait_s"])
    ended = _run_ended(params["run_info"])
    while not ended and time.time() < deadline:
        time.sleep(min(0.5, max(0.0, deadline - time.time())))
        ended = _run_ended(params["run_info"])
    try:
        last = read_progress(params["csv_prefix"], params["planned_s"])
    except LocustCsvError as exc:
        # A poll never fails the run: the summary at the end reports the file.
        module.warn(str(exc))
        last = {}
    module.exit_json(changed=False, progress=last, run_ended=ended,
                     progress_line=progress_line(last, params["planned_s"], params["finished"]))


def _run_ended(path):
    """Whether the run record (run.json) says locust has exited; False while absent or unreadable."""
    if not path:
        return False
    try:
        return read_run_info(path).get("rc") is not None
    except (LocustCsvError, ValueError):
        return False


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            csv_prefix=dict(type="path", required=True),
            dest=dict(type="path"),
            profile=dict(type="str", required=True, choices=["stress", "spike", "endurance", "recovery", "none"]),
            master_log=dict(type="path"),
            run_info=dict(type="path"),
            expected_workers=dict(type="int"),
            failure_ratio_threshold=dict(type="float", default=0.05),
            window_s=dict(type="float", default=3.0),
            min_requests=dict(type="int", default=10),
            report=dict(type="bool", default=True),
            progress=dict(type="bool", default=False),
            planned_s=dict(type="float"),
            finished=dict(type="bool", default=False),
            wait_s=dict(type="float", default=0.0),
            heartbeat=dict(type="path"),
            analysis=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["progress"]:
        _progress(module)
    # The report's code is imported here, not at the top: a progress poll (every few seconds) would
    # otherwise compile it each time, ansible's module payload carrying sources, not bytecode.
    from ansible_collections.boutique.ops.plugins.module_utils import (  # pylint: disable=import-outside-toplevel
        load_analysis_report,
        locust_plot,
    )
    if not 0 <= params["failure_ratio_threshold"] < 1:
        module.fail_json(msg="failure_ratio_threshold=%s: allowed is 0 <= x < 1, e.g. 0.05" % params["failure_ratio_threshold"])
    if params["window_s"] <= 0:
        module.fail_json(msg="window_s=%s: must be > 0 seconds, e.g. 3" % params["window_s"])

    dest = params["dest"] or os.path.dirname(params["csv_prefix"]) or "."
    try:
        summary, series = summarize_with_series(
            params["csv_prefix"],
            params["profile"],
            master_log=params["master_log"],
            run_info=read_run_info(params["run_info"]),
            threshold=params["failure_ratio_threshold"],
            window_s=params["window_s"],
            min_requests=params["min_requests"],
            expected_workers=params["expected_workers"],
        )
    except LocustCsvError as exc:
        module.fail_json(msg="cannot summarise the locust run: %s" % exc)
    if params["analysis"] is not None:
        summary["analysis"] = params["analysis"]

    files = [os.path.join(dest, "summary.json")]
    changed = False
    if params["report"]:
        files.append(os.path.join(dest, "report.html"))
    if module.check_mode:
        module.exit_json(changed=True, summary=summary, files=files, failures_line=failures_line(summary["failures_grouped"]))
    if not os.path.isdir(dest):
        module.fail_json(msg="dest=%s is not a folder" % dest)
    changed |= locust_plot.write_if_changed(files[0], json.dumps(summary, indent=2, sort_keys=True) + "\n")
    result = {"failures_line": failures_line(summary["failures_grouped"])}
    if params["report"]:
        names = None
        if locust_plot.load_pyplot() is not None:
            names, plots_changed = locust_plot.plot_all(summary, series, dest, params["window_s"])
            changed |= plots_changed
            files.extend(os.path.join(dest, name) for name in names)
            analysis_names, plots_changed = load_analysis_report.write_plot(summary.get("analysis"), dest, locust_plot.write_if_changed)
            changed |= plots_changed
            files.extend(os.path.join(dest, name) for name in analysis_names)
        else:
            module.warn("matplotlib is not installed: report.html has the tables but no plots (pip install matplotlib)")
        html = load_analysis_report.add_section(locust_plot.render_html(summary, names), summary.get("analysis"))
        changed |= locust_plot.write_if_changed(files[1], html)
        result["plots"] = names is not None
    module.exit_json(changed=changed, summary=summary, files=files, **result)


def main():
    run_module()


if __name__ == "__main__":
    main()
