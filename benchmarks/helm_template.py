# Copyright: (c) 2026, boutique.ops maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""How long `helm template` takes per chart with the project's values.

A benchmark, not a test: it measures and prints, it asserts nothing, and `make test` does not run it.

    BOUTIQUE_OPS_CHART_SOURCE=../shared/reference/charts .venv/bin/python benchmarks/helm_template.py [--runs 5]

It renders playbooks/monitoring.yml and playbooks/istio.yml once (render mode, charts from
BOUTIQUE_OPS_CHART_SOURCE), then runs `helm template` for each release with the same chart,
release, namespace and values, --runs times, and prints the median and the fastest wall time and
the CPU time helm used (user + system, so a machine shared with other work does not inflate it).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def render(folder):
    env = dict(os.environ, PATH=os.path.join(ROOT, ".venv", "bin") + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    for playbook in ("playbooks/monitoring.yml", "playbooks/istio.yml"):
        subprocess.run(["ansible-playbook", playbook, "-e", "ops_render_dir=%s" % folder], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=900)


def releases(folder):
    """(release, chart source, namespace, values dict) for every Helm release the render templated."""
    with open(os.path.join(folder, "monitoring", "charts.yml"), encoding="utf-8") as handle:
        for entry in yaml.safe_load(handle):
            with open(os.path.join(folder, "monitoring", entry["values"]), encoding="utf-8") as values:
                yield entry["release"], entry["source"], entry["namespace"], yaml.safe_load(values)
    with open(os.path.join(folder, "istio", "releases.yml"), encoding="utf-8") as handle:
        for entry in yaml.safe_load(handle)["releases"]:
            yield entry["release"], entry["source"], entry["namespace"], entry["values"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not os.path.isdir(os.environ.get("BOUTIQUE_OPS_CHART_SOURCE", "")):
        sys.exit("Set BOUTIQUE_OPS_CHART_SOURCE to a folder holding the pinned charts, e.g. ../shared/reference/charts")
    with tempfile.TemporaryDirectory() as folder:
        render(folder)
        print("%-22s %8s %8s %8s %8s" % ("release", "median s", "min s", "cpu s", "objects"))
        for release, source, namespace, values in releases(folder):
            values_file = os.path.join(folder, release + "-values.yml")
            with open(values_file, "w", encoding="utf-8") as handle:
                yaml.safe_dump(values, handle)
            walls, cpus, objects = [], [], 0
            for _run in range(args.runs):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.monotonic()
                proc = subprocess.run(["helm", "template", release, source, "--namespace", namespace, "-f", values_file],
                                      capture_output=True, text=True, check=True, timeout=120)
                walls.append(time.monotonic() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                objects = sum(1 for doc in yaml.safe_load_all(proc.stdout) if doc)
            print("%-22s %8.2f %8.2f %8.2f %8d" % (release, statistics.median(walls), min(walls), statistics.median(cpus), objects))


if __name__ == "__main__":
    main()
