# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""How long render mode takes, against a one-task playbook for scale, by wall clock and by CPU.

A benchmark, not a test: it measures and prints, it asserts nothing, and `make test` does not run it.

    .venv/bin/python benchmarks/render_speed.py [--repeat 3] [--only site,canary]

It runs --repeat rounds side by side: each round runs the one-task playbook, then each entry playbook
in render mode (-e ops_render_dir=<temporary folder>), so that whatever else the machine does weighs
on all of them alike. For each it prints the median of the rounds' wall-clock seconds and of their CPU
seconds (user + system of ansible-playbook and its children), the fastest wall-clock run, and the
ratios of the medians to the one-task playbook's. The wall clock is what a user waits; on a machine
shared with other work it stretches, and the CPU seconds are the steadier figure, so both are given,
with the load average before and after (read it before quoting the wall-clock figures). Then the 10
slowest tasks of the site and canary renders (ansible.posix.profile_tasks, as configured in ansible.cfg).
Targets (issue 17), wall-clock ratios measured side by side: site.yml <= 15x and canary.yml <= 8x.
Charts come from BOUTIQUE_OPS_CHART_SOURCE, else ../shared/reference/charts when it exists.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
# The pinned charts the tests template, for an offline render (as tests/conftest.py sets it).
REFERENCE_CHARTS = os.path.join(REPO, "..", "shared", "reference", "charts")

ONE_TASK = """---
- name: One task, for scale
  hosts: control
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: hello
"""

# name -> ansible-playbook arguments (the render folder is added)
PLAYBOOKS = {
    "site": ["site.yml"],
    "site-gcp": ["-i", "inventories/gcp/hosts.yml", "site.yml", "-e", "gcp_project=boutique-tests",
                 "-e", '{"boutique_frontend_source_ranges": ["203.0.113.7/32"]}'],
    "canary": ["canary.yml", "-e", "weight=25"],
    "loadtest": ["loadtest.yml"],
    "teardown": ["teardown.yml"],
}
TARGETS = {"site": 15, "canary": 8}
TASK_LINE = re.compile(r"^(.*?) -+ ([0-9.]+)s$")


def run(args, render_dir=None):
    """Run ansible-playbook from the repo root; return (wall s, cpu s, output)."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    if os.path.isdir(REFERENCE_CHARTS):
        env.setdefault("BOUTIQUE_OPS_CHART_SOURCE", REFERENCE_CHARTS)
    cmd = [os.path.join(VENV_BIN, "ansible-playbook")] + args
    if render_dir:
        cmd += ["-e", "ops_render_dir=%s" % render_dir]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit("%s failed (exit %d):\n%s" % (" ".join(args), proc.returncode, proc.stdout[-3000:]))
    return wall, cpu, proc.stdout


def slowest_tasks(output, count=10):
    """The ``count`` slowest tasks from profile_tasks' recap, as (seconds, name)."""
    recap = output.split("TASKS RECAP")[-1]
    tasks = []
    for line in recap.splitlines():
        match = TASK_LINE.match(line.strip())
        if match:
            tasks.append((float(match.group(2)), match.group(1).strip()))
    return sorted(tasks, reverse=True)[:count]


def load_average():
    return "%.1f / %.1f / %.1f" % os.getloadavg()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each playbook runs once per round, the median is kept (default 3)")
    parser.add_argument("--only", default="", help="comma-separated playbook names (default: all of %s)" % ", ".join(PLAYBOOKS))
    options = parser.parse_args()
    names = [name for name in options.only.split(",") if name] or list(PLAYBOOKS)
    work = tempfile.mkdtemp(prefix="render-speed-")
    try:
        one_task = os.path.join(work, "one_task.yml")
        with open(one_task, "w", encoding="utf-8") as handle:
            handle.write(ONE_TASK)
        load_before = load_average()
        runs = dict((name, []) for name in ["one-task"] + names)
        for index in range(options.repeat):
            runs["one-task"].append(run([one_task]))
            for name in names:
                runs[name].append(run(PLAYBOOKS[name], render_dir=os.path.join(work, "%s-%d" % (name, index))))
        load_after = load_average()
        median = dict((name, (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)))
                      for name, results in runs.items())
        base_wall, base_cpu = median["one-task"]
        print("ansible-playbook, median of %d rounds run side by side, on %d CPUs; load average (1/5/15 min) %s before, %s after"
              % (options.repeat, os.cpu_count(), load_before, load_after))
        print("%-10s %8s %8s %8s %8s %8s  %s" % ("playbook", "wall s", "best s", "cpu s", "x wall", "x cpu", "target (x wall)"))
        for name in ["one-task"] + names:
            wall, cpu = median[name]
            target = "<= %dx" % TARGETS[name] if name in TARGETS else ""
            print("%-10s %8.2f %8.2f %8.2f %8.1f %8.1f  %s" % (name, wall, min(r[0] for r in runs[name]), cpu,
                                                               wall / base_wall, cpu / base_cpu, target))
        for name in ("site", "canary"):
            if name in names:
                print("\n10 slowest tasks of the %s render (its fastest run):" % name)
                for seconds, task in slowest_tasks(min(runs[name], key=lambda r: r[0])[2]):
                    print("  %6.2fs  %s" % (seconds, task))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
