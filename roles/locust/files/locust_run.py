# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Run the locust master for boutique.ops and keep a record of how the run ended.

  python3 locust_run.py --run-dir DIR [--heartbeat FILE --heartbeat-timeout S] [--summary ARGS.json] -- locust ...

- Writes DIR/run.json: the command, start and end, the exit code, whether it was interrupted, and
  the pids of locust and of this wrapper (SIGTERM to it ends a UI run the same way as a Ctrl-C).
- SIGINT or SIGTERM to this process is passed to locust as SIGINT, locust's Ctrl-C: it stops the
  users, writes its CSVs and HTML report with what ran so far, and exits.
- --heartbeat: the playbook touches FILE at every progress poll. Ansible runs this script detached,
  so a Ctrl-C on ansible-playbook never reaches it; when FILE goes stale for --heartbeat-timeout
  seconds, the playbook is gone, and the run is interrupted the same way.
- --summary: after an interrupted run, write summary.json (marked partial) and report.html at once
  with the collection's locust_report code, since the playbook that would have done it is gone.
  ARGS.json holds {"collections_path", "csv_prefix", "profile", "master_log", ...}.
Standard library only (the master may run in a container with no venv on the host).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _partial_summary(args_path, run_json):
    """Summarise an interrupted run with the collection's own code; best effort, says why not."""
    with open(args_path, encoding="utf-8") as handle:
        args = json.load(handle)
    sys.path.insert(0, args["collections_path"])
    # pylint: disable=import-outside-toplevel
    from ansible_collections.boutique.ops.plugins.module_utils import locust_plot, locust_stats

    summary = locust_stats.summarize(
        args["csv_prefix"], args["profile"], master_log=args.get("master_log"),
        run_info=locust_stats.read_run_info(run_json), threshold=args.get("threshold", 0.05),
        window_s=args.get("window_s", 3.0), min_requests=args.get("min_requests", 10),
        expected_workers=args.get("expected_workers"),
    )
    dest = os.path.dirname(args["csv_prefix"])
    locust_plot.write_if_changed(os.path.join(dest, "summary.json"), json.dumps(summary, indent=2, sort_keys=True) + "\n")
    if locust_plot.HAS_MATPLOTLIB:
        history = locust_stats.read_history(args["csv_prefix"] + "_stats_history.csv")
        locust_plot.plot_all(summary, history, dest, args.get("window_s", 3.0))
        locust_plot.write_if_changed(os.path.join(dest, "report.html"), locust_plot.render_html(summary))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--heartbeat", default="")
    parser.add_argument("--heartbeat-timeout", type=float, default=30.0)
    parser.add_argument("--summary", default="")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no locust command after --")

    run_json = os.path.join(args.run_dir, "run.json")
    record = {"command": command, "started": _now(), "ended": None, "rc": None, "interrupted": False, "signal": None, "pid": None,
              "wrapper_pid": os.getpid()}
    proc = subprocess.Popen(command)  # pylint: disable=consider-using-with
    record["pid"] = proc.pid
    _write_json(run_json, record)

    def _interrupt(reason):
        if not record["interrupted"]:
            record["interrupted"] = True
            record["signal"] = reason
            _write_json(run_json, record)
            proc.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, lambda *_: _interrupt("SIGINT"))
    signal.signal(signal.SIGTERM, lambda *_: _interrupt("SIGTERM"))
    while proc.poll() is None:
        time.sleep(0.5)
        if args.heartbeat and os.path.exists(args.heartbeat) and not record["interrupted"]:
            if time.time() - os.path.getmtime(args.heartbeat) > args.heartbeat_timeout:
                _interrupt("the playbook stopped polling (Ctrl-C?)")
    record["rc"] = proc.returncode
    record["ended"] = _now()
    _write_json(run_json, record)
    if record["interrupted"] and args.summary:
        try:
            _partial_summary(args.summary, run_json)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # The CSVs are there; the next summary can be made by hand with boutique.ops.locust_report.
            sys.stderr.write("partial summary not written: %s\n" % exc)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
